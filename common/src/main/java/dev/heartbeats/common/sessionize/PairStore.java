package dev.heartbeats.common.sessionize;

import java.util.List;

/**
 * Where a (user, video) pair's state lives while its heartbeat or maintenance is processed: the keyed state
 * ({@link KeyedPairStore}, RocksDB), or a cache in front of it. {@link PairTimelineFunction} reads and changes a pair
 * only through this.
 */
public interface PairStore {
    /** The pair's state, or null for a pair without one. */
    PairState state() throws Exception;

    /** The pair's buffered beats, sorted and distinct (may read RocksDB). */
    List<Beat> buffer() throws Exception;

    /** The pair's last beats kept on the heap for heartbeats a little out of order, or null when this store keeps none. */
    RecentBeats recent();

    /**
     * A beat to add to the buffer: in order, or inserted among the {@link #recent} beats (the stored buffer is
     * read sorted and de-duplicated, so both are appended).
     */
    void append(Beat b, boolean outOfOrder) throws Exception;

    /** The whole buffer, after a heartbeat far out of order or maintenance: sorted and distinct, owned by the store. */
    void replaceBuffer(List<Beat> beats) throws Exception;

    /** The pair's changed state, after a heartbeat or maintenance. */
    void update(PairState st) throws Exception;

    /** The pair is over: nothing of it is kept. */
    void clear() throws Exception;
}
