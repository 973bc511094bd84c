package dev.heartbeats.bench;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import dev.heartbeats.embedded.LocalStack;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

import java.io.OutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Kafka and the database the benchmark runs against: an embedded {@link LocalStack}, or existing ones. */
final class BenchEnv implements AutoCloseable {
    final String bootstrap;
    /** How the benchmark's clients and jobs connect to Kafka (--kafka-* settings with an existing broker). */
    final dev.heartbeats.common.kafka.KafkaClientConfig kafka;
    final JdbcConfig jdbc;
    final boolean embedded;
    private final LocalStack stack;
    private final Admin admin;
    /** The PostgreSQL server's postmaster pid when it runs on this machine (for its CPU time), else -1. */
    final long postmasterPid;

    private BenchEnv(dev.heartbeats.common.kafka.KafkaClientConfig kafka, JdbcConfig jdbc, LocalStack stack) throws SQLException {
        this.kafka = kafka;
        this.bootstrap = kafka.bootstrapServers;
        this.jdbc = jdbc;
        this.stack = stack;
        this.embedded = stack != null;
        this.admin = Admin.create(kafka.properties(Map.of(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000)));
        this.postmasterPid = findPostmaster(jdbc);
    }

    static BenchEnv start(dev.heartbeats.common.kafka.KafkaClientConfig kafka, String jdbcUrl, String jdbcUser, int partitions) throws Exception {
        if (kafka == null) {
            PrintStream out = System.out;
            System.setOut(new PrintStream(OutputStream.nullOutputStream())); // Kafka's storage formatter prints to stdout
            LocalStack stack;
            try {
                stack = LocalStack.start(partitions);
            } finally {
                System.setOut(out);
            }
            BenchEnv env = new BenchEnv(dev.heartbeats.common.kafka.KafkaClientConfig.plaintext(stack.kafka.bootstrapServers()), stack.jdbc(), stack);
            CatalogLoader.loadDefaults(env.jdbc);
            return env;
        }
        JdbcConfig jdbc = new JdbcConfig(jdbcUrl, jdbcUser, 2000, 500, 120_000); // password from JDBC_PASSWORD at connect
        Migrations.apply(jdbc, Schema.Flavor.AUTO);
        CatalogLoader.loadDefaults(jdbc);
        return new BenchEnv(kafka, jdbc, null);
    }

    private static long findPostmaster(JdbcConfig jdbc) {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            long backend = rs.getLong(1);
            // Only meaningful when the server runs here: then /proc knows the backend and its parent, the postmaster.
            return Machine.stat(backend) == null ? -1 : Machine.parentOf(backend);
        } catch (SQLException e) {
            return -1;
        }
    }

    void createTopic(String name, int partitions) throws Exception {
        try {
            admin.createTopics(List.of(new NewTopic(name, Optional.of(partitions), Optional.empty())
                    .configs(Map.of("max.message.bytes", Integer.toString(16 * 1024 * 1024))))).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw e;
        }
    }

    void deleteTopic(String name) {
        try {
            admin.deleteTopics(List.of(name)).all().get(60, TimeUnit.SECONDS);
        } catch (Exception e) {
            // best effort: a left-over topic only costs disk
        }
    }

    /** Records in a topic (sum of its partitions' end offsets; the topics here are never compacted or trimmed). */
    long topicSize(String topic) throws Exception {
        // A topic created a moment ago may not be known to every part of the broker yet: retry for a while.
        for (int attempt = 1; ; attempt++) {
            try {
                return topicSizeOnce(topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof org.apache.kafka.common.errors.RetriableException) || attempt >= 60) throw e;
                Thread.sleep(500);
            }
        }
    }

    private long topicSizeOnce(String topic) throws Exception {
        var description = admin.describeTopics(List.of(topic)).allTopicNames().get(60, TimeUnit.SECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        description.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        long total = 0;
        for (var e : admin.listOffsets(request).all().get(60, TimeUnit.SECONDS).values()) total += e.offset();
        return total;
    }

    /** The database password, for processes of their own (the embedded server's, or JDBC_PASSWORD's). */
    String databasePassword() {
        return stack != null ? stack.postgres.password() : dev.heartbeats.common.config.Settings.env(dev.heartbeats.common.config.JobOptions.JDBC_PASSWORD_ENV, "");
    }

    /** CPU seconds of the database server so far (NaN when it does not run on this machine). */
    double databaseCpuSeconds() {
        return Machine.processTreeCpuSeconds(postmasterPid);
    }

    @Override
    public void close() {
        admin.close();
        if (stack != null) stack.close();
    }
}
