package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Contract section 1: the too-late decision depends on the input records alone (not on wall-clock timing, idleness,
 * restarts or the job), and a device clock more than F ahead is an invalid heartbeat that moves no watermark. The
 * three jobs run live on input whose partitions are chosen per user; every job must route exactly the records the
 * reference routes and end with the reference's tables.
 */
class DataTimeIT extends FaultTestBase {
    /** One TaskManager: killing it fails all three jobs at once. */
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 3);

    static final long T0 = Instant.parse("2026-03-01T12:00:00Z").toEpochMilli();
    /** L = 60 s, as in the reported run; the other parameters are the defaults. */
    static final ContractParams PARAMS = new ContractParams(30_000, 2.0, 2_000, 60_000, 12 * 3_600_000L);

    /**
     * Partition 0 goes quiet while partition 1 moves on by minutes of event time (longer than the idle timeout in
     * wall-clock time), every job fails and restarts from its checkpoint, then partition 0's backlog arrives: by its
     * own partition's data none of it is too late, so every job counts it, and its pairs' state is still there to
     * merge it into (no stale row); one heartbeat of the backlog really is too late by its partition, and every job
     * routes exactly that one.
     */
    @Test
    void aQuietPartitionsBacklogCountsInEveryJobAcrossAFailure(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Scenario s = bed.scenario("idle-backlog");
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        List<String> quiet = usersOf(0, 3);
        List<String> busy = usersOf(1, 3);
        List<Feed.Item> before = beats(concat(quiet, busy), T0, T0 + 60_000);
        List<Feed.Item> others = beats(busy, T0 + 60_000, T0 + 360_000);
        List<Feed.Item> backlog = beats(quiet, T0 + 60_000, T0 + 120_000);
        backlog.add(item(Heartbeat.content(quiet.get(0), "v-late", T0 - 180_000, 0, EventType.PLAY, "d"), null));

        try (JobSet jobs = JobSet.start(s, "--parallelism", "1", "--idle-timeout", "1s", "--allowed-lateness", "60s", "--checkpoint-interval", "1s")) {
            jobs.awaitRunning(rest, 60_000);
            send(s, before);
            send(s, others);
            Thread.sleep(4_000); // partition 0 idle for longer than the idle timeout; a checkpoint covers everything sent
            cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
            cluster.startTaskManager();
            jobs.awaitRunning(rest, 120_000);
            Thread.sleep(3_000); // restored, and partition 0 still quiet
            send(s, backlog);

            Expect e = Expect.of(concat(before, others, backlog), licensors(), PARAMS, 5_000);
            assertThat(e.tooLate).as("the one heartbeat too late by its own partition").hasSize(1);
            Verify.await(s, e, JobSet.NAMES, SETTLE);
            assertThat(restarts(rest, jobs).values()).as("every job failed once in between").allMatch(n -> n > 0);
        }
    }

    /**
     * A phone clock set to 2099 and one F + 1 ms ahead of its record's timestamp are dead letters with a reason that
     * says so; one exactly F ahead is valid. None of them moves its partition's watermark, so the on-time heartbeats
     * after them count, before and after a stop-with-savepoint and restore.
     */
    @Test
    void heartbeatsFromAClockAheadAreDeadLettersAndMoveNoWatermark(@InjectMiniCluster MiniCluster cluster, @TempDir Path savepoints) throws Exception {
        Scenario s = bed.scenario("clock-skew");
        // A topic whose record timestamps are the ingestion tier's (CreateTime), so the test sets them exactly.
        bed.stack.kafka.setTopicConfig(s.inputTopic, "message.timestamp.type", "CreateTime");
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        ContractParams p = ContractParams.DEFAULTS;
        List<String> users = concat(usersOf(0, 2), usersOf(1, 2));
        List<Feed.Item> first = beats(users, T0, T0 + 300_000);
        long at = T0 + 300_000;
        first.add(item(Heartbeat.content(users.get(0), "v-skew", Instant.parse("2099-06-01T00:00:00Z").toEpochMilli(), 0, EventType.PLAY, "d"), at));
        first.add(item(Heartbeat.content(users.get(2), "v-skew", at + p.maxClockSkewMs + 1, 0, EventType.PLAY, "d"), at));
        first.add(item(Heartbeat.content(users.get(3), "v-edge", at + p.maxClockSkewMs, 0, EventType.PLAY, "d"), at));
        List<Feed.Item> second = beats(users, T0 + 300_000, T0 + 900_000);

        JobSet jobs = JobSet.start(s, "--parallelism", "1");
        try {
            jobs.awaitRunning(rest, 60_000);
            send(s, first);
            Thread.sleep(2_000);
            Map<String, String> stopped = jobs.stopWithSavepoint(savepoints);
            jobs.close();
            jobs = jobs.restore(stopped);
            jobs.awaitRunning(rest, 60_000);
            send(s, second);

            Expect e = Expect.of(concat(first, second), licensors(), p, 5_000);
            assertThat(e.invalid).as("the 2099 clock and the one F + 1 ms ahead").hasSize(2);
            assertThat(e.tooLate).as("no on-time heartbeat is too late").isEmpty();
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            for (String job : JobSet.NAMES) {
                assertThat(o.dlq.get(job).byPosition.values()).as(job + " dead letters").allSatisfy(records ->
                        assertThat(Verify.header(records.get(0), DeadLetterSerializer.REASON)).startsWith("clock skew: event_time "));
            }
        } finally {
            jobs.close();
        }
    }

    /** {@code n} user ids whose records the default partitioner puts in {@code partition} of the test topics. */
    static List<String> usersOf(int partition, int n) {
        List<String> out = new ArrayList<>();
        for (int i = 0; out.size() < n; i++) {
            String u = "p" + partition + "-u" + i;
            if (Utils.toPositive(Utils.murmur2(u.getBytes(StandardCharsets.UTF_8))) % TestBed.PARTITIONS == partition) out.add(u);
        }
        return out;
    }

    /** Each user watches one video from {@code from} to {@code to}: a play heartbeat every 5 s, an ad view at the start. */
    static List<Feed.Item> beats(List<String> users, long from, long to) {
        List<Feed.Item> out = new ArrayList<>();
        for (long t = from; t < to; t += 5_000) {
            for (String u : users) {
                out.add(item(Heartbeat.content(u, "v-" + u, t, t - T0, EventType.PLAY, "d-" + u), null));
                if (t - from < 20_000) out.add(item(Heartbeat.ad(u, "v-" + u, t + 1, t - T0, "ad-1", (t - from) + 2_000, 15_000), null));
            }
        }
        return out;
    }

    static Feed.Item item(Heartbeat h, Long timestamp) {
        return new Feed.Item(h.userId.getBytes(StandardCharsets.UTF_8), HeartbeatJson.toBytes(h), h, "heartbeat", timestamp);
    }

    private static void send(Scenario s, List<Feed.Item> items) throws Exception {
        Feed feed = new Feed(items).start(s, Duration.ofSeconds(1));
        feed.awaitDone(Duration.ofSeconds(60));
    }

    @SafeVarargs
    static <T> List<T> concat(List<T>... lists) {
        List<T> out = new ArrayList<>();
        for (List<T> l : lists) out.addAll(l);
        return out;
    }
}
