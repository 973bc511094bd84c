package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

import static dev.heartbeats.common.contract.EventType.AD;
import static dev.heartbeats.common.contract.EventType.PAUSE;
import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;

/** Targeted scenarios of {@link PairTimeline}, driven the way SegmentsFunction drives it. */
class PairTimelineTest {
    static final long H = 3_600_000L;
    /** The start of an hour. */
    static final long T0 = 1_700_000_000_000L / H * H;
    static final long S = 1_000;
    /** G = 30 s, R = 2, T = 2 s, L = 10 min, M = 12 h. */
    static final ContractParams P = ContractParams.DEFAULTS;

    /** SegmentsFunction's use of the timeline, and the rows it emitted applied to a table. */
    static final class Driver implements PairTimeline.Listener {
        final PairTimeline timeline;
        PairState st = new PairState();
        List<Beat> buffer = new ArrayList<>();
        final TreeMap<Long, Segment> table = new TreeMap<>();
        final TreeMap<Long, Long> hours = new TreeMap<>();
        final List<String> events = new ArrayList<>();
        PairFold progress;

        Driver(ContractParams p, boolean trackHours) {
            timeline = new PairTimeline(p, trackHours);
        }

        /** @return whether the beat changed anything */
        boolean deliver(long t, long pos, EventType e) {
            return deliver(new Beat(t, pos, e, null));
        }

        boolean deliver(Beat b) {
            assertThat(PairTimeline.isBehindFrontier(st, b)).as("behind frontier: " + b).isFalse();
            if (PairTimeline.isInOrder(st, b)) {
                timeline.appendInOrder(st, b, this);
                buffer.add(b);
                return true;
            }
            List<Beat> updated = timeline.insert(st, Beat.sortedDistinct(buffer), b, this);
            if (updated == null) return false;
            buffer = updated;
            return true;
        }

        void maintain(long watermark) {
            buffer = timeline.maintain(st, Beat.sortedDistinct(buffer), watermark);
        }

        @Override
        public void segmentUpserted(Segment s) {
            events.add("upsert " + s);
            table.put(s.segmentStart, s);
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            events.add("delete " + segmentStart);
            table.remove(segmentStart);
        }

        @Override
        public void progressChanged(PairFold tail) {
            events.add("progress " + tail.progTime + ":" + tail.progPos);
            progress = tail.copy();
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {
            events.add("hour " + hour + " " + previousWatched + "->" + watched);
            hours.put(hour, watched);
        }
    }

    static Segment seg(long start, long session, long end, long startPos, long endPos, int n) {
        return new Segment(start, session, end, startPos, endPos, n);
    }

