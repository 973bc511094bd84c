package dev.heartbeats.testing;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The versioned migrations on a real PostgreSQL: an empty database gets every version; a database created by release
 * 0.1.0's schema script (kept as it was, see release-0.1.0/PROVENANCE.md) keeps its rows, is baselined at version 1
 * and migrated on; anything in between is refused; and the jobs' check says what to run on an old database.
 */
class MigrationsIT {
    private static final AtomicInteger READERS = new AtomicInteger();
    final TestBed bed = TestBed.shared();

    @Test
    void anEmptyDatabaseGetsEveryVersionAndASecondRunChangesNothing() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        Migrations.Result first = Migrations.apply(jdbc, Schema.Flavor.AUTO);
        assertThat(first.flavor()).isEqualTo(Schema.Flavor.POSTGRES);
        assertThat(first.before()).isEmpty();
        assertThat(first.baselined()).isFalse();
        assertThat(first.after()).isEqualTo(Schema.REQUIRED_VERSION);
        assertThat(first.migrationsRun()).isEqualTo(VERSIONS.size());
        assertThat(tables(jdbc)).containsAll(Migrations.V1_TABLES).contains("writer_fence");
        assertThat(history(jdbc)).isEqualTo(String.join(",", VERSIONS.stream().map(v -> v + ":SQL").toList()));
        Schema.requireVersion(jdbc); // does not throw

