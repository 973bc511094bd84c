package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * The contract's section 3 as a left fold over one pair's de-duplicated heartbeats in order: everything the rest of
 * the sequence needs to know about what came before (the open session, its current segment, the resume point, and
 * watched time per hour that can still change). Its size does not depend on how many heartbeats it has seen.
 *
 * <p>Serialized by {@link PairStateSerializer} as part of {@link PairState}.
 */
public class PairFold {
    private static final long[] NONE = new long[0];

    public boolean started;
    /** Time of the last heartbeat of any kind, and whether it was a {@code stop} (both end a session). */
    public long lastTime;
    public boolean lastWasStop;
    public boolean lastWasAd;
    public long sessionStart;

    /** Whether the open session has a content heartbeat, i.e. a current segment. */
    public boolean hasSegment;
    public long segStart;
    public long segStartPos;
    public long segEnd;
    public long segEndPos;
    public long segSessionStart;
    public int segBeats;

    /** The resume point: the pair's last content heartbeat. */
    public boolean hasProgress;
    public long progTime;
    public long progPos;
    public String progDevice;

    /** Watched ms per UTC hour (sorted by hour) for hours that have a content heartbeat and may still change. */
    public long[] hours = NONE;
    public long[] watched = NONE;

    public PairFold copy() {
        PairFold f = new PairFold();
        f.started = started;
        f.lastTime = lastTime;
        f.lastWasStop = lastWasStop;
        f.lastWasAd = lastWasAd;
        f.sessionStart = sessionStart;
        f.hasSegment = hasSegment;
        f.segStart = segStart;
        f.segStartPos = segStartPos;
        f.segEnd = segEnd;
        f.segEndPos = segEndPos;
        f.segSessionStart = segSessionStart;
        f.segBeats = segBeats;
        f.hasProgress = hasProgress;
        f.progTime = progTime;
        f.progPos = progPos;
        f.progDevice = progDevice;
        f.hours = hours.length == 0 ? NONE : hours.clone();
        f.watched = watched.length == 0 ? NONE : watched.clone();
        return f;
    }

    /**
     * Folds the next beat (strictly after every beat folded so far in contract order, already de-duplicated).
     *
     * @param closed receives each segment this beat closes, with its final values
     */
    public void apply(Beat b, ContractParams p, boolean trackHours, Consumer<Segment> closed) {
        boolean newSession = !started || b.time - lastTime > p.sessionGapMs || lastWasStop || b.time - sessionStart > p.maxSessionMs;
        if (newSession) {
            if (hasSegment) closed.accept(currentSegment());
            hasSegment = false;
            sessionStart = b.time;
        }
        started = true;
        lastTime = b.time;
        lastWasStop = b.event == EventType.STOP.ordinal();
        lastWasAd = b.isAd();
        if (b.isAd()) return;

        long contributed = 0;
        if (hasSegment && p.continues(segEnd, segEndPos, b.time, b.pos, b.eventType())) {
            contributed = b.pos - segEndPos;
            segEnd = b.time;
            segEndPos = b.pos;
            segBeats++;
        } else {
            if (hasSegment) closed.accept(currentSegment());
            hasSegment = true;
            segStart = segEnd = b.time;
            segStartPos = segEndPos = b.pos;
            segSessionStart = sessionStart;
            segBeats = 1;
        }
        if (trackHours) addWatched(ContractParams.hourOf(b.time), contributed);
        hasProgress = true;
        progTime = b.time;
        progPos = b.pos;
        progDevice = b.device;
    }

    public Segment currentSegment() {
        return new Segment(segStart, segSessionStart, segEnd, segStartPos, segEndPos, segBeats);
    }

    /** Watched ms of an hour, or -1 when the hour has no content heartbeat (or is no longer tracked). */
    public long watchedIn(long hour) {
        int i = Arrays.binarySearch(hours, hour);
        return i >= 0 ? watched[i] : -1;
    }

    private void addWatched(long hour, long ms) {
        int i = Arrays.binarySearch(hours, hour);
        if (i >= 0) {
            watched[i] += ms;
            return;
        }
        int at = -i - 1;
        long[] h = new long[hours.length + 1];
        long[] w = new long[h.length];
        System.arraycopy(hours, 0, h, 0, at);
        System.arraycopy(watched, 0, w, 0, at);
        h[at] = hour;
        w[at] = ms;
        System.arraycopy(hours, at, h, at + 1, hours.length - at);
        System.arraycopy(watched, at, w, at + 1, watched.length - at);
        hours = h;
        watched = w;
    }

    /** Forgets hours that ended at or before {@code limit}: no heartbeat that can still arrive falls in them. */
    public void dropHoursEndingBy(long limit) {
        int keep = 0;
        while (keep < hours.length && hours[keep] + 3_600_000L <= limit) keep++;
        if (keep == 0) return;
        hours = keep == hours.length ? NONE : Arrays.copyOfRange(hours, keep, hours.length);
        watched = keep == watched.length ? NONE : Arrays.copyOfRange(watched, keep, watched.length);
    }
}
