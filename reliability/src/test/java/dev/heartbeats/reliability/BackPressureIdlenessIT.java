package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.embedded.EmbeddedPostgresServer;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Known bug 2 (reliability/README.md): a back-pressured source is taken for idle. Live traffic (event time at the
 * pace of the wall clock, nothing too late by the contract) and a database outage longer than the idle timeout plus
 * L, with a sink that keeps retrying through it: the sink back-pressures the job until the source stops emitting,
 * {@code HeartbeatWatermarks} then moves the partitions' watermark on with the wall clock, and the backlog is judged
 * too late when it is finally read. Expected: nothing in the late topic and the tables equal to the reference.
 */
class BackPressureIdlenessIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 2);

    @Test
    void aBackPressuredSourceIsNotIdle(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Scenario s = bed.scenario("backpressure-idle");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        // 3000 viewers at one heartbeat per 5 s: 600 heartbeats per second of event time, sent at that pace.
        GeneratorConfig live = GeneratorConfig.of(81).toBuilder().viewers(3_000).maxRecords(36_000).build();
        Feed feed = new Feed(Feed.generated(live));
        ContractParams p = new ContractParams(30_000, 2.0, 2_000, 15_000, 12 * 3_600_000L);
        EmbeddedPostgresServer pg = bed.stack.postgres;
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1", "--idle-timeout", "2s", "--allowed-lateness", "15s",
                "--out-of-orderness", "1s", "--sink-max-retry-time", "5min", "--sink-batch-size", "200");
        try {
            rest.awaitAllTasksRunning(job.getJobID(), Duration.ofMillis(60_000));
            feed.start(s, Duration.ofSeconds(60));
            feed.awaitFraction(0.2, Duration.ofSeconds(60));
            try {
                pg.stop();
                Thread.sleep(30_000);
            } finally {
                pg.startAgain();
            }
            feed.awaitDone(Duration.ofSeconds(120));
            Expect e = Expect.of(feed, licensors, p, 1_000);
            System.out.println("live stream: " + e);
            assertThat(e.tooLate).as("too late by the contract's rule").isEmpty();
            try {
                s.awaitTables(t -> TableAssert.diff("watch_segments", t.watchSegments, e.tables.watchSegments, TableAssert.WATCH_SEGMENT_KEY).isEmpty()
                        && TableAssert.diff("video_progress", t.videoProgress, e.tables.videoProgress, TableAssert.VIDEO_PROGRESS_KEY).isEmpty(), Duration.ofSeconds(90));
            } finally {
                Verify.Routed routed = Verify.routed(s, s.lateTopic).getOrDefault(SegmentsJob.NAME, new Verify.Routed());
                int late = routed.distinct();
                System.out.println("BackPressureIdlenessIT: heartbeats routed as too late: " + late + " of " + e.sent + " (expected 0)");
                routed.byPosition.values().stream().limit(3).forEach(r -> System.out.println("  e.g. " + Verify.header(r.get(0), "reason")));
                System.out.println("  tables: " + TableAssert.diff(s.tables(), e.tables).lines().filter(l -> !l.startsWith("    ")).collect(java.util.stream.Collectors.joining("; ")));
                assertThat(late).as("heartbeats routed to the late topic").isZero();
            }
        } finally {
            if (!pg.isRunning()) pg.startAgain();
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
