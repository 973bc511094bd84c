package dev.heartbeats.watchtime;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.heartbeats.common.contract.EventType.PAUSE;
import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The watch-time job end to end: real Kafka broker, real PostgreSQL, MiniCluster with RocksDB. */
class WatchTimeJobIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** 2026-01-01T10:00:00Z */
    static final long H10 = 1_767_261_600_000L;
    static final long H11 = H10 + 3_600_000L;
    static final Duration WAIT = Duration.ofSeconds(60);

    final TestBed bed = TestBed.shared();

    static Heartbeat hb(String user, String video, long time, long pos, EventType event) {
        return Heartbeat.content(user, video, time, pos, event, "d1");
    }

    static Heartbeat ad(String user, String video, long time) {
        return Heartbeat.ad(user, video, time, 0, "ad-1", 1_000, 15_000);
    }

    static ContentWatchHourly row(String video, long hour, String licensor, long watched, long viewers) {
        return ContentWatchHourly.of(video, hour, licensor, watched, viewers);
    }

    void catalog(String videoId, String licensorId) throws Exception {
        JdbcConfig jdbc = bed.jdbc();
        try (Connection c = jdbc.connect(); PreparedStatement ps = c.prepareStatement(
                "INSERT INTO videos (video_id, licensor_id, title, duration_ms) VALUES (?, ?, ?, 3600000) "
                        + "ON CONFLICT (video_id) DO UPDATE SET licensor_id = EXCLUDED.licensor_id")) {
            ps.setString(1, videoId);
            ps.setString(2, licensorId);
            ps.setString(3, "title of " + videoId);
            ps.executeUpdate();
        }
    }

    @Test
    void boundedRunSplitsHoursCountsViewersAndLeavesUnknownVideosWithoutLicensor() throws Exception {
        Scenario s = bed.scenario("watch-hours");
        catalog("wa-v1", "lic-1");
        s.send(List.of(
                // u1: one session across 11:00: 10:59:50→55 (5 s) in hour 10, then 3 × 5 s in hour 11
                hb("u1", "wa-v1", H11 - 10_000, 0, PLAY), hb("u1", "wa-v1", H11 - 5_000, 5_000, PLAY),
                hb("u1", "wa-v1", H11, 10_000, PLAY), hb("u1", "wa-v1", H11 + 5_000, 15_000, PAUSE),
                hb("u1", "wa-v1", H11 + 10_000, 20_000, STOP),
                // u2: 5 s, a seek (no watched time), 5 s: 10 s in hour 10
                hb("u2", "wa-v1", H10 + 1_800_000, 100_000, PLAY), hb("u2", "wa-v1", H10 + 1_805_000, 105_000, PLAY),
                hb("u2", "wa-v1", H10 + 1_810_000, 300_000, SEEK), hb("u2", "wa-v1", H10 + 1_815_000, 305_000, PLAY),
                // u3: one content heartbeat in hour 11 (a viewer who watched 0 ms) and an ad
                hb("u3", "wa-v1", H11 + 600_000, 0, PLAY), ad("u3", "wa-v1", H11 + 610_000),
                // u4: only ads: not a viewer
                ad("u4", "wa-v1", H10 + 60_000), ad("u4", "wa-v1", H10 + 65_000),
                // a video missing from the catalog
                hb("u1", "wa-missing", H10, 0, PLAY), hb("u1", "wa-missing", H10 + 5_000, 5_000, PLAY)));
        // the input spans 70 min out of order: an L of 3 h keeps all of it in (too-late routing is HeartbeatIngest's)
        s.runBounded(new WatchTimeJob(), "--parallelism", "1", "--mini-batch-latency", "0s", "--allowed-lateness", "3h");
        assertThat(s.readAll(s.lateTopic)).isEmpty();
        TableAssert.assertContentWatchHourly(s.tables().contentWatchHourly, setOf(
                row("wa-v1", H10, "lic-1", 15_000, 2),
                row("wa-v1", H11, "lic-1", 15_000, 2),
                row("wa-missing", H10, null, 5_000, 1)));
    }

    /** Three users, four videos, two hours, every kind of event; then every heartbeat twice, shuffled. */
    static List<Heartbeat> generated(Random rnd) {
        List<Heartbeat> out = new ArrayList<>();
        EventType[] events = {PLAY, PLAY, PLAY, PLAY, PAUSE, SEEK, STOP};
        for (int u = 0; u < 3; u++) {
            for (int v = 0; v < 4; v++) {
                long t = H11 - 4 * 60_000L + rnd.nextInt(180_000);
                long pos = rnd.nextInt(100_000);
                for (int i = 0; i < 60; i++) {
                    int r = rnd.nextInt(20);
                    t += r == 0 ? 40_000 : r == 1 ? 0 : 1_000 + rnd.nextInt(6_000);
                    EventType e = events[rnd.nextInt(events.length)];
                    if (r == 2) {
                        out.add(Heartbeat.ad("u" + u, "wg-v" + v, t, pos, "ad-" + rnd.nextInt(2), rnd.nextInt(20_000), 20_000));
                        continue;
                    }
                    pos = e == SEEK ? rnd.nextInt(500_000) : pos + (rnd.nextInt(10) == 0 ? -3_000 : rnd.nextInt(12_000));
                    out.add(Heartbeat.content("u" + u, "wg-v" + v, t, Math.max(0, pos), e, rnd.nextBoolean() ? "d1" : null));
                }
            }
        }
        return out;
    }

    @Test
    void shuffledDuplicatedInputMatchesTheContract() throws Exception {
        Scenario s = bed.scenario("watch-shuffled");
        catalog("wg-v0", "lic-0");
        catalog("wg-v1", "lic-1");
        List<Heartbeat> input = generated(new Random(42));
        List<Heartbeat> sent = new ArrayList<>(input);
        sent.addAll(input);
        Collections.shuffle(sent, new Random(7));
        s.send(sent);
        // L of 3 h: nothing in this shuffled input is too late, so the contract holds over all of it. One subtask:
        // bounded runs on two are flaky until HeartbeatWatermarks stops marking a split idle before its first record
        // (a source subtask that finishes first sends the end-of-time watermark past the other's pending records).
        s.runBounded(new WatchTimeJob(), "--parallelism", "1", "--allowed-lateness", "3h");
        ContractParams p = new ContractParams(30_000, 2.0, 2_000, 3 * 3_600_000L, 12 * 3_600_000L);
        ContractReference.Expected expected = ContractReference.compute(input, p, Map.of("wg-v0", "lic-0", "wg-v1", "lic-1"));
        assertThat(expected.contentWatchHourly).hasSizeGreaterThan(4);
        TableSnapshot t = s.tables();
        TableAssert.assertContentWatchHourly(t.contentWatchHourly, expected.contentWatchHourly);
        // the sum per video equals the segments' watched time (the contract's invariant)
        Map<String, Long> bySegments = new java.util.HashMap<>();
        expected.watchSegments.forEach(w -> bySegments.merge(w.videoId, w.endPosMs - w.startPosMs, Long::sum));
        Map<String, Long> byHours = new java.util.HashMap<>();
        t.contentWatchHourly.forEach(r -> byHours.merge(r.videoId, r.watchedMs, Long::sum));
        assertThat(byHours).isEqualTo(bySegments);
    }

    @Test
    void aLateHeartbeatCorrectsAnHourAlreadyWrittenWithTheCatalogAsItStandsThen() throws Exception {
        Scenario s = bed.scenario("watch-late");
        JobClient job = s.start(new WatchTimeJob(), "--parallelism", "2", "--catalog-cache-ttl", "500ms");
        try {
            s.send(List.of(hb("u1", "wl-v1", H10 + 20_000, 20_000, PLAY), hb("u1", "wl-v1", H10 + 25_000, 25_000, PLAY),
                    hb("u1", "wl-v1", H10 + 30_000, 30_000, PLAY)));
            s.awaitTables(t -> t.contentWatchHourly.equals(List.of(row("wl-v1", H10, null, 10_000, 1))), WAIT);

            // the video enters the catalog; a late heartbeat (5 s before the first) adds 5 s, a late viewer adds one
            catalog("wl-v1", "lic-late");
            Thread.sleep(1_000); // the cached miss expires
            s.send(List.of(hb("u1", "wl-v1", H10 + 15_000, 15_000, PLAY), hb("u2", "wl-v1", H10 + 1_000, 0, PLAY)));
            s.awaitTables(t -> t.contentWatchHourly.equals(List.of(row("wl-v1", H10, "lic-late", 15_000, 2))), WAIT);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void stopWithSavepointAndRestoreThroughTheYugabyteDriverUrlLeavesTheRowsOfOneRun(@TempDir Path savepoints) throws Exception {
        // The YugabyteDB smart driver (jdbc:yugabytedb:) speaks to PostgreSQL too: the sink and the catalog lookup
        // (through YugabyteDbJdbcFactory) both use it here.
        String ybUrl = bed.jdbc().url.replace("jdbc:postgresql:", "jdbc:yugabytedb:");
        catalog("wr-v1", "lic-r");
        List<Heartbeat> first = new ArrayList<>();
        List<Heartbeat> second = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // four users on two videos, 4 s apart, across 11:00; the first half ends at 10:59:56
            Heartbeat h = hb("u" + (i % 4), "wr-v" + (1 + i % 2), H11 - 80_000 + i * 4_000L, i * 4_000L, PLAY);
            (i < 20 ? first : second).add(h);
        }
        Scenario s = bed.scenario("watch-savepoint");
        JobClient job = s.start(new WatchTimeJob(), "--parallelism", "1", "--jdbc-url", ybUrl);
        s.send(first);
        // each pair: 5 heartbeats 16 s apart in hour 10, 4 continuing pairs of 16 s; two pairs per video
        s.awaitTables(t -> new HashSet<>(t.contentWatchHourly).equals(setOf(
                row("wr-v1", H10, "lic-r", 128_000, 2), row("wr-v2", H10, null, 128_000, 2))), WAIT);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        // a late viewer of hour 10: only right if the restored aggregation still holds hour 10's total
        second.add(0, hb("u9", "wr-v1", H11 - 50_000, 0, PLAY));
        s.send(second);
        // every state of the savepoint must be claimed by the rebuilt job: the Table API aggregate's uid is stable
        JobClient restored = s.startFromSavepoint(new WatchTimeJob(), savepoint, "--parallelism", "1", "--jdbc-url", ybUrl);
        try {
            // hour 11: 5 more heartbeats per pair, the first one continuing from hour 10: 5 × 16 s per pair
            List<ContentWatchHourly> expected = List.of(
                    row("wr-v1", H10, "lic-r", 128_000, 3), row("wr-v1", H11, "lic-r", 160_000, 2),
                    row("wr-v2", H10, null, 128_000, 2), row("wr-v2", H11, null, 160_000, 2));
            s.awaitTables(t -> new HashSet<>(t.contentWatchHourly).equals(new HashSet<>(expected)), WAIT);
            Thread.sleep(1_500);
            TableAssert.assertContentWatchHourly(s.tables().contentWatchHourly, new HashSet<>(expected));
        } finally {
            restored.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aStateTtlTheInputTopicsRetentionCouldOutliveFailsAtStartNamingTheSetting() throws Exception {
        Scenario s = bed.scenario("watch-retention");
        // a job resumed after a long stop replays heartbeats up to 10 days old: their hours' totals must still be there
        bed.stack.kafka.setTopicConfig(s.inputTopic, "retention.ms", Long.toString(Duration.ofDays(10).toMillis()));
        assertThatThrownBy(() -> s.start(new WatchTimeJob()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("--aggregate-state-ttl (8 d)")
                .hasMessageContaining("'" + s.inputTopic + "' (retention.ms 10 d) plus 1h + allowed-lateness, i.e. 14470 min");
        JobClient job = s.start(new WatchTimeJob(), "--aggregate-state-ttl", "242h");
        job.cancel().get(30, TimeUnit.SECONDS);
    }

    @SafeVarargs
    static <T> java.util.Set<T> setOf(T... rows) {
        return new HashSet<>(List.of(rows));
    }
}
