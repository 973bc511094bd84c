package dev.heartbeats.segments;

import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairTimelineFunction;
import dev.heartbeats.common.sessionize.Segment;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * How a cached pair's rows go out: coalesced. A pair's resume point is emitted at most every
 * {@code progressIntervalMs} and its open segment's row at most every {@code segmentIntervalMs} (processing time; in
 * live traffic measured on the heartbeats' schedule, see {@link #onSchedule}); the first change after a quiet interval
 * goes out at once, later ones wait until the interval has passed (one operator-wide timer, not a keyed timer per
 * pair), and only the latest waiting row of each kind is kept. Rows go out at once, whatever the interval, when a
 * segment is closed (another one starts), when a {@code stop} ends the session, when a late heartbeat rewrites or
 * deletes rows (a waiting row of a superseded segment is dropped, never emitted after its delete), and when the pair
 * ends or is evicted from the {@link StateCache}.
 *
 * <p>Rows still waiting at a checkpoint barrier are stored with the pair ({@link PendingRows}, written back by the
 * cache) instead of being written to the database at the barrier, where a burst of about half the active pairs' rows
 * was the largest pause of the job in live traffic; a restored operator writes them first.
 */
final class RowCoalescer {
    /** What the coalescing needs from its operator. */
    interface Host {
        long now();

        /** The newest event time of a heartbeat this subtask has processed. */
        long newestEventTime();

        /** Whether event time advances about as fast as the wall clock here (live traffic, not a backlog). */
        boolean followsLiveTraffic();

        /** Calls {@link #onProcessingTime} at (or after) {@code time}. */
        void scheduleAt(long time);

        void emitSegment(Change<WatchSegment> change);

        void emitProgress(Change<VideoProgress> change);
    }

    /** Waiting rows go out at the end of the slot of this many ms they become due in: at most this much later. */
    static final long TICK_MS = 20;

    private final Host host;
    private final ValueState<PendingRows> pendingRows;
    private final long segmentIntervalMs;
    private final long progressIntervalMs;
    /**
     * The pairs with waiting rows, by the {@link #TICK_MS} slot in which they become due (the key is the slot's end);
     * a pair may appear more than once (each check is cheap and idempotent). A heap of one tick per waiting row cost
     * much more of the task in a catch-up; here adding is a list append into one of a few hundred slots.
     */
    private final TreeMap<Long, List<PairRows>> ticks = new TreeMap<>();
    private long timerAt = Long.MAX_VALUE;
    private final Counter rowsCoalesced;
    private final Counter rowsUnchanged;
    private final Counter segmentsSuperseded;

    /**
     * @param pendingRows        the keyed state that holds a pair's waiting rows across a checkpoint
     * @param segmentsSuperseded counts the segment rows deleted because a late heartbeat rewrote the pair
     */
    RowCoalescer(Host host, ValueState<PendingRows> pendingRows, long segmentIntervalMs, long progressIntervalMs, MetricGroup metrics,
                 Counter segmentsSuperseded) {
        this.host = host;
        this.pendingRows = pendingRows;
        this.segmentIntervalMs = segmentIntervalMs;
        this.progressIntervalMs = progressIntervalMs;
        this.segmentsSuperseded = segmentsSuperseded;
        rowsCoalesced = metrics.counter("rowsCoalesced");
        rowsUnchanged = metrics.counter("rowsUnchanged");
    }

    PairRows rowsOf(String userId, String videoId) {
        return new PairRows(userId, videoId);
    }

    long rowsCoalesced() {
        return rowsCoalesced.getCount();
    }

    /** Rows not written because the table held them already. */
    long rowsUnchanged() {
        return rowsUnchanged.getCount();
    }

