package dev.heartbeats.testing;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.embedded.LocalStack;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One real Kafka broker and one real PostgreSQL server per test JVM, shared by all tests of a module. Each test
 * takes a {@link Scenario}: its own topics and consumer group, and empty output tables.
 */
public final class TestBed {
    public static final int PARTITIONS = 2;
    private static TestBed shared;

    public final LocalStack stack;
    private final AtomicInteger scenarios = new AtomicInteger();

    private TestBed(LocalStack stack) {
        this.stack = stack;
    }

    public static synchronized TestBed shared() {
        if (shared == null) {
            try {
                shared = new TestBed(LocalStack.start(PARTITIONS));
            } catch (SQLException e) {
                throw new IllegalStateException("cannot start the test database", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared.stack::close, "testbed-shutdown"));
        }
        return shared;
    }

    public JdbcConfig jdbc() {
        return stack.jdbc();
    }

    private static final AtomicInteger DATABASES = new AtomicInteger();

    /** A new, empty database on the shared server, named {@code <prefix>_<pid>_<n>}, and the shared login to it. */
    public JdbcConfig emptyDatabase(String prefix) throws SQLException {
        String name = prefix + "_" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
        try (Connection c = jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            st.execute("CREATE DATABASE " + name);
        }
        return jdbc().withUrl(stack.postgres.jdbcUrl(name));
    }

    /** {@link #emptyDatabase} migrated to this release's schema (PostgreSQL flavour). */
    public JdbcConfig migratedDatabase(String prefix) throws SQLException {
        JdbcConfig jdbc = emptyDatabase(prefix);
        dev.heartbeats.schema.Migrations.apply(jdbc, dev.heartbeats.common.tables.Schema.Flavor.POSTGRES);
        return jdbc;
    }

    /**
     * Creates again the tables of schema version 1 that a test dropped (its statements are all {@code CREATE TABLE IF
     * NOT EXISTS}), with the jobs' grants on them (version 3): the migration history still says they are there, so
     * migrating would not bring them back.
     */
    public void recreateDroppedTables() throws SQLException {
        try (Connection c = jdbc().connect(); Statement st = c.createStatement()) {
            for (String statement : statements("V1__contract_tables.sql")) st.execute(statement);
            for (String statement : statements("V3__job_roles.sql")) {
                if (statement.startsWith("GRANT")) st.execute(statement.replace("${flyway:table}", dev.heartbeats.common.tables.Schema.HISTORY_TABLE));
            }
        }
    }

    /** The statements of a PostgreSQL migration, comments dropped (split at semicolons: for plain statements only). */
    private static java.util.List<String> statements(String migration) {
        String sql;
        try (InputStream in = TestBed.class.getResourceAsStream("/db/migration/postgres/" + migration)) {
            sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("migration " + migration + " not on the classpath", e);
        }
        StringBuilder code = new StringBuilder();
        for (String line : sql.split("\n")) if (!line.trim().startsWith("--")) code.append(line).append('\n');
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String statement : code.toString().split(";")) if (!statement.isBlank()) out.add(statement.trim());
        return out;
    }

    /** Fresh topics and group, emptied output tables. */
    public Scenario scenario(String name) {
        return new Scenario(this, id(name));
    }

    /**
     * The same on another broker (e.g. a SASL_SSL one of a security test): the topics are created there, and the
     * scenario's own clients connect as {@code clients}; the jobs need their own Kafka settings on top of
     * {@link Scenario#args}.
     */
    public Scenario scenario(String name, dev.heartbeats.embedded.EmbeddedKafka broker, dev.heartbeats.common.kafka.KafkaClientConfig clients) {
        return new Scenario(this, id(name), broker, clients);
    }

    private String id(String name) {
        return name.replaceAll("[^A-Za-z0-9]", "-") + "-" + scenarios.incrementAndGet();
    }
}
