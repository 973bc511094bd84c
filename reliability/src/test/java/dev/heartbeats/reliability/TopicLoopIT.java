package dev.heartbeats.reliability;

import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.Scenario;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Regression test on a real broker (see {@link TopicSettingsTest}): with {@code --dlq-topic} equal to {@code --input-topic}
 * the segments job starts, and one invalid record becomes an endless stream of dead letters in its own input.
 */
class TopicLoopIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 2);

    @Test
    void oneInvalidRecordStaysOneDeadLetterWhenTheDeadLetterTopicIsTheInputTopic() throws Exception {
        Scenario s = bed.scenario("dlq-loop");
        JobClient job;
        try {
            job = s.start(new SegmentsJob(), "--parallelism", "1", "--dlq-topic", s.inputTopic);
        } catch (Exception rejected) {
            return; // fixed: the misconfiguration is refused at start
        }
        try {
            s.sendRaw("u1".getBytes(StandardCharsets.UTF_8), "not a heartbeat".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(10_000);
            int records = s.readAll(s.inputTopic).size();
            System.out.println("TopicLoopIT: 1 invalid record sent; the input topic holds " + records + " records after 10 s");
            assertThat(records).as("records in the input topic 10 s after sending 1 invalid record").isLessThanOrEqualTo(2);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }
}
