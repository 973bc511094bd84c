package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.testing.Scenario;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Kafka broker restarts in the middle of the stream (same address; the jobs' sources, dead-letter and late
 * producers, and the test's own producer all lose their connections for a few seconds). Nothing is lost, nothing
 * counted twice.
 */
class BrokerRestartIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 6);

    @Test
    void kafkaBrokerRestartedMidStream(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("broker-restart");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        Feed feed = new Feed(Feed.generated(stream(41)));
        try (JobSet jobs = JobSet.start(s, "--parallelism", "2")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            feed.awaitFraction(0.4, Duration.ofSeconds(60));
            long faultAt = System.currentTimeMillis();
            String before = bed.stack.kafka.bootstrapServers();
            bed.stack.kafka.restart();
            System.out.printf("Kafka broker restarted in %.1f s%n", (System.currentTimeMillis() - faultAt) / 1000.0);
            assertThat(bed.stack.kafka.bootstrapServers()).isEqualTo(before);
            feed.awaitDone(Duration.ofSeconds(120));

            Expect e = Expect.of(feed, licensors);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, jobs);
            System.out.println("failures around the broker restart:\n" + failures(rest, jobs));
            Report.row("BrokerRestartIT.kafkaBrokerRestartedMidStream", "Kafka broker restarted (EmbeddedKafka.restart) at 40% of the stream",
                    "1", e, o, restarts, faultAt, feed.doneAt(), testStart);
        }
    }
}
