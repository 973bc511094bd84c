package dev.heartbeats.segments;

import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairStates;
import dev.heartbeats.common.sessionize.PairStore;
import dev.heartbeats.common.sessionize.RecentBeats;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Where a pair's state lives in the segments job: a write-back cache of the pairs' keyed state in front of RocksDB.
 *
 * <p>Why: with RocksDB every heartbeat cost a read of the pair's state, an append to its buffer list and a write of
 * the state (three JNI calls, a memtable search each, and (de)serialization), the largest part of the job's CPU. A
 * pair sends a heartbeat every ~5 s, so between two checkpoints its state changes a few times in live traffic and
 * dozens of times when catching up; here it is read from RocksDB once, kept as an object, and written back once per
 * checkpoint (one put and one list append of all new beats), on eviction, or never when the pair ends first.
 *
 * <p>Consistency: the cache is the truth for the pairs it holds; RocksDB for the others. {@link #checkpoint} writes
 * every changed pair back, with its waiting rows ({@link RowCoalescer}); {@link SegmentsOperator} calls it before each
 * checkpoint barrier, so each checkpoint holds exactly the state the plain function would have written. A failure
 * loses only the cache, and the replay from the checkpoint rebuilds it. When more than {@code capacity} pairs are
 * held, a pair not used lately is written back (its waiting rows emitted) and dropped: the eldest by insertion that has
 * had no heartbeat since it was last considered (a second chance, "CLOCK"), rather than strict LRU, which relinked
 * the pair in a list on every heartbeat. The write-back itself is spread: in the last part of the checkpoint interval,
 * pairs in live traffic are written back right after their heartbeat ({@link #processed}), so the barrier finds most
 * of them clean. Whole buffers held until a write-back are bounded across the cache ({@link #MAX_HELD_BEATS}).
 */
final class StateCache {
    /** What the cache needs from its operator. */
    interface Host {
        String currentKey();

        void setCurrentKey(String key);

        long now();
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

    private final ValueState<PairState> state;
    private final ListState<Beat> buffer;
    private final RowCoalescer rows;
    private final Host host;
    private final long capacity;
    private final long maxHeldBeats;
    /** In insertion order (a pair given a second chance is inserted again). */
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(1 << 16, 0.75f, false);
    /** The pairs holding a whole buffer ({@link Entry#replaced}), in the order they took it; may hold stale entries. */
    private final ArrayDeque<Entry> holding = new ArrayDeque<>();
    /** Beats in the {@link Entry#replaced} lists of all pairs. */
    private long heldBeats;
    private final long checkpointIntervalMs;
    private final long writeAheadMs;
    /** From when pairs are written back ahead of the next barrier (processing time). */
    private long writeAheadFrom = Long.MAX_VALUE;

    private final Counter misses;
    private final Counter evictions;
    private final Counter writeBacks;
    private final Counter writtenAhead;

    /**
     * @param state, buffer        the pairs' keyed state ({@link PairStates})
     * @param checkpointIntervalMs how often barriers come (0: unknown, no write-ahead)
     * @param writeAheadMs         how long before an expected barrier pairs are written back ahead (0: never)
     * @param maxHeldBeats         beats of whole buffers held on the heap at most ({@link #MAX_HELD_BEATS})
     */
    StateCache(ValueState<PairState> state, ListState<Beat> buffer, RowCoalescer rows, Host host, long capacity, long checkpointIntervalMs,
               long writeAheadMs, long maxHeldBeats, MetricGroup metrics) {
        if (capacity < 1) throw new IllegalArgumentException("capacity must be >= 1");
        this.state = state;
        this.buffer = buffer;
        this.rows = rows;
        this.host = host;
        this.capacity = capacity;
        this.maxHeldBeats = maxHeldBeats;
        this.checkpointIntervalMs = checkpointIntervalMs;
        this.writeAheadMs = checkpointIntervalMs > 0 ? writeAheadMs : 0;
        misses = metrics.counter("stateCacheMisses");
        evictions = metrics.counter("stateCacheEvictions");
        writeBacks = metrics.counter("stateWriteBacks");
        writtenAhead = metrics.counter("stateWriteBacksAhead");
        metrics.gauge("stateCachePairs", entries::size);
        metrics.gauge("stateCacheHeldBeats", this::heldBeats);
    }

    /** One pair as the cache holds it. */
    final class Entry implements PairStore {
        final String key;
        private PairState st;
        /** {@link #st} differs from what RocksDB holds. */
        private boolean dirty;
        /** Beats appended since the last write-back, not in RocksDB's list yet (null: none). */
        private List<Beat> appended;
        /** Non-null: the whole buffer, which replaces RocksDB's list at the next write-back (appends then go here). */
        private List<Beat> replaced;
        /** The pair's last beats, for heartbeats a few seconds out of order. */
        private final RecentBeats recent = new RecentBeats();
        /** How the pair's rows go out. */
        final RowCoalescer.PairRows rows;
        /** A heartbeat came since eviction last considered the pair. */
        private boolean used;
        /** When a heartbeat of the pair was last processed (processing time). */
        private long lastProcessed = Long.MIN_VALUE / 2;

        private Entry(String key, String userId, String videoId) {
            this.key = key;
            this.rows = StateCache.this.rows.rowsOf(userId, videoId);
        }

        @Override
        public PairState state() {
            return st;
        }

        @Override
        public RecentBeats recent() {
            return recent;
        }

        @Override
        public void update(PairState s) {
            st = s;
            dirty = true;
        }

        @Override
        public void append(Beat b, boolean outOfOrder) {
            if (replaced != null) {
                replaced.add(b);
                heldBeats++;
                // A whole buffer held here is kept sorted and distinct (b won its tie, if any).
                if (outOfOrder) {
                    heldBeats -= replaced.size();
                    replaced = Beat.sortedDistinct(replaced);
                    heldBeats += replaced.size();
                }
            } else {
                if (appended == null) appended = new ArrayList<>(4);
                appended.add(b);
            }
        }

        /** @param beats sorted and distinct; owned by the cache from now on */
        @Override
        public void replaceBuffer(List<Beat> beats) {
            if (replaced == null) holding.add(this);
            else heldBeats -= replaced.size();
            replaced = beats;
            heldBeats += beats.size();
            appended = null;
            recent.reset();
        }

        /** The pair's buffered beats, sorted and distinct. Only while the pair is the current key. */
        @Override
        public List<Beat> buffer() throws Exception {
            if (replaced != null) return new ArrayList<>(replaced);
            List<Beat> stored = PairStates.read(buffer);
            if (appended == null) return stored;
            stored.addAll(appended);
            return Beat.sortedDistinct(stored);
        }

        /** The pair is over: forgotten here and in RocksDB, with its stored waiting rows. Only while it is the current key. */
        @Override
        public void clear() {
            entries.remove(key);
            release();
            rows.removed();
            state.clear();
            buffer.clear();
        }

        /** Drops the whole buffer held here (written back, or the pair is gone). */
        private void release() {
            if (replaced != null) heldBeats -= replaced.size();
            replaced = null;
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
        e.st = state.value();
        entries.put(key, e);
        return e;
    }

    /** The entry if the pair is cached (then it is the truth), else null (then RocksDB is). */
    Entry entryIfPresent(String key) {
        return entries.get(key);
    }

    int size() {
        return entries.size();
    }

    /** The cache's counters, for the log at the end of the input. */
    String stats() {
        return String.format("%,d pairs cached, %,d misses, %,d evictions, %,d write-backs (%,d ahead of a barrier), %,d rows coalesced, %,d unchanged rows not rewritten",
                entries.size(), misses.getCount(), evictions.getCount(), writeBacks.getCount(), writtenAhead.getCount(), rows.rowsCoalesced(),
                rows.rowsUnchanged());
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
        victim.rows.emitPending();
        writeBack(victim, true);
        evictions.inc();
    }

    /**
     * Writes a changed pair back to RocksDB (switching the operator's current key to it and back).
     *
     * @param withRows also store (or clear) the rows the pair holds back: at a barrier and on eviction
     */
    private void writeBack(Entry e, boolean withRows) throws Exception {
        boolean storeRows = withRows && e.rows.storeNeeded();
        if (!e.dirty && e.appended == null && e.replaced == null && !storeRows) {
            if (withRows) e.rows.store(); // nothing to write: settles that the rows are as stored
            return;
        }
        String current = host.currentKey();
        host.setCurrentKey(e.key);
        try {
            if (e.dirty && e.st != null) state.update(e.st);
            if (e.replaced != null) buffer.update(e.replaced);
            else if (e.appended != null) buffer.addAll(e.appended);
            if (withRows) e.rows.store();
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
            e.rows.emitPending();
            writeBack(e, true);
        }
        holding.clear();
        rows.clear();
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
        for (Entry e : entries.values()) writeBack(e, true);
        holding.clear();
        barrierPassed(host.now());
    }
}
