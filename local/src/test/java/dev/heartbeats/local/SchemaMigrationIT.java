package dev.heartbeats.local;

import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An upgrade from release 0.1.0 (issue 15, item 6): a database created by 0.1.0's schema script (kept as it was,
 * testing/src/main/resources/release-0.1.0) refuses this release's jobs, which say what to run; {@code hb schema}
 * migrates it, keeping its rows; then the three jobs run against it and its tables end as the contract says.
 */
class SchemaMigrationIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;
    static final List<JobLauncher.Job> JOBS = List.of(new SegmentsJob(), new WatchTimeJob(), new AdImpressionsJob());

    final TestBed bed = TestBed.shared();

    @Test
    void aRelease010DatabaseIsRefusedThenMigratedByHbSchemaAndTheJobsRunAgainstIt() throws Exception {
        JdbcConfig old = release010Database("schema_migration_it_" + ProcessHandle.current().pid());
        try (Connection c = old.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO videos VALUES ('sm-v1', 'lic-old', 'in the catalog since 0.1.0', 3600000)");
        }
        Scenario s = bed.scenario("schema-migration");
        String[] args = {"--jdbc-url", old.url, "--parallelism", "1", "--bounded"};

        // Before the migration: every job fails fast, before it starts, saying exactly what to run.
        for (JobLauncher.Job job : JOBS) {
            assertThatThrownBy(() -> s.start(job, args)).as(job.name()).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("--jdbc-url: " + old.url + " has no migrated schema")
                    .hasMessageContaining("needs schema version " + Schema.REQUIRED_VERSION)
                    .hasMessageContaining("Migrate it first: scripts/hb schema --jdbc-url " + old.url + " --jdbc-user <an administrator");
            // the launcher's main too, as on a cluster
            assertThatThrownBy(() -> JobLauncher.main(job, s.args(args))).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("scripts/hb schema --jdbc-url " + old.url);
        }

        // hb schema, as an operator runs it.
        String out = captureOut(() -> Main.main(new String[] {"schema", "--jdbc-url", old.url, "--jdbc-user", old.user}));
        assertThat(out).contains("schema migrated at " + old, "postgres flavour, version none (0.1.0 tables found: baselined at 1) -> "
                + Schema.REQUIRED_VERSION);
        // Again: nothing left to do.
        assertThat(captureOut(() -> Main.main(new String[] {"schema", "--jdbc-url", old.url})))
                .contains("version " + Schema.REQUIRED_VERSION + " -> " + Schema.REQUIRED_VERSION + ", 0 migration(s) run");

        List<Heartbeat> input = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            input.add(Heartbeat.content("u1", "sm-v1", T0 + i * 5_000L, i * 5_000L, i == 11 ? EventType.STOP : EventType.PLAY, "d1"));
            input.add(Heartbeat.content("u2", "sm-v2", T0 + i * 5_000L, 1_000 + i * 5_000L, EventType.PLAY, null));
            if (i < 4) input.add(Heartbeat.ad("u2", "sm-v2", T0 + 60_000 + i * 5_000L, 0, "sm-ad", i * 5_000, 15_000));
        }
        s.send(input);
        for (JobLauncher.Job job : JOBS) s.runBounded(job, args);

        ContractReference.Expected expected = ContractReference.compute(input, new ContractParams(30_000, 2.0, 2_000, 600_000, 43_200_000L),
                Map.of("sm-v1", "lic-old"));
        assertThat(expected.watchSegments).isNotEmpty();
        assertThat(expected.adImpressionsHourly).isNotEmpty();
        TableSnapshot tables = TableSnapshot.read(old);
        TableAssert.assertMatches(tables, expected);
        assertThat(tables.contentWatchHourly).anyMatch(r -> "lic-old".equals(r.licensorId));
    }

    /** A new database created exactly as 0.1.0's {@code hb schema} did: its script, statement by statement, no history. */
    JdbcConfig release010Database(String name) throws SQLException, IOException {
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + name);
            st.execute("CREATE DATABASE " + name);
        }
        JdbcConfig jdbc = bed.jdbc().withUrl(bed.stack.postgres.jdbcUrl(name));
        String script;
        try (InputStream in = SchemaMigrationIT.class.getResourceAsStream("/release-0.1.0/postgres.sql")) {
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        StringBuilder code = new StringBuilder();
        for (String line : script.split("\n")) if (!line.trim().startsWith("--")) code.append(line).append('\n');
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            for (String sql : code.toString().split(";")) if (!sql.isBlank()) st.execute(sql.trim());
        }
        return jdbc;
    }

    interface Action {
        void run() throws Exception;
    }

    static String captureOut(Action action) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setOut(original);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }
}
