package dev.heartbeats.common.kafka;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Per-partition watermarks: bounded out-of-orderness over valid heartbeats' event times. Invalid records do not
 * move the watermark. A partition that has had no heartbeat for the idle timeout since it was opened is idle (it
 * holds nothing back); not before, because a split whose first records are still on their way must hold the
 * watermark back, or a finished or faster subtask's watermark would run ahead of them. Once a partition that had
 * heartbeats has been quiet for the idle timeout, its watermark moves on with the wall clock, so that when all
 * traffic stops the open sessions still close (contract: "an idle source must not hold results back forever").
 *
 * <p>Quiet time is measured on the source's input-activity clock, which Flink pauses while the source is
 * back-pressured: a source that stops reading because a sink is blocked (a database outage) is not idle, and its
 * backlog must not be judged against a watermark that moved on without it.
 */
public class HeartbeatWatermarks implements WatermarkGenerator<IngestedRecord> {
    private final long outOfOrdernessMs;
    private final long idleTimeoutMs;
    private long maxTimestamp = Long.MIN_VALUE;
    private final RelativeClock activityClock;
    private long lastActivityMs;
    private long emitted = Long.MIN_VALUE;

    public HeartbeatWatermarks(long outOfOrdernessMs, long idleTimeoutMs, RelativeClock activityClock) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.idleTimeoutMs = idleTimeoutMs;
        this.activityClock = activityClock;
        this.lastActivityMs = activityClock.relativeTimeMillis();
    }

    @Override
    public void onEvent(IngestedRecord record, long eventTimestamp, WatermarkOutput output) {
        if (!record.isValid()) return;
        if (eventTimestamp > maxTimestamp) maxTimestamp = eventTimestamp;
        lastActivityMs = activityClock.relativeTimeMillis();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        long quietFor = activityClock.relativeTimeMillis() - lastActivityMs;
        if (maxTimestamp == Long.MIN_VALUE) {
            if (quietFor > idleTimeoutMs) output.markIdle();
            return;
        }
        long wm = maxTimestamp - outOfOrdernessMs - 1;
        if (quietFor > idleTimeoutMs) wm += quietFor - idleTimeoutMs;
        if (wm > emitted) {
            emitted = wm;
            output.emitWatermark(new Watermark(wm));
        }
    }
}
