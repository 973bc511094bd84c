package dev.heartbeats.common.contract;

import java.io.Serializable;
import java.time.Duration;

/**
 * The contract's section 2 parameters: session gap G, max rate R, tolerance T, allowed lateness L, max session M,
 * max clock skew ahead F.
 */
public final class ContractParams implements Serializable {
    private static final long serialVersionUID = 1L;

    /** F's default: 5 min. */
    public static final long MAX_CLOCK_SKEW_MS = 300_000;

    public static final ContractParams DEFAULTS =
            new ContractParams(Duration.ofSeconds(30).toMillis(), 2.0, 2_000, Duration.ofMinutes(10).toMillis(), Duration.ofHours(12).toMillis());

    /** G: a pause in heartbeats longer than this ends a session (ms). */
    public final long sessionGapMs;
    /** R: fastest plausible playback rate. */
    public final double maxRate;
    /** T: slack for clock jitter and rounding (ms). */
    public final long toleranceMs;
    /** L: how far behind the watermark a heartbeat may still correct results (ms). */
    public final long allowedLatenessMs;
    /** M: cap on session length (ms). */
    public final long maxSessionMs;
    /** F: how far event_time may lie ahead of the Kafka record's timestamp (ms); further is an invalid heartbeat. */
    public final long maxClockSkewMs;

    public ContractParams(long sessionGapMs, double maxRate, long toleranceMs, long allowedLatenessMs, long maxSessionMs) {
        this(sessionGapMs, maxRate, toleranceMs, allowedLatenessMs, maxSessionMs, MAX_CLOCK_SKEW_MS);
    }

    public ContractParams(long sessionGapMs, double maxRate, long toleranceMs, long allowedLatenessMs, long maxSessionMs, long maxClockSkewMs) {
        this.sessionGapMs = sessionGapMs;
        this.maxRate = maxRate;
        this.toleranceMs = toleranceMs;
        this.allowedLatenessMs = allowedLatenessMs;
        this.maxSessionMs = maxSessionMs;
        this.maxClockSkewMs = maxClockSkewMs;
    }

    /**
     * The clock-skew rule (contract section 1): a heartbeat whose event time is more than F ahead of its Kafka record's
     * timestamp is invalid. Returns the reason, or null when it is within F.
     */
    public String clockSkewViolation(long eventTime, long recordTimestamp) {
        if (recordTimestamp < 0 || eventTime - recordTimestamp <= maxClockSkewMs) return null;
        return "clock skew: event_time " + eventTime + " is " + (eventTime - recordTimestamp) + " ms ahead of the record's timestamp "
                + recordTimestamp + " (max clock skew F = " + maxClockSkewMs + " ms)";
    }

    /** Whether content heartbeat b continues the segment of content heartbeat a (same session, a just before b). */
    public boolean continues(long aTime, long aPos, long bTime, long bPos, EventType bEvent) {
        if (bEvent == EventType.SEEK) return false;
        long delta = bPos - aPos;
        return delta >= 0 && delta <= (bTime - aTime) * maxRate + toleranceMs;
    }

    public static long hourOf(long epochMs) {
        return Math.floorDiv(epochMs, 3_600_000L) * 3_600_000L;
    }

    @Override
    public String toString() {
        return "G=" + sessionGapMs + "ms R=" + maxRate + " T=" + toleranceMs + "ms L=" + allowedLatenessMs + "ms M=" + maxSessionMs + "ms F=" + maxClockSkewMs + "ms";
    }
}
