package dev.heartbeats.testing;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.maintenance.Reattribution;
import dev.heartbeats.schema.maintenance.Retention;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The maintenance commands on a real PostgreSQL: re-attribution of watch time written while the catalog did not know
 * its video (bounded batches, idempotent, and the job's own upsert cannot undo it), and retention (old rows go in
 * batches smaller than what there is to delete, young ones stay, a second run deletes nothing, a row a job makes
 * young again while a run is deleting is kept), in both flavours' batch statements.
 */
class MaintenanceIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    static final TypeInformation<Change<ContentWatchHourly>> HOURLY_CHANGES = TypeInformation.of(new TypeHint<>() {});
    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;
    static final long HOUR = 3_600_000L;
    final TestBed bed = TestBed.shared();

    @Test
    void reattributionGivesKnownVideosTheirLicensorInBoundedBatchesAndOnlyOnce() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            // 30 unattributed hours of ra-v1 and ra-v2 (now in the catalog), 5 of ra-v3 (still unknown), 4 of ra-v4
            // (in the catalog without a licensor), and an attributed row that must not change.
            st.execute("INSERT INTO content_watch_hourly SELECT 'ra-v' || (1 + i % 2), timestamptz '2026-01-01' + i * interval '1 hour', NULL, i, 1"
                    + " FROM generate_series(0, 29) i");
            st.execute("INSERT INTO content_watch_hourly SELECT 'ra-v3', timestamptz '2026-01-01' + i * interval '1 hour', NULL, i, 1 FROM generate_series(0, 4) i");
            st.execute("INSERT INTO content_watch_hourly SELECT 'ra-v4', timestamptz '2026-01-01' + i * interval '1 hour', NULL, i, 1 FROM generate_series(0, 3) i");
            st.execute("INSERT INTO content_watch_hourly VALUES ('ra-v5', '2026-01-01T00:00:00Z', 'lic-old', 1, 1)");
            st.execute("INSERT INTO videos VALUES ('ra-v1', 'lic-1', 't', 1), ('ra-v2', 'lic-2', 't', 1), ('ra-v4', NULL, 't', 1), ('ra-v5', 'lic-new', 't', 1)");
        }
        Reattribution.Result first = Reattribution.run(jdbc, 7, Duration.ZERO);
        assertThat(first.rows()).isEqualTo(30);
        assertThat(first.batches()).as("batches of at most 7 rows").isEqualTo(5);
        assertThat(licensors(jdbc)).isEqualTo(Map.of("ra-v1", "lic-1", "ra-v2", "lic-2", "ra-v3", "null", "ra-v4", "null", "ra-v5", "lic-old"));
        assertThat(Reattribution.run(jdbc, 7, Duration.ZERO).rows()).as("a second run finds nothing").isZero();

        // The watch-time job's sink upserts the whole row, with NULL when its cached catalog lookup missed: the
        // re-attributed licensor stays; a row the sink writes with a licensor gets it.
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        long h0 = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        env.fromData(List.of(Change.upsert(ContentWatchHourly.of("ra-v1", h0, null, 999, 9)),
                        Change.upsert(ContentWatchHourly.of("ra-v3", h0, "lic-3", 5, 5))), HOURLY_CHANGES)
                .sinkTo(new JdbcUpsertSink<>(jdbc.withWriterGroup("maintenance-it"), OutputTables.CONTENT_WATCH_HOURLY));
        env.execute("watch-time sink after re-attribution");
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            assertThat(row(st, "SELECT licensor_id || ':' || watched_ms FROM content_watch_hourly WHERE video_id = 'ra-v1' AND hour = '2026-01-01T00:00:00Z'"))
                    .as("the job's new total, the re-attributed licensor").isEqualTo("lic-1:999");
            assertThat(row(st, "SELECT licensor_id FROM content_watch_hourly WHERE video_id = 'ra-v3' AND hour = '2026-01-01T00:00:00Z'")).isEqualTo("lic-3");
        }
    }

    @Test
    void retentionDeletesOldRowsInBatchesAndKeepsTheRest() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        fillForRetention(jdbc);
        Instant now = Instant.parse("2027-03-15T12:00:00Z");
        // Defaults: per-user tables 13 months (before 2026-02-15T12:00Z), hourly tables kept.
        Retention.Result r = Retention.run(jdbc, Schema.Flavor.AUTO, Retention.Plan.defaults(Map.of(), 3), now);
        assertThat(r.deleted()).isEqualTo(Map.of(Retention.Table.WATCH_SEGMENTS, 10L, Retention.Table.VIDEO_PROGRESS, 8L));
        assertRetained(jdbc, 25, 12);
        assertThat(count(jdbc, "content_watch_hourly")).isEqualTo(48);

        Retention.Result again = Retention.run(jdbc, Schema.Flavor.AUTO, Retention.Plan.defaults(Map.of(), 3), now);
        assertThat(again.deleted().values()).as("a second run deletes nothing").containsOnly(0L);

        Retention.Result hourly = Retention.run(jdbc, Schema.Flavor.AUTO,
                Retention.Plan.defaults(Map.of(Retention.Table.CONTENT_WATCH_HOURLY, "400 days", Retention.Table.AD_IMPRESSIONS_HOURLY, "13 months"), 5), now);
        // 400 days before 2027-03-15T12:00Z is 2026-02-08T12:00Z: the 24 hours of 2026-01-01 go, those of 2026-03-01 stay.
        assertThat(hourly.deleted()).containsEntry(Retention.Table.CONTENT_WATCH_HOURLY, 24L).containsEntry(Retention.Table.AD_IMPRESSIONS_HOURLY, 6L);
        assertThat(count(jdbc, "content_watch_hourly")).isEqualTo(24);
        assertThat(count(jdbc, "ad_impressions_hourly")).isEqualTo(3);
    }

    /**
     * The YugabyteDB flavour's statements go slice by slice of the hash space with {@code yb_hash_code}; PostgreSQL has
     * no such function, so this database gets a stand-in with the same range (0..65535) to run exactly those
     * statements: every slice is visited, and the result is the same as the PostgreSQL flavour's.
     */
    @Test
    void theYugabyteFlavourGoesSliceBySliceOfTheHashSpace() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("CREATE FUNCTION yb_hash_code(text, text) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT hashtext($1 || chr(1) || $2) & 65535'");
        }
        fillForRetention(jdbc);
        Map<Retention.Table, String> overrides = Map.of(Retention.Table.CONTENT_WATCH_HOURLY, "400 days");
        Retention.Plan plan = Retention.Plan.defaults(overrides, 2);
        plan = new Retention.Plan(plan.retention(), 2, Duration.ZERO, 7); // 7 slices of 9,363 hash codes (the last a bit shorter)
        Retention.Result r = Retention.run(jdbc, Schema.Flavor.YUGABYTE, plan, Instant.parse("2027-03-15T12:00:00Z"));
        assertThat(r.deleted()).containsEntry(Retention.Table.WATCH_SEGMENTS, 10L).containsEntry(Retention.Table.VIDEO_PROGRESS, 8L)
                .containsEntry(Retention.Table.CONTENT_WATCH_HOURLY, 24L);
        assertRetained(jdbc, 25, 12);
    }

    /**
     * A viewer resumes a video last watched 14 months ago while a retention run is deleting old resume points: the
     * job's upsert holds the row (not yet committed) when the run reaches it; once it commits, the run sees a young
     * row and keeps it, and deletes the other old ones.
     */
    @Test
    void aResumePointMadeYoungDuringARunIsKept() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO video_progress SELECT 'rp-u' || i, 'rp-v', i, timestamptz '2026-01-01', NULL FROM generate_series(1, 5) i");
        }
        Instant now = Instant.parse("2027-03-15T12:00:00Z");
        try (Connection job = jdbc.connect(); Statement st = job.createStatement()) {
            job.setAutoCommit(false);
            st.execute("UPDATE video_progress SET event_time = '2027-03-15T11:59:00Z', position_ms = 42 WHERE user_id = 'rp-u3'");
            CompletableFuture<Retention.Result> run = CompletableFuture.supplyAsync(() -> {
                try {
                    return Retention.run(jdbc, Schema.Flavor.POSTGRES, Retention.Plan.defaults(Map.of(), 10), now);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitWaitingForLock(jdbc);
            job.commit();
            Retention.Result r = run.get(60, TimeUnit.SECONDS);
            assertThat(r.deleted()).containsEntry(Retention.Table.VIDEO_PROGRESS, 4L);
        }
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            assertThat(row(st, "SELECT string_agg(user_id || ':' || position_ms, ',') FROM video_progress")).isEqualTo("rp-u3:42");
        }
    }

    /** 10 old and 25 young segments (one started before the cutoff, ended after it), 8 old and 12 young resume points, 48 hours and 9 ad hours in two months. */
    static void fillForRetention(JdbcConfig jdbc) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO watch_segments SELECT 'u' || (i % 4), 'v' || i, t, t, t + interval '1 min', 0, 60000, 13"
                    + " FROM generate_series(1, 34) i, LATERAL (SELECT CASE WHEN i <= 10 THEN timestamptz '2026-01-10' ELSE timestamptz '2026-03-01' END + i * interval '1 min' AS t) x");
            // a segment that started before the cutoff but ended after it is young (retention goes by segment_end)
            st.execute("INSERT INTO watch_segments VALUES ('u9', 'v9', '2026-02-15T11:00:00Z', '2026-02-15T11:00:00Z', '2026-02-15T13:00:00Z', 0, 1, 2)");
            st.execute("INSERT INTO video_progress SELECT 'u' || i, 'v' || (i % 3), i, CASE WHEN i <= 8 THEN timestamptz '2026-01-10' ELSE timestamptz '2026-03-01' END, NULL"
                    + " FROM generate_series(1, 20) i");
            st.execute("INSERT INTO content_watch_hourly SELECT 'v' || (i % 2), d + i * interval '1 hour', 'lic', 1, 1"
                    + " FROM generate_series(0, 23) i, (VALUES (timestamptz '2026-01-01'), (timestamptz '2026-03-01')) AS days(d)");
            st.execute("INSERT INTO ad_impressions_hourly SELECT 'ad' || (i % 3), d + i * interval '1 hour', 1, 1, 1, 1, 1"
                    + " FROM generate_series(0, 2) i, (VALUES (timestamptz '2025-06-01'), (timestamptz '2026-01-01'), (timestamptz '2026-03-01')) AS days(d)");
        }
    }

    static void assertRetained(JdbcConfig jdbc, long segments, long progress) throws SQLException {
        assertThat(count(jdbc, "watch_segments")).isEqualTo(segments);
        assertThat(count(jdbc, "watch_segments WHERE segment_end < '2026-02-15T12:00:00Z'")).isZero();
        assertThat(count(jdbc, "video_progress")).isEqualTo(progress);
        assertThat(count(jdbc, "video_progress WHERE event_time < '2026-02-15T12:00:00Z'")).isZero();
    }

    private static void awaitWaitingForLock(JdbcConfig jdbc) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            while (System.nanoTime() < deadline) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'DELETE FROM video_progress%'")) {
                    rs.next();
                    if (rs.getInt(1) > 0) return;
                }
                Thread.sleep(20);
            }
        }
        throw new AssertionError("the retention run never waited for the job's row");
    }

    static Map<String, String> licensors(JdbcConfig jdbc) throws SQLException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, string_agg(DISTINCT coalesce(licensor_id, 'null'), ',') FROM content_watch_hourly GROUP BY video_id")) {
            while (rs.next()) out.put(rs.getString(1), rs.getString(2));
        }
        return out;
    }

    static long count(JdbcConfig jdbc, String tableAndWhere) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM " + tableAndWhere)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static String row(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            assertThat(rs.next()).as(sql).isTrue();
            return rs.getString(1);
        }
    }

    private JdbcConfig freshDatabase() throws SQLException {
        return bed.migratedDatabase("maintenance_it");
    }
}
