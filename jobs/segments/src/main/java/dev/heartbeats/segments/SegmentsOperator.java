package dev.heartbeats.segments;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.pipeline.DataWatermarkOperator;
import dev.heartbeats.common.sessionize.PairStates;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The segments job's keyed operator: {@link SegmentsFunction} with its state in a {@link StateCache} and its rows
 * coalesced by a {@link RowCoalescer}, both of which this operator writes back before every checkpoint barrier and
 * flushes at the end of the input. Same state (names, types), same timers ("user-timers"), same uid as the plain
 * {@code KeyedProcessOperator}, plus the {@link PendingRows} the coalescing held back at the checkpoint, which this
 * operator writes first when it is restored. Its event time follows the input data ({@link DataWatermarkOperator}).
 */
public class SegmentsOperator extends DataWatermarkOperator<String, Change<WatchSegment>> implements StateCache.Host, RowCoalescer.Host {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SegmentsOperator.class);

    /** About the players' heartbeat period, so that a pair in live traffic is written back ahead about once. */
    static final long MAX_WRITE_AHEAD_MS = 5_000;

    private final long cacheCapacity;
    private final long checkpointIntervalMs;
    private final long maxHeldBeats;
    private transient StateCache cache;
    private transient RowCoalescer rows;
    /** How long the task paused at the last checkpoint barrier to write the cache back (metric). */
    private transient volatile long lastWriteBackMillis;
    private transient long newestEventTime;
    private transient long paceAt;
    private transient long paceEventTime;
    private transient boolean followsLiveTraffic;

    /**
     * @param cacheCapacity        pairs held in memory per subtask; 0 runs the function on RocksDB directly, every
     *                             row change written at once
     * @param checkpointIntervalMs the job's checkpoint interval: pairs are written back ahead of the expected barrier
     *                             during the last half of it (at most {@link #MAX_WRITE_AHEAD_MS}); 0 never
     */
    public SegmentsOperator(SegmentsFunction function, long cacheCapacity, long checkpointIntervalMs) {
        this(function, cacheCapacity, checkpointIntervalMs, StateCache.MAX_HELD_BEATS);
    }

    /** @param maxHeldBeats beats of whole buffers the cache holds on the heap at most (tests: a small bound) */
    SegmentsOperator(SegmentsFunction function, long cacheCapacity, long checkpointIntervalMs, long maxHeldBeats) {
        super(function);
        this.cacheCapacity = cacheCapacity;
        this.checkpointIntervalMs = checkpointIntervalMs;
        this.maxHeldBeats = maxHeldBeats;
    }

    @Override
    public void open() throws Exception {
        super.open();
        newestEventTime = Long.MIN_VALUE;
        ValueState<PendingRows> pendingRows = getPartitionedState(PendingRows.descriptor());
        writeRestoredPendingRows();
        if (cacheCapacity > 0) {
            // The user function as the operator holds it (the instance deserialized on this task, which is opened).
            SegmentsFunction fn = (SegmentsFunction) userFunction;
            rows = new RowCoalescer(this, pendingRows, fn.segmentMinIntervalMs, fn.progressMinIntervalMs, getMetricGroup(), fn.segmentsSuperseded());
            cache = new StateCache(getPartitionedState(PairStates.state()), getPartitionedState(PairStates.buffer()), rows, this, cacheCapacity,
                    checkpointIntervalMs, Math.min(checkpointIntervalMs / 2, MAX_WRITE_AHEAD_MS), maxHeldBeats, getMetricGroup());
            cache.barrierPassed(now());
            paceEventTime = Long.MIN_VALUE;
            measurePace(now());
            getMetricGroup().gauge("stateWriteBackMillis", () -> lastWriteBackMillis);
            fn.useCache(cache);
        }
    }

    /**
     * Emits the rows a restored checkpoint held back ({@link PendingRows}) before any heartbeat is processed, so every
     * row the replay produces follows them. Downstream operators of the chain are open already (Flink opens a chain
     * from its tail). Runs with and without the cache, so no held-back row is lost when the cache is switched off.
     */
    private void writeRestoredPendingRows() throws Exception {
        long[] pairs = {0};
        getKeyedStateBackend().applyToAllKeys(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, PendingRows.descriptor(),
                (key, st) -> {
                    PendingRows held = st.value();
                    if (held == null) return;
                    if (held.segment != null) emitSegment(Change.upsert(held.segment));
                    if (held.progress != null) emitProgress(Change.upsert(held.progress));
                    st.clear();
                    pairs[0]++;
                });
        if (pairs[0] > 0) LOG.info("Wrote the held-back rows of {} pairs from the restored checkpoint", pairs[0]);
    }

    /** The state cache (null when switched off); for tests. */
    StateCache cache() {
        return cache;
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (cache != null) {
            long started = System.nanoTime();
            int pairs = cache.size();
            cache.checkpoint();
            lastWriteBackMillis = (System.nanoTime() - started) / 1_000_000;
            LOG.debug("Checkpoint {}: state cache written back in {} ms ({} pairs cached)", checkpointId, lastWriteBackMillis, pairs);
        }
    }

    @Override
    public void finish() throws Exception {
        if (cache != null) {
            LOG.info("End of input: {}; state cache: {}", ((SegmentsFunction) userFunction).stats(), cache.stats());
            cache.flushAll();
        }
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
    public void processElement(StreamRecord<Heartbeat> element) throws Exception {
        long t = element.getValue().eventTime;
        if (t > newestEventTime) newestEventTime = t;
        super.processElement(element);
    }

    @Override
    public long newestEventTime() {
        return newestEventTime;
    }

    @Override
    public boolean followsLiveTraffic() {
        return followsLiveTraffic;
    }

    /** Every second: live traffic if the newest event time advanced at most twice as fast as the wall clock. */
    private void measurePace(long now) {
        if (paceEventTime != Long.MIN_VALUE && newestEventTime != Long.MIN_VALUE) {
            followsLiveTraffic = newestEventTime - paceEventTime <= 2 * (now - paceAt);
        }
        paceAt = now;
        paceEventTime = newestEventTime;
        getProcessingTimeService().registerTimer(now + 1_000, this::measurePace);
    }

    @Override
    public long now() {
        return getProcessingTimeService().getCurrentProcessingTime();
    }

    @Override
    public void scheduleAt(long time) {
        getProcessingTimeService().registerTimer(time, t -> rows.onProcessingTime(getProcessingTimeService().getCurrentProcessingTime()));
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
