package dev.heartbeats.savepoints;

import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The Kafka records of a golden input, exactly as they were sent (key and value bytes, in order), and where they
 * landed. A release's goldens store their input ({@value #FILE}) so that an old golden stays restorable whatever
 * later changes the generator: the gate sends the very same bytes again.
 */
public final class InputRecords {
    public static final String FILE = "input.records.gz";
    private static final int MAGIC = 0x48424931; // "HBI1"

    /** A record to send. */
    public record Record(byte[] key, byte[] value) {}

    /** A record as sent: its index in the input, partition, offset and Kafka timestamp. */
    public record Sent(int index, Record record, int partition, long offset, long timestamp) {
        public String position() {
            return partition + "@" + offset;
        }
    }

    private InputRecords() {}

    public static List<Record> generate(GeneratorConfig config) {
        List<Record> out = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(config);
        while (g.hasNext()) {
            GeneratedRecord r = g.next();
            out.add(new Record(r.key(), r.value()));
        }
        return out;
    }

    public static void write(Path file, List<Record> records) throws IOException {
        try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new GZIPOutputStream(Files.newOutputStream(file))))) {
            out.writeInt(MAGIC);
            out.writeInt(records.size());
            for (Record r : records) {
                writeBytes(out, r.key());
                writeBytes(out, r.value());
            }
        }
    }

    public static List<Record> read(Path file) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(Files.newInputStream(file))))) {
            if (in.readInt() != MAGIC) throw new IOException(file + " is not a golden input file");
            int n = in.readInt();
            List<Record> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(new Record(readBytes(in), readBytes(in)));
            return out;
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length);
            out.write(b);
        }
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0) return null;
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** SHA-256 over records [from, to): lengths and bytes of key and value. */
    public static String sha256(List<Record> records, int from, int to) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int i = from; i < to; i++) {
                digest(md, records.get(i).key());
                digest(md, records.get(i).value());
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void digest(MessageDigest md, byte[] b) {
        int n = b == null ? -1 : b.length;
        md.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
        if (b != null) md.update(b);
    }

    /**
     * Sends records [from, to) to {@code topic} in order from one idempotent producer (so each partition gets them
     * in this order, at consecutive offsets) and returns where each landed.
     */
    public static List<Sent> send(String bootstrapServers, String topic, List<Record> records, int from, int to)
            throws InterruptedException, ExecutionException {
        List<Future<RecordMetadata>> acks = new ArrayList<>(to - from);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(LiveProducer.producerProperties(bootstrapServers))) {
            for (int i = from; i < to; i++) acks.add(p.send(new ProducerRecord<>(topic, records.get(i).key(), records.get(i).value())));
            p.flush();
        }
        List<Sent> sent = new ArrayList<>(acks.size());
        for (int i = 0; i < acks.size(); i++) {
            RecordMetadata m = acks.get(i).get();
            sent.add(new Sent(from + i, records.get(from + i), m.partition(), m.offset(), m.timestamp()));
        }
        return sent;
    }

    /** The next offset per partition after {@code sent}: what a consumer that read them all has as position. */
    public static Map<Integer, Long> endOffsets(List<Sent> sent) {
        Map<Integer, Long> end = new TreeMap<>();
        for (Sent s : sent) end.merge(s.partition(), s.offset() + 1, Math::max);
        return end;
    }
}
