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
    /** Processing time the resume point was last emitted, for coalescing progress writes. */
    public long progressEmittedAt = Long.MIN_VALUE;
    /** Whether a resume point change waits for its next emission. */
    public boolean progressPending;

    public PairState() {}
}