    @Test
    void inOrderHeartbeatsGrowOneSegment() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 0, PLAY);
        assertThat(d.events).containsExactly("upsert " + seg(T0, T0, T0, 0, 0, 1), "progress " + T0 + ":0");
        d.deliver(T0 + 5 * S, 5_000, PLAY);
        d.deliver(T0 + 10 * S, 10_000, PAUSE);
        assertThat(d.table).containsOnlyKeys(T0);
        assertThat(d.table.get(T0)).isEqualTo(seg(T0, T0, T0 + 10 * S, 0, 10_000, 3));
        assertThat(d.progress.progPos).isEqualTo(10_000);
    }

    @Test
    void lateHeartbeatThatBridgesTwoSessionsDeletesTheLaterSessionsSegment() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 0, PLAY);
        d.deliver(T0 + 10 * S, 10_000, PLAY);
        d.deliver(T0 + 50 * S, 50_000, PLAY); // 40 s gap: a new session
        d.deliver(T0 + 60 * S, 60_000, PLAY);
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 10 * S, 0, 10_000, 2), seg(T0 + 50 * S, T0 + 50 * S, T0 + 60 * S, 50_000, 60_000, 2));
        d.events.clear();
        assertThat(d.deliver(T0 + 30 * S, 30_000, PLAY)).isTrue(); // 20 s after the first session, 20 s before the second
        assertThat(d.events).contains("delete " + (T0 + 50 * S));
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 60 * S, 0, 60_000, 5));
        assertThat(d.events).noneMatch(e -> e.startsWith("progress")); // the resume point (t=60 s) did not change
    }

    @Test
    void lateHeartbeatBeforeTheSessionStartMovesTheStart() {
        Driver d = new Driver(P, false);
        d.deliver(T0 + 100 * S, 10_000, PLAY);
        d.deliver(T0 + 105 * S, 15_000, PLAY);
        d.events.clear();
        // An ad before the session: the session starts earlier, the segment stays.
        d.deliver(new Beat(T0 + 90 * S, 0, AD, null));
        assertThat(d.events).containsExactly("upsert " + seg(T0 + 100 * S, T0 + 90 * S, T0 + 105 * S, 10_000, 15_000, 2));
        d.events.clear();
        // A content heartbeat the segment continues from: the segment starts earlier too (new key: old row deleted).
        d.deliver(T0 + 95 * S, 5_000, PLAY);
        assertThat(d.events).containsExactlyInAnyOrder("delete " + (T0 + 100 * S), "upsert " + seg(T0 + 95 * S, T0 + 90 * S, T0 + 105 * S, 5_000, 15_000, 3));
        assertThat(d.table.values()).containsExactly(seg(T0 + 95 * S, T0 + 90 * S, T0 + 105 * S, 5_000, 15_000, 3));
    }

    @Test
    void stopClosesTheSessionAtOnce() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 0, PLAY);
        d.deliver(T0 + 5 * S, 5_000, STOP);
        d.deliver(T0 + 6 * S, 5_000, PLAY);
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2), seg(T0 + 6 * S, T0 + 6 * S, T0 + 6 * S, 5_000, 5_000, 1));
        // A late heartbeat inside the closed session changes only that session.
        d.events.clear();
        d.deliver(T0 + 3 * S, 3_000, PLAY);
        assertThat(d.events).containsExactly("upsert " + seg(T0, T0, T0 + 5 * S, 0, 5_000, 3));
    }

    @Test
    void aStopIsFinalAfterLatenessNotAfterTheGap() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 0, STOP);
        assertThat(d.timeline.nextMaintenance(d.st)).isEqualTo(T0 + P.allowedLatenessMs + 1);
        d.maintain(T0 + P.allowedLatenessMs + 1);
        assertThat(d.buffer).isEmpty();
        assertThat(d.timeline.isFinished(d.st)).isTrue();
    }

    @Test
    void seekSplitsTheSegmentNotTheSession() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 0, PLAY);
        d.deliver(T0 + 5 * S, 5_000, PLAY);
        d.deliver(T0 + 6 * S, 100_000, SEEK);
        d.deliver(T0 + 11 * S, 105_000, PLAY);
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2), seg(T0 + 6 * S, T0, T0 + 11 * S, 100_000, 105_000, 2));
    }

    @Test
    void rateLimitIsInclusive() {
        Driver d = new Driver(P, false);
        d.deliver(T0, 1_000, PLAY);
        d.deliver(T0 + 5 * S, 13_000, PLAY); // exactly 5 s * 2 + 2 s
        d.deliver(T0 + 10 * S, 25_001, PLAY); // one more
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 5 * S, 1_000, 13_000, 2), seg(T0 + 10 * S, T0, T0 + 10 * S, 25_001, 25_001, 1));
    }

    @Test
    void maxSessionLengthSplits() {
        ContractParams p = new ContractParams(30_000, 2.0, 2_000, 600_000, 20_000);
        Driver d = new Driver(p, false);
        for (long t = 0; t <= 30; t += 5) d.deliver(T0 + t * S, t * 1_000, PLAY);
        // 20 s - 0 is not > M, 25 s - 0 is.
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 20 * S, 0, 20_000, 5), seg(T0 + 25 * S, T0 + 25 * S, T0 + 30 * S, 25_000, 30_000, 2));
        // A late heartbeat before the first session moves its start, and so where M cuts.
        d.deliver(T0 - 5 * S, 0, PLAY);
        assertThat(d.table.values()).containsExactly(seg(T0 - 5 * S, T0 - 5 * S, T0 + 15 * S, 0, 15_000, 5),
                seg(T0 + 20 * S, T0 + 20 * S, T0 + 30 * S, 20_000, 30_000, 3));
    }

    @Test
    void duplicatesAndLosingTiesChangeNothing() {
        Driver d = new Driver(P, true);
        d.deliver(T0, 0, PLAY);
        d.deliver(T0 + 5 * S, 5_000, PAUSE);
        d.deliver(new Beat(T0 + 6 * S, 0, AD, null));
        d.events.clear();
        assertThat(d.deliver(T0 + 5 * S, 5_000, PAUSE)).isFalse(); // exact duplicate
        assertThat(d.deliver(T0 + 5 * S, 5_000, PLAY)).isFalse(); // loses: play < pause
        assertThat(d.deliver(T0 + 5 * S, 4_999, STOP)).isFalse(); // loses: smaller position
        assertThat(d.deliver(T0, 0, PLAY)).isFalse();
        assertThat(d.deliver(new Beat(T0 + 6 * S, 0, AD, null))).isFalse(); // another ad at the same time
        assertThat(d.events).isEmpty();
        // A winning tie replaces the beat: a stop at 5 s.
        assertThat(d.deliver(new Beat(T0 + 5 * S, 5_000, STOP, "dev"))).isTrue();
        assertThat(d.progress.progDevice).isEqualTo("dev");
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 5 * S, 0, 5_000, 2));
    }

    @Test
    void watchedMsPerHourWithDeltas() {
        Driver d = new Driver(P, true);
        d.deliver(T0 + H - 2 * S, 0, PLAY);
        d.deliver(T0 + H + 3 * S, 5_000, PLAY);
        assertThat(d.events).contains("hour " + T0 + " -1->0", "hour " + (T0 + H) + " -1->5000");
        d.events.clear();
        d.deliver(T0 + H + 1 * S, 2_000, PLAY); // late, in the second hour: 2000 + 3000 there, same total
        assertThat(d.events).noneMatch(e -> e.startsWith("hour"));
        d.deliver(T0 + H - 1 * S, 1_000, PLAY); // late, in the first hour: 1000 there, 4000 in the second
        assertThat(d.events).contains("hour " + T0 + " 0->1000", "hour " + (T0 + H) + " 5000->4000");
        assertThat(d.hours).containsEntry(T0, 1_000L).containsEntry(T0 + H, 4_000L);
    }

    @Test
    void maintainFreezesOldBeatsAndTheTimelineFinishesAfterTheGap() {
        Driver d = new Driver(P, false);
        long l = P.allowedLatenessMs;
        for (long t = 0; t <= 20; t += 5) d.deliver(T0 + t * S, t * 1_000, PLAY);
        d.maintain(T0 + 10 * S + l); // limit = T0 + 10 s: 0 s and 5 s freeze
        assertThat(d.st.frontier).isEqualTo(T0 + 10 * S);
        assertThat(d.buffer).extracting(b -> b.time).containsExactly(T0 + 10 * S, T0 + 15 * S, T0 + 20 * S);
        assertThat(PairTimeline.isBehindFrontier(d.st, new Beat(T0 + 10 * S, 0, PLAY, null))).isFalse(); // exactly at watermark - L
        assertThat(PairTimeline.isBehindFrontier(d.st, new Beat(T0 + 10 * S - 1, 0, PLAY, null))).isTrue();
        assertThat(d.timeline.isFinished(d.st)).isFalse();
        // A late heartbeat at the frontier still corrects the open segment.
        d.events.clear();
        d.deliver(T0 + 10 * S, 10_500, PLAY);
        assertThat(d.table.values()).containsExactly(seg(T0, T0, T0 + 20 * S, 0, 20_000, 5));
        // The session is over for good once the watermark passes last + G + L.
        long end = T0 + 20 * S + P.sessionGapMs + l;
        d.maintain(end);
        assertThat(d.timeline.isFinished(d.st)).isFalse(); // frontier - last = G: a heartbeat at the frontier would continue it
        d.maintain(end + 1);
        assertThat(d.buffer).isEmpty();
        assertThat(d.timeline.isFinished(d.st)).isTrue();
        // Frozen beats are still part of the fold: the segment was not changed by maintenance.
        assertThat(d.st.frozen.currentSegment()).isEqualTo(seg(T0, T0, T0 + 20 * S, 0, 20_000, 5));
    }

    @Test
    void withHoursTheTimelineFinishesOnlyWhenItsLastHourCanNoLongerChange() {
        Driver d = new Driver(P, true);
        long l = P.allowedLatenessMs;
        d.deliver(T0 + 10 * 60 * S, 0, PLAY);
        d.maintain(T0 + 10 * 60 * S + P.sessionGapMs + l + 1);
        assertThat(d.timeline.isFinished(d.st)).isFalse();
        d.maintain(T0 + H + l);
        assertThat(d.timeline.isFinished(d.st)).isTrue();
    }

    /**
     * SegmentsFunction / PairHoursFunction re-register the timer at {@code nextMaintenance} right after a maintenance
     * that did not finish the pair. Flink fires a timer whose time is at or before the current watermark again within
     * the same watermark advance, so {@code nextMaintenance} must then lie after that watermark. With hours tracked, a
     * pair whose session ended while its hour is still open gets its old session-end time again: the timer re-fires
     * forever (the watch-time job spins in one watermark advance).
     */
    @Test
    void nextMaintenanceAfterAMaintenanceIsAfterItsWatermark() {
        for (EventType last : new EventType[] {PLAY, STOP}) {
            Driver d = new Driver(P, true);
            d.deliver(T0 + 10 * 60 * S, 0, PLAY);
            d.deliver(T0 + 10 * 60 * S + 5 * S, 5_000, last);
            long wm = d.timeline.nextMaintenance(d.st); // the session end (+ L): the hour is still open
            d.maintain(wm);
            assertThat(d.timeline.isFinished(d.st)).isFalse();
            assertThat(d.timeline.nextMaintenance(d.st)).as("next maintenance after one at watermark %d (last event %s)", wm, last).isGreaterThan(wm);
        }
    }

    @Test
    void nextMaintenanceIsAlwaysAfterTheWatermarkWithoutHoursToo() {
        Driver d = new Driver(P, false);
        long l = P.allowedLatenessMs;
        for (long t = 0; t <= 600; t += 5) d.deliver(T0 + t * S, t * 1_000, PLAY);
        long wm = T0 + 300 * S + l;
        d.maintain(wm);
        assertThat(d.timeline.isFinished(d.st)).isFalse();
        assertThat(d.timeline.nextMaintenance(d.st)).isGreaterThan(wm);
    }
}
