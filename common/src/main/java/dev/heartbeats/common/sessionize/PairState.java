package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * The keyed state of one (user, video) pair besides its buffer of recent beats: the fold of everything frozen
 * (older than {@link #frontier}), and the fold of frozen + buffer (the tail), which makes an in-order heartbeat an
 * O(1) step. Stored with {@link PairStateSerializer} (a compact, versioned format: see there how to evolve it).
 */
@TypeInfo(PairStateSerializer.Factory.class)
public class PairState {
    /** Fold of every beat before {@link #frontier}; such beats can no longer change (they are behind watermark - L). */
    public PairFold frozen = new PairFold();
    /** Fold of frozen + buffered beats: the pair as it stands now. */
    public PairFold tail = new PairFold();
    /** Beats before this time have been folded into {@link #frozen}. */
    public long frontier = Long.MIN_VALUE;
    /** Time of the earliest buffered beat ({@link Long#MAX_VALUE} when none), so timers need not read the buffer. */
    public long bufferFirst = Long.MAX_VALUE;
    /** The pending maintenance timer (event time), or {@link Long#MIN_VALUE}. */
    public long timerTime = Long.MIN_VALUE;
    /**
     * Restored from format 1 with a resume point that waited for its emission (releases up to 0.1.0 coalesced resume
     * points in this state): it is emitted at the pair's next heartbeat or maintenance. Never written.
     */
    public boolean legacyProgressPending;

    public PairState() {}
}
