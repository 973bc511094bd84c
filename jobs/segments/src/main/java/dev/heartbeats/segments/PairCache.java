package dev.heartbeats.segments;

import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.RecentBeats;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A write-back cache of the pairs' keyed state in front of RocksDB, and the coalescing of the rows each pair emits.
 *
 * <p>Why: with RocksDB every heartbeat cost a read of the pair's state, an append to its buffer list and a write of
 * the state (three JNI calls, a memtable search each, and (de)serialization), the largest part of the job's CPU. A
 * pair sends a heartbeat every ~5 s, so between two checkpoints (30 s) its state changes a few times in live traffic
 * and dozens of times when catching up; here it is read from RocksDB once, kept as an object, and written back once
 * per checkpoint (one put and one list append of all new beats), on eviction, or never when the pair ends first.
 *
 * <p>Consistency: the cache is the truth for the pairs it holds; RocksDB for the others. {@link #checkpoint} writes
 * every changed pair back, together with the rows it still holds back ({@link PendingRows}); {@link SegmentsOperator}
 * calls it before each checkpoint barrier, so each checkpoint holds exactly the state the plain function would have
 * written, plus the rows coalescing delayed, which a restored operator writes before anything else. They are not
 * written to the database at the barrier: a burst of about half the active pairs' rows every checkpoint, which the
 * sink had to commit before the barrier could pass, was the largest pause of the job in live traffic. A failure loses
 * only the cache, and the replay from the checkpoint rebuilds it. When more than {@code capacity} pairs are held, a
 * pair not used lately is written back (its waiting rows emitted) and dropped, which bounds the heap (~1 KB per pair
 * with its {@link RecentBeats}): the eldest by insertion that has had no heartbeat since it was last considered (a
 * second chance, "CLOCK"), rather than strict LRU, which relinked the pair in a list on every heartbeat and so touched
 * two more objects spread over the heap. The write-back itself is spread: in the last part of the checkpoint
 * interval, pairs in live traffic are written back right after their heartbeat ({@link #processed}), so the barrier
 * finds most of them clean.
 *
 * <p>Coalescing: a pair's resume point is emitted at most every {@code progressIntervalMs} and its open segment's
 * row at most every {@code segmentIntervalMs} (processing time; in live traffic measured on the heartbeats' schedule,
 * see {@link #onSchedule}); the first change after a quiet interval goes out at
 * once, later ones wait until the interval has passed (one operator-wide timer, not a keyed timer per pair), and
 * only the latest waiting row of each kind is kept. Rows go out at once, whatever the interval, when a segment is
 * closed (another one starts), when a {@code stop} ends the session, when a late heartbeat rewrites or deletes rows
 * (a waiting row of a superseded segment is dropped, never emitted after its delete), and when the pair ends.
 */
final class PairCache {
    /** What the cache needs from its operator. */
    interface Host {
        String currentKey();

        void setCurrentKey(String key);

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

    /**
     * New beats a pair holds on the heap before they are appended to RocksDB ahead of the barrier: while a backlog is
     * caught up a pair gets dozens per checkpoint interval, and 100,000 pairs' worth kept the old generation busy.
     */
    static final int MAX_APPENDED = 32;

    /**
     * Whole buffers held on the heap until the next write-back (an out-of-order heartbeat re-folded over the buffer,
     * or maintenance that froze its oldest beats), in beats, across all pairs. Beyond it the pairs holding one are
     * written back at once, oldest first: held until the barrier, a catch-up could keep nearly every cached pair's
     * buffer (~L of beats each) on the heap. About 44 bytes per beat.
     */
    static final long MAX_HELD_BEATS = 1_000_000;

    /** Waiting rows go out at the end of the slot of this many ms they become due in: at most this much later. */
    static final long TICK_MS = 20;

    private final SegmentsFunction function;
    private final ValueState<PendingRows> pendingRows;
    private final Host host;
    private final long capacity;
    private final long maxHeldBeats;
    private final long segmentIntervalMs;
    private final long progressIntervalMs;
    /** In insertion order (a pair given a second chance is inserted again). */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1 << 16, 0.75f, false);
    /**
     * The pairs with waiting rows, by the {@link #TICK_MS} slot in which they become due (the key is the slot's end);
     * a pair may appear more than once (each check is cheap and idempotent). A heap of one tick per waiting row
     * (~100,000 in a catch-up) cost ~10% of the task; here adding is a list append into one of a few hundred slots.
     */
    private final TreeMap<Long, List<Entry>> ticks = new TreeMap<>();
    /** The pairs holding a whole buffer ({@link Entry#replaced}), in the order they took it; may hold stale entries. */
    private final ArrayDeque<Entry> holding = new ArrayDeque<>();
    /** Beats in the {@link Entry#replaced} lists of all pairs. */
    private long heldBeats;
    private long timerAt = Long.MAX_VALUE;
    private final long checkpointIntervalMs;
    private final long writeAheadMs;
    /** From when pairs are written back ahead of the next barrier (processing time). */
    private long writeAheadFrom = Long.MAX_VALUE;

    private final Counter misses;
    private final Counter evictions;
    private final Counter writeBacks;
    private final Counter writtenAhead;
    private final Counter rowsCoalesced;

    /**
     * @param checkpointIntervalMs how often barriers come (0: unknown, no write-ahead)
     * @param writeAheadMs         how long before an expected barrier pairs are written back ahead (0: never)
     * @param maxHeldBeats         beats of whole buffers held on the heap at most ({@link #MAX_HELD_BEATS})
     */
    PairCache(SegmentsFunction function, ValueState<PendingRows> pendingRows, Host host, long capacity, long checkpointIntervalMs,
              long writeAheadMs, long maxHeldBeats, MetricGroup metrics) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        this.checkpointIntervalMs = checkpointIntervalMs;
        this.writeAheadMs = checkpointIntervalMs > 0 ? writeAheadMs : 0;
        this.function = function;
        this.pendingRows = pendingRows;
        this.host = host;
        this.capacity = capacity;
        this.maxHeldBeats = maxHeldBeats;
        this.segmentIntervalMs = function.segmentMinIntervalMs;
        this.progressIntervalMs = function.progressMinIntervalMs;
        misses = metrics.counter("stateCacheMisses");
        evictions = metrics.counter("stateCacheEvictions");
        writeBacks = metrics.counter("stateWriteBacks");
        writtenAhead = metrics.counter("stateWriteBacksAhead");
        rowsCoalesced = metrics.counter("rowsCoalesced");
        metrics.gauge("stateCachePairs", entries::size);
    }

    /** One pair as the cache holds it. */
    final class Entry {
        final String key;
        final String userId;
        final String videoId;
        private PairState st;
        /** {@link #st} differs from what RocksDB holds. */
        private boolean dirty;
        /** Beats appended since the last write-back, not in RocksDB's list yet (null: none). */
        private List<Beat> appended;
        /** Non-null: the whole buffer, which replaces RocksDB's list at the next write-back (appends then go here). */
        private List<Beat> replaced;
        /** The pair's last beats, for heartbeats a few seconds out of order. */
        final RecentBeats recent = new RecentBeats();

        private WatchSegment pendingSegment;
        private VideoProgress pendingProgress;
        /** The waiting rows changed since the last write-back. */
        private boolean pendingChanged;
        /** RocksDB holds waiting rows of this pair ({@link PendingRows}). */
        private boolean pendingStored;
        /** A heartbeat came since eviction last considered the pair. */
        private boolean used;
        /** When a heartbeat of the pair was last processed (processing time). */
        private long lastProcessed = Long.MIN_VALUE / 2;
        /** When the last written row was due, on the heartbeats' schedule (see {@link #onSchedule}). */
        private long segmentWrittenAt = Long.MIN_VALUE;
        private long progressWrittenAt = Long.MIN_VALUE;
        /** When the waiting row goes out (processing time). */
        private long segmentDueAt;
        private long progressDueAt;

        private Entry(String key, String userId, String videoId) {
            this.key = key;
            this.userId = userId;
            this.videoId = videoId;
        }

        PairState state() {
            return st;
        }

        private void setPendingSegment(WatchSegment row) {
            pendingSegment = row;
            pendingChanged = true;
        }

        private void setPendingProgress(VideoProgress row) {
            pendingProgress = row;
            pendingChanged = true;
        }

        void update(PairState s) {
            st = s;
            dirty = true;
        }

        void append(Beat b) {
            if (replaced != null) {
                replaced.add(b);
                heldBeats++;
            } else {
                if (appended == null) appended = new ArrayList<>(4);
                appended.add(b);
            }
        }

        /**
         * A beat inserted among the {@link #recent} ones. RocksDB's list is always read sorted and de-duplicated, so it
         * is appended like an in-order one; a whole buffer held here is kept sorted and distinct (b won its tie, if any).
         */
        void appendOutOfOrder(Beat b) {
            append(b);
            if (replaced != null) {
                heldBeats -= replaced.size();
                replaced = Beat.sortedDistinct(replaced);
                heldBeats += replaced.size();
            }
        }

        /** @param beats sorted and distinct; owned by the cache from now on */
        void replaceBuffer(List<Beat> beats) {
            if (replaced == null) holding.add(this);
            else heldBeats -= replaced.size();
            replaced = beats;
            heldBeats += beats.size();
            appended = null;
            recent.reset();
        }

        /** Drops the whole buffer held here (written back, or the pair is gone). */
        private void release() {
            if (replaced != null) heldBeats -= replaced.size();
            replaced = null;
        }

        /** The pair's buffered beats, sorted and distinct. Only while the pair is the current key. */
        List<Beat> buffer() throws Exception {
            if (replaced != null) return new ArrayList<>(replaced);
            List<Beat> stored = function.readBuffer();
            if (appended == null) return stored;
            stored.addAll(appended);
            return Beat.sortedDistinct(stored);
        }
    }

    /** The current pair's entry, loaded from RocksDB on a miss. Only while {@code key} is the current key. */
    Entry entry(String key, String userId, String videoId) throws Exception {
        Entry e = entries.get(key);
        if (e != null) {
            e.used = true;
            return e;
        }
        misses.inc();
        if (entries.size() >= capacity) evictOne();
        e = new Entry(key, userId, videoId);
        e.st = function.state.value();
        entries.put(key, e);
        return e;
    }

    /** The entry if the pair is cached (then it is the truth), else null (then RocksDB is). */
    Entry entryIfPresent(String key) {
        return entries.get(key);
    }

    /** Forgets a pair whose state was cleared (its pending rows must have been emitted). Only while it is the current key. */
    void remove(Entry e) {
        entries.remove(e.key);
        e.release();
        if (e.pendingStored) pendingRows.clear();
    }

    int size() {
        return entries.size();
    }

    /** The cache's counters, for the log at the end of the input. */
    String stats() {
        return String.format("%,d pairs cached, %,d misses, %,d evictions, %,d write-backs (%,d ahead of a barrier), %,d rows coalesced",
                entries.size(), misses.getCount(), evictions.getCount(), writeBacks.getCount(), writtenAhead.getCount(), rowsCoalesced.getCount());
    }

    long evictions() {
        return evictions.getCount();
    }

    long misses() {
        return misses.getCount();
    }

    /** Beats of whole buffers held on the heap now (bounded by {@code maxHeldBeats}). */
    long heldBeats() {
        return heldBeats;
    }

    /**
     * Writes back and drops the eldest pair that had no heartbeat since it was last considered; the ones that had go
     * to the back, marked unused. If every pair had one, the eldest goes. Each pair passed over loses its mark, so
     * this takes a few steps per eviction on average.
     */
    private void evictOne() throws Exception {
        List<Entry> secondChance = new ArrayList<>();
        Entry victim = null;
        for (Iterator<Entry> it = entries.values().iterator(); it.hasNext(); ) {
            Entry x = it.next();
            it.remove();
            if (!x.used) {
                victim = x;
                break;
            }
            x.used = false;
            secondChance.add(x);
        }
        if (victim == null) victim = secondChance.remove(0);
        for (Entry x : secondChance) entries.put(x.key, x);
        emitPending(victim);
        writeBack(victim);
        evictions.inc();
    }

    /** Writes a changed pair back to RocksDB (switching the operator's current key to it and back). */
    private void writeBack(Entry e) throws Exception {
        writeBack(e, true);
    }

    /** @param withPendingRows also store (or clear) the rows the pair holds back: at a barrier and on eviction */
    private void writeBack(Entry e, boolean withPendingRows) throws Exception {
        boolean hasPending = e.pendingSegment != null || e.pendingProgress != null;
        boolean storePending = withPendingRows && e.pendingChanged && (hasPending || e.pendingStored);
        if (withPendingRows) e.pendingChanged = false;
        if (!e.dirty && e.appended == null && e.replaced == null && !storePending) return;
        String current = host.currentKey();
        host.setCurrentKey(e.key);
        try {
            if (e.dirty && e.st != null) function.state.update(e.st);
            if (e.replaced != null) function.buffer.update(e.replaced);
            else if (e.appended != null) function.buffer.addAll(e.appended);
            if (storePending) {
                if (hasPending) {
                    PendingRows rows = new PendingRows();
                    rows.segment = e.pendingSegment;
                    rows.progress = e.pendingProgress;
                    pendingRows.update(rows);
                } else {
                    pendingRows.clear();
                }
                e.pendingStored = hasPending;
            }
        } finally {
            if (current != null) host.setCurrentKey(current);
        }
        e.dirty = false;
        e.appended = null;
        e.release(); // the full buffer is not kept in memory: it can be ~L of beats per pair
        writeBacks.inc();
    }

    /** Emits every waiting row and writes every changed pair back: at the end of the input. */
    void flushAll() throws Exception {
        for (Entry e : entries.values()) {
            emitPending(e);
            writeBack(e);
        }
        holding.clear();
        ticks.clear();
    }

    /**
     * After a heartbeat of {@code e} was processed. Shortly before the next checkpoint barrier is due, a pair whose
     * heartbeats come at the players' pace (none for half the write-ahead window) is written back now, so that the
     * barrier finds it clean: in live traffic nearly every pair sends one heartbeat in the window, and the pause at the
     * barrier shrinks from writing back every active pair to writing back the few that changed since. Pairs that come
     * faster (a backlog being caught up) are left to the barrier, where each is written once however often it changed.
     */
    void processed(Entry e) throws Exception {
        long now = host.now();
        long previous = e.lastProcessed;
        e.lastProcessed = now;
        if (now >= writeAheadFrom && now - previous >= writeAheadMs / 2) {
            writeBack(e, false);
            writtenAhead.inc();
        } else if (e.appended != null && e.appended.size() >= MAX_APPENDED) {
            writeBack(e, false); // a pair catching up: its new beats go to RocksDB in chunks, not all on the heap
        }
        while (heldBeats > maxHeldBeats && !holding.isEmpty()) {
            Entry oldest = holding.poll();
            if (oldest.replaced != null && entries.get(oldest.key) == oldest) writeBack(oldest, false);
        }
    }

    /** At each barrier (and at the start): the next one is expected a checkpoint interval later. */
    void barrierPassed(long now) {
        writeAheadFrom = writeAheadMs > 0 ? now + checkpointIntervalMs - writeAheadMs : Long.MAX_VALUE;
    }

    /**
     * Before a checkpoint barrier: writes every changed pair back, with the rows it still holds back, which stay
     * waiting (they are in the checkpoint now; a restored job writes them first).
     */
    void checkpoint() throws Exception {
        for (Entry e : entries.values()) writeBack(e);
        holding.clear();
        barrierPassed(host.now());
    }

    // ------------------------------------------------------------------------------------------ coalescing rows

    void segmentUpserted(Entry e, WatchSegment row, boolean immediate) {
        long now = host.now();
        // A waiting row of another segment holds that segment's last value: it was closed (or is being rewritten by a
        // late heartbeat), so it goes out now, before anything of this one.
        if (e.pendingSegment != null && e.pendingSegment.segmentStart != row.segmentStart) emitSegment(e, now);
        boolean waiting = e.pendingSegment != null;
        if (waiting) rowsCoalesced.inc();
        e.setPendingSegment(row);
        long onSchedule = onSchedule(now, row.segmentEnd, segmentIntervalMs);
        if (immediate || segmentIntervalMs <= 0 || e.segmentWrittenAt == Long.MIN_VALUE || onSchedule - e.segmentWrittenAt >= segmentIntervalMs) {
            emitSegment(e, now);
        } else if (!waiting) {
            e.segmentDueAt = now + Math.min(segmentIntervalMs, e.segmentWrittenAt + segmentIntervalMs - onSchedule);
            schedule(e, e.segmentDueAt);
        }
    }

    void segmentDeleted(Entry e, WatchSegment keyRow) {
        if (e.pendingSegment != null && e.pendingSegment.segmentStart == keyRow.segmentStart) {
            e.setPendingSegment(null); // superseded: must not be written after the delete
            rowsCoalesced.inc();
        }
        host.emitSegment(Change.delete(keyRow));
    }

    void progressChanged(Entry e, VideoProgress row, boolean immediate) {
        long now = host.now();
        boolean waiting = e.pendingProgress != null;
        if (waiting) rowsCoalesced.inc();
        e.setPendingProgress(row);
        long onSchedule = onSchedule(now, row.eventTime, progressIntervalMs);
        if (immediate || progressIntervalMs <= 0 || e.progressWrittenAt == Long.MIN_VALUE || onSchedule - e.progressWrittenAt >= progressIntervalMs) {
            emitProgress(e, now);
        } else if (!waiting) {
            e.progressDueAt = now + Math.min(progressIntervalMs, e.progressWrittenAt + progressIntervalMs - onSchedule);
            schedule(e, e.progressDueAt);
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

    /** Emits the pair's waiting rows now. */
    void emitPending(Entry e) {
        long now = host.now();
        if (e.pendingSegment != null) emitSegment(e, now);
        if (e.pendingProgress != null) emitProgress(e, now);
    }

    private void emitSegment(Entry e, long now) {
        host.emitSegment(Change.upsert(e.pendingSegment));
        e.segmentWrittenAt = onSchedule(now, e.pendingSegment.segmentEnd, segmentIntervalMs);
        e.setPendingSegment(null);
    }

    private void emitProgress(Entry e, long now) {
        host.emitProgress(Change.upsert(e.pendingProgress));
        e.progressWrittenAt = onSchedule(now, e.pendingProgress.eventTime, progressIntervalMs);
        e.setPendingProgress(null);
    }

    private void schedule(Entry e, long due) {
        long slotEnd = Math.floorDiv(due + TICK_MS - 1, TICK_MS) * TICK_MS;
        ticks.computeIfAbsent(slotEnd, k -> new ArrayList<>()).add(e);
        if (slotEnd < timerAt) {
            timerAt = slotEnd;
            host.scheduleAt(slotEnd);
        }
    }

    /** The operator-wide timer: emits the rows whose interval has passed, then waits for the next due one. */
    void onProcessingTime(long now) {
        if (now >= timerAt) timerAt = Long.MAX_VALUE;
        Map.Entry<Long, List<Entry>> slot;
        while ((slot = ticks.firstEntry()) != null && slot.getKey() <= now) {
            ticks.pollFirstEntry();
            for (Entry e : slot.getValue()) {
                if (e.pendingSegment != null && now >= e.segmentDueAt) emitSegment(e, now);
                if (e.pendingProgress != null && now >= e.progressDueAt) emitProgress(e, now);
            }
        }
        if (slot != null && slot.getKey() < timerAt) {
            timerAt = slot.getKey();
            host.scheduleAt(timerAt);
        }
    }
}
