package dev.heartbeats.segments;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.TableAssert;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link SegmentsFunction} in Flink's keyed operator test harness: rows, side outputs, timers, state and restore. */
class SegmentsFunctionTest {
    static final ContractParams P = ContractParams.DEFAULTS;
    static final long G = P.sessionGapMs;
    static final long L = P.allowedLatenessMs;
    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;
    static final long S = 1_000;

    private final List<KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>>> harnesses = new ArrayList<>();

    @AfterEach
    void closeHarnesses() throws Exception {
        for (var h : harnesses) h.close();
    }

    /** The plain function: its state in Flink's keyed state, every row change emitted at once. */
    KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> harness() throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new SegmentsFunction(P)), new PairKey(), Types.STRING);
        harnesses.add(h);
        return h;
    }

    KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> opened() throws Exception {
        var h = harness();
        h.open();
        return h;
    }

    /** As the job runs it: the state cache, resume points coalesced to {@code progressMinIntervalMs}, segments at once. */
    KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> cached(long progressMinIntervalMs) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new SegmentsOperator(new SegmentsFunction(P, progressMinIntervalMs, 0), 1_000, 0),
                new PairKey(), Types.STRING);
        harnesses.add(h);
        h.open();
        return h;
    }

    static Heartbeat hb(String user, String video, long t, long pos, EventType e) {
        return Heartbeat.content(user, video, t, pos, e, "d1");
    }

    static Heartbeat hb(long t, long pos) {
        return hb("u1", "v1", t, pos, PLAY);
    }

    static void send(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h, Heartbeat hb) throws Exception {
        h.processElement(hb, hb.eventTime);
    }

    static WatchSegment seg(String u, String v, long start, long session, long end, long startPos, long endPos, long n) {
        WatchSegment w = WatchSegment.key(u, v, start);
        w.sessionStart = session;
        w.segmentEnd = end;
        w.startPosMs = startPos;
        w.endPosMs = endPos;
        w.heartbeats = n;
        return w;
    }

    static WatchSegment seg(long start, long session, long end, long startPos, long endPos, long n) {
        return seg("u1", "v1", start, session, end, startPos, endPos, n);
    }

    static List<String> changes(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h) {
        List<String> out = new ArrayList<>();
        for (Change<WatchSegment> c : h.extractOutputValues()) out.add(c.toString());
        return out;
    }

    static List<VideoProgress> progress(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h) {
        List<VideoProgress> out = new ArrayList<>();
        for (StreamRecord<Change<VideoProgress>> r : h.getSideOutput(SegmentsFunction.PROGRESS)) {
            assertThat(r.getValue().delete).isFalse();
            out.add(r.getValue().row);
        }
        return out;
    }

    static String upsert(WatchSegment w) {
        return Change.upsert(w).toString();
    }

    static String delete(String u, String v, long start) {
        return "DELETE " + WatchSegment.key(u, v, start);
    }

    @Test
    void inOrderHeartbeatsUpsertTheGrowingSegmentAndTheResumePoint() throws Exception {
        var h = opened();
        send(h, hb(T0, 0));
        send(h, hb(T0 + 5 * S, 5_000));
        // One maintenance timer per pair (at the earliest due time), not one per heartbeat.
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        send(h, hb("u1", "v1", T0 + 10 * S, 10_000, STOP));
        assertThat(changes(h)).containsExactly(upsert(seg(T0, T0, T0, 0, 0, 1)), upsert(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2)),
                upsert(seg(T0, T0, T0 + 10 * S, 0, 10_000, 3)));
        assertThat(progress(h)).containsExactly(VideoProgress.of("u1", "v1", 0, T0, "d1"), VideoProgress.of("u1", "v1", 5_000, T0 + 5 * S, "d1"),
                VideoProgress.of("u1", "v1", 10_000, T0 + 10 * S, "d1"));
        // A stop is final after L (not G + L): an earlier timer replaces the pair's one.
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        assertThat(h.numProcessingTimeTimers()).isZero();
        assertThat(h.numKeyedStateEntries()).isEqualTo(2); // the pair's state and its buffer
        h.processWatermark(T0 + 10 * S + L + 1);
        assertThat(h.numKeyedStateEntries()).isZero();
        h.processWatermark(T0 + G + L + 1);
        assertThat(h.numEventTimeTimers()).isZero();
        assertThat(changes(h)).hasSize(3);
    }

    @Test
    void stateIsClearedOnceTheWatermarkPassesLastPlusGPlusL() throws Exception {
        var h = opened();
        send(h, hb(T0, 0));
        send(h, hb(T0 + 5 * S, 5_000));
        long last = T0 + 5 * S;
        h.processWatermark(last + G + L);
        assertThat(h.numKeyedStateEntries()).isPositive();
        assertThat(h.numEventTimeTimers()).isEqualTo(1);
        h.processWatermark(last + G + L + 1);
        assertThat(h.numKeyedStateEntries()).isZero();
        assertThat(h.numEventTimeTimers()).isZero();
        // Maintenance and clearing change no rows.
        assertThat(changes(h)).hasSize(2);
        // A later heartbeat starts afresh: a new session.
        send(h, hb(last + G + L + 10 * S, 9_000));
        assertThat(changes(h)).last().isEqualTo(upsert(seg(last + G + L + 10 * S, last + G + L + 10 * S, last + G + L + 10 * S, 9_000, 9_000, 1)));
    }

    @Test
    void aStoppedSessionIsClearedAfterLNotAfterG() throws Exception {
        var h = opened();
        send(h, hb("u1", "v1", T0, 0, STOP));
        h.processWatermark(T0 + L);
        assertThat(h.numKeyedStateEntries()).isPositive();
        h.processWatermark(T0 + L + 1);
        assertThat(h.numKeyedStateEntries()).isZero();
    }

    @Test
    void oldBeatsAreCompactedWhileTheSessionGoesOn() throws Exception {
        var h = opened();
        // 20 minutes of play, watermark 5 s behind: the buffer must not keep growing.
        long t = T0;
        for (int i = 0; i < 240; i++, t += 5 * S) {
            send(h, hb(t, (t - T0)));
            h.processWatermark(t - 5 * S);
        }
        assertThat(h.numKeyedStateEntries()).isEqualTo(2);
        assertThat(changes(h)).last().isEqualTo(upsert(seg(T0, T0, t - 5 * S, 0, t - 5 * S - T0, 240)));
        // A heartbeat exactly L behind the watermark is still accepted and corrects the rows: it wins the tie at
        // T0 + 590 s with a far larger position and so splits the segment in three.
        long wm = t - 5 * S - 5 * S;
        long lateT = wm - L;
        assertThat(lateT).isEqualTo(T0 + 590 * S);
        int before = changes(h).size();
        send(h, hb(lateT, 1_000_000_000L));
        assertThat(h.getSideOutput(SegmentsFunction.BEHIND_FRONTIER)).isNullOrEmpty();
        assertThat(changes(h).subList(before, changes(h).size())).containsExactlyInAnyOrder(
                upsert(seg(T0, T0, T0 + 585 * S, 0, 585_000, 118)),
                upsert(seg(T0 + 590 * S, T0, T0 + 590 * S, 1_000_000_000L, 1_000_000_000L, 1)),
                upsert(seg(T0 + 595 * S, T0, T0 + 1195 * S, 595_000, 1_195_000, 121)));
    }

    @Test
    void aLateHeartbeatBridgingTwoSessionsDeletesTheLaterSegment() throws Exception {
        var h = opened();
        send(h, hb(T0, 0));
        send(h, hb(T0 + 10 * S, 10_000));
        send(h, hb(T0 + 50 * S, 50_000)); // 40 s later: a new session
        send(h, hb(T0 + 60 * S, 60_000));
        int before = changes(h).size();
        send(h, hb(T0 + 30 * S, 30_000));
        List<String> after = changes(h).subList(before, changes(h).size());
        assertThat(after).containsExactlyInAnyOrder(delete("u1", "v1", T0 + 50 * S), upsert(seg(T0, T0, T0 + 60 * S, 0, 60_000, 5)));
        // The resume point (the heartbeat at 60 s) did not change, so no progress row.
        assertThat(progress(h)).hasSize(4);
    }

    @Test
    void duplicatesEmitNothing() throws Exception {
        var h = opened();
        send(h, hb(T0, 0));
        send(h, hb(T0 + 5 * S, 5_000));
        int rows = changes(h).size(), prog = progress(h).size();
        send(h, hb(T0 + 5 * S, 5_000));
        send(h, hb(T0, 0));
        assertThat(changes(h)).hasSize(rows);
        assertThat(progress(h)).hasSize(prog);
    }

    @Test
    void aHeartbeatBehindWhatThePairFinalisedGoesToTheSideOutput() throws Exception {
        var h = opened();
        send(h, hb(T0, 0));
        for (long t = T0 + 5 * S; t <= T0 + 15 * 60 * S; t += 5 * S) send(h, hb(t, t - T0));
        h.processWatermark(T0 + 15 * 60 * S); // freezes what is before T0 + 5 min (once compaction runs)
        h.processWatermark(T0 + 15 * 60 * S + 1);
        Heartbeat tooLate = hb(T0 + 1 * S, 1_000);
        send(h, tooLate);
        var dead = new ArrayList<>(h.getSideOutput(SegmentsFunction.BEHIND_FRONTIER));
        assertThat(dead).hasSize(1);
        DeadLetter d = dead.get(0).getValue();
        assertThat(d.reason).contains("too late");
        assertThat(new String(d.value, StandardCharsets.UTF_8)).contains("\"event_time\":" + tooLate.eventTime);
    }

    @Test
    void theJobCoalescesResumePointsToTheMinimumInterval() throws Exception {
        var h = cached(1_000);
        h.setProcessingTime(10_000);
        send(h, hb(T0, 0)); // first: emitted at once
        send(h, hb(T0 + 5 * S, 5_000)); // within the interval: waits until 11_000
        h.setProcessingTime(10_500);
        send(h, hb(T0 + 10 * S, 10_000)); // still waiting; only the latest is kept
        assertThat(progress(h)).containsExactly(VideoProgress.of("u1", "v1", 0, T0, "d1"));
        h.setProcessingTime(11_000);
        assertThat(progress(h)).containsExactly(VideoProgress.of("u1", "v1", 0, T0, "d1"), VideoProgress.of("u1", "v1", 10_000, T0 + 10 * S, "d1"));
        h.setProcessingTime(12_500);
        send(h, hb(T0 + 15 * S, 15_000)); // the interval has passed: at once
        assertThat(progress(h)).hasSize(3).last().isEqualTo(VideoProgress.of("u1", "v1", 15_000, T0 + 15 * S, "d1"));
        // Segment rows of an interval of 0 are not coalesced.
        assertThat(changes(h)).hasSize(4);
    }

    @Test
    void aWaitingResumePointGoesOutWhenThePairIsCleared() throws Exception {
        var h = cached(60_000);
        h.setProcessingTime(1_000);
        send(h, hb(T0, 0));
        send(h, hb(T0 + 5 * S, 5_000));
        assertThat(progress(h)).hasSize(1);
        h.processWatermark(T0 + 5 * S + G + L + 1);
        assertThat(progress(h)).hasSize(2).last().isEqualTo(VideoProgress.of("u1", "v1", 5_000, T0 + 5 * S, "d1"));
        h.setProcessingTime(100_000); // its due time passes: nothing more goes out
        assertThat(progress(h)).hasSize(2);
    }

    @Test
    void coalescedResumePointsCarryTheRightIdsForEveryKey() throws Exception {
        var h = cached(1_000);
        h.setProcessingTime(0);
        String[][] pairs = {{"u:1", "v\u00e9"}, {"\uD83D\uDE00", "v 2"}, {"u1", "v1"}};
        for (String[] p : pairs) {
            send(h, hb(p[0], p[1], T0, 0, PLAY));
            send(h, hb(p[0], p[1], T0 + 5 * S, 5_000, PLAY));
        }
        h.setProcessingTime(1_000);
        List<VideoProgress> prog = progress(h);
        assertThat(prog).hasSize(6);
        for (String[] p : pairs) assertThat(prog).contains(VideoProgress.of(p[0], p[1], 5_000, T0 + 5 * S, "d1"));
    }

    @Test
    void thePlainFunctionWritesEveryResumePointAtOnce() throws Exception {
        var h = opened();
        for (int i = 0; i < 4; i++) send(h, hb(T0 + i * 5 * S, i * 5_000L));
        assertThat(progress(h)).hasSize(4);
        assertThat(h.numProcessingTimeTimers()).isZero();
    }

    @Test
    void snapshotAndRestoreContinueWhereTheyLeftOff() throws Exception {
        var first = opened();
        send(first, hb(T0, 0));
        send(first, hb(T0 + 10 * S, 10_000));
        send(first, hb(T0 + 50 * S, 50_000));
        send(first, hb(T0 + 60 * S, 60_000));
        first.processWatermark(T0 + 55 * S);
        OperatorSubtaskState snapshot = first.snapshot(1L, 1L);

        var second = harness();
        second.initializeState(snapshot);
        second.open();
        assertThat(second.numKeyedStateEntries()).isEqualTo(2);
        assertThat(second.numEventTimeTimers()).isEqualTo(1);
        // The restored buffer still lets a late heartbeat merge the two sessions.
        send(second, hb(T0 + 30 * S, 30_000));
        assertThat(changes(second)).containsExactlyInAnyOrder(delete("u1", "v1", T0 + 50 * S), upsert(seg(T0, T0, T0 + 60 * S, 0, 60_000, 5)));
        // And the restored timer clears the pair in time.
        second.processWatermark(T0 + 60 * S + G + L + 1);
        assertThat(second.numKeyedStateEntries()).isZero();
    }

    /**
     * Many pairs, random delivery within the allowed lateness, periodic watermarks and two snapshot/restores: the
     * rows the function emitted, applied to a table (progress with the sink's guard), equal the contract's.
     */
    @Test
    void randomTrafficMatchesTheContractAcrossRestores() throws Exception {
        Random r = new Random(42);
        List<Heartbeat> all = new ArrayList<>();
        for (int u = 0; u < 6; u++) {
            for (int v = 0; v < 2; v++) {
                long t = T0 + r.nextInt(600_000);
                long pos = 0;
                for (int i = 0; i < 60; i++) {
                    int k = r.nextInt(100);
                    t += k < 5 ? G + 1 + r.nextInt(60_000) : k < 10 ? 0 : 1 + r.nextInt(10_000);
                    EventType e = k < 80 ? PLAY : k < 88 ? EventType.PAUSE : k < 95 ? SEEK : STOP;
                    pos = Math.max(0, pos + (e == SEEK ? r.nextInt(200_000) - 100_000 : r.nextInt(25_000) - 1_000));
                    Heartbeat hb = r.nextInt(8) == 0 ? Heartbeat.ad("u" + u, "v" + v, t, pos, "ad" + r.nextInt(2), r.nextInt(30_000), 30_000)
                            : Heartbeat.content("u" + u, "v" + v, t, pos, e, r.nextInt(5) == 0 ? null : "d" + r.nextInt(3));
                    all.add(hb);
                    if (r.nextInt(15) == 0) all.add(hb.copy());
                }
            }
        }
        // Deliver sorted with a random jitter of up to 2 min; watermark = max seen - 3 min: never more than L behind.
        List<Heartbeat> order = new ArrayList<>(all);
        Map<Heartbeat, Long> jitter = new HashMap<>();
        for (Heartbeat hb : order) jitter.put(hb, hb.eventTime + r.nextInt(120_000));
        order.sort(Comparator.comparingLong(jitter::get));

        Map<List<Object>, WatchSegment> segments = new HashMap<>();
        Map<List<Object>, VideoProgress> progress = new HashMap<>();
        var h = opened();
        long maxSeen = Long.MIN_VALUE;
        int restores = 0;
        for (int i = 0; i < order.size(); i++) {
            Heartbeat hb = order.get(i);
            send(h, hb);
            maxSeen = Math.max(maxSeen, hb.eventTime);
            if (i % 7 == 0) h.processWatermark(maxSeen - 180_000);
            if (i == order.size() / 3 || i == 2 * order.size() / 3) {
                drain(h, segments, progress);
                OperatorSubtaskState snap = h.snapshot(i, i);
                h = harness();
                h.initializeState(snap);
                h.open();
                restores++;
            }
        }
        h.processWatermark(Long.MAX_VALUE);
        drain(h, segments, progress);
        assertThat(restores).isEqualTo(2);
        assertThat(h.numKeyedStateEntries()).isZero();
        assertThat(h.getSideOutput(SegmentsFunction.BEHIND_FRONTIER)).isNullOrEmpty();

        ContractReference.Expected expected = ContractReference.compute(all, P, Map.of());
        TableAssert.assertWatchSegments(segments.values(), expected.watchSegments);
        TableAssert.assertVideoProgress(progress.values(), expected.videoProgress);
    }

    /** Applies the emitted rows as the sinks would (video_progress only moves forward) and forgets them. */
    private static void drain(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h,
                              Map<List<Object>, WatchSegment> segments, Map<List<Object>, VideoProgress> progress) {
        for (Change<WatchSegment> c : h.extractOutputValues()) {
            List<Object> key = List.of(c.row.userId, c.row.videoId, c.row.segmentStart);
            if (c.delete) segments.remove(key);
            else segments.put(key, c.row);
        }
        for (StreamRecord<Change<VideoProgress>> rec : h.getSideOutput(SegmentsFunction.PROGRESS)) {
            VideoProgress p = rec.getValue().row;
            progress.merge(List.of(p.userId, p.videoId), p, (old, neu) ->
                    old.eventTime < neu.eventTime || (old.eventTime == neu.eventTime && old.positionMs <= neu.positionMs) ? neu : old);
        }
        h.getOutput().clear();
        h.getSideOutput(SegmentsFunction.PROGRESS).clear();
    }
}
