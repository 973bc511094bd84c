package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.common.kafka.TopicLimits;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.local.DlqCommand;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Issue 15, item 3: a compressible 3 MiB record is accepted by an input topic with the production limit (about
 * 1 MiB a compressed batch), but as a dead letter it would not fit the 2 MiB dead-letter and late topics. It used to
 * fail the dead-letter sink, restart the job from its last checkpoint and fail again, forever. Now the dead letter
 * goes out truncated, with headers for its original size and the SHA-256 of the whole value, every job stays up,
 * and the tables are what the valid heartbeats make.
 */
class OversizeDeadLetterIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 6);

    static final int THREE_MIB = 3 * 1024 * 1024;

    @Test
    void anOversizeDeadLetterGoesOutTruncatedAndNoJobRestarts(@InjectMiniCluster MiniCluster cluster, @TempDir Path dir) throws Exception {
        Scenario s = bed.scenario("oversize-dead-letter");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        List<Feed.Item> items = new ArrayList<>(Feed.generated(GeneratorConfig.of(151).toBuilder().viewers(5).maxRecords(600).build()));
        List<Heartbeat> valid = new ArrayList<>();
        long minTime = Long.MAX_VALUE;
        for (Feed.Item it : items) {
            valid.add(it.heartbeat);
            minTime = Math.min(minTime, it.heartbeat.eventTime);
        }
        Heartbeat someone = items.get(items.size() / 2).heartbeat;
        byte[] key = someone.userId.getBytes(StandardCharsets.UTF_8);
        // Invalid: a 3 MiB user_id. Too late: a valid 3 MiB heartbeat (a huge unknown field) of the same viewer, so on
        // the same partition, 20 minutes behind anything sent before it.
        byte[] invalid = PoisonInputIT.withField(someone, "user_id", "\"" + "u".repeat(THREE_MIB) + "\"", false);
        Heartbeat old = Heartbeat.content(someone.userId, someone.videoId, minTime - 20 * 60_000, 1_000, EventType.PLAY, "d-old");
        byte[] tooLate = PoisonInputIT.withField(old, "padding", "\"" + "p".repeat(THREE_MIB) + "\"", true);
        Feed.Item invalidItem = new Feed.Item(key, invalid, null, "3 MiB invalid");
        Feed.Item lateItem = new Feed.Item(key, tooLate, old, "3 MiB too late");
        items.add(invalidItem);
        items.add(lateItem);
        assertThat(invalid.length).isGreaterThan(TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES);
        Feed feed = new Feed(items);

        try (JobSet jobs = JobSet.start(s, "--parallelism", "1")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, Duration.ZERO).awaitDone(Duration.ofSeconds(60));

            ContractReference.Expected expected = ContractReference.compute(valid, ContractParams.DEFAULTS, licensors);
            s.awaitTables(t -> TableAssert.diff(t, expected).isEmpty(), Duration.ofSeconds(120));
            List<ConsumerRecord<byte[], byte[]>> dlq = await(s, s.dlqTopic, JobSet.NAMES.size());
            List<ConsumerRecord<byte[], byte[]>> late = await(s, s.lateTopic, JobSet.NAMES.size());

            for (ConsumerRecord<byte[], byte[]> r : dlq) assertTruncated(s, r, invalidItem, false);
            for (ConsumerRecord<byte[], byte[]> r : late) assertTruncated(s, r, lateItem, true);
            assertThat(dlq).extracting(r -> Verify.header(r, DeadLetterSerializer.JOB)).containsExactlyInAnyOrderElementsOf(JobSet.NAMES);
            assertThat(late).extracting(r -> Verify.header(r, DeadLetterSerializer.JOB)).containsExactlyInAnyOrderElementsOf(JobSet.NAMES);

            for (Map.Entry<String, JobClient> e : jobs.clients.entrySet()) {
                var graph = cluster.getArchivedExecutionGraph(e.getValue().getJobID()).get(30, TimeUnit.SECONDS);
                assertThat(graph.getState()).as("%s state", e.getKey()).isEqualTo(JobStatus.RUNNING);
                assertThat(rest.failures(e.getValue().getJobID())).as("failures of %s", e.getKey()).isEmpty();
            }
            TableAssert.assertMatches(s.tables(), expected);

            // hb dlq export shows the cut; hb dlq replay refuses to send the beginning of a record as if it were the record.
            Path file = dir.resolve("dlq.jsonl");
            DlqCommand.Result exported = DlqCommand.export(exportSettings(s, file));
            assertThat(exported.written()).isEqualTo(1);
            assertThat(exported.truncated()).isEqualTo(1);
            JsonNode line = DlqReplayIT.read(file).get(0);
            assertThat(line.path("headers").path("truncated").asText()).isEqualTo("value");
            assertThat(line.path("headers").path("original-size").asText()).isEqualTo(Integer.toString(invalid.length));
            assertThat(line.path("value").asText()).startsWith("{").hasSizeLessThan(invalid.length);
            int inputBefore = s.readAll(s.inputTopic).size();
            assertThatThrownBy(() -> DlqCommand.main(new String[] {"replay", "--in", file.toString(), "--bootstrap-servers",
                bed.stack.kafka.bootstrapServers(), "--topic", s.inputTopic}))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageContaining("truncated value")
                    .hasMessageContaining("offset " + invalidItem.offset)
                    .hasMessageContaining("nothing was replayed");
            assertThat(s.readAll(s.inputTopic)).hasSize(inputBefore);
        }
    }

    /** A dead-letter topic that would refuse dead letters of --dead-letter-max-bytes fails the job at start, naming both. */
    @Test
    void aDeadLetterTopicTooSmallForTheBoundFailsAtStart() throws Exception {
        Scenario s = bed.scenario("small-dead-letter-topic");
        String small = "small-dlq-" + s.groupId;
        bed.stack.kafka.createTopic(small, 1); // the input topics' limit, about 1 MiB
        SegmentsJob job = new SegmentsJob();
        JobConfig tooLarge = job.parse(s.args("--dlq-topic", small));
        assertThatThrownBy(() -> job.checkBeforeStart(tooLarge)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--dead-letter-max-bytes (" + TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES / 2 + ")")
                .hasMessageContaining("--dlq-topic '" + small + "'")
                .hasMessageContaining("max.message.bytes is " + TopicLimits.INPUT_MAX_MESSAGE_BYTES)
                .hasMessageContaining("at most " + DeadLetterSerializer.largestFitting(TopicLimits.INPUT_MAX_MESSAGE_BYTES));
        assertThatThrownBy(() -> JobLauncher.main(job, s.args("--dlq-topic", small))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--dead-letter-max-bytes");
        // What the message suggests is accepted; the scenario's own topics accept the default.
        job.checkBeforeStart(job.parse(s.args("--dlq-topic", small, "--dead-letter-max-bytes",
                Integer.toString(DeadLetterSerializer.largestFitting(TopicLimits.INPUT_MAX_MESSAGE_BYTES)))));
        job.checkBeforeStart(job.parse(s.args()));
    }

    private static dev.heartbeats.common.config.Settings exportSettings(Scenario s, Path file) {
        return dev.heartbeats.common.config.Settings.parse(new String[] {"--bootstrap-servers", s.bed.stack.kafka.bootstrapServers(),
            "--topic", s.dlqTopic, "--out", file.toString()}, DlqCommand.EXPORT_OPTIONS);
    }

    private static void assertTruncated(Scenario s, ConsumerRecord<byte[], byte[]> r, Feed.Item sent, boolean late) throws Exception {
        String where = (late ? "late" : "dead") + " letter of " + Verify.header(r, DeadLetterSerializer.JOB);
        assertThat(Verify.header(r, DeadLetterSerializer.REASON)).as(where).isNotBlank();
        if (late) assertThat(Verify.header(r, DeadLetterSerializer.REASON)).as(where).startsWith("too late");
        assertThat(Verify.header(r, DeadLetterSerializer.SOURCE_TOPIC)).as(where).isEqualTo(s.inputTopic);
        assertThat(Verify.header(r, DeadLetterSerializer.SOURCE_PARTITION)).as(where).isEqualTo(Integer.toString(sent.partition));
        assertThat(Verify.header(r, DeadLetterSerializer.SOURCE_OFFSET)).as(where).isEqualTo(Long.toString(sent.offset));
        assertThat(r.key()).as(where + ": the key is short and kept whole").isEqualTo(sent.key);
        assertThat(Verify.header(r, DeadLetterSerializer.TRUNCATED)).as(where).isEqualTo("value");
        assertThat(Verify.header(r, DeadLetterSerializer.ORIGINAL_SIZE)).as(where).isEqualTo(Integer.toString(sent.value.length));
        assertThat(Verify.header(r, DeadLetterSerializer.VALUE_SHA256)).as(where)
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(sent.value)));
        // The default bound: half the topic's limit, key and value together; the value is the original's beginning.
        int bound = TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES / 2;
        assertThat(r.key().length + r.value().length).as(where).isLessThanOrEqualTo(bound).isGreaterThan(bound - 4);
        assertThat(Arrays.equals(r.value(), Arrays.copyOf(sent.value, r.value().length))).as(where + ": a prefix of the original value").isTrue();
    }

    private static List<ConsumerRecord<byte[], byte[]>> await(Scenario s, String topic, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        List<ConsumerRecord<byte[], byte[]>> records;
        while ((records = s.readAll(topic)).size() < n) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("fewer than " + n + " records in " + topic + ": " + records.size());
            Thread.sleep(200);
        }
        assertThat(records).as(topic).hasSize(n);
        return records;
    }
}
