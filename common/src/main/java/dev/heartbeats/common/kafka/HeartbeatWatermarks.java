package dev.heartbeats.common.kafka;

import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkOutput;

/**
 * Per-partition watermarks: bounded out-of-orderness over valid heartbeats' event times. Invalid records do not
 * move the watermark. A partition that never had a heartbeat is idle (it holds nothing back); once a partition has
 * been quiet for the idle timeout, its watermark moves on with the wall clock, so that when all traffic stops the
 * open sessions still close (contract: "an idle source must not hold results back forever").
 */
public class HeartbeatWatermarks implements WatermarkGenerator<IngestedRecord> {
    private final long outOfOrdernessMs;
    private final long idleTimeoutMs;
    private long maxTimestamp = Long.MIN_VALUE;
    private long lastActivityMs;
    private long emitted = Long.MIN_VALUE;

    public HeartbeatWatermarks(long outOfOrdernessMs, long idleTimeoutMs) {
        this.outOfOrdernessMs = outOfOrdernessMs;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    @Override
    public void onEvent(IngestedRecord record, long eventTimestamp, WatermarkOutput output) {
        if (!record.isValid()) return;
        if (eventTimestamp > maxTimestamp) maxTimestamp = eventTimestamp;
        lastActivityMs = System.currentTimeMillis();
    }

    @Override
    public void onPeriodicEmit(WatermarkOutput output) {
        if (maxTimestamp == Long.MIN_VALUE) {
            output.markIdle();
            return;
        }
        long wm = maxTimestamp - outOfOrdernessMs - 1;
        long quietFor = System.currentTimeMillis() - lastActivityMs;
        if (quietFor > idleTimeoutMs) wm += quietFor - idleTimeoutMs;
        if (wm > emitted) {
            emitted = wm;
            output.emitWatermark(new Watermark(wm));
        }
    }
}
