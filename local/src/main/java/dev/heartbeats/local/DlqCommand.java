package dev.heartbeats.local;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.kafka.KafkaClientConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * {@code hb dlq export|replay}: gets dead letters (or too-late records) out of Kafka into a file a person can read
 * and correct, and puts corrected records back into the input topic.
 *
 * <pre>
 * hb dlq export --bootstrap-servers kafka:9092 --topic heartbeats-dlq --out dlq.jsonl [--reason-contains video_id] [--job segments]
 * (correct dlq.jsonl: edit the "value" of the lines to replay, delete the lines not to replay)
 * hb dlq replay --in dlq.jsonl --bootstrap-servers kafka:9092 --topic heartbeats
 * </pre>
 *
 * <p>The file has one JSON object per line: {@code topic}, {@code partition}, {@code offset}, {@code timestamp} of the
 * dead letter; its {@code key} and {@code value} as UTF-8 text when they are valid UTF-8, else as base64 in
 * {@code key_base64} / {@code value_base64} ({@code null} for a missing key or a tombstone); and its {@code headers}
 * ({@code reason}, {@code source-topic}, {@code source-partition}, {@code source-offset}, {@code source-timestamp},
 * {@code job}, {@code routed-at}) as text, or base64 in {@code headers_base64} for a header that is not UTF-8.
 *
 * <p>Every job writes its own dead letter for a bad record, and a restart may write one twice (at-least-once): export
 * keeps one line per source record (source topic, partition and offset) unless {@code --keep-duplicates}. Replay
 * produces each line's value with its key, in file order, with headers {@code replayed-from} (the dead letter's
 * topic/partition@offset) and {@code replay-of} (the original record's topic/partition@offset), which the jobs ignore.
 *
 * <p>A dead letter too large for its topic was written truncated (headers {@code truncated}, {@code original-size},
 * {@code value-sha256}; see {@code DeadLetterSerializer}). Export keeps those headers and counts such lines; replay
 * refuses a line that still has the {@code truncated} header, since its value is only the beginning of the record:
 * take the whole record from the input topic at its source coordinates (while it is retained), put the corrected
 * value in the line and delete the {@code truncated} header.
 */
public final class DlqCommand {
    private DlqCommand() {}

    public static final String REPLAYED_FROM = "replayed-from";
    public static final String REPLAY_OF = "replay-of";

    static final Option<String> BOOTSTRAP = Option.string("bootstrap-servers", "localhost:9092", "Kafka bootstrap servers");
    static final Option<String> EXPORT_TOPIC = Option.string("topic", "heartbeats-dlq", "topic to export: the dead-letter topic, or the late topic");
    static final Option<String> OUT = Option.string("out", null, "file to write, one JSON object per line ('-' for stdout) [required]");
    static final Option<String> REASON_CONTAINS = Option.string("reason-contains", null, "only dead letters whose reason header contains this text");
    static final Option<String> JOB = Option.string("job", null, "only dead letters written by this job (segments, watch-time, ad-impressions)");
    static final Option<Boolean> KEEP_DUPLICATES = Option.flag("keep-duplicates",
            "keep every dead letter, also several for one source record (one per job, or at-least-once repeats)");
    static final Option<String> IN = Option.string("in", null, "file to replay, as written by export and corrected [required]");
    static final Option<String> REPLAY_TOPIC = Option.string("topic", "heartbeats", "topic to produce the records to");

    public static final List<Option<?>> EXPORT_OPTIONS = JobOptions.concat(JobOptions.kafkaClient(BOOTSTRAP),
            List.of(EXPORT_TOPIC, OUT, REASON_CONTAINS, JOB, KEEP_DUPLICATES));
    static final List<Option<?>> REPLAY_OPTIONS = JobOptions.concat(JobOptions.kafkaClient(BOOTSTRAP), List.of(IN, REPLAY_TOPIC));

    static final String USAGE = String.join("\n",
            "Usage: hb dlq export --bootstrap-servers .. --topic heartbeats-dlq --out file.jsonl [--reason-contains X] [--job NAME]",
            "       hb dlq replay --in file.jsonl --bootstrap-servers .. --topic heartbeats",
            "",
            "export writes the records of a dead-letter (or late) topic to a file, one JSON object per line: key and value as",
            "UTF-8 text (\"key\", \"value\") or base64 (\"key_base64\", \"value_base64\") when not valid UTF-8, and the headers",
            "(reason, source-topic, source-partition, source-offset, source-timestamp, job, routed-at). Correct the values",
            "in the file, delete the lines not to replay, then replay produces each line's value with its key.",
            "",
            "A dead letter too large for its topic holds only the beginning of the record: headers truncated, original-size",
            "and value-sha256 (of the whole value) say so. replay refuses such a line until its value is replaced by a whole,",
            "corrected one (from the input topic at source-partition/source-offset) and its \"truncated\" header removed.");

    private static final JsonFactory JSON = JsonFactory.builder().build();

    /** What export and replay did, for the caller (and the tests); {@code truncated}: exported lines holding a cut value. */
    public record Result(int read, int written, int truncated) {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(USAGE);
            return;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "export": {
                if (Settings.wantsHelp(rest)) {
                    System.out.println(Settings.help(USAGE, EXPORT_OPTIONS));
                    return;
                }
                Result r = export(Settings.parse(rest, EXPORT_OPTIONS));
                System.err.println("dlq export: read " + r.read() + " records, wrote " + r.written() + " lines");
                if (r.truncated() > 0) {
                    System.err.println("dlq export: " + r.truncated() + " of them were too large for the dead-letter topic and hold only the beginning of"
                            + " the record (header \"truncated\"; original-size and value-sha256 describe the whole): replay refuses them as they are");
                }
                break;
            }
            case "replay": {
                if (Settings.wantsHelp(rest)) {
                    System.out.println(Settings.help(USAGE, REPLAY_OPTIONS));
                    return;
                }
                Result r = replay(Settings.parse(rest, REPLAY_OPTIONS));
                System.err.println("dlq replay: read " + r.read() + " lines, produced " + r.written() + " records");
                break;
            }
            default:
                throw new ConfigException("dlq: unknown subcommand '" + args[0] + "' (export or replay)\n\n" + USAGE);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // export

    public static Result export(Settings s) throws IOException {
        String out = required(s, OUT);
        String topic = s.get(EXPORT_TOPIC);
        String reasonContains = s.get(REASON_CONTAINS);
        String job = s.get(JOB);
        boolean keepDuplicates = s.get(KEEP_DUPLICATES);
        KafkaClientConfig kafka = KafkaClientConfig.fromSettings(s, BOOTSTRAP);
        if (kafka.isSecured()) kafka.check(List.of(topic), Duration.ofSeconds(30));
        Properties props = kafka.properties(Map.of(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false", ConsumerConfig.CLIENT_ID_CONFIG, "hb-dlq-export"));
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        int read = 0;
        int written = 0;
        int truncated = 0;
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
             Writer w = out.equals("-") ? new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8))
                     : Files.newBufferedWriter(Path.of(out), StandardCharsets.UTF_8)) {
            var infos = consumer.partitionsFor(topic, Duration.ofSeconds(60));
            if (infos == null || infos.isEmpty()) throw new ConfigException("--topic: topic '" + topic + "' does not exist");
            List<TopicPartition> parts = infos.stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            // What the topic holds now: export is a snapshot, it does not wait for more.
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(60));
            long idleSince = System.currentTimeMillis();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                var batch = consumer.poll(Duration.ofMillis(500));
                if (batch.isEmpty()) {
                    if (System.currentTimeMillis() - idleSince > 120_000) throw new IOException("no progress reading " + topic + " for 120 s");
                    continue;
                }
                idleSince = System.currentTimeMillis();
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (r.offset() >= end.get(new TopicPartition(r.topic(), r.partition()))) continue;
                    read++;
                    String reason = header(r, DeadLetterSerializer.REASON);
                    if (reasonContains != null && (reason == null || !reason.contains(reasonContains))) continue;
                    if (job != null && !job.equals(header(r, DeadLetterSerializer.JOB))) continue;
                    String src = header(r, DeadLetterSerializer.SOURCE_TOPIC);
                    String srcPartition = header(r, DeadLetterSerializer.SOURCE_PARTITION);
                    String srcOffset = header(r, DeadLetterSerializer.SOURCE_OFFSET);
                    if (!keepDuplicates && src != null && srcPartition != null && srcOffset != null
                            && !seen.add(src + '/' + srcPartition + '@' + srcOffset)) {
                        continue;
                    }
                    w.write(toJsonLine(r));
                    w.write('\n');
                    written++;
                    if (header(r, DeadLetterSerializer.TRUNCATED) != null) truncated++;
                }
            }
            w.flush();
        }
        return new Result(read, written, truncated);
    }

    static String toJsonLine(ConsumerRecord<byte[], byte[]> r) throws IOException {
        java.io.StringWriter sw = new java.io.StringWriter();
        try (JsonGenerator g = JSON.createGenerator(sw)) {
            g.writeStartObject();
            g.writeStringField("topic", r.topic());
            g.writeNumberField("partition", r.partition());
            g.writeNumberField("offset", r.offset());
            g.writeNumberField("timestamp", r.timestamp());
            writeBytes(g, "key", r.key());
            writeBytes(g, "value", r.value());
            Map<String, String> text = new LinkedHashMap<>();
            Map<String, String> binary = new LinkedHashMap<>();
            for (Header h : r.headers()) {
                String v = utf8OrNull(h.value());
                if (h.value() == null || v != null) text.put(h.key(), v);
                else binary.put(h.key(), Base64.getEncoder().encodeToString(h.value()));
            }
            g.writeObjectFieldStart("headers");
            for (Map.Entry<String, String> e : text.entrySet()) g.writeStringField(e.getKey(), e.getValue());
            g.writeEndObject();
            if (!binary.isEmpty()) {
                g.writeObjectFieldStart("headers_base64");
                for (Map.Entry<String, String> e : binary.entrySet()) g.writeStringField(e.getKey(), e.getValue());
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        return sw.toString();
    }

    private static void writeBytes(JsonGenerator g, String field, byte[] bytes) throws IOException {
        if (bytes == null) {
            g.writeNullField(field);
            return;
        }
        String text = utf8OrNull(bytes);
        if (text != null) g.writeStringField(field, text);
        else g.writeStringField(field + "_base64", Base64.getEncoder().encodeToString(bytes));
    }

    /** The bytes as a string if they are valid UTF-8 (and survive a round trip through JSON text), else null. */
    static String utf8OrNull(byte[] b) {
        if (b == null) return null;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // replay

    /** One line of an export file, as read back. */
    static final class Line {
        String topic;
        Integer partition;
        Long offset;
        byte[] key;
        byte[] value;
        final Map<String, String> headers = new LinkedHashMap<>();
    }

    public static Result replay(Settings s) throws Exception {
        Path in = Path.of(required(s, IN));
        if (!Files.isReadable(in)) throw new ConfigException("--in: cannot read '" + in + "'");
        String topic = s.get(REPLAY_TOPIC);
        List<Line> lines = new ArrayList<>();
        try (BufferedReader r = Files.newBufferedReader(in, StandardCharsets.UTF_8)) {
            String text;
            int n = 0;
            while ((text = r.readLine()) != null) {
                n++;
                if (text.isBlank()) continue;
                Line line;
                try {
                    line = parseLine(text);
                } catch (IOException | IllegalArgumentException e) {
                    throw new ConfigException("--in: line " + n + " of " + in + " is not an exported record: " + e.getMessage());
                }
                String truncated = line.headers.get(DeadLetterSerializer.TRUNCATED);
                if (truncated != null) {
                    throw new ConfigException("--in: line " + n + " of " + in + " holds a truncated " + truncated + " (the dead letter kept only the first "
                            + (line.value == null ? 0 : line.value.length) + " of " + line.headers.get(DeadLetterSerializer.ORIGINAL_SIZE)
                            + " bytes), so replaying it would send a different record. Take the whole record from "
                            + line.headers.get(DeadLetterSerializer.SOURCE_TOPIC) + " partition " + line.headers.get(DeadLetterSerializer.SOURCE_PARTITION)
                            + " offset " + line.headers.get(DeadLetterSerializer.SOURCE_OFFSET) + " (value-sha256 " + line.headers.get(DeadLetterSerializer.VALUE_SHA256)
                            + "), put it corrected in the line and delete its \"truncated\" header, or delete the line; nothing was replayed");
                }
                lines.add(line);
            }
        }
        KafkaClientConfig kafka = KafkaClientConfig.fromSettings(s, BOOTSTRAP);
        if (kafka.isSecured()) kafka.check(List.of(topic), Duration.ofSeconds(30));
        Properties props = kafka.properties(Map.of(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 * 1024 * 1024, ProducerConfig.CLIENT_ID_CONFIG, "hb-dlq-replay",
                // The input topic limits compressed batches (about 1 MiB in production): a large corrected record fits compressed.
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"));
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props)) {
            for (Line l : lines) {
                RecordHeaders headers = new RecordHeaders();
                if (l.topic != null && l.partition != null && l.offset != null) {
                    headers.add(REPLAYED_FROM, (l.topic + "/" + l.partition + "@" + l.offset).getBytes(StandardCharsets.UTF_8));
                }
                String src = l.headers.get(DeadLetterSerializer.SOURCE_TOPIC);
                if (src != null) {
                    headers.add(REPLAY_OF, (src + "/" + l.headers.get(DeadLetterSerializer.SOURCE_PARTITION) + "@"
                            + l.headers.get(DeadLetterSerializer.SOURCE_OFFSET)).getBytes(StandardCharsets.UTF_8));
                }
                acks.add(p.send(new ProducerRecord<>(topic, null, null, l.key, l.value, headers)));
            }
            p.flush();
            for (Future<RecordMetadata> f : acks) f.get();
        }
        return new Result(lines.size(), acks.size(), 0);
    }

    static Line parseLine(String text) throws IOException {
        Line l = new Line();
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new IllegalArgumentException("not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                switch (name) {
                    case "topic": l.topic = t == JsonToken.VALUE_NULL ? null : p.getText(); break;
                    case "partition": l.partition = t == JsonToken.VALUE_NULL ? null : p.getIntValue(); break;
                    case "offset": l.offset = t == JsonToken.VALUE_NULL ? null : p.getLongValue(); break;
                    case "key": l.key = t == JsonToken.VALUE_NULL ? null : text(p, t, name).getBytes(StandardCharsets.UTF_8); break;
                    case "value": l.value = t == JsonToken.VALUE_NULL ? null : text(p, t, name).getBytes(StandardCharsets.UTF_8); break;
                    case "key_base64": l.key = t == JsonToken.VALUE_NULL ? null : Base64.getDecoder().decode(text(p, t, name)); break;
                    case "value_base64": l.value = t == JsonToken.VALUE_NULL ? null : Base64.getDecoder().decode(text(p, t, name)); break;
                    case "headers":
                        if (t != JsonToken.START_OBJECT) throw new IllegalArgumentException("'headers' must be an object");
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String h = p.currentName();
                            JsonToken v = p.nextToken();
                            l.headers.put(h, v == JsonToken.VALUE_NULL ? null : p.getText());
                        }
                        break;
                    default:
                        p.skipChildren();
                }
            }
        }
        return l;
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException {
        // A corrected value may be written as a JSON object instead of a string holding JSON: take it as it stands.
        if (t == JsonToken.START_OBJECT && field.equals("value")) return rawObject(p);
        if (t != JsonToken.VALUE_STRING) throw new IllegalArgumentException("'" + field + "' must be a string");
        return p.getText();
    }

    /** Re-serialises the object the parser is at (for a "value" given as a JSON object). */
    private static String rawObject(JsonParser p) throws IOException {
        java.io.StringWriter sw = new java.io.StringWriter();
        try (JsonGenerator g = JSON.createGenerator(sw)) {
            g.copyCurrentStructure(p);
        }
        return sw.toString();
    }

    private static String required(Settings s, Option<String> o) {
        String v = s.get(o);
        if (v == null) throw new ConfigException("--" + o.name + ": required setting is missing");
        return v;
    }
}
