package dev.heartbeats.adimpressions;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.AdImpressionsHourly;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The ad-impressions job end to end: real Kafka broker, real PostgreSQL, MiniCluster with RocksDB. */
class AdImpressionsJobIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** 2026-01-01T10:00:00Z */
    static final long H10 = 1_767_261_600_000L;
    static final long H11 = H10 + 3_600_000L;
    static final Duration WAIT = Duration.ofSeconds(60);

    final TestBed bed = TestBed.shared();

    static Heartbeat ad(String user, String adId, long time, long adPos, long duration) {
        return Heartbeat.ad(user, "v1", time, 120_000, adId, adPos, duration);
    }

    /** One view: heartbeats every 5 s from position 0 up to {@code m} (and m itself), starting at {@code start}. */
    static List<Heartbeat> view(String user, String adId, long start, long m, long duration) {
        List<Heartbeat> out = new ArrayList<>();
        for (long p = 0; p < m; p += 5_000) out.add(ad(user, adId, start + p, p, duration));
        out.add(ad(user, adId, start + m, m, duration));
        return out;
    }

    static AdImpressionsHourly row(String adId, long hour, long impressions, long q1, long mid, long q3, long completes) {
        return AdImpressionsHourly.of(adId, hour, impressions, q1, mid, q3, completes);
    }

    @Test
    void boundedRunCountsViewsAtEveryMilestoneBoundary() throws Exception {
        Scenario s = bed.scenario("ads-boundaries");
        List<Heartbeat> input = new ArrayList<>();
        long t = H10 + 600_000;
        input.addAll(view("u1", "early", t, 1_999, 30_000)); // abandoned before the impression
        input.addAll(view("u1", "imp", t, 2_000, 100_000)); // m = 2000 exactly
        input.addAll(view("u1", "q1", t, 7_500, 30_000)); // 4m = d
        input.addAll(view("u2", "q1", t, 7_499, 30_000)); // just before
        input.addAll(view("u1", "mid", t, 15_000, 30_000)); // 2m = d
        input.addAll(view("u2", "mid", t, 14_999, 30_000));
        input.addAll(view("u1", "q3", t, 22_500, 30_000)); // 4m = 3d
        input.addAll(view("u2", "q3", t, 22_499, 30_000));
        input.addAll(view("u1", "done", t, 28_000, 30_000)); // m + T = d
        input.addAll(view("u2", "done", t, 27_999, 30_000));
        input.addAll(view("u3", "done", t, 30_000, 30_000)); // played to the end
        input.addAll(view("u1", "short", t, 1_000, 1_500)); // a 1.5 s ad: complete (4m < 3d), never an impression
        // one user, one ad, two views: a gap of 31 s > G
        input.addAll(view("u4", "twice", t, 10_000, 30_000));
        input.addAll(view("u4", "twice", t + 41_000, 30_000, 30_000));
        // a view across 11:00 belongs to hour 10 (its first heartbeat)
        input.addAll(view("u5", "across", H11 - 10_000, 30_000, 30_000));
        // every heartbeat twice, shuffled (all within 10 min: none too late)
        List<Heartbeat> sent = new ArrayList<>(input);
        sent.addAll(input);
        Collections.shuffle(sent, new Random(3));
        s.send(sent);
        // one subtask: see WatchTimeJobIT (HeartbeatWatermarks marks a split idle before its first record)
        s.runBounded(new AdImpressionsJob(), "--parallelism", "1", "--allowed-lateness", "2h");

        Set<AdImpressionsHourly> expected = Set.of(
                row("early", H10, 0, 0, 0, 0, 0),
                row("imp", H10, 1, 0, 0, 0, 0),
                row("q1", H10, 2, 1, 0, 0, 0),
                row("mid", H10, 2, 2, 1, 0, 0),
                row("q3", H10, 2, 2, 2, 1, 0),
                row("done", H10, 3, 3, 3, 3, 2),
                row("short", H10, 0, 1, 1, 0, 1),
                row("twice", H10, 2, 2, 1, 1, 1),
                row("across", H10, 1, 1, 1, 1, 1));
        TableAssert.assertAdImpressionsHourly(s.tables().adImpressionsHourly, expected);
        ContractParams p = new ContractParams(30_000, 2.0, 2_000, 2 * 3_600_000L, 12 * 3_600_000L);
        assertThat(ContractReference.compute(input, p, Map.of()).adImpressionsHourly).isEqualTo(expected);
        // content heartbeats play no part, and nothing was too late
        assertThat(s.readAll(s.lateTopic)).isEmpty();
    }

    @Test
    void lateHeartbeatsMoveAViewToAnEarlierHourAndMergeTwoViews() throws Exception {
        Scenario s = bed.scenario("ads-late");
        JobClient job = s.start(new AdImpressionsJob(), "--parallelism", "2");
        try {
            List<Heartbeat> first = new ArrayList<>(view("u1", "move", H11 + 5_000, 10_000, 30_000)); // 11:00:05 .. 11:00:15
            first.addAll(view("u1", "bridge", H11 + 60_000, 10_000, 30_000)); // 11:01:00 .. 11:01:10
            first.addAll(view("u1", "bridge", H11 + 110_000, 25_000, 30_000)); // 11:01:50 .. 11:02:15 (40 s gap)
            s.send(first);
            s.awaitTables(t -> new HashSet<>(t.adImpressionsHourly).equals(Set.of(
                    row("move", H11, 1, 1, 0, 0, 0), row("bridge", H11, 2, 2, 1, 1, 0))), WAIT);

            // 10:59:55: the view now starts in hour 10; 11:01:30 joins the two bridge views into one (m = 25 s)
            s.send(List.of(ad("u1", "move", H11 - 5_000, 0, 30_000), ad("u1", "bridge", H11 + 90_000, 12_000, 30_000)));
            s.awaitTables(t -> new HashSet<>(t.adImpressionsHourly).equals(Set.of(
                    row("move", H10, 1, 1, 0, 0, 0), row("bridge", H11, 1, 1, 1, 1, 0))), WAIT);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void stopWithSavepointAndRestoreLeavesTheRowsOfOneRun(@TempDir Path savepoints) throws Exception {
        Scenario s = bed.scenario("ads-savepoint");
        JobClient job = s.start(new AdImpressionsJob(), "--parallelism", "1");
        s.send(view("u1", "sp", H10 + 30_000, 10_000, 30_000));
        s.send(view("u2", "sp", H10 + 30_000, 2_000, 30_000));
        s.awaitTables(t -> t.adImpressionsHourly.equals(List.of(row("sp", H10, 2, 1, 0, 0, 0))), WAIT);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        // u1's view goes on to the end (the restored view state must still know its start), u3 starts one
        List<Heartbeat> second = new ArrayList<>();
        for (long p = 15_000; p <= 30_000; p += 5_000) second.add(ad("u1", "sp", H10 + 30_000 + p, p, 30_000));
        second.addAll(view("u3", "sp", H10 + 40_000, 5_000, 30_000));
        s.send(second);
        JobClient restored = s.startFromSavepoint(new AdImpressionsJob(), savepoint, "--parallelism", "1");
        try {
            s.awaitTables(t -> t.adImpressionsHourly.equals(List.of(row("sp", H10, 3, 1, 1, 1, 1))), WAIT);
            Thread.sleep(1_500);
            assertThat(s.tables().adImpressionsHourly).containsExactly(row("sp", H10, 3, 1, 1, 1, 1));
        } finally {
            restored.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
