package dev.heartbeats.common.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Writes a {@link DeadLetter} with its original bytes as key and value and the rest as headers.
 *
 * <p>A dead letter must always fit its topic: one the broker refuses fails the sink, the job restarts from its last
 * checkpoint and meets the same record again, forever. The input topic takes compressed batches, so a record can be
 * far larger than the dead-letter topic's {@code max.message.bytes}. Key and value together are therefore cut to
 * {@code maxBytes} (the value first; the key keeps at least a quarter of the bound if it needs it), and a cut record
 * says so in headers: {@value #TRUNCATED} ({@code value}, {@code key} or {@code key,value}), {@value #ORIGINAL_SIZE}
 * and {@value #VALUE_SHA256} of the whole value (and {@value #ORIGINAL_KEY_SIZE}, {@value #KEY_SHA256} for a cut key),
 * next to the source coordinates that find the original in the input topic while it is retained.
 */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 2L;

    public static final String REASON = "reason";
    public static final String SOURCE_TOPIC = "source-topic";
    public static final String SOURCE_PARTITION = "source-partition";
    public static final String SOURCE_OFFSET = "source-offset";
    public static final String SOURCE_TIMESTAMP = "source-timestamp";
    public static final String JOB = "job";
    public static final String ROUTED_AT = "routed-at";
    public static final String TRUNCATED = "truncated";
    public static final String ORIGINAL_SIZE = "original-size";
    public static final String VALUE_SHA256 = "value-sha256";
    public static final String ORIGINAL_KEY_SIZE = "original-key-size";
    public static final String KEY_SHA256 = "key-sha256";

    /** Longest reason header, in characters (the parser's reasons are far shorter; this only bounds the headers). */
    static final int MAX_REASON_CHARS = 1024;
    /** Room for the headers (reason at most 4 KiB in UTF-8, topic names, numbers, hashes) and the record and batch framing. */
    static final int HEADER_AND_FRAMING_BYTES = 16 * 1024;

    private final String topic;
    private final String job;
    private final int maxBytes;

    /** @param maxBytes the most bytes of key and value together a dead letter carries ({@code --dead-letter-max-bytes}) */
    public DeadLetterSerializer(String topic, String job, int maxBytes) {
        if (maxBytes < 4) throw new IllegalArgumentException("maxBytes must be at least 4: " + maxBytes);
        this.topic = topic;
        this.job = job;
        this.maxBytes = maxBytes;
    }

    /**
     * The {@code max.message.bytes} a topic needs for dead letters of at most {@code maxBytes} of key and value: the
     * headers and framing, and what lz4 (the dead-letter producer's compression) can add to data that does not compress.
     */
    public static int messageBytesNeeded(int maxBytes) {
        return (int) Math.min(Integer.MAX_VALUE, (long) maxBytes + maxBytes / 128 + HEADER_AND_FRAMING_BYTES);
    }

    /** The largest {@code maxBytes} whose dead letters a topic with this {@code max.message.bytes} accepts. */
    public static int largestFitting(int maxMessageBytes) {
        long m = (long) maxMessageBytes - HEADER_AND_FRAMING_BYTES;
        if (m <= 0) return 0;
        long b = m * 128 / 129;
        while (messageBytesNeeded((int) b + 1) <= maxMessageBytes) b++;
        while (b > 0 && messageBytesNeeded((int) b) > maxMessageBytes) b--;
        return (int) b;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        String reason = d.reason != null && d.reason.length() > MAX_REASON_CHARS ? d.reason.substring(0, MAX_REASON_CHARS) + "…" : d.reason;
        headers.add(REASON, utf8(reason));
        headers.add(SOURCE_TOPIC, utf8(d.sourceTopic));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(d.sourcePartition)));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(d.sourceOffset)));
        headers.add(SOURCE_TIMESTAMP, utf8(Long.toString(d.sourceTimestamp)));
        headers.add(JOB, utf8(job));
        headers.add(ROUTED_AT, utf8(Long.toString(System.currentTimeMillis())));
        byte[] key = d.key;
        byte[] value = d.value;
        int keyLength = key == null ? 0 : key.length;
        int valueLength = value == null ? 0 : value.length;
        if ((long) keyLength + valueLength > maxBytes) {
            int valueKeep = Math.min(valueLength, maxBytes - Math.min(keyLength, maxBytes / 4));
            int keyKeep = Math.min(keyLength, maxBytes - valueKeep);
            boolean cutKey = keyKeep < keyLength;
            boolean cutValue = valueKeep < valueLength;
            headers.add(TRUNCATED, utf8(cutKey && cutValue ? "key,value" : cutKey ? "key" : "value"));
            if (cutValue) {
                headers.add(ORIGINAL_SIZE, utf8(Integer.toString(valueLength)));
                headers.add(VALUE_SHA256, utf8(sha256(value)));
                value = Arrays.copyOf(value, utf8Boundary(value, valueKeep));
            }
            if (cutKey) {
                headers.add(ORIGINAL_KEY_SIZE, utf8(Integer.toString(keyLength)));
                headers.add(KEY_SHA256, utf8(sha256(key)));
                key = Arrays.copyOf(key, utf8Boundary(key, keyKeep));
            }
        }
        return new ProducerRecord<>(topic, null, null, key, value, headers);
    }

    /**
     * {@code length}, or a few bytes less so that the cut does not split a UTF-8 sequence: a cut text value then stays
     * valid UTF-8 and {@code hb dlq export} can show it as text.
     */
    static int utf8Boundary(byte[] b, int length) {
        int at = length;
        while (at > 0 && length - at < 3 && (b[at] & 0xC0) == 0x80) at--;
        return (b[at] & 0xC0) == 0x80 ? length : at;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