    /** One cached pair's rows: what waits, and when its last rows went out. */
    final class PairRows implements PairTimelineFunction.Rows {
        private final String userId;
        private final String videoId;
        private WatchSegment pendingSegment;
        private VideoProgress pendingProgress;
        /**
         * The rows this pair last wrote while cached (null: unknown): a row equal to them is not written again, since
         * the table holds it already. A delete of that segment forgets it.
         */
        private WatchSegment writtenSegment;
        private VideoProgress writtenProgress;
        /** The waiting rows changed since they were last stored. */
        private boolean pendingChanged;
        /** The keyed state holds waiting rows of this pair ({@link PendingRows}). */
        private boolean pendingStored;
        /** When the last written row was due, on the heartbeats' schedule (see {@link #onSchedule}). */
        private long segmentWrittenAt = Long.MIN_VALUE;
        private long progressWrittenAt = Long.MIN_VALUE;
        /** When the waiting row goes out (processing time). */
        private long segmentDueAt;
        private long progressDueAt;
        /** Changes of a heartbeat out of order: they go out at once. */
        private boolean immediate;

        private PairRows(String userId, String videoId) {
            this.userId = userId;
            this.videoId = videoId;
        }

        @Override
        public void outOfOrder(boolean on) {
            immediate = on;
        }

        @Override
        public void segmentUpserted(Segment s) {
            WatchSegment row = WatchSegment.of(userId, videoId, s);
            long now = host.now();
            // A waiting row of another segment holds that segment's last value: it was closed (or is being rewritten
            // by a late heartbeat), so it goes out now, before anything of this one.
            if (pendingSegment != null && pendingSegment.segmentStart != row.segmentStart) emitSegment(now);
            boolean waiting = pendingSegment != null;
            if (waiting) rowsCoalesced.inc();
            // A segment the table does not have yet (the pair's first, or one a seek or a new session started) appears
            // at once; only its growth is coalesced.
            boolean first = !waiting && (writtenSegment == null || writtenSegment.segmentStart != row.segmentStart);
            setPendingSegment(row);
            long onSchedule = onSchedule(now, row.segmentEnd, segmentIntervalMs);
            if (immediate || first || segmentIntervalMs <= 0 || onSchedule - segmentWrittenAt >= segmentIntervalMs) {
                emitSegment(now);
            } else if (!waiting) {
                segmentDueAt = now + Math.min(segmentIntervalMs, segmentWrittenAt + segmentIntervalMs - onSchedule);
                schedule(this, segmentDueAt);
            }
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            segmentsSuperseded.inc();
            if (pendingSegment != null && pendingSegment.segmentStart == segmentStart) {
                setPendingSegment(null); // superseded: must not be written after the delete
                rowsCoalesced.inc();
            }
            if (writtenSegment != null && writtenSegment.segmentStart == segmentStart) writtenSegment = null;
            host.emitSegment(Change.delete(WatchSegment.key(userId, videoId, segmentStart)));
        }

        @Override
        public void progressChanged(PairFold tail) {
            VideoProgress row = VideoProgress.of(userId, videoId, tail.progPos, tail.progTime, tail.progDevice);
            long now = host.now();
            boolean waiting = pendingProgress != null;
            if (waiting) rowsCoalesced.inc();
            setPendingProgress(row);
            long onSchedule = onSchedule(now, row.eventTime, progressIntervalMs);
            if (immediate || progressIntervalMs <= 0 || progressWrittenAt == Long.MIN_VALUE || onSchedule - progressWrittenAt >= progressIntervalMs) {
                emitProgress(now);
            } else if (!waiting) {
                progressDueAt = now + Math.min(progressIntervalMs, progressWrittenAt + progressIntervalMs - onSchedule);
                schedule(this, progressDueAt);
            }
        }

        /** A stop ends the session: its rows are final, so they go out now whatever the coalescing. */
        @Override
        public void stopped() {
            emitPending();
        }

        @Override
        public void finished() {
            emitPending();
        }

        /** Emits the pair's waiting rows now. */
        void emitPending() {
            long now = host.now();
            if (pendingSegment != null) emitSegment(now);
            if (pendingProgress != null) emitProgress(now);
        }

        /** Whether the waiting rows changed since they were last stored (then {@link #store} writes or clears them). */
        boolean storeNeeded() {
            return pendingChanged && (pendingSegment != null || pendingProgress != null || pendingStored);
        }

