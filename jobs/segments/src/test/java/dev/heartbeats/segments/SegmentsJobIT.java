package dev.heartbeats.segments;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;

/** The segments job end to end: real Kafka broker, real PostgreSQL, MiniCluster with RocksDB. */
class SegmentsJobIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;
    static final Duration WAIT = Duration.ofSeconds(60);

    final TestBed bed = TestBed.shared();

    static Heartbeat hb(String user, String video, long offsetMs, long pos, EventType event) {
        return Heartbeat.content(user, video, T0 + offsetMs, pos, event, "d1");
    }

    static WatchSegment seg(String user, String video, long start, long session, long end, long startPos, long endPos, long n) {
        WatchSegment w = WatchSegment.key(user, video, T0 + start);
        w.sessionStart = T0 + session;
        w.segmentEnd = T0 + end;
        w.startPosMs = startPos;
        w.endPosMs = endPos;
        w.heartbeats = n;
        return w;
    }

    /** u1: play, seek, stop in one session; u2: two sessions split by a 40 s gap. */
    static List<Heartbeat> basicInput() {
        return new ArrayList<>(List.of(
                hb("u1", "v1", 0, 0, PLAY), hb("u1", "v1", 5_000, 5_000, PLAY), hb("u1", "v1", 10_000, 10_000, PLAY),
                hb("u1", "v1", 15_000, 60_000, SEEK), hb("u1", "v1", 20_000, 65_000, PLAY), hb("u1", "v1", 25_000, 70_000, STOP),
                hb("u2", "v1", 0, 0, PLAY), hb("u2", "v1", 5_000, 5_000, PLAY),
                hb("u2", "v1", 45_000, 5_000, PLAY), hb("u2", "v1", 50_000, 10_000, PLAY)));
    }

    static void assertBasicResults(TableSnapshot t) {
        assertThat(t.watchSegments).containsExactlyInAnyOrder(
                seg("u1", "v1", 0, 0, 10_000, 0, 10_000, 3),
                seg("u1", "v1", 15_000, 0, 25_000, 60_000, 70_000, 3),
                seg("u2", "v1", 0, 0, 5_000, 0, 5_000, 2),
                seg("u2", "v1", 45_000, 45_000, 50_000, 5_000, 10_000, 2));
        assertThat(t.videoProgress).containsExactlyInAnyOrder(
                VideoProgress.of("u1", "v1", 70_000, T0 + 25_000, "d1"),
                VideoProgress.of("u2", "v1", 10_000, T0 + 50_000, "d1"));
    }

    @Test
    void boundedRunWritesSegmentsAndProgress() throws Exception {
        Scenario s = bed.scenario("basic");
        s.send(basicInput());
        s.runBounded(new SegmentsJob(), "--parallelism", "1");
        assertBasicResults(s.tables());
    }

    @Test
    void outOfOrderAndDuplicatedInputGivesTheSameRows() throws Exception {
        Scenario s = bed.scenario("shuffled");
        List<Heartbeat> input = basicInput();
        input.addAll(basicInput()); // every heartbeat twice
        Collections.shuffle(input, new Random(7));
        s.send(input);
        s.runBounded(new SegmentsJob(), "--parallelism", "2");
        assertBasicResults(s.tables());
    }

    @Test
    void lateHeartbeatThatBridgesTwoSessionsDeletesTheStaleSegment() throws Exception {
        Scenario s = bed.scenario("bridge");
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1");
        try {
            s.send(List.of(hb("u3", "v2", 0, 0, PLAY), hb("u3", "v2", 5_000, 5_000, PLAY),
                    hb("u3", "v2", 45_000, 45_000, PLAY), hb("u3", "v2", 50_000, 50_000, PLAY)));
            s.awaitTables(t -> t.watchSegments.size() == 2 && t.videoProgress.size() == 1, WAIT);

            s.send(List.of(hb("u3", "v2", 25_000, 25_000, PLAY)));
            // The rewritten segment goes out at once; the resume point within its coalescing interval.
            TableSnapshot t = s.awaitTables(x -> x.watchSegments.size() == 1 && x.watchSegments.get(0).heartbeats == 5
                    && x.videoProgress.size() == 1 && x.videoProgress.get(0).positionMs == 50_000, WAIT);
            assertThat(t.watchSegments).containsExactly(seg("u3", "v2", 0, 0, 50_000, 0, 50_000, 5));
            assertThat(t.videoProgress).containsExactly(VideoProgress.of("u3", "v2", 50_000, T0 + 50_000, "d1"));
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void lateHeartbeatBeforeTheSessionStartMovesTheStart() throws Exception {
        Scenario s = bed.scenario("move-start");
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1");
        try {
            s.send(List.of(hb("u4", "v3", 10_000, 10_000, PLAY), hb("u4", "v3", 15_000, 15_000, PLAY)));
            s.awaitTables(t -> t.watchSegments.size() == 1 && t.watchSegments.get(0).heartbeats == 2, WAIT);

            s.send(List.of(hb("u4", "v3", 5_000, 5_000, PLAY)));
            // The rewritten segment goes out at once; the resume point within its coalescing interval.
            TableSnapshot t = s.awaitTables(x -> x.watchSegments.size() == 1 && x.watchSegments.get(0).heartbeats == 3
                    && x.videoProgress.size() == 1 && x.videoProgress.get(0).positionMs == 15_000, WAIT);
            assertThat(t.watchSegments).containsExactly(seg("u4", "v3", 5_000, 5_000, 15_000, 5_000, 15_000, 3));
            // The older heartbeat does not move the resume point back.
            assertThat(t.videoProgress).containsExactly(VideoProgress.of("u4", "v3", 15_000, T0 + 15_000, "d1"));
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void tooLateHeartbeatsGoToTheLateTopicAndLateOnesWithinLCount() throws Exception {
        Scenario s = bed.scenario("too-late");
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1");
        try {
            long hour = 3_600_000L;
            // One partition: too late is judged against the watermark of the heartbeats before it in its partition.
            s.sendToPartition(0, List.of(hb("u5", "v4", hour, 100_000, PLAY), hb("u5", "v4", hour + 5_000, 105_000, PLAY)));
            s.awaitTables(t -> t.watchSegments.size() == 1, WAIT);

            // One hour behind the watermark: too late. Five minutes behind: late, but within L = 10 min.
            s.sendToPartition(0, List.of(hb("u6", "v4", 0, 0, PLAY), hb("u7", "v4", hour - 300_000, 1_000, PLAY)));
            TableSnapshot t = s.awaitTables(x -> x.watchSegments.size() == 2, WAIT);
            assertThat(t.watchSegments).extracting(w -> w.userId).containsExactlyInAnyOrder("u5", "u7");

            List<ConsumerRecord<byte[], byte[]>> late = awaitRecords(s, s.lateTopic, 1);
            assertThat(new String(late.get(0).value(), StandardCharsets.UTF_8)).contains("\"user_id\":\"u6\"");
            assertThat(header(late.get(0), DeadLetterSerializer.REASON)).startsWith("too late");
            assertThat(header(late.get(0), DeadLetterSerializer.SOURCE_TOPIC)).isEqualTo(s.inputTopic);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void invalidRecordsGoToTheDeadLetterTopicWithTheirBytesAndReason() throws Exception {
        Scenario s = bed.scenario("invalid");
        byte[] key = "u8".getBytes(StandardCharsets.UTF_8);
        byte[] notJson = "not json".getBytes(StandardCharsets.UTF_8);
        byte[] missingVideo = "{\"user_id\":\"u8\",\"event_time\":1767261600000,\"position_ms\":0}".getBytes(StandardCharsets.UTF_8);
        byte[] floatTime = "{\"user_id\":\"u8\",\"video_id\":\"v\",\"event_time\":1767261600000.0,\"position_ms\":0}".getBytes(StandardCharsets.UTF_8);
        s.sendRaw(key, notJson, missingVideo, floatTime, null, new byte[0]);
        s.send(basicInput());
        s.runBounded(new SegmentsJob(), "--parallelism", "1");

        assertBasicResults(s.tables());
        List<ConsumerRecord<byte[], byte[]>> dlq = s.readAll(s.dlqTopic);
        assertThat(dlq).hasSize(5);
        assertThat(dlq.get(0).value()).isEqualTo(notJson);
        assertThat(dlq.get(1).value()).isEqualTo(missingVideo);
        assertThat(header(dlq.get(1), DeadLetterSerializer.REASON)).contains("video_id");
        assertThat(header(dlq.get(2), DeadLetterSerializer.REASON)).contains("event_time");
        assertThat(dlq.get(3).value()).isNull();
        assertThat(header(dlq.get(3), DeadLetterSerializer.REASON)).contains("tombstone");
        assertThat(dlq).allSatisfy(r -> {
            assertThat(r.key()).isEqualTo(key);
            assertThat(header(r, DeadLetterSerializer.SOURCE_OFFSET)).isNotNull();
            assertThat(header(r, DeadLetterSerializer.SOURCE_PARTITION)).isNotNull();
        });
    }

    @Test
    void whenAllInputGoesQuietTheRowsAreWrittenAndTooLateStillFollowsTheData() throws Exception {
        Scenario s = bed.scenario("idle");
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1", "--idle-timeout", "1s", "--out-of-orderness", "0s",
                "--allowed-lateness", "5s", "--session-gap", "2s");
        try {
            s.sendToPartition(0, List.of(hb("u9", "v5", 0, 0, PLAY), hb("u9", "v5", 1_000, 1_000, PLAY)));
            // No stop and no further traffic: the open segment is in the table anyway.
            s.awaitTables(t -> t.watchSegments.size() == 1 && t.watchSegments.get(0).heartbeats == 2, WAIT);
            // Quiet for much longer than the idle timeout, G and L: the wall clock moves on, the partition's watermark
            // does not. A heartbeat within L of it still counts, and extends the session; one beyond L does not.
            Thread.sleep(10_000);
            s.sendToPartition(0, List.of(hb("u9", "v5", 2_000, 2_000, PLAY), hb("u10", "v5", -10_000, 0, PLAY)));
            List<ConsumerRecord<byte[], byte[]>> late = awaitRecords(s, s.lateTopic, 1);
            assertThat(new String(late.get(0).value(), StandardCharsets.UTF_8)).contains("\"user_id\":\"u10\"");
            s.awaitTables(t -> t.watchSegments.equals(List.of(seg("u9", "v5", 0, 0, 2_000, 0, 2_000, 3))), WAIT);
        } finally {
            job.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void stopWithSavepointAndRestoreLeavesTheSameRowsAsOneRun(@TempDir Path savepoints) throws Exception {
        List<Heartbeat> first = new ArrayList<>();
        List<Heartbeat> second = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            Heartbeat h = hb("u" + (i % 4), "v" + (i % 2), i * 4_000L, i * 4_000L, i == 39 ? STOP : PLAY);
            (i < 20 ? first : second).add(h);
        }
        // Reference: one uninterrupted bounded run over everything.
        Scenario reference = bed.scenario("savepoint-reference");
        reference.send(first);
        reference.send(second);
        reference.runBounded(new SegmentsJob(), "--parallelism", "1");
        TableSnapshot expected = reference.tables();
        assertThat(expected.watchSegments).isNotEmpty();

        Scenario s = bed.scenario("savepoint");
        JobClient job = s.start(new SegmentsJob(), "--parallelism", "1");
        s.send(first);
        s.awaitTables(t -> t.videoProgress.size() == 4, WAIT);
        String savepoint = job.stopWithSavepoint(false, savepoints.toUri().toString(), SavepointFormatType.CANONICAL).get(60, TimeUnit.SECONDS);
        s.send(second);
        // Restored Kafka splits keep the (unbounded) stopping offsets of the savepoint, so the restored job runs
        // unbounded; it is done when the tables reach the reference, and they must then stay there.
        JobClient restored = s.startFromSavepoint(new SegmentsJob(), savepoint, "--parallelism", "1");
        try {
            s.awaitTables(t -> new java.util.HashSet<>(t.watchSegments).equals(new java.util.HashSet<>(expected.watchSegments))
                    && new java.util.HashSet<>(t.videoProgress).equals(new java.util.HashSet<>(expected.videoProgress)), WAIT);
            Thread.sleep(2_000);
            TableSnapshot actual = s.tables();
            assertThat(actual.watchSegments).containsExactlyInAnyOrderElementsOf(expected.watchSegments);
            assertThat(actual.videoProgress).containsExactlyInAnyOrderElementsOf(expected.videoProgress);
        } finally {
            restored.cancel().get(30, TimeUnit.SECONDS);
        }
    }

    static List<ConsumerRecord<byte[], byte[]>> awaitRecords(Scenario s, String topic, int n) throws InterruptedException {
        long deadline = System.currentTimeMillis() + WAIT.toMillis();
        List<ConsumerRecord<byte[], byte[]>> records;
        do {
            records = s.readAll(topic);
            if (records.size() >= n) return records;
            Thread.sleep(200);
        } while (System.currentTimeMillis() < deadline);
        throw new AssertionError("expected " + n + " records in " + topic + ", found " + records.size());
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