        Migrations.Result second = Migrations.apply(jdbc, Schema.Flavor.AUTO);
        assertThat(second.before()).hasValue(Schema.REQUIRED_VERSION);
        assertThat(second.migrationsRun()).isZero();
    }

    @Test
    void aDatabaseCreatedByRelease010KeepsItsRowsAndIsMigratedToTheNewestVersion() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        createAsRelease010(jdbc);
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO videos VALUES ('v1', 'lic-1', 'A film', 5400000)");
            st.execute("INSERT INTO watch_segments VALUES ('u1', 'v1', '2026-01-01T10:00:00Z', '2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', 0, 300000, 61)");
            st.execute("INSERT INTO video_progress VALUES ('u1', 'v1', 300000, '2026-01-01T10:05:00Z', 'd1')");
        }
        // A reader role of that database (as an administrator would have made one): it may read the per-user tables
        // and the catalog, not the hourly ones.
        String reader = "mig_reader_" + ProcessHandle.current().pid() + "_" + READERS.incrementAndGet();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("DROP ROLE IF EXISTS " + reader);
            st.execute("CREATE ROLE " + reader);
            st.execute("GRANT SELECT ON video_progress, watch_segments, videos TO " + reader);
        }
        // A job of this release refuses it, and says what to run.
        assertThatThrownBy(() -> Schema.requireVersion(jdbc)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--jdbc-url").hasMessageContaining("no migrated schema")
                .hasMessageContaining("needs schema version " + Schema.REQUIRED_VERSION)
                .hasMessageContaining("scripts/hb schema --jdbc-url " + jdbc.url + " --jdbc-user <an administrator");

        Migrations.Result r = Migrations.apply(jdbc, Schema.Flavor.POSTGRES);
        assertThat(r.baselined()).as("0.1.0's tables recognised").isTrue();
        assertThat(r.before()).isEmpty();
        assertThat(r.after()).isEqualTo(Schema.REQUIRED_VERSION);
        assertThat(r.migrationsRun()).isEqualTo(VERSIONS.size() - 1);
        Schema.requireVersion(jdbc);
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            assertThat(single(st, "SELECT licensor_id FROM videos WHERE video_id = 'v1'")).isEqualTo("lic-1");
            assertThat(single(st, "SELECT heartbeats::text FROM watch_segments WHERE user_id = 'u1'")).isEqualTo("61");
            assertThat(single(st, "SELECT position_ms::text FROM video_progress WHERE user_id = 'u1'")).isEqualTo("300000");
            assertThat(history(jdbc)).isEqualTo("1:BASELINE," + String.join(",", VERSIONS.stream().skip(1).map(v -> v + ":SQL").toList()));
            // The readers' views read the rows 0.1.0 wrote; the reader role may read the views of the tables it could
            // read before, and no others.
            assertThat(single(st, "SELECT title || ':' || position_ms FROM continue_watching WHERE user_id = 'u1'")).isEqualTo("A film:300000");
            assertThat(single(st, "SELECT watched_ms::text FROM watch_history WHERE user_id = 'u1'")).isEqualTo("300000");
            assertThat(single(st, "SELECT string_agg(v, ',' ORDER BY v) FROM unnest(ARRAY['continue_watching', 'watch_history', 'royalties_daily',"
                    + " 'royalties_monthly', 'ad_delivery_hourly', 'ad_delivery_daily']) v WHERE has_table_privilege('" + reader + "', v, 'SELECT')"))
                    .isEqualTo("continue_watching,watch_history");
            assertThat(single(st, "SELECT count(*)::text FROM pg_indexes WHERE indexname IN ('watch_segments_by_user', 'content_watch_hourly_by_licensor_day',"
                    + " 'content_watch_hourly_by_licensor_month', 'content_watch_hourly_unattributed', 'content_watch_hourly_by_hour',"
                    + " 'ad_impressions_hourly_by_hour', 'ad_impressions_hourly_by_ad_day', 'ads_by_advertiser')")).isEqualTo("8");
            // The fence works on the migrated database: a writer can take it.
            st.execute("INSERT INTO writer_fence VALUES ('g', 'watch_segments', 0, 1, 'job', 0)");
        }
    }

    @Test
    void aDatabaseWithOnlySomeOfTheVersion1TablesIsRefusedNamingTheMissingOnes() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute(release010Statements("postgres").get(0)); // watch_segments only
        }
        assertThatThrownBy(() -> Migrations.apply(jdbc, Schema.Flavor.POSTGRES)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing: video_progress, content_watch_hourly, ad_impressions_hourly, videos, ads");
        assertThat(tables(jdbc)).containsExactly("watch_segments");
    }

    @Test
    void anOlderVersionIsNamedInTheJobsCheck() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        createAsRelease010(jdbc);
        Migrations.apply(jdbc, Schema.Flavor.POSTGRES);
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            // As a database of a release whose newest migration was version 1 would have it.
            st.execute("DELETE FROM " + Schema.HISTORY_TABLE + " WHERE version::int > 1");
        }
        assertThatThrownBy(() -> Schema.requireVersion(jdbc)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("has schema version 1; this release needs schema version " + Schema.REQUIRED_VERSION);
    }

    /** Flyway gets its connections from the settings, so the YugabyteDB smart driver works too (here on PostgreSQL). */
    @Test
    void theYugabyteDbSmartDriverMigratesToo() throws Exception {
        JdbcConfig pg = freshDatabase();
        JdbcConfig yb = pg.withUrl(pg.url.replace("jdbc:postgresql:", "jdbc:yugabytedb:"));
        // The YugabyteDB flavour's hash-sharded keys are YSQL only: this server is PostgreSQL, so its flavour is named.
        Migrations.Result r = Migrations.apply(yb, Schema.Flavor.POSTGRES);
        assertThat(r.after()).isEqualTo(Schema.REQUIRED_VERSION);
        assertThat(tables(pg)).contains("writer_fence");
        assertThat(Schema.installedVersion(yb.connect())).isEqualTo(OptionalInt.of(Schema.REQUIRED_VERSION));
    }

    /** The versions of the migration files, in order (numbers may have gaps: parallel work takes its own range). */
    static final List<Integer> VERSIONS = migrationVersions();

    static List<Integer> migrationVersions() {
        try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(java.nio.file.Path.of("../schema/src/main/resources/db/migration/postgres"))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.matches("V\\d+__.*\\.sql"))
                    .map(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).sorted().toList();
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the migration files", e);
        }
    }

    /** The migration history: version:type, in the order applied. */
    static String history(JdbcConfig jdbc) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            return single(st, "SELECT string_agg(version || ':' || type, ',' ORDER BY installed_rank) FROM " + Schema.HISTORY_TABLE);
        }
    }

    /** Runs release 0.1.0's schema script as 0.1.0's {@code hb schema} did: statement by statement, no history. */
    static void createAsRelease010(JdbcConfig jdbc) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            for (String sql : release010Statements("postgres")) st.execute(sql);
        }
    }

    static List<String> release010Statements(String flavour) {
        String text;
        try (InputStream in = MigrationsIT.class.getResourceAsStream("/release-0.1.0/" + flavour + ".sql")) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("release-0.1.0/" + flavour + ".sql missing", e);
        }
        // 0.1.0's Schema.statements: drop comment lines, split at ';'.
        StringBuilder sb = new StringBuilder();
        for (String line : text.split("\n")) if (!line.trim().startsWith("--")) sb.append(line).append('\n');
        List<String> out = new ArrayList<>();
        for (String s : sb.toString().split(";")) if (!s.isBlank()) out.add(s.trim());
        return out;
    }

    private JdbcConfig freshDatabase() throws SQLException {
        return bed.emptyDatabase("migrations_it");
    }

    private static List<String> tables(JdbcConfig jdbc) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> '"
                     + Schema.HISTORY_TABLE + "' ORDER BY tablename")) {
            while (rs.next()) out.add(rs.getString(1));
        }
        return out;
    }

    private static String single(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }
}
