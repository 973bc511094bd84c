package dev.heartbeats.segments;

import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A write-back cache of the pairs' keyed state in front of RocksDB, and the coalescing of the rows each pair emits.
 *
 * <p>Why: with RocksDB every heartbeat cost a read of the pair's state, an append to its buffer list and a write of
 * the state (three JNI calls, a memtable search each, and (de)serialization), the largest part of the job's CPU. A
 * pair sends a heartbeat every ~5 s, so between two checkpoints (10 s) its state changes a few times in live traffic
 * and dozens of times when catching up; here it is read from RocksDB once, kept as an object, and written back once
 * per checkpoint (one put and one list append of all new beats), on eviction, or never when the pair ends first.
 *
 * <p>Consistency: the cache is the truth for the pairs it holds; RocksDB for the others. {@link #flushAll} writes
 * every changed pair back and emits every pending row; {@link SegmentsOperator} calls it before each checkpoint
 * barrier, so each checkpoint holds exactly the state the plain function would have written, and no row that the
 * plain function would have emitted before the barrier is still held back. A failure loses only the cache, and the
 * replay from the checkpoint rebuilds it. The least recently used pair is written back and dropped when more than
 * {@code capacity} pairs are held, which bounds the heap (~0.5 KB per pair).
 *
 * <p>Coalescing: a pair's resume point is emitted at most every {@code progressIntervalMs} and its open segment's
 * row at most every {@code segmentIntervalMs} (processing time); the first change after a quiet interval goes out at
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

        /** Calls {@link #onProcessingTime} at (or after) {@code time}. */
        void scheduleAt(long time);

        void emitSegment(Change<WatchSegment> change);

        void emitProgress(Change<VideoProgress> change);
    }

    private final SegmentsFunction function;
    private final Host host;
    private final long capacity;
    private final long segmentIntervalMs;
    private final long progressIntervalMs;
    /** In access order: the eldest is the least recently used. */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1 << 16, 0.75f, true);
    /** When waiting rows become due; an entry may appear more than once (each check is cheap and idempotent). */
    private final PriorityQueue<Tick> ticks = new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
    private long timerAt = Long.MAX_VALUE;

    private final Counter misses;
    private final Counter evictions;
    private final Counter writeBacks;
    private final Counter rowsCoalesced;

    PairCache(SegmentsFunction function, Host host, long capacity, MetricGroup metrics) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        this.function = function;
        this.host = host;
        this.capacity = capacity;
        this.segmentIntervalMs = function.segmentMinIntervalMs;
        this.progressIntervalMs = function.progressMinIntervalMs;
        misses = metrics.counter("stateCacheMisses");
        evictions = metrics.counter("stateCacheEvictions");
        writeBacks = metrics.counter("stateWriteBacks");
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

        private WatchSegment pendingSegment;
        private VideoProgress pendingProgress;
        private long segmentEmittedAt = Long.MIN_VALUE;
        private long progressEmittedAt = Long.MIN_VALUE;

        private Entry(String key, String userId, String videoId) {
            this.key = key;
            this.userId = userId;
            this.videoId = videoId;
        }

        PairState state() {
            return st;
        }

        void update(PairState s) {
            st = s;
            dirty = true;
        }

        void append(Beat b) {
            if (replaced != null) {
                replaced.add(b);
            } else {
                if (appended == null) appended = new ArrayList<>(4);
                appended.add(b);
            }
        }

        /** @param beats sorted and distinct; owned by the cache from now on */
        void replaceBuffer(List<Beat> beats) {
            replaced = beats;
            appended = null;
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

    private static final class Tick {
        final long due;
        final Entry entry;

        Tick(long due, Entry entry) {
            this.due = due;
            this.entry = entry;
        }
    }

    /** The current pair's entry, loaded from RocksDB on a miss. Only while {@code key} is the current key. */
    Entry entry(String key, String userId, String videoId) throws Exception {
        Entry e = entries.get(key);
        if (e != null) return e;
        misses.inc();
        e = new Entry(key, userId, videoId);
        e.st = function.state.value();
        entries.put(key, e);
        if (entries.size() > capacity) evictEldest();
        return e;
    }

    /** The entry if the pair is cached (then it is the truth), else null (then RocksDB is). */
    Entry entryIfPresent(String key) {
        return entries.get(key);
    }

    /** Forgets a pair whose state was cleared (its pending rows must have been emitted). */
    void remove(Entry e) {
        entries.remove(e.key);
    }

    int size() {
        return entries.size();
    }

    private void evictEldest() throws Exception {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        Entry eldest = it.next().getValue();
        emitPending(eldest);
        writeBack(eldest);
        it.remove();
        evictions.inc();
    }

    /** Writes a changed pair back to RocksDB (switching the operator's current key to it and back). */
    private void writeBack(Entry e) throws Exception {
        if (!e.dirty && e.appended == null && e.replaced == null) return;
        String current = host.currentKey();
        host.setCurrentKey(e.key);
        try {
            if (e.dirty && e.st != null) function.state.update(e.st);
            if (e.replaced != null) function.buffer.update(e.replaced);
            else if (e.appended != null) function.buffer.addAll(e.appended);
        } finally {
            if (current != null) host.setCurrentKey(current);
        }
        e.dirty = false;
        e.appended = null;
        e.replaced = null; // the full buffer is not kept in memory: it can be ~L of beats per pair
        writeBacks.inc();
    }

    /** Emits every waiting row and writes every changed pair back: before a checkpoint barrier, and at the end. */
    void flushAll() throws Exception {
        for (Entry e : entries.values()) {
            emitPending(e);
            writeBack(e);
        }
        ticks.clear();
    }

    // ------------------------------------------------------------------------------------------ coalescing rows

    void segmentUpserted(Entry e, WatchSegment row, boolean immediate) {
        long now = host.now();
        // A waiting row of another segment holds that segment's last value: it was closed (or is being rewritten by a
        // late heartbeat), so it goes out now, before anything of this one.
        if (e.pendingSegment != null && e.pendingSegment.segmentStart != row.segmentStart) emitSegment(e, now);
        if (immediate || segmentIntervalMs <= 0 || e.segmentEmittedAt == Long.MIN_VALUE || now - e.segmentEmittedAt >= segmentIntervalMs) {
            if (e.pendingSegment != null) rowsCoalesced.inc();
            e.pendingSegment = row;
            emitSegment(e, now);
        } else {
            if (e.pendingSegment != null) rowsCoalesced.inc();
            else schedule(e, e.segmentEmittedAt + segmentIntervalMs);
            e.pendingSegment = row;
        }
    }

    void segmentDeleted(Entry e, WatchSegment keyRow) {
        if (e.pendingSegment != null && e.pendingSegment.segmentStart == keyRow.segmentStart) {
            e.pendingSegment = null; // superseded: must not be written after the delete
            rowsCoalesced.inc();
        }
        host.emitSegment(Change.delete(keyRow));
    }

    void progressChanged(Entry e, VideoProgress row, boolean immediate) {
        long now = host.now();
        if (immediate || progressIntervalMs <= 0 || e.progressEmittedAt == Long.MIN_VALUE || now - e.progressEmittedAt >= progressIntervalMs) {
            if (e.pendingProgress != null) rowsCoalesced.inc();
            e.pendingProgress = row;
            emitProgress(e, now);
        } else {
            if (e.pendingProgress != null) rowsCoalesced.inc();
            else schedule(e, e.progressEmittedAt + progressIntervalMs);
            e.pendingProgress = row;
        }
    }

    /** Emits the pair's waiting rows now. */
    void emitPending(Entry e) {
        long now = host.now();
        if (e.pendingSegment != null) emitSegment(e, now);
        if (e.pendingProgress != null) emitProgress(e, now);
    }

    private void emitSegment(Entry e, long now) {
        host.emitSegment(Change.upsert(e.pendingSegment));
        e.pendingSegment = null;
        e.segmentEmittedAt = now;
    }

    private void emitProgress(Entry e, long now) {
        host.emitProgress(Change.upsert(e.pendingProgress));
        e.pendingProgress = null;
        e.progressEmittedAt = now;
    }

    private void schedule(Entry e, long due) {
        ticks.add(new Tick(due, e));
        if (due < timerAt) {
            timerAt = due;
            host.scheduleAt(due);
        }
    }

    /** The operator-wide timer: emits the rows whose interval has passed, then waits for the next due one. */
    void onProcessingTime(long now) {
        if (now >= timerAt) timerAt = Long.MAX_VALUE;
        Tick t;
        while ((t = ticks.peek()) != null && t.due <= now) {
            ticks.poll();
            Entry e = t.entry;
            if (e.pendingSegment != null && now - e.segmentEmittedAt >= segmentIntervalMs) emitSegment(e, now);
            if (e.pendingProgress != null && now - e.progressEmittedAt >= progressIntervalMs) emitProgress(e, now);
        }
        if (t != null && t.due < timerAt) {
            timerAt = t.due;
            host.scheduleAt(t.due);
        }
    }
}
