package dev.heartbeats.savepoints;

import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.embedded.LocalStack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What restoring goldens needs, once per JVM: a Kafka broker and PostgreSQL (with the schema and the sample
 * catalog), a MiniCluster, a work directory, and each golden input topic, filled once with its release's whole input.
 */
public final class GateEnvironment implements AutoCloseable {
    private static GateEnvironment shared;

    public final LocalStack stack;
    public final LocalCluster cluster;
    public final Kafka kafka;
    public final Path work;
    public final Map<String, String> licensorByVideo;
    private final Map<String, List<InputRecords.Sent>> topics = new HashMap<>();
    private final AtomicInteger runs = new AtomicInteger();

    private GateEnvironment(LocalStack stack, LocalCluster cluster, Path work, Map<String, String> licensorByVideo) {
        this.stack = stack;
        this.cluster = cluster;
        this.kafka = new Kafka(stack.kafka.bootstrapServers());
        this.work = work;
        this.licensorByVideo = licensorByVideo;
    }

    /** One per JVM (tests share it); closed at JVM exit. */
    public static synchronized GateEnvironment shared() throws Exception {
        if (shared == null) {
            shared = start(2, 4);
            Runtime.getRuntime().addShutdownHook(new Thread(shared::close, "gate-environment-shutdown"));
        }
        return shared;
    }

    /** @param partitions of the topics the stack creates itself; golden topics get their manifest's count */
    public static GateEnvironment start(int partitions, int slots) throws Exception {
        LocalStack stack;
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream())); // Kafka's storage formatter prints to stdout
        try {
            stack = LocalStack.start(partitions);
        } finally {
            System.setOut(out);
        }
        LocalCluster cluster = null;
        try {
            CatalogLoader.loadDefaults(stack.jdbc());
            cluster = LocalCluster.start(slots);
            return new GateEnvironment(stack, cluster, Files.createTempDirectory("savepoints-gate"), catalog(stack));
        } catch (Exception | Error e) {
            if (cluster != null) cluster.close();
            stack.close();
            throw e;
        }
    }

    private static Map<String, String> catalog(LocalStack stack) throws Exception {
        Map<String, String> licensorByVideo = new HashMap<>();
        try (Connection c = stack.jdbc().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, licensor_id FROM videos")) {
            while (rs.next()) licensorByVideo.put(rs.getString(1), rs.getString(2));
        }
        return licensorByVideo;
    }

    /**
     * The golden input topic {@code name}, created with {@code partitions} and filled with every record of the input
     * in order (once per JVM): the same records at the same offsets as when the golden was taken, followed by the
     * part the restored job has not read yet.
     */
    public synchronized List<InputRecords.Sent> inputTopic(String name, int partitions, List<InputRecords.Record> records) throws Exception {
        List<InputRecords.Sent> sent = topics.get(name);
        if (sent == null) {
            stack.kafka.createTopic(name, partitions);
            sent = InputRecords.send(stack.kafka.bootstrapServers(), name, records, 0, records.size());
            topics.put(name, sent);
        }
        return sent;
    }

    /** A fresh name for per-run topics and groups. */
    public String fresh(String prefix) {
        return prefix + "-" + runs.incrementAndGet();
    }

    public Path workDir(String name) throws IOException {
        return Files.createDirectories(work.resolve(name));
    }

    @Override
    public void close() {
        kafka.close();
        try {
            cluster.close();
        } catch (Exception e) {
            System.err.println("closing the MiniCluster: " + e);
        } finally {
            stack.close();
        }
    }
}
