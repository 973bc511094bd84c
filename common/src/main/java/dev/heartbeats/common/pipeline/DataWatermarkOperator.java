package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.Heartbeat;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A keyed operator whose event time never runs ahead of what the input data allows: the watermark its function and
 * timers see is Flink's, capped at the lowest watermark of the Kafka partitions its heartbeats came from (each
 * heartbeat carries its partition and that partition's watermark, set where too-late is decided).
 *
 * <p>Why: a heartbeat is too late only by its own partition's data ({@link RouteInvalidAndLate}), so a partition that
 * went quiet may later deliver heartbeats far behind the others, and they count. Flink's watermark does not wait for
 * a quiet partition (it is idle), and after a restart it starts from nothing; a keyed function that froze or dropped
 * a pair's state on that watermark would have to turn such a heartbeat away, or count it wrongly. Capped, state is
 * kept until no heartbeat that counts can need it, and the decision and the state agree in every job and every attempt.
 * The partitions' watermarks are part of the checkpoint (union state: after a rescale every subtask holds back for every
 * partition it may read). Partitions never seen do not hold anything back (their first heartbeat is never too late,
 * and has no state to merge with); the end of a bounded input passes through.
 *
 * <p>Heartbeats without a partition (tests feeding the function directly) do not cap anything.
 */
public class DataWatermarkOperator<K, OUT> extends KeyedProcessOperator<K, Heartbeat, OUT> {
    private static final long serialVersionUID = 1L;

    static final String STATE_NAME = "partition-watermarks";

    private transient Map<Integer, Long> partitionWatermarks;
    private transient ListState<Tuple2<Integer, Long>> stored;
    /** The lowest of {@link #partitionWatermarks}; {@link Long#MAX_VALUE} while none is known. */
    private transient long dataWatermark;
    private transient long inputWatermark;
    private transient long emitted;

    public DataWatermarkOperator(KeyedProcessFunction<K, Heartbeat, OUT> function) {
        super(function);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        stored = context.getOperatorStateStore().getUnionListState(new ListStateDescriptor<>(STATE_NAME,
                TypeInformation.of(new TypeHint<Tuple2<Integer, Long>>() {})));
        partitionWatermarks = new HashMap<>();
        for (Tuple2<Integer, Long> e : stored.get()) partitionWatermarks.merge(e.f0, e.f1, Math::max);
        dataWatermark = lowest();
        inputWatermark = Long.MIN_VALUE;
        emitted = Long.MIN_VALUE;
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        List<Tuple2<Integer, Long>> out = new ArrayList<>(partitionWatermarks.size());
        partitionWatermarks.forEach((p, w) -> out.add(Tuple2.of(p, w)));
        stored.update(out);
    }

    @Override
    public void processElement(StreamRecord<Heartbeat> element) throws Exception {
        int partition = element.getValue().sourcePartition;
        long watermark = element.getValue().partitionWatermark;
        super.processElement(element);
        if (partition < 0 || watermark == Long.MIN_VALUE) return;
        Long known = partitionWatermarks.get(partition);
        if (known != null && known >= watermark) return;
        partitionWatermarks.put(partition, watermark);
        if (known == null || known == dataWatermark) {
            dataWatermark = lowest();
            advance();
        }
    }

    @Override
    public void processWatermark(Watermark mark) throws Exception {
        inputWatermark = mark.getTimestamp();
        advance();
    }

    /** The watermark the function and its timers see: Flink's, capped by the data; the end of the input passes. */
    private void advance() throws Exception {
        long w = inputWatermark == Long.MAX_VALUE ? Long.MAX_VALUE : Math.min(inputWatermark, dataWatermark);
        if (w > emitted) {
            emitted = w;
            super.processWatermark(new Watermark(w));
        }
    }

    private long lowest() {
        long min = Long.MAX_VALUE;
        for (long w : partitionWatermarks.values()) min = Math.min(min, w);
        return min;
    }
}
