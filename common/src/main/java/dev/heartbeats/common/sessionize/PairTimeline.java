package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sessionization of one (user, video) pair under out-of-order, duplicated and late heartbeats, independent of
 * Flink (the keyed function only moves {@link PairState} and the beat buffer in and out of state).
 *
 * <p>Beats behind {@code watermark - L} can never change anymore (anything later that arrives is at least at
 * {@code watermark - L}), so they are folded into {@link PairState#frozen} and dropped. Only the recent beats stay
 * in a buffer. An in-order beat is one {@link PairFold#apply} step on the tail; an out-of-order one re-folds the
 * buffer and compares the segments before and after, which yields the deletes for superseded rows.
 */
public final class PairTimeline {

    /** The pair's buffered beats, sorted and distinct, read only when needed (they may have to come from RocksDB). */
    @FunctionalInterface
    public interface BufferSource {
        List<Beat> read() throws Exception;
    }

    /** What changed in the pair's results. */
    public interface Listener {
        void segmentUpserted(Segment segment);

        void segmentDeleted(long segmentStart);

        void progressChanged(PairFold tail);

        /** @param previousWatched -1 when the hour had no content heartbeat before */
        void hourChanged(long hour, long previousWatched, long watched);
    }

    private final ContractParams params;
    private final boolean trackHours;
    /** How much beyond L beats stay buffered before they are frozen: fewer, larger compactions. */
    private final long compactionSlackMs;

    public PairTimeline(ContractParams params, boolean trackHours) {
        this(params, trackHours, Math.max(params.sessionGapMs, params.allowedLatenessMs / 2));
    }

    public PairTimeline(ContractParams params, boolean trackHours, long compactionSlackMs) {
        if (compactionSlackMs < 1) throw new IllegalArgumentException("compaction slack must be >= 1 ms, got " + compactionSlackMs);
        this.params = params;
        this.trackHours = trackHours;
        this.compactionSlackMs = compactionSlackMs;
    }

    public ContractParams params() {
        return params;
    }

    boolean tracksHours() {
        return trackHours;
    }

    /** Whether {@code b} sorts strictly after everything in the pair so far (the common case). */
    public static boolean isInOrder(PairState st, Beat b) {
        return sortsAfter(st.tail, b);
    }

    /** Whether {@code b} sorts strictly after every beat folded into {@code f}. */
    static boolean sortsAfter(PairFold f, Beat b) {
        return !f.started || b.time > f.lastTime || (b.time == f.lastTime && b.isAd() && !f.lastWasAd);
    }

    /**
     * Whether {@code b}, though not in order, changes nothing, decided without the buffer: an {@code ad} marker at the
     * time of the last beat, which is one already; or a content beat at the resume point's time that loses the
     * contract's de-duplication to the beat kept there (a smaller position, or a {@code play} at the same position
     * from a device that is not greater). The usual duplicate delivery of the latest heartbeat is one of these.
     */
    public static boolean changesNothing(PairState st, Beat b) {
        PairFold t = st.tail;
        if (!t.started) return false;
        if (b.isAd()) return b.time == t.lastTime && t.lastWasAd;
        if (!t.hasProgress || b.time != t.progTime) return false;
        if (b.pos != t.progPos) return b.pos < t.progPos;
        // The kept beat's event is not in the fold; play is first in the event order, so it can only win on the device.
        return b.event == EventType.PLAY.ordinal() && Beat.compareDevices(b.device, t.progDevice) <= 0;
    }

    /** Whether {@code b} is behind what was already frozen (cannot happen when lateness is checked upstream). */
    public static boolean isBehindFrontier(PairState st, Beat b) {
        return b.time < st.frontier;
    }

    /** Adds an in-order beat; the caller appends it to the buffer. */
    public void appendInOrder(PairState st, Beat b, Listener out) {
        PairFold t = st.tail;
        long hour = ContractParams.hourOf(b.time);
        long before = trackHours && !b.isAd() ? t.watchedIn(hour) : 0;
        // Segments closed by this beat were emitted with their final values when they last grew.
        t.apply(b, params, trackHours, closed -> {});
        if (st.bufferFirst == Long.MAX_VALUE) st.bufferFirst = b.time;
        if (b.isAd()) return;
        out.segmentUpserted(t.currentSegment());
        out.progressChanged(t);
        if (trackHours) {
            long after = t.watchedIn(hour);
            if (after != before) out.hourChanged(hour, before, after);
        }
    }

    /**
     * Adds an out-of-order beat.
     *
     * @param buffer the buffered beats, sorted and distinct ({@link Beat#sortedDistinct})
     * @return the new buffer, or {@code null} when the beat changes nothing (a duplicate, or loses its tie)
     */
    public List<Beat> insert(PairState st, List<Beat> buffer, Beat b, Listener out) {
        List<Beat> updated = insertAfter(st, st.frozen, buffer, b, out);
        if (updated != null) st.bufferFirst = updated.get(0).time;
        return updated;
    }

    /**
     * {@link #insert} on the beats after a point of the pair's sequence: {@code base} is the fold of every beat before
     * {@code buffer}, and {@code b} sorts after all of those. A left fold's state at a point depends only on what came
     * before it, so the result is the same as with the frozen fold and the whole buffer; only the segments the later
     * beats touch can change. Sets the new tail, not {@link PairState#bufferFirst}.
     *
     * @param buffer sorted and distinct: every beat of the pair after {@code base}
     * @return {@code buffer} with {@code b} in its place, or {@code null} when {@code b} changes nothing
     */
    List<Beat> insertAfter(PairState st, PairFold base, List<Beat> buffer, Beat b, Listener out) {
        List<Beat> updated = new ArrayList<>(buffer.size() + 1);
        boolean placed = false;
        for (Beat c : buffer) {
            if (!placed) {
                if (c.time == b.time && c.isAd() == b.isAd()) {
                    if (b.isAd() || !Beat.wins(b, c)) return null;
                    updated.add(b);
                    placed = true;
                    continue;
                }
                if (Beat.compareOrder(b, c) < 0) {
                    updated.add(b);
                    placed = true;
                }
            }
            updated.add(c);
        }
        if (!placed) updated.add(b);

        Map<Long, Segment> before = new LinkedHashMap<>();
        PairFold oldTail = fold(base, buffer, before);
        Map<Long, Segment> after = new LinkedHashMap<>();
        PairFold newTail = fold(base, updated, after);

        for (Long start : before.keySet()) {
            if (!after.containsKey(start)) out.segmentDeleted(start);
        }
        after.forEach((start, seg) -> {
            if (!seg.equals(before.get(start))) out.segmentUpserted(seg);
        });
        if (newTail.hasProgress && (!oldTail.hasProgress || newTail.progTime != oldTail.progTime || newTail.progPos != oldTail.progPos
                || !java.util.Objects.equals(newTail.progDevice, oldTail.progDevice))) {
            out.progressChanged(newTail);
        }
        if (trackHours) {
            for (int i = 0; i < newTail.hours.length; i++) {
                long prev = oldTail.watchedIn(newTail.hours[i]);
                if (prev != newTail.watched[i]) out.hourChanged(newTail.hours[i], prev, newTail.watched[i]);
            }
        }
        st.tail = newTail;
        return updated;
    }

    /** Folds {@code beats} over a copy of {@code start}, collecting every segment they touch (the open one too). */
    private PairFold fold(PairFold start, List<Beat> beats, Map<Long, Segment> segments) {
        PairFold f = start.copy();
        for (Beat b : beats) f.apply(b, params, trackHours, s -> segments.put(s.segmentStart, s));
        if (f.hasSegment && !beats.isEmpty()) segments.put(f.segStart, f.currentSegment());
        return f;
    }

    /**
     * Freezes what the watermark has put out of reach and forgets hours that can no longer change. When every buffered
     * beat freezes (the usual end of a pair: its last session is L behind), frozen + buffer is the tail as it stands,
     * so the buffer is not read at all.
     *
     * @return the beats that stay buffered, or {@code null} when the buffer is unchanged
     */
    public List<Beat> maintain(PairState st, BufferSource buffer, long watermark) throws Exception {
        long limit = watermark == Long.MIN_VALUE ? Long.MIN_VALUE : watermark - params.allowedLatenessMs;
        if (limit <= st.frontier) return null;
        List<Beat> rest = null;
        if (st.bufferFirst != Long.MAX_VALUE && st.tail.lastTime < limit) {
            st.frozen = st.tail.copy();
            rest = new ArrayList<>();
        } else if (st.bufferFirst < limit) {
            List<Beat> beats = buffer.read();
            int n = 0;
            while (n < beats.size() && beats.get(n).time < limit) {
                st.frozen.apply(beats.get(n), params, trackHours, s -> {});
                n++;
            }
            if (n > 0) rest = new ArrayList<>(beats.subList(n, beats.size()));
            else st.bufferFirst = beats.isEmpty() ? Long.MAX_VALUE : beats.get(0).time;
        }
        st.frontier = limit;
        st.frozen.dropHoursEndingBy(limit);
        st.tail.dropHoursEndingBy(limit);
        if (rest != null) st.bufferFirst = rest.isEmpty() ? Long.MAX_VALUE : rest.get(0).time;
        return rest;
    }

    /**
     * {@link #maintain(PairState, BufferSource, long)} on a buffer at hand.
     *
     * @param buffer sorted and distinct
     * @return the beats that stay buffered (the same list when nothing was frozen)
     */
    public List<Beat> maintain(PairState st, List<Beat> buffer, long watermark) {
        try {
            List<Beat> rest = maintain(st, () -> buffer, watermark);
            return rest == null ? buffer : rest;
        } catch (Exception e) {
            throw new IllegalStateException(e); // the supplier above cannot throw
        }
    }

    /**
     * Whether nothing that can still arrive relates to anything kept: every beat is frozen, the last session is
     * over for good (a later beat is more than G after it, or it ended with stop), and no hour can change.
     */
    public boolean isFinished(PairState st) {
        PairFold f = st.frozen;
        return st.bufferFirst == Long.MAX_VALUE && f.hours.length == 0 && (!f.started || f.lastWasStop || st.frontier - f.lastTime > params.sessionGapMs);
    }

    /**
     * When the next maintenance is due (event time): compaction, end of the last session, or the end of an hour;
     * {@link Long#MAX_VALUE} when nothing is pending (then {@link #isFinished} holds).
     */
    public long nextMaintenance(PairState st) {
        long lateness = params.allowedLatenessMs;
        PairFold t = st.tail;
        long next = Long.MAX_VALUE;
        // The last session is over for good once the frontier passes its end; after that only hours may be pending
        // (a time the watermark has already passed would fire again at once, forever).
        long sessionEnd = t.lastTime + (t.lastWasStop ? 0 : params.sessionGapMs);
        if (st.frontier == Long.MIN_VALUE || sessionEnd >= st.frontier) next = sessionEnd + lateness + 1;
        if (st.bufferFirst != Long.MAX_VALUE) next = Math.min(next, st.bufferFirst + lateness + compactionSlackMs);
        if (t.hours.length > 0) next = Math.min(next, t.hours[0] + 3_600_000L + lateness);
        return next;
    }
}
