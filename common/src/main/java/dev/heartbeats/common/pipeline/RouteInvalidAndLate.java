package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.kafka.IngestedRecord;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Splits what the source read: valid heartbeats go on, invalid records to the dead-letter output, and heartbeats
 * more than L behind the watermark to the late output. Checking lateness here, right after the source, keeps the
 * original bytes at hand, and is safe for the keyed operators downstream: their watermark never runs ahead of the
 * one a record was checked against.
 */
public class RouteInvalidAndLate extends ProcessFunction<IngestedRecord, Heartbeat> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> INVALID = new OutputTag<>("invalid") {};
    public static final OutputTag<DeadLetter> LATE = new OutputTag<>("too-late") {};

    private final long allowedLatenessMs;
    private transient Counter valid;
    private transient Counter invalid;
    private transient Counter late;

    public RouteInvalidAndLate(long allowedLatenessMs) {
        this.allowedLatenessMs = allowedLatenessMs;
    }

    @Override
    public void open(OpenContext openContext) {
        var group = getRuntimeContext().getMetricGroup();
        valid = group.counter("heartbeatsValid");
        invalid = group.counter("heartbeatsInvalid");
        late = group.counter("heartbeatsTooLate");
        group.meter("heartbeatsValidPerSecond", new MeterView(valid));
    }

    @Override
    public void processElement(IngestedRecord r, Context ctx, Collector<Heartbeat> out) {
        if (!r.isValid()) {
            invalid.inc();
            ctx.output(INVALID, DeadLetter.of(r, r.invalidReason));
            return;
        }
        long watermark = ctx.timerService().currentWatermark();
        long eventTime = r.heartbeat.eventTime;
        if (watermark != Long.MIN_VALUE && watermark - eventTime > allowedLatenessMs) {
            late.inc();
            ctx.output(LATE, DeadLetter.of(r, "too late: event_time " + eventTime + " is " + (watermark - eventTime)
                    + " ms behind the watermark " + watermark + " (allowed lateness " + allowedLatenessMs + " ms)"));
            return;
        }
        valid.inc();
        out.collect(r.heartbeat);
    }
}
