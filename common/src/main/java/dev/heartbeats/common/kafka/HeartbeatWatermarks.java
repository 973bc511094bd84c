package dev.heartbeats.common.kafka;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.RelativeClock;

/**
 * Per-partition watermarks from the data alone: bounded out-of-orderness over valid heartbeats' event times; invalid
 * records (a device clock in the future among them) do not move them. A partition that has had no valid heartbeat for
 * the idle timeout is idle: it stops holding Flink's watermark back. It never moves on with the wall clock: results
 * are written as they change, so nothing waits for the watermark to be seen, and the keyed operators keep what a
 * later heartbeat of an idle partition may still need ({@code DataWatermarkOperator}).
 *
 * <p>Quiet time is measured on the source's input-activity clock, which Flink pauses while the source is
 * back-pressured: a source that stops reading because a sink is blocked (a database outage) is not idle.
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
        if (activityClock.relativeTimeMillis() - lastActivityMs > idleTimeoutMs) {
            output.markIdle();
            return;
        }
        if (maxTimestamp == Long.MIN_VALUE) return;
        long wm = maxTimestamp - outOfOrdernessMs - 1;
        if (wm > emitted) {
            emitted = wm;
            output.emitWatermark(new Watermark(wm));
        }
    }
}
