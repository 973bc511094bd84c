package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.local.DlqCommand;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import org.apache.flink.runtime.minicluster.MiniCluster;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The documented way back from the dead-letter topic: {@code hb dlq export} to a JSON-lines file, correct a record
 * in the file, {@code hb dlq replay} into the input topic, and the running jobs count it.
 */
class DlqReplayIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 6);

    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void exportCorrectReplayAndTheJobsCountIt(@InjectMiniCluster MiniCluster cluster, @TempDir Path dir) throws Exception {
        Scenario s = bed.scenario("dlq-replay");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        String bootstrap = bed.stack.kafka.bootstrapServers();
        Feed feed = new Feed(Feed.generated(GeneratorConfig.of(71).toBuilder().viewers(5).maxRecords(600).build()));
        List<Heartbeat> valid = new ArrayList<>();
        long maxTime = 0;
        for (Feed.Item it : feed.items) {
            if (it.valid()) {
                valid.add(it.heartbeat);
                maxTime = Math.max(maxTime, it.heartbeat.eventTime);
            }
        }
        // A player that forgot video_id: three heartbeats right after the stream, invalid as sent.
        List<Heartbeat> fixable = List.of(
                Heartbeat.content("replay-u1", "v0001", maxTime + 5_000, 60_000, EventType.PLAY, "d1"),
                Heartbeat.content("replay-u1", "v0001", maxTime + 10_000, 65_000, EventType.PLAY, "d1"),
                Heartbeat.content("replay-u1", "v0001", maxTime + 15_000, 70_000, EventType.PAUSE, "d1"));
        byte[] key = "replay-u1".getBytes(StandardCharsets.UTF_8);
        List<ProducerRecord<byte[], byte[]>> bad = new ArrayList<>();
        for (Heartbeat h : fixable) {
            String json = HeartbeatJson.toJson(h).replace(",\"video_id\":\"v0001\"", "");
            bad.add(new ProducerRecord<>(s.inputTopic, key, json.getBytes(StandardCharsets.UTF_8)));
        }
        byte[] notUtf8 = {(byte) 0xFF, '{', '}', (byte) 0xC0};
        bad.add(new ProducerRecord<>(s.inputTopic, key, notUtf8));
        bad.add(new ProducerRecord<>(s.inputTopic, null, null));

        try (JobSet jobs = JobSet.start(s, "--parallelism", "1")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, Duration.ZERO).awaitDone(Duration.ofSeconds(60));
            s.sendRecords(bad);
            ContractReference.Expected before = ContractReference.compute(valid, ContractParams.DEFAULTS, licensors);
            s.awaitTables(t -> TableAssert.diff(t, before).isEmpty(), Duration.ofSeconds(90));
            awaitDeadLetters(s, 3 * 5);

            // Export everything: one line per source record (the three jobs each wrote one dead letter for it).
            Path all = dir.resolve("all.jsonl");
            DlqCommand.main(new String[] {"export", "--bootstrap-servers", bootstrap, "--topic", s.dlqTopic, "--out", all.toString()});
            List<JsonNode> lines = read(all);
            assertThat(lines).hasSize(5);
            for (JsonNode l : lines) {
                for (String h : List.of("reason", "source-topic", "source-partition", "source-offset", "source-timestamp", "job", "routed-at")) {
                    assertThat(l.path("headers").hasNonNull(h)).as("header %s in %s", h, l).isTrue();
                }
                assertThat(l.path("headers").path("source-topic").asText()).isEqualTo(s.inputTopic);
            }
            JsonNode binary = lines.stream().filter(l -> l.has("value_base64")).findFirst().orElseThrow();
            assertThat(Base64.getDecoder().decode(binary.get("value_base64").asText())).isEqualTo(notUtf8);
            assertThat(binary.get("key").asText()).isEqualTo("replay-u1");
            JsonNode tombstone = lines.stream().filter(l -> l.has("value") && l.get("value").isNull()).findFirst().orElseThrow();
            assertThat(tombstone.get("key").isNull()).isTrue();
            assertThat(tombstone.path("headers").path("reason").asText()).contains("tombstone");

            Path dups = dir.resolve("dups.jsonl");
            DlqCommand.main(new String[] {"export", "--bootstrap-servers", bootstrap, "--topic", s.dlqTopic, "--out", dups.toString(), "--keep-duplicates"});
            assertThat(read(dups)).hasSizeGreaterThanOrEqualTo(15);

            // Export only what can be fixed, correct it, replay it.
            Path fix = dir.resolve("fix.jsonl");
            DlqCommand.main(new String[] {"export", "--bootstrap-servers", bootstrap, "--topic", s.dlqTopic, "--out", fix.toString(),
                "--reason-contains", "video_id", "--job", "segments"});
            List<JsonNode> toFix = read(fix);
            assertThat(toFix).hasSize(3);
            List<String> corrected = new ArrayList<>();
            for (JsonNode l : toFix) {
                assertThat(l.path("headers").path("reason").asText()).isEqualTo("missing required field 'video_id'");
                ObjectNode value = (ObjectNode) JSON.readTree(l.get("value").asText());
                value.put("video_id", "v0001");
                ((ObjectNode) l).put("value", JSON.writeValueAsString(value));
                corrected.add(JSON.writeValueAsString(l));
            }
            Files.write(fix, corrected, StandardCharsets.UTF_8);
            DlqCommand.main(new String[] {"replay", "--in", fix.toString(), "--bootstrap-servers", bootstrap, "--topic", s.inputTopic});

            List<Heartbeat> nowCounted = new ArrayList<>(valid);
            nowCounted.addAll(fixable);
            ContractReference.Expected after = ContractReference.compute(nowCounted, ContractParams.DEFAULTS, licensors);
            assertThat(after.watchSegments.size()).isGreaterThan(before.watchSegments.size());
            s.awaitTables(t -> TableAssert.diff(t, after).isEmpty(), Duration.ofSeconds(90));
            assertThat(s.tables().videoProgress).anySatisfy(p -> {
                assertThat(p.userId).isEqualTo("replay-u1");
                assertThat(p.positionMs).isEqualTo(70_000);
            });
            // The replayed records say where they came from; the jobs took them as they take any heartbeat.
            List<ConsumerRecord<byte[], byte[]>> input = s.readAll(s.inputTopic);
            long replayed = input.stream().filter(r -> r.headers().lastHeader(DlqCommand.REPLAY_OF) != null).count();
            assertThat(replayed).isEqualTo(3);
            assertThat(Verify.routed(s, s.dlqTopic).get("segments").distinct()).as("no new dead letters").isEqualTo(5);
            Report.write("| DlqReplayIT | hb dlq export (5 dead letters ×3 jobs → 5 lines; --reason-contains video_id → 3), corrected, hb dlq replay | 3 replayed | "
                    + (feed.items.size() + bad.size()) + " | " + after.watchSegments.size() + "/" + s.tables().watchSegments.size() + " watch_segments | 5/5 | – | 0 | – | – | – |");
        }
    }

    static void awaitDeadLetters(Scenario s, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 60_000;
        while (s.readAll(s.dlqTopic).size() < n) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("fewer than " + n + " dead letters");
            Thread.sleep(200);
        }
    }

    static List<JsonNode> read(Path file) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) if (!line.isBlank()) out.add(JSON.readTree(line));
        return out;
    }
}
