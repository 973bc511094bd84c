package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.kafka.IngestedRecord;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MeterView;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.HashMap;
import java.util.Map;

/**
 * Splits what the source read: valid heartbeats go on, invalid records to the dead-letter output, and heartbeats
 * more than L behind the watermark to the late output.
 *
 * <p>The watermark a record is judged against is its partition's, derived from the data alone: the largest event
 * time of the valid heartbeats before it in that partition, minus the out-of-orderness. Neither the wall clock,
 * nor idleness, nor how far other partitions are, nor a restart changes it: the per-partition maxima are part of the
 * checkpoint, so every job and every replay over the same partitions routes the same records (the contract's
 * too-late rule; a partition's first heartbeat is never too late). Each heartbeat leaves tagged with its partition
 * and that partition's watermark after it, so that the keyed operators keep state for as long as a later heartbeat
 * of the partition may still need it ({@link DataWatermarkOperator}). Checking here, right after the source, also
 * keeps the original bytes at hand.
 */
public class RouteInvalidAndLate extends ProcessFunction<IngestedRecord, Heartbeat> implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<DeadLetter> INVALID = new OutputTag<>("invalid") {};
    public static final OutputTag<DeadLetter> LATE = new OutputTag<>("too-late") {};
    /** Accumulators of a job's result: records routed to the dead-letter and to the late topic. */
    public static final String INVALID_ACCUMULATOR = "heartbeatsInvalid";
    public static final String LATE_ACCUMULATOR = "heartbeatsTooLate";

    private final long allowedLatenessMs;
    private final long outOfOrdernessMs;
    /** Largest valid event time seen per "topic:partition". */
    private transient Map<String, Long> partitionMax;
    private transient ListState<Tuple2<String, Long>> checkpointed;
    private transient Counter valid;
    private transient Counter invalid;
    private transient Counter late;
    /** The same counts as accumulators: a bounded run's result carries them (its summary line). */
    private transient LongCounter invalidTotal;
    private transient LongCounter lateTotal;
    /** The map key of the partition of the previous record: records come in runs from one partition. */
    private transient String lastTopic;
    private transient int lastPartition = -1;
    private transient String lastPartitionKey;

    public RouteInvalidAndLate(long allowedLatenessMs, long outOfOrdernessMs) {
        this.allowedLatenessMs = allowedLatenessMs;
        this.outOfOrdernessMs = outOfOrdernessMs;
    }

    @Override
    public void open(OpenContext openContext) {
        var group = getRuntimeContext().getMetricGroup();
        valid = group.counter("heartbeatsValid");
        invalid = group.counter("heartbeatsInvalid");
        late = group.counter("heartbeatsTooLate");
        group.meter("heartbeatsValidPerSecond", new MeterView(valid));
        invalidTotal = new LongCounter();
        lateTotal = new LongCounter();
        getRuntimeContext().addAccumulator(INVALID_ACCUMULATOR, invalidTotal);
        getRuntimeContext().addAccumulator(LATE_ACCUMULATOR, lateTotal);
    }

    @Override
    public void processElement(IngestedRecord r, Context ctx, Collector<Heartbeat> out) {
        if (!r.isValid()) {
            if (r.outsideRange) return;
            invalid.inc();
            invalidTotal.add(1);
            ctx.output(INVALID, DeadLetter.of(r, r.invalidReason));
            return;
        }
        long eventTime = r.heartbeat.eventTime;
        String partition = partitionKey(r);
        Long max = partitionMax.get(partition);
        long watermark = watermark(max);
        if (watermark != Long.MIN_VALUE && watermark - eventTime > allowedLatenessMs) {
            if (r.outsideRange) return;
            late.inc();
            lateTotal.add(1);
            ctx.output(LATE, DeadLetter.of(r, "too late: event_time " + eventTime + " is " + (watermark - eventTime)
                    + " ms behind the watermark " + watermark + " of partition " + r.partition + " (allowed lateness " + allowedLatenessMs + " ms)"));
            return;
        }
        if (max == null || eventTime > max) {
            max = eventTime;
            partitionMax.put(partition, max);
        }
        valid.inc();
        r.heartbeat.sourcePartition = r.partition;
        r.heartbeat.partitionWatermark = watermark(max);
        out.collect(r.heartbeat);
    }

    private long watermark(Long max) {
        return max == null ? Long.MIN_VALUE : max - outOfOrdernessMs - 1;
    }

    private String partitionKey(IngestedRecord r) {
        if (r.partition != lastPartition || !r.topic.equals(lastTopic)) {
            lastTopic = r.topic;
            lastPartition = r.partition;
            lastPartitionKey = r.topic + ':' + r.partition;
        }
        return lastPartitionKey;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        checkpointed.clear();
        for (Map.Entry<String, Long> e : partitionMax.entrySet()) checkpointed.add(Tuple2.of(e.getKey(), e.getValue()));
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        // Union state: after a rescale every subtask sees every partition's maximum and uses those it reads.
        checkpointed = context.getOperatorStateStore().getUnionListState(
                new ListStateDescriptor<>("partition-max-event-time", TypeInformation.of(new TypeHint<Tuple2<String, Long>>() {})));
        partitionMax = new HashMap<>();
        for (Tuple2<String, Long> e : checkpointed.get()) partitionMax.merge(e.f0, e.f1, Math::max);
    }
}