        /**
         * At a barrier or an eviction: stores (or clears) the waiting rows with the pair when they changed. Only while
         * the pair is the current key.
         */
        void store() throws Exception {
            boolean store = storeNeeded();
            pendingChanged = false;
            if (!store) return;
            boolean has = pendingSegment != null || pendingProgress != null;
            if (has) {
                PendingRows rows = new PendingRows();
                rows.segment = pendingSegment;
                rows.progress = pendingProgress;
                pendingRows.update(rows);
            } else {
                pendingRows.clear();
            }
            pendingStored = has;
        }

        /** The pair is over: its stored waiting rows go too. Only while it is the current key. */
        void removed() {
            if (pendingStored) pendingRows.clear();
        }

        private void setPendingSegment(WatchSegment row) {
            pendingSegment = row;
            pendingChanged = true;
        }

        private void setPendingProgress(VideoProgress row) {
            pendingProgress = row;
            pendingChanged = true;
        }

        /** Writes the waiting segment row, unless the table holds it already (then its interval does not restart). */
        private void emitSegment(long now) {
            if (pendingSegment.equals(writtenSegment)) {
                rowsUnchanged.inc();
            } else {
                host.emitSegment(Change.upsert(pendingSegment));
                segmentWrittenAt = onSchedule(now, pendingSegment.segmentEnd, segmentIntervalMs);
                writtenSegment = pendingSegment;
            }
            setPendingSegment(null);
        }

        private void emitProgress(long now) {
            if (pendingProgress.equals(writtenProgress)) {
                rowsUnchanged.inc();
            } else {
                host.emitProgress(Change.upsert(pendingProgress));
                progressWrittenAt = onSchedule(now, pendingProgress.eventTime, progressIntervalMs);
                writtenProgress = pendingProgress;
            }
            setPendingProgress(null);
        }
    }

    /**
     * When a row of a heartbeat with this event time would have been produced had the heartbeat not been delayed:
     * {@code now}, less how far the heartbeat is behind the newest event time this subtask has seen. The intervals
     * are measured between these times, so a heartbeat delivered a few seconds late (and written at once, the interval
     * having passed) does not hold back its pair's next, punctual heartbeat for the whole interval. Only in live
     * traffic: while a backlog is caught up, partitions progress unevenly and every heartbeat would look delayed
     * or early, so the intervals are plain processing time there. The delay counted is at most one interval, and a
     * waiting row never waits longer than one interval, whatever these times say.
     */
    private long onSchedule(long now, long eventTime, long intervalMs) {
        if (!host.followsLiveTraffic()) return now;
        return now - Math.min(intervalMs, Math.max(0, host.newestEventTime() - eventTime));
    }

    private void schedule(PairRows r, long due) {
        long slotEnd = Math.floorDiv(due + TICK_MS - 1, TICK_MS) * TICK_MS;
        ticks.computeIfAbsent(slotEnd, k -> new ArrayList<>()).add(r);
        if (slotEnd < timerAt) {
            timerAt = slotEnd;
            host.scheduleAt(slotEnd);
        }
    }

    /** The operator-wide timer: emits the rows whose interval has passed, then waits for the next due one. */
    void onProcessingTime(long now) {
        if (now >= timerAt) timerAt = Long.MAX_VALUE;
        Map.Entry<Long, List<PairRows>> slot;
        while ((slot = ticks.firstEntry()) != null && slot.getKey() <= now) {
            ticks.pollFirstEntry();
            for (PairRows r : slot.getValue()) {
                if (r.pendingSegment != null && now >= r.segmentDueAt) r.emitSegment(now);
                if (r.pendingProgress != null && now >= r.progressDueAt) r.emitProgress(now);
            }
        }
        if (slot != null && slot.getKey() < timerAt) {
            timerAt = slot.getKey();
            host.scheduleAt(timerAt);
        }
    }

    /** At the end of the input, after every pair's rows went out. */
    void clear() {
        ticks.clear();
    }
}
