package dev.heartbeats.segments;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.heartbeats.segments.SegmentsFunctionTest.P;
import static dev.heartbeats.segments.SegmentsFunctionTest.S;
import static dev.heartbeats.segments.SegmentsFunctionTest.T0;
import static dev.heartbeats.segments.SegmentsFunctionTest.changes;
import static dev.heartbeats.segments.SegmentsFunctionTest.hb;
import static dev.heartbeats.segments.SegmentsFunctionTest.progress;
import static dev.heartbeats.segments.SegmentsFunctionTest.seg;
import static dev.heartbeats.segments.SegmentsFunctionTest.send;
import static dev.heartbeats.segments.SegmentsFunctionTest.upsert;
import static dev.heartbeats.common.contract.EventType.PLAY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link SegmentsOperator} (the job's operator: {@link SegmentsFunction} with its {@link StateCache} and {@link RowCoalescer}) in the keyed
 * operator test harness: rows held back by the coalescing across checkpoints, the intervals in live traffic, and
 * the write-back ahead of the barrier.
 */
class SegmentsOperatorTest {
    static final long PROGRESS_INTERVAL = 4_000;
    static final long SEGMENT_INTERVAL = 10_000;
    static final long CHECKPOINT_INTERVAL = 10_000;

    private final List<KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (var h : harnesses) h.close();
    }

    private KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> harness(long cachePairs, boolean rocksDb) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new SegmentsOperator(new SegmentsFunction(P, PROGRESS_INTERVAL, SEGMENT_INTERVAL), cachePairs, CHECKPOINT_INTERVAL),
                new PairKey(), Types.STRING);
        if (rocksDb) h.setStateBackend(new EmbeddedRocksDBStateBackend());
        harnesses.add(h);
        return h;
    }

    private static VideoProgress prog(long pos, long t) {
        return VideoProgress.of("u1", "v1", pos, t, "d1");
    }

    @Test
    void rowsHeldBackAtACheckpointAreInItAndWrittenFirstOnRestore() throws Exception {
        var first = harness(1_000, true);
        first.setProcessingTime(0);
        first.open();
        send(first, hb(T0, 0)); // the pair's first rows: written at once
        first.setProcessingTime(1_000);
        send(first, hb(T0 + 5 * S, 5_000)); // within both intervals: held back
        assertThat(changes(first)).containsExactly(upsert(seg(T0, T0, T0, 0, 0, 1)));
        assertThat(progress(first)).containsExactly(prog(0, T0));

        // The barrier writes the pair back but does not write the held-back rows to the database.
        first.prepareSnapshotPreBarrier(1);
        OperatorSubtaskState snapshot = first.snapshot(1, 1);
        assertThat(changes(first)).hasSize(1);
        assertThat(progress(first)).hasSize(1);

        for (long cachePairs : new long[] {1_000, 0}) { // restored with the cache, and with the cache switched off
            var restored = harness(cachePairs, true);
            restored.setProcessingTime(2_000);
            restored.initializeState(snapshot);
            restored.open();
            // Before any heartbeat: exactly the rows the first operator held back.
            assertThat(changes(restored)).containsExactly(upsert(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2)));
            assertThat(progress(restored)).containsExactly(prog(5_000, T0 + 5 * S));

            // They were removed from the state as they went out: a later checkpoint does not hold them again.
            restored.prepareSnapshotPreBarrier(2);
            var again = harness(cachePairs, true);
            again.initializeState(restored.snapshot(2, 2));
            again.open();
            assertThat(changes(again)).isEmpty();
            assertThat(again.getSideOutput(SegmentsFunction.PROGRESS)).isNullOrEmpty();
            // And the pair goes on from the restored state.
            again.setProcessingTime(20_000);
            send(again, hb(T0 + 10 * S, 10_000));
            assertThat(changes(again)).containsExactly(upsert(seg(T0, T0, T0 + 10 * S, 0, 10_000, 3)));
        }
    }

    @Test
    void heldBackRowsGoOutAtTheirDueTimeAfterABarrierAndLeaveTheCheckpointState() throws Exception {
        var h = harness(1_000, false);
        h.setProcessingTime(0);
        h.open();
        send(h, hb(T0, 0));
        h.setProcessingTime(1_000);
        send(h, hb(T0 + 5 * S, 5_000));
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.numKeyedStateEntries()).isEqualTo(3); // pair, beats, and the held-back rows
        assertThat(progress(h)).hasSize(1);

        h.setProcessingTime(PROGRESS_INTERVAL);
        assertThat(progress(h)).containsExactly(prog(0, T0), prog(5_000, T0 + 5 * S));
        h.setProcessingTime(SEGMENT_INTERVAL);
        assertThat(changes(h)).hasSize(2).last().isEqualTo(upsert(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2)));

        h.prepareSnapshotPreBarrier(2);
        assertThat(h.numKeyedStateEntries()).isEqualTo(2); // nothing held back any more
    }

    /**
     * Live traffic (event time advancing with the wall clock): the pair's heartbeat at +5 s is delivered 3 s late
     * and written at once; the next one, on time at +10 s, is only 2 s later by the wall clock but 5 s later on
     * the players' schedule, so it is written at once too instead of waiting for the interval.
     */
    @Test
    void inLiveTrafficADelayedHeartbeatDoesNotHoldBackThePairsNextOne() throws Exception {
        var h = harness(1_000, false);
        long offset = 100_000 - T0; // processing time = event time + offset
        h.setProcessingTime(T0 + offset);
        h.open();
        for (long s = 0; s <= 10; s++) {
            long t = T0 + s * S;
            h.setProcessingTime(t + offset); // fires the operator's pace measurement every second
            send(h, hb("filler", "v9", t, s * 1_000, PLAY));
            if (s == 0) send(h, hb(t, 0));
            if (s == 8) send(h, hb(T0 + 5 * S, 5_000)); // delivered 3 s late, still before the next one
            if (s == 10) send(h, hb(t, 10_000));
        }
        assertThat(progress(h).stream().filter(p -> p.userId.equals("u1")))
                .containsExactly(prog(0, T0), prog(5_000, T0 + 5 * S), prog(10_000, T0 + 10 * S));
    }

    /**
     * However far behind the rest of the stream a pair's heartbeats are (here 10 min: a lagging partition), a row
     * waits at most one interval. Regression: the wait was once computed from the lag and held rows for minutes.
     */
    @Test
    void aHeldBackRowNeverWaitsLongerThanTheInterval() throws Exception {
        var h = harness(1_000, false);
        long base = 100_000;
        h.setProcessingTime(base);
        h.open();
        for (long s = 0; s <= 3; s++) { // live pace
            h.setProcessingTime(base + s * 1_000);
            send(h, hb("filler", "v9", T0 + s * S, s * 1_000, PLAY));
        }
        send(h, hb(T0 + 3 * S, 0)); // u1's first row: written at once
        send(h, hb("filler", "v9", T0 + 600 * S, 0, PLAY)); // the stream's newest event time jumps 10 min ahead
        h.setProcessingTime(base + 4_000);
        h.setProcessingTime(base + 5_000); // no new event time in the last second: live pace again
        send(h, hb(T0 + 4 * S, 1_000)); // 1 s after u1's last heartbeat, ~10 min behind the stream: held back
        assertThat(progress(h).stream().filter(p -> p.userId.equals("u1"))).containsExactly(prog(0, T0 + 3 * S));
        h.setProcessingTime(base + 5_000 + PROGRESS_INTERVAL);
        assertThat(progress(h).stream().filter(p -> p.userId.equals("u1"))).containsExactly(prog(0, T0 + 3 * S), prog(1_000, T0 + 4 * S));
    }

    /** A backlog being caught up (event time far faster than the wall clock): plain processing-time intervals. */
    @Test
    void whileCatchingUpTheIntervalsAreProcessingTime() throws Exception {
        var h = harness(1_000, false);
        h.setProcessingTime(0);
        h.open();
        for (long s = 0; s <= 30; s++) {
            h.setProcessingTime(s * 100); // 10 s of event time per second
            send(h, hb("filler", "v9", T0 + s * S, s * 1_000, PLAY));
        }
        send(h, hb(T0, 0));
        send(h, hb(T0 + 5 * S, 5_000));
        send(h, hb(T0 + 10 * S, 10_000));
        assertThat(progress(h).stream().filter(p -> p.userId.equals("u1"))).containsExactly(prog(0, T0));
        h.setProcessingTime(3_000 + PROGRESS_INTERVAL);
        assertThat(progress(h).stream().filter(p -> p.userId.equals("u1"))).containsExactly(prog(0, T0), prog(10_000, T0 + 10 * S));
    }

    /**
     * In the last half of the checkpoint interval, a pair processed after a pause of its own (live pace) is written
     * back at once, so that the barrier has little left to write; before that window pairs stay in the cache only.
     */
    @Test
    void pairsAreWrittenBackAheadOfTheExpectedBarrier() throws Exception {
        var h = harness(1_000, false);
        h.setProcessingTime(0);
        h.open();
        h.setProcessingTime(1_000);
        send(h, hb("u1", "v1", T0, 0, PLAY));
        assertThat(h.numKeyedStateEntries()).isZero(); // cached, not written back yet
        h.setProcessingTime(CHECKPOINT_INTERVAL / 2 + 1_000);
        send(h, hb("u2", "v1", T0, 0, PLAY));
        assertThat(h.numKeyedStateEntries()).isEqualTo(2); // u2 written ahead: its state and its beats
        send(h, hb("u1", "v1", T0 + 5 * S, 5_000, PLAY)); // 4.5 s after its last
        assertThat(h.numKeyedStateEntries()).isEqualTo(4);
        h.prepareSnapshotPreBarrier(1);
        assertThat(h.numKeyedStateEntries()).isEqualTo(5); // plus u1's held-back segment row (5 s < its interval)
    }
    /**
     * Five pairs through a cache of two and one that holds them all, against no cache: pairs are evicted and loaded again on
     * nearly every heartbeat, with beats a few seconds out of order (inserted among the recent ones while cached, with
     * the whole buffer after a reload), duplicates and a beat minutes late. The tables must come out the same.
     */
    @Test
    void aCacheSmallerThanTheActivePairsEvictsThemAndGivesTheSameTables() throws Exception {
        List<Heartbeat> input = new ArrayList<>();
        for (int round = 0; round < 60; round++) {
            for (int u = 1; u <= 5; u++) input.add(hb("u" + u, "v1", T0 + round * 5 * S + u, round * 5_000L, PLAY));
        }
        java.util.Random random = new java.util.Random(7);
        for (int i = 10; i < input.size() - 10; i += 3) {
            int j = i + 5 * (1 + random.nextInt(2)); // the same pair's beat 5 or 10 s later arrives first
            Heartbeat early = input.get(j);
            input.set(j, input.get(i));
            input.set(i, early);
        }
        input.add(150, input.get(140)); // a duplicate
        input.add(270, input.get(20)); // minutes late

        var all = harness(1_000, true);
        var two = harness(2, true);
        var none = harness(0, true); // the plain function on RocksDB, the reference
        for (var h : List.of(all, two, none)) {
            h.setProcessingTime(0);
            h.open();
            for (Heartbeat hb : input) send(h, hb);
            h.processWatermark(Long.MAX_VALUE);
        }
        StateCache small = ((SegmentsOperator) two.getOperator()).cache();
        assertThat(small.evictions()).isGreaterThan(100);
        assertThat(tables(all)).isEqualTo(tables(none)).isNotEmpty();
        assertThat(tables(two)).isEqualTo(tables(none));
    }

    /**
     * Whole buffers a pair holds until its write-back (after a heartbeat far out of order, or maintenance) are bounded
     * across the cache: beyond the bound the pairs holding one are written back at once. Same tables either way.
     */
    @Test
    void wholeBuffersHeldOnTheHeapAreBoundedAndChangeNoRow() throws Exception {
        List<Heartbeat> input = new ArrayList<>();
        for (int round = 0; round < 40; round++) {
            for (int u = 1; u <= 4; u++) input.add(hb("u" + u, "v1", T0 + round * 5 * S + u, round * 5_000L, PLAY));
        }
        // Each pair's beat of round 5 arrives after round 30: minutes out of order, beyond its recent beats, so the
        // pair re-folds its whole buffer and holds it.
        List<Heartbeat> late = new ArrayList<>(input.subList(20, 24));
        input.removeAll(late);
        input.addAll(120, late);

        var unbounded = new KeyedOneInputStreamOperatorTestHarness<>(
                new SegmentsOperator(new SegmentsFunction(P, PROGRESS_INTERVAL, SEGMENT_INTERVAL), 1_000, CHECKPOINT_INTERVAL, Long.MAX_VALUE),
                new PairKey(), Types.STRING);
        var bounded = new KeyedOneInputStreamOperatorTestHarness<>(
                new SegmentsOperator(new SegmentsFunction(P, PROGRESS_INTERVAL, SEGMENT_INTERVAL), 1_000, CHECKPOINT_INTERVAL, 40),
                new PairKey(), Types.STRING);
        var none = harness(0, true);
        harnesses.addAll(List.of(unbounded, bounded));
        long heldUnbounded = 0;
        long heldBounded = 0;
        for (var h : List.of(unbounded, bounded, none)) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
            h.setProcessingTime(0);
            h.open();
            StateCache cache = h == none ? null : ((SegmentsOperator) h.getOperator()).cache();
            for (Heartbeat hb : input) {
                send(h, hb);
                if (h == unbounded) heldUnbounded = Math.max(heldUnbounded, cache.heldBeats());
                if (h == bounded) heldBounded = Math.max(heldBounded, cache.heldBeats());
            }
            h.processWatermark(Long.MAX_VALUE);
        }
        assertThat(heldUnbounded).as("whole buffers held without a bound").isGreaterThan(100);
        assertThat(heldBounded).as("with a bound of 40 beats").isLessThanOrEqualTo(40);
        assertThat(tables(unbounded)).isEqualTo(tables(none)).isNotEmpty();
        assertThat(tables(bounded)).isEqualTo(tables(none));
    }

    @Test
    void evictionGivesAPairUsedSinceASecondChance() throws Exception {
        var h = harness(2, false);
        h.setProcessingTime(0);
        h.open();
        send(h, hb("a", "v1", T0, 0, PLAY));
        send(h, hb("b", "v1", T0, 0, PLAY));
        send(h, hb("a", "v1", T0 + 5 * S, 5_000, PLAY));
        send(h, hb("c", "v1", T0, 0, PLAY)); // evicts b: a had a heartbeat since it was cached
        StateCache cache = ((SegmentsOperator) h.getOperator()).cache();
        assertThat(cache.misses()).isEqualTo(3);
        send(h, hb("a", "v1", T0 + 10 * S, 10_000, PLAY));
        assertThat(cache.misses()).as("a is still cached").isEqualTo(3);
        send(h, hb("b", "v1", T0 + 5 * S, 5_000, PLAY));
        assertThat(cache.misses()).as("b was evicted").isEqualTo(4);
        assertThat(cache.evictions()).isEqualTo(2);
    }

    /** The rows as the tables hold them after the sinks applied every change (resume points guarded, as in the sink). */
    private static java.util.Map<String, String> tables(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h) {
        java.util.Map<String, String> rows = new java.util.TreeMap<>();
        for (Change<WatchSegment> c : h.extractOutputValues()) {
            String key = "watch_segments " + c.row.userId + "/" + c.row.videoId + "/" + c.row.segmentStart;
            if (c.delete) rows.remove(key);
            else rows.put(key, c.row.toString());
        }
        java.util.Map<String, VideoProgress> latest = new java.util.HashMap<>();
        for (VideoProgress p : progress(h)) {
            latest.merge(p.userId + "/" + p.videoId, p, (a, b) ->
                    b.eventTime > a.eventTime || (b.eventTime == a.eventTime && b.positionMs > a.positionMs) ? b : a);
        }
        latest.forEach((k, p) -> rows.put("video_progress " + k, p.positionMs + " at " + p.eventTime + " on " + p.deviceId));
        return rows;
    }
}
