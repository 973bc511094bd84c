package dev.heartbeats.segments;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * The segments job's keyed operator: {@link SegmentsFunction} with a {@link PairCache} (write-back state cache and
 * row coalescing) that this operator flushes before every checkpoint barrier and at the end of the input. Same
 * state (names, types), same timers ("user-timers"), same uid as the plain {@code KeyedProcessOperator}, so a
 * savepoint of either restores into the other.
 */
public class SegmentsOperator extends KeyedProcessOperator<String, Heartbeat, Change<WatchSegment>> implements PairCache.Host {
    private static final long serialVersionUID = 1L;

    private final long cacheCapacity;
    private transient PairCache cache;

    /** @param cacheCapacity pairs held in memory per subtask; 0 runs the function on RocksDB directly */
    public SegmentsOperator(SegmentsFunction function, long cacheCapacity) {
        super(function);
        this.cacheCapacity = cacheCapacity;
    }

    @Override
    public void open() throws Exception {
        super.open();
        if (cacheCapacity > 0) {
            // The user function as the operator holds it (the instance deserialized on this task, which is opened).
            SegmentsFunction fn = (SegmentsFunction) userFunction;
            cache = new PairCache(fn, this, cacheCapacity, getMetricGroup());
            fn.useCache(cache);
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (cache != null) cache.flushAll();
    }

    @Override
    public void finish() throws Exception {
        if (cache != null) cache.flushAll();
        super.finish();
    }

    @Override
    public String currentKey() {
        return (String) getCurrentKey();
    }

    @Override
    public void setCurrentKey(String key) {
        super.setCurrentKey(key);
    }

    @Override
    public long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    @Override
    public void scheduleAt(long time) {
        getProcessingTimeService().registerTimer(time, t -> cache.onProcessingTime(getProcessingTimeService().getCurrentProcessingTime()));
    }

    @Override
    public void emitSegment(Change<WatchSegment> change) {
        output.collect(new StreamRecord<>(change));
    }

    @Override
    public void emitProgress(Change<VideoProgress> change) {
        output.collect(SegmentsFunction.PROGRESS, new StreamRecord<>(change));
    }
}
