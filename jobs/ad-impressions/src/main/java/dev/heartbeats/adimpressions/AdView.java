package dev.heartbeats.adimpressions;

import java.math.BigInteger;

/**
 * One ad view of a (user, video, ad_id) as far as it is known: its first and last heartbeat times and the largest
 * {@code ad_position_ms} (m) and {@code ad_duration_ms} (d) seen. Heartbeats only ever widen or merge views, and the
 * maxima are idempotent, so a duplicated heartbeat changes nothing. A Flink POJO so that its serializer can evolve.
 */
public class AdView {
    public static final int IMPRESSION = 1;
    public static final int FIRST_QUARTILE = 2;
    public static final int MIDPOINT = 4;
    public static final int THIRD_QUARTILE = 8;
    public static final int COMPLETE = 16;

    public static final long IMPRESSION_MIN_MS = 2_000;

    public long first;
    public long last;
    public long maxPosition;
    public long maxDuration;

    public AdView() {}

    public AdView(long first, long last, long maxPosition, long maxDuration) {
        this.first = first;
        this.last = last;
        this.maxPosition = maxPosition;
        this.maxDuration = maxDuration;
    }

    public static long hourOf(long epochMs) {
        return Math.floorDiv(epochMs, 3_600_000L) * 3_600_000L;
    }

    /** Whether a heartbeat at {@code time} belongs to this view: no gap of more than G between them. */
    public boolean reaches(long time, long gapMs) {
        return time >= first - gapMs && time <= last + gapMs;
    }

    public void absorb(AdView o) {
        first = Math.min(first, o.first);
        last = Math.max(last, o.last);
        maxPosition = Math.max(maxPosition, o.maxPosition);
        maxDuration = Math.max(maxDuration, o.maxDuration);
    }

    /** The contract's milestones as a bit set: impression m ≥ 2000, 4m ≥ d, 2m ≥ d, 4m ≥ 3d, m + T ≥ d. */
    public int flags(long toleranceMs) {
        return flags(maxPosition, maxDuration, toleranceMs);
    }

    public static int flags(long m, long d, long toleranceMs) {
        int f = 0;
        if (m >= IMPRESSION_MIN_MS) f |= IMPRESSION;
        if (atLeast(m, 4, d, 1)) f |= FIRST_QUARTILE;
        if (atLeast(m, 2, d, 1)) f |= MIDPOINT;
        if (atLeast(m, 4, d, 3)) f |= THIRD_QUARTILE;
        if (m >= d - toleranceMs) f |= COMPLETE; // m + T >= d without overflow (d > 0, T >= 0)
        return f;
    }

    /** {@code a·m ≥ b·d} for non-negative m and d, exact for any long values. */
    static boolean atLeast(long m, int a, long d, int b) {
        if (m < (1L << 60) && d < (1L << 60)) return a * m >= b * d;
        return BigInteger.valueOf(m).multiply(BigInteger.valueOf(a)).compareTo(BigInteger.valueOf(d).multiply(BigInteger.valueOf(b))) >= 0;
    }

    @Override
    public String toString() {
        return "AdView[" + first + ".." + last + " m=" + maxPosition + " d=" + maxDuration + "]";
    }
}
