package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.generator.InvalidKind;
import dev.heartbeats.testing.Scenario;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hostile input at volume, mixed into a generated stream with every adversity: each of the generator's invalid kinds
 * many times, 10 MB values, JSON nested far deeper than 256 levels, bytes that are not UTF-8, empty values,
 * tombstones, and records without a key. Every invalid record goes to the dead-letter topic with its original bytes
 * and a reason, and is counted (the 10 MB ones reach the input topic compressed, and go out truncated: they do not
 * fit the dead-letter topic); the valid ones among them (a 10 MB heartbeat, heartbeats without a key: the contract
 * does not check the key) count in the tables; and no job ever restarts because of input.
 */
class PoisonInputIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 6);

    static final int TEN_MB = 10_000_000;

    @Test
    void poisonAtVolumeGoesToTheDeadLetterTopicAndNeverRestartsAJob(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("poison");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        List<Feed.Item> items = new ArrayList<>(Feed.generated(stream(61)));
        Map<String, Integer> poisonKinds = new TreeMap<>();
        List<Feed.Item> poison = poison(items, new Random(61), poisonKinds);
        Random rnd = new Random(62);
        for (Feed.Item p : poison) items.add(rnd.nextInt(items.size() + 1), p);
        Feed feed = new Feed(items);

        try (JobSet jobs = JobSet.start(s, "--parallelism", "2")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            long faultAt = System.currentTimeMillis();
            feed.awaitDone(Duration.ofSeconds(180));

            Expect e = Expect.of(feed, licensors);
            System.out.println("poison: " + poison.size() + " records " + poisonKinds + "; " + e);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, jobs);
            StringBuilder counted = new StringBuilder();
            for (Map.Entry<String, JobClient> en : jobs.clients.entrySet()) {
                JobID id = en.getValue().getJobID();
                long invalid = rest.settledMetricSum(id, "heartbeatsInvalid", METRIC_SETTLE);
                long tooLate = rest.settledMetricSum(id, "heartbeatsTooLate", METRIC_SETTLE);
                counted.append(en.getKey()).append(": heartbeatsInvalid=").append(invalid).append(" heartbeatsTooLate=").append(tooLate).append("; ");
                assertThat(invalid).as("%s heartbeatsInvalid", en.getKey()).isEqualTo(e.invalid.size());
                assertThat(tooLate).as("%s heartbeatsTooLate", en.getKey()).isEqualTo(e.tooLate.size());
                var graph = cluster.getArchivedExecutionGraph(id).get(30, TimeUnit.SECONDS);
                assertThat(graph.getState()).as("%s state", en.getKey()).isEqualTo(JobStatus.RUNNING);
                assertThat(graph.getStatusTimestamp(JobStatus.RESTARTING)).as("%s was RESTARTING", en.getKey()).isZero();
            }
            System.out.println("metrics: " + counted);
            Report.row("PoisonInputIT", "poison mixed into the stream: " + poison.size() + " records " + poisonKinds.keySet(),
                    Integer.toString(poison.size()), e, o, restarts, faultAt, feed.doneAt(), testStart);
            restarts.forEach((job, n) -> assertThat(n).as("restarts of %s caused by input", job).isZero());
            // The reasons say what is wrong.
            var dlq = o.dlq.get("segments");
            for (Feed.Item p : poison) {
                if (p.valid()) continue;
                String reason = Verify.header(dlq.byPosition.get(p.position()).get(0), "reason");
                assertThat(reason).as("reason for %s", p.label).isNotBlank();
                if (p.label.startsWith("nested")) assertThat(reason).as("reason for %s", p.label).containsIgnoringCase("nesting");
                if (p.label.startsWith("not-utf8")) assertThat(reason).as("reason for %s", p.label).contains("UTF-8");
                if (p.label.equals("empty-value")) assertThat(reason).as("reason for %s", p.label).contains("empty value");
                if (p.label.equals("tombstone")) assertThat(reason).as("reason for %s", p.label).contains("tombstone");
            }
        }
    }

    /** The hostile records; some valid records of {@code stream} are changed in place (a 10 MB one, keyless ones). */
    static List<Feed.Item> poison(List<Feed.Item> stream, Random rnd, Map<String, Integer> kinds) {
        List<Integer> validAt = new ArrayList<>();
        for (int i = 0; i < stream.size(); i++) if (stream.get(i).valid() && stream.get(i).label.equals("VALID")) validAt.add(i);
        List<Feed.Item> out = new ArrayList<>();
        java.util.function.Supplier<Heartbeat> base = () -> stream.get(validAt.get(rnd.nextInt(validAt.size()))).heartbeat;
        // Every invalid kind the generator knows (58), ten times each.
        for (int round = 0; round < 10; round++) {
            for (InvalidKind k : InvalidKind.values()) {
                Heartbeat h = base.get();
                out.add(invalid(key(h), k.value(h), "kind:" + k.label(), kinds));
            }
        }
        // 10 MB values: not JSON; a 10 MB user_id; a 10 MB unknown field with one byte that is not UTF-8 near its end.
        byte[] text = new byte[TEN_MB];
        Arrays.fill(text, (byte) 'x');
        out.add(invalid(key(base.get()), text, "huge-not-json", kinds));
        Heartbeat h = base.get();
        out.add(invalid(key(h), withField(h, "user_id", "\"" + "u".repeat(TEN_MB) + "\"", false), "huge-user_id", kinds));
        h = base.get();
        byte[] badUtf8 = withField(h, "padding", "\"" + "p".repeat(TEN_MB) + "\"", true);
        badUtf8[badUtf8.length - 10] = (byte) 0xFF;
        out.add(invalid(key(h), badUtf8, "not-utf8-huge", kinds));
        // ... and a valid 10 MB heartbeat (a huge unknown field): it counts.
        int at = validAt.get(rnd.nextInt(validAt.size()));
        Feed.Item v = stream.get(at);
        stream.set(at, new Feed.Item(v.key, withField(v.heartbeat, "padding", "\"" + "q".repeat(TEN_MB) + "\"", true), v.heartbeat, "huge-valid"));
        kinds.merge("huge-valid", 1, Integer::sum);
        // Nesting deeper than 256 levels: in an unknown field, in a known one, and 100k levels that never close.
        for (int i = 0; i < 5; i++) {
            h = base.get();
            out.add(invalid(key(h), withField(h, "x", "[".repeat(300) + "]".repeat(300), true), "nested-300-unknown-field", kinds));
            h = base.get();
            out.add(invalid(key(h), withField(h, "user_id", "{\"a\":".repeat(1_000) + "1" + "}".repeat(1_000), false), "nested-1000-user_id", kinds));
        }
        for (int i = 0; i < 2; i++) out.add(invalid(key(base.get()), ("{\"x\":" + "[".repeat(100_000)).getBytes(StandardCharsets.UTF_8), "nested-100000-unclosed", kinds));
        // Bytes that are not UTF-8 at all.
        for (int i = 0; i < 30; i++) {
            byte[] junk = new byte[50 + rnd.nextInt(450)];
            rnd.nextBytes(junk);
            junk[0] = (byte) 0xFF;
            out.add(invalid(key(base.get()), junk, "not-utf8-random", kinds));
        }
        // Empty values and tombstones, with a key.
        for (int i = 0; i < 20; i++) {
            out.add(invalid(key(base.get()), new byte[0], "empty-value", kinds));
            out.add(invalid(key(base.get()), null, "tombstone", kinds));
        }
        // No key: invalid values go to the dead-letter topic keyless; valid heartbeats without a key count (the key is not checked).
        for (int i = 0; i < 20; i++) {
            out.add(invalid(null, ("not a heartbeat " + i).getBytes(StandardCharsets.UTF_8), "null-key-invalid", kinds));
            out.add(invalid(null, null, "null-key-tombstone", kinds));
            int j = validAt.get(rnd.nextInt(validAt.size()));
            Feed.Item k = stream.get(j);
            if (k.key == null || !k.label.equals("VALID")) continue;
            stream.set(j, new Feed.Item(null, k.value, k.heartbeat, "null-key-valid"));
            kinds.merge("null-key-valid", 1, Integer::sum);
        }
        return out;
    }

    private static Feed.Item invalid(byte[] key, byte[] value, String label, Map<String, Integer> kinds) {
        kinds.merge(label.startsWith("kind:") ? "every InvalidKind ×10" : label, 1, Integer::sum);
        return new Feed.Item(key, value, null, label);
    }

    private static byte[] key(Heartbeat h) {
        return h.userId.getBytes(StandardCharsets.UTF_8);
    }

    /** The heartbeat's JSON with one more field (or, with {@code append} false, a field replaced). */
    static byte[] withField(Heartbeat h, String name, String rawValue, boolean append) {
        String json = HeartbeatJson.toJson(h);
        if (append) return (json.substring(0, json.length() - 1) + ",\"" + name + "\":" + rawValue + "}").getBytes(StandardCharsets.UTF_8);
        String marker = "\"" + name + "\":";
        int from = json.indexOf(marker) + marker.length();
        int to = json.indexOf(",\"", from);
        return (json.substring(0, from) + rawValue + json.substring(to)).getBytes(StandardCharsets.UTF_8);
    }
}
