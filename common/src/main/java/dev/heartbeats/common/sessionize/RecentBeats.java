package dev.heartbeats.common.sessionize;

import java.util.ArrayList;
import java.util.List;

/**
 * A pair's last few beats with the fold of everything before them, kept on the heap next to a cached pair's state
 * (never stored). A heartbeat that arrives a little out of order (a few seconds late, or a late duplicate of a recent
 * one: most of the disorder players and Kafka produce) sorts among these beats and is inserted there
 * ({@link PairTimeline#insertAfter}) instead of re-folding the whole buffer, which a cached pair would have to read
 * from RocksDB: ~L of beats, the largest cost of a catch-up in steady state. A heartbeat that sorts before them
 * (minutes late) still takes the whole buffer, and then these start again with the next in-order beat.
 */
public final class RecentBeats {
    /** At least this many beats are kept (once seen); at twice as many, the oldest are folded into the base. */
    public static final int KEEP = 6;

    /** The fold of every beat of the pair before {@link #beats}; null: not started. */
    private PairFold base;
    /** Every beat after {@link #base}, sorted and distinct. */
    private List<Beat> beats;

    /** Before the in-order beat {@code b} is appended to the pair's state {@code st} (whose tail is still the fold without it). */
    public void beforeInOrder(PairTimeline timeline, PairState st, Beat b) {
        if (base == null) {
            base = st.tail.copy();
            beats = new ArrayList<>(2 * KEEP);
        }
        beats.add(b);
        if (beats.size() >= 2 * KEEP) compact(timeline);
    }

    /** Whether the out-of-order beat {@code b} can be inserted here: it sorts after every beat folded into the base. */
    public boolean covers(Beat b) {
        return base != null && PairTimeline.sortsAfter(base, b);
    }

    /**
     * Inserts a beat this {@link #covers}, with the same result and the same changes reported as
     * {@link PairTimeline#insert} on the whole buffer; sets the pair's new tail. The caller adds {@code b} to the stored
     * buffer, which is read sorted and de-duplicated ({@link Beat#sortedDistinct}).
     *
     * @return whether {@code b} changed anything (false: a duplicate, or it loses its tie)
     */
    public boolean insert(PairTimeline timeline, PairState st, Beat b, PairTimeline.Listener out) {
        List<Beat> updated = timeline.insertAfter(st, base, beats, b, out);
        if (updated == null) return false;
        beats = updated;
        st.bufferFirst = Math.min(st.bufferFirst, b.time);
        if (beats.size() >= 2 * KEEP) compact(timeline);
        return true;
    }

    /** Forgets everything: after the pair's sequence changed before the base, or its folds dropped hours (maintenance). */
    public void reset() {
        base = null;
        beats = null;
    }

    private void compact(PairTimeline timeline) {
        int n = beats.size() - KEEP;
        for (int i = 0; i < n; i++) base.apply(beats.get(i), timeline.params(), timeline.tracksHours(), s -> {});
        beats.subList(0, n).clear();
    }
}
