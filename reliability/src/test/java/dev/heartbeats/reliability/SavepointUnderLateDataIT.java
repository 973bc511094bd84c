package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.testing.Scenario;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stop-with-savepoint and restore in the middle of heavy late data (a quarter of the heartbeats arrive 1 to 8 min
 * late, 8% too late), while the traffic goes on. The restored jobs keep the unbounded stopping offsets of their
 * savepoint splits, so they run unbounded until the tables reach the reference.
 */
class SavepointUnderLateDataIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 9);

    @Test
    void stopWithSavepointAndRestoreInTheMiddleOfHeavyLateData(@InjectMiniCluster MiniCluster cluster, @TempDir Path savepoints) throws Exception {
        run(cluster, savepoints, "2", "2");
    }

    /** The same, restored at another parallelism: keyed state is redistributed, the per-partition maxima are union state. */
    @Test
    void restoredAtAnotherParallelism(@InjectMiniCluster MiniCluster cluster, @TempDir Path savepoints) throws Exception {
        run(cluster, savepoints, "2", "3");
    }

    void run(MiniCluster cluster, Path savepoints, String before, String after) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("savepoint-late-" + before + "-" + after);
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        GeneratorConfig heavyLate = GeneratorConfig.builder().seed(51).viewers(40).maxRecords(RECORDS)
                .outOfOrder(0.05).duplicates(0.02).lateWithin(0.25).tooLate(0.08).invalid(0.01).build();
        Feed feed = new Feed(Feed.generated(heavyLate));
        JobSet jobs = JobSet.start(s, "--parallelism", before);
        JobSet restored = null;
        try {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            feed.awaitFraction(0.5, Duration.ofSeconds(60));
            long faultAt = System.currentTimeMillis();
            Map<String, String> taken = jobs.stopWithSavepoint(savepoints);
            long stoppedAt = System.currentTimeMillis();
            restored = jobs.restore(taken, "--parallelism", after);
            restored.awaitRunning(rest, 60_000);
            System.out.printf("savepoints of 3 jobs taken in %.1f s, restored jobs running %.1f s after the stop began%n",
                    (stoppedAt - faultAt) / 1000.0, (System.currentTimeMillis() - faultAt) / 1000.0);
            feed.awaitDone(Duration.ofSeconds(120));

            Expect e = Expect.of(feed, licensors);
            System.out.println("heavy late data: " + e);
            assertThat(e.tooLate.size()).as("too-late records in the stream").isGreaterThan(100);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, restored);
            Report.row("SavepointUnderLateDataIT (parallelism " + before + " → " + after + ")",
                    "stop-with-savepoint of all 3 jobs at 50% of a stream with 25% late-within-L and 8% too-late, restore at parallelism " + after + ", traffic going on",
                    "1", e, o, restarts, faultAt, feed.doneAt(), testStart);
            restarts.forEach((job, n) -> assertThat(n).as("restarts of restored %s", job).isZero());
        } finally {
            jobs.close();
            if (restored != null) restored.close();
        }
    }
}
