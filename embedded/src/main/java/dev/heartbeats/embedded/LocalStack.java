package dev.heartbeats.embedded;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything a job needs around it, in this JVM: a Kafka broker with the heartbeat topics and a PostgreSQL server
 * with the contract's schema (migrated to the newest version). Used by the local run and by the tests.
 */
public final class LocalStack implements AutoCloseable {
    public static final String INPUT_TOPIC = "heartbeats";
    public static final String DLQ_TOPIC = "heartbeats-dlq";
    public static final String LATE_TOPIC = "heartbeats-late";

    public final EmbeddedKafka kafka;
    public final EmbeddedPostgresServer postgres;
    private final int partitions;

    private LocalStack(EmbeddedKafka kafka, EmbeddedPostgresServer postgres, int partitions) {
        this.kafka = kafka;
        this.postgres = postgres;
        this.partitions = partitions;
    }

    /** Temporary broker and database on free ports. */
    public static LocalStack start(int partitions) throws SQLException {
        return start(partitions, 0, null);
    }

    /**
     * @param pgPort  0 for a free port
     * @param pgData  a persistent data directory, or {@code null} for a temporary one
     */
    public static LocalStack start(int partitions, int pgPort, Path pgData) throws SQLException {
        EmbeddedKafka kafka = EmbeddedKafka.start();
        EmbeddedPostgresServer pg = null;
        try {
            pg = EmbeddedPostgresServer.start(pgPort, pgData);
            LocalStack stack = new LocalStack(kafka, pg, partitions);
            stack.createTopics(INPUT_TOPIC, DLQ_TOPIC, LATE_TOPIC);
            Migrations.apply(stack.jdbc(), Schema.Flavor.POSTGRES);
            return stack;
        } catch (RuntimeException | SQLException e) {
            if (pg != null) pg.close();
            kafka.close();
            throw e;
        }
    }

    /**
     * Creates an input topic with this stack's partition count, and a dead-letter and late topic with 1, each with
     * the size limit of its production counterpart. The input topic stamps records with the broker's clock
     * (LogAppendTime, as in k8s/base/kafka/topics.yaml): the record timestamp that the clock-skew bound F compares
     * event times with.
     */
    public void createTopics(String input, String dlq, String late) {
        createTopics(kafka, partitions, input, dlq, late);
    }

    /** The same on any broker (a test's secured one). */
    public static void createTopics(EmbeddedKafka kafka, int partitions, String input, String dlq, String late) {
        kafka.createTopic(input, partitions);
        kafka.setTopicConfig(input, "message.timestamp.type", "LogAppendTime");
        kafka.createDeadLetterTopic(dlq, 1);
        kafka.createDeadLetterTopic(late, 1);
    }

    public int partitions() {
        return partitions;
    }

    public JdbcConfig jdbc() {
        // The embedded server trusts local connections: no password to read (JDBC_PASSWORD, if set, is ignored).
        return new JdbcConfig(postgres.jdbcUrl(), postgres.user(), 2000, 200, 120_000);
    }

    /**
     * The job arguments that point a job at this stack. The job connects as its own role (heartbeats_&lt;job&gt;, created by
     * the migrations), which the embedded server trusts like every local role: no password.
     */
    public List<String> jobArgs() {
        List<String> args = new ArrayList<>();
        args.add("--bootstrap-servers");
        args.add(kafka.bootstrapServers());
        args.add("--jdbc-url");
        args.add(postgres.jdbcUrl());
        return args;
    }

    @Override
    public void close() {
        try {
            postgres.close();
        } finally {
            kafka.close();
        }
    }
}
