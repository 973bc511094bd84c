package dev.heartbeats.watchtime;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The database password is rotated while the job runs (issue 15, item 5): PostgreSQL gets a new password for the
 * job's role and drops its connections, and only seconds later the mounted Secret file has the new one. The sink
 * and the catalog lookup read the password from the file at every connect and retry the authentication failures
 * meanwhile: the job goes on (it is RUNNING, not FAILED) and its table ends complete, with the licensor looked up
 * through a connection made with the new password.
 */
class PasswordRotationIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static final String ROLE = "hb_rotating";
    /** 2026-01-01T10:00:00Z */
    static final long H10 = 1_767_261_600_000L;

    final TestBed bed = TestBed.shared();

    @Test
    void theJobGoesOnThroughAPasswordRotation(@TempDir Path secrets) throws Exception {
        String first = "first-" + UUID.randomUUID();
        String second = "second-" + UUID.randomUUID();
        createRole(first);
        bed.stack.postgres.requirePassword(ROLE);
        Path passwordFile = secrets.resolve("password");
        writeSecret(passwordFile, first);
        JdbcConfig asRole = bed.jdbc().withUser(ROLE).withPasswordFile(passwordFile.toString());
        try (Connection c = asRole.connect()) {
            assertThat(c.isValid(5)).isTrue();
        }
        // The server really asks: a wrong password is refused (28P01).
        assertThatThrownBy(() -> DriverManager.getConnection(bed.jdbc().url, ROLE, "wrong").close())
                .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));

        catalog("pw-v1", "lic-1");
        List<Heartbeat> before = new ArrayList<>();
        List<Heartbeat> after = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // four pairs (u0, u2 on pw-v1; u1, u3 on pw-v2), each a heartbeat every 16 s within hour 10
            Heartbeat h = Heartbeat.content("u" + (i % 4), "pw-v" + (1 + i % 2), H10 + 60_000 + i * 4_000L, i * 4_000L, EventType.PLAY, "d1");
            (i < 20 ? before : after).add(h);
        }
        Scenario s = bed.scenario("password-rotation");
        JobClient job = s.start(new WatchTimeJob(), "--parallelism", "1", "--jdbc-user", ROLE, "--jdbc-password-file", passwordFile.toString(),
                "--catalog-cache-ttl", "0s", "--jdbc-auth-retry-time", "2min");
        try {
            s.send(before);
            s.awaitTables(t -> new HashSet<>(t.contentWatchHourly).equals(Set.of(
                    ContentWatchHourly.of("pw-v1", H10, "lic-1", 128_000, 2), ContentWatchHourly.of("pw-v2", H10, null, 128_000, 2))), Duration.ofSeconds(60));

            // Rotation: the database first, its connections dropped; the Secret file follows a few seconds later.
            try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
                st.execute("ALTER ROLE " + ROLE + " PASSWORD '" + second + "'");
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + ROLE + "'");
            }
            catalog("pw-v2", "lic-2");
            s.send(after);
            Thread.sleep(5_000);
            assertThat(connectionsOf(ROLE)).as("nobody gets in with the old password").isZero();
            writeSecret(passwordFile, second);

            s.awaitTables(t -> new HashSet<>(t.contentWatchHourly).equals(Set.of(
                    ContentWatchHourly.of("pw-v1", H10, "lic-1", 288_000, 2), ContentWatchHourly.of("pw-v2", H10, "lic-2", 288_000, 2))), Duration.ofSeconds(120));
            assertThat(job.getJobStatus().get(10, TimeUnit.SECONDS)).isEqualTo(JobStatus.RUNNING);
            assertThat(connectionsOf(ROLE)).as("the job is connected again, with the new password").isPositive();
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    /** As kubelet updates a mounted Secret: the new content appears at once (a rename), never half-written. */
    static void writeSecret(Path file, String password) throws Exception {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, password + "\n");
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    void createRole(String password) throws SQLException {
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + ROLE + "') THEN CREATE ROLE " + ROLE + " LOGIN; END IF; END $$");
            st.execute("ALTER ROLE " + ROLE + " LOGIN PASSWORD '" + password + "'");
            st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + ROLE);
        }
    }

    int connectionsOf(String role) throws SQLException {
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + role + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    void catalog(String videoId, String licensorId) throws Exception {
        try (Connection c = bed.jdbc().connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO videos (video_id, licensor_id, title, duration_ms) VALUES (?, ?, 'a title', 3600000) "
                        + "ON CONFLICT (video_id) DO UPDATE SET licensor_id = EXCLUDED.licensor_id")) {
            ps.setString(1, videoId);
            ps.setString(2, licensorId);
            ps.executeUpdate();
        }
    }
}
