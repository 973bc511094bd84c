package dev.heartbeats.testing;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Least privilege in the database (migration V3): each job's role can do what its job does (its tables, the fence,
 * the version check, watch-time's catalog lookup) and nothing else, is no superuser, and gets its password from the
 * migrate command without the password reaching the server; a job refuses to run as a superuser unless told to.
 */
class JobRolesIT {
    final TestBed bed = TestBed.shared();

    @Test
    void eachJobRoleMayWriteItsOwnTablesOnly() throws Exception {
        JdbcConfig segments = bed.jdbc().withUser(Schema.jobRole("segments"));
        JdbcConfig watchTime = bed.jdbc().withUser(Schema.jobRole("watch-time"));
        JdbcConfig ads = bed.jdbc().withUser(Schema.jobRole("ad-impressions"));
        for (JdbcConfig role : new JdbcConfig[] {segments, watchTime, ads}) {
            Schema.requireVersion(role);
            Schema.requireNotSuperuser(role);
            denied(role, "CREATE TABLE sneaky (x int)");
            denied(role, "INSERT INTO videos VALUES ('x-" + role.user + "', 'l', 't', 1)");
            denied(role, "DELETE FROM " + Schema.HISTORY_TABLE);
            denied(role, "TRUNCATE writer_fence");
            allowed(role, "INSERT INTO writer_fence VALUES ('roles-it', '" + role.user + "', 0, 1, 'j', 0) ON CONFLICT (writer_group, sink, subtask) DO UPDATE SET epoch = writer_fence.epoch + 1");
            allowed(role, "SELECT epoch FROM writer_fence WHERE writer_group = 'roles-it' FOR SHARE");
        }
        allowed(segments, "INSERT INTO video_progress VALUES ('roles-it', 'v', 1, now(), 'd') ON CONFLICT (user_id, video_id) DO UPDATE SET position_ms = EXCLUDED.position_ms");
        allowed(segments, "DELETE FROM watch_segments WHERE user_id = 'roles-it'");
        denied(segments, "SELECT * FROM content_watch_hourly");
        denied(segments, "SELECT * FROM videos");
        allowed(watchTime, "DELETE FROM content_watch_hourly WHERE video_id = 'roles-it'");
        allowed(watchTime, "SELECT licensor_id FROM videos");
        denied(watchTime, "SELECT * FROM video_progress");
        denied(watchTime, "SELECT * FROM ad_impressions_hourly");
        allowed(ads, "DELETE FROM ad_impressions_hourly WHERE ad_id = 'roles-it'");
        denied(ads, "SELECT * FROM watch_segments");
        denied(ads, "SELECT * FROM videos");
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM writer_fence WHERE writer_group = 'roles-it'");
            st.execute("DELETE FROM video_progress WHERE user_id = 'roles-it'");
        }
    }

    @Test
    void theSuperuserIsRefusedNamingTheSettingThatAllowsIt() {
        assertThatThrownBy(() -> Schema.requireNotSuperuser(bed.jdbc())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--jdbc-user: 'postgres' is a superuser").hasMessageContaining("--jdbc-allow-superuser");
    }

    @Test
    void theMigrateCommandSetsARolePasswordTheServerThenAsksFor(@TempDir Path dir) throws Exception {
        String password = "role-" + UUID.randomUUID();
        Path file = dir.resolve("segments");
        Files.writeString(file, password + "\n");
        String role = Schema.jobRole("segments");
        try {
            Migrations.setRolePasswords(bed.jdbc(), Map.of("segments", file.toString()));
            bed.stack.postgres.requirePassword(role);
            assertThatThrownBy(() -> DriverManager.getConnection(bed.jdbc().url, role, "wrong").close())
                    .isInstanceOf(SQLException.class).satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("28P01"));
            try (Connection c = DriverManager.getConnection(bed.jdbc().url, role, password)) {
                assertThat(c.isValid(5)).isTrue();
            }
            // A SCRAM verifier, computed by the driver: the password itself was never sent in a statement.
            try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement();
                 var rs = st.executeQuery("SELECT rolpassword FROM pg_authid WHERE rolname = '" + role + "'")) {
                rs.next();
                assertThat(rs.getString(1)).startsWith("SCRAM-SHA-256$").doesNotContain(password);
            }
        } finally {
            bed.stack.postgres.trust(role);
        }
    }

    private static void allowed(JdbcConfig role, String sql) throws SQLException {
        try (Connection c = role.connect(); Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static void denied(JdbcConfig role, String sql) {
        assertThatThrownBy(() -> allowed(role, sql)).as("%s: %s", role.user, sql).isInstanceOf(SQLException.class)
                .satisfies(e -> assertThat(((SQLException) e).getSQLState()).as(e.getMessage()).isEqualTo("42501"));
    }
}
