package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.HeartbeatSerializer;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Flink side fails: a TaskManager dies in the middle of the stream, and jobs fail by themselves (injected
 * exceptions in a map and in sinks, several times). Every job recovers from its last checkpoint: the tables equal
 * the contract's reference (no loss, no double count) and the dead-letter and late topics hold exactly the expected
 * source positions (duplicates allowed: they are at-least-once).
 */
class ProcessFailuresIT extends FaultTestBase {
    /** Two TaskManagers with three slots each: the three jobs at parallelism 2 fill them, spread over both. */
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(2, 3);

    @Test
    void taskManagerKilledMidStream(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("tm-loss");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        Feed feed = new Feed(Feed.generated(stream(11)));
        try (JobSet jobs = JobSet.start(s, "--parallelism", "2")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            feed.awaitFraction(0.4, Duration.ofSeconds(60));
            long faultAt = System.currentTimeMillis();
            cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
            cluster.startTaskManager();
            feed.awaitDone(Duration.ofSeconds(120));

            Expect e = Expect.of(feed, licensors);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, jobs);
            System.out.println("failures after the TaskManager loss:\n" + failures(rest, jobs));
            Report.row("ProcessFailuresIT.taskManagerKilledMidStream", "TaskManager 0 of 2 terminated at 40% of the stream, a new one started",
                    "1", e, o, restarts, faultAt, feed.doneAt(), testStart);
            // The loss hit the jobs (slots are spread over both TaskManagers), and they came back.
            assertThat(restarts.values().stream().mapToLong(Long::longValue).sum()).as("restarts %s", restarts).isPositive();
        }
    }

    @Test
    void jobsFailingByThemselvesRecoverFromTheirLastCheckpoint(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("self-failing");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        // Budgets: how often each injection point throws. The segments job fails in a map and in its sink.
        Faults.arm("segments-map", 1);
        Faults.arm("segments-sink", 2);
        Faults.arm("watch-time-sink", 2);
        Faults.arm("ad-impressions-map", 2);
        Map<String, Integer> injected = Map.of(SegmentsJob.NAME, 3, WatchTimeJob.NAME, 2, AdImpressionsJob.NAME, 2);
        JobSet.Wiring failing = (job, env, cfg) -> {
            DataStream<Heartbeat> heartbeats = HeartbeatIngest.validHeartbeats(env, cfg);
            switch (job.name()) {
                case SegmentsJob.NAME:
                    heartbeats = heartbeats.map(new Faults.FailingMap<>("segments-map", 2_000), HeartbeatSerializer.TYPE)
                            .uid("fault-segments-map").name("fault: segments map");
                    SegmentsJob.wire(heartbeats, cfg,
                            new Faults.FailingSink<>(new JdbcUpsertSink<>(cfg.jdbc, OutputTables.WATCH_SEGMENTS), "segments-sink", 150),
                            new JdbcUpsertSink<>(cfg.jdbc, OutputTables.VIDEO_PROGRESS));
                    break;
                case WatchTimeJob.NAME:
                    WatchTimeJob.wire(heartbeats, cfg,
                            new Faults.FailingSink<>(new JdbcUpsertSink<>(cfg.jdbc, OutputTables.CONTENT_WATCH_HOURLY), "watch-time-sink", 60));
                    break;
                default:
                    heartbeats = heartbeats.map(new Faults.FailingMap<>("ad-impressions-map", 1_500), HeartbeatSerializer.TYPE)
                            .uid("fault-ad-impressions-map").name("fault: ad-impressions map");
                    AdImpressionsJob.wire(heartbeats, cfg, new JdbcUpsertSink<>(cfg.jdbc, OutputTables.AD_IMPRESSIONS_HOURLY));
            }
        };
        Feed feed = new Feed(Feed.generated(stream(12)));
        try (JobSet jobs = JobSet.start(s, failing, "--parallelism", "2")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            long faultAt = System.currentTimeMillis();
            feed.awaitDone(Duration.ofSeconds(120));

            Expect e = Expect.of(feed, licensors);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, jobs);
            System.out.println("injections: " + Faults.LOG + "\nfailures:\n" + failures(rest, jobs));
            Report.row("ProcessFailuresIT.jobsFailingByThemselves", "injected exceptions: segments map ×1 (record 2000) and watch_segments sink ×2 (record 150), "
                    + "content_watch_hourly sink ×2 (record 60), ad-impressions map ×2 (record 1500)", "7", e, o, restarts, faultAt, feed.doneAt(), testStart);
            for (String name : new String[] {"segments-map", "segments-sink", "watch-time-sink", "ad-impressions-map"}) {
                assertThat(Faults.left(name)).as("injections left at %s (stream too short?)", name).isZero();
            }
            injected.forEach((job, n) -> assertThat(restarts.get(job)).as("restarts of %s", job).isEqualTo((long) n));
        }
    }
}
