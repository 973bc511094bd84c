package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.List;

/**
 * A {@link PairTimeline} per (user, video) pair, keyed by {@link PairKey}: the one driver of the segments and the
 * watch-time jobs. It owns the keyed state, the dispatch of a heartbeat (behind what the pair finalised, in order, a
 * duplicate, or out of order: among the pair's recent beats, or over its whole buffer), the maintenance timer and
 * the counters. A job plugs in two things: where a pair's state lives ({@link #store}: the keyed state, or a cache in
 * front of it) and what its changes become ({@link #rows}).
 *
 * <p>Maintenance (an event-time timer per pair) freezes the beats the watermark has put out of reach, forgets hours
 * that can no longer change and clears the pair once its last session is over for good. The timer is never set at
 * or behind the watermark (it would fire at once, and a maintenance that asks for the same time again would loop),
 * and a pair has one: a new one replaces the old.
 */
public abstract class PairTimelineFunction<OUT> extends KeyedProcessFunction<String, Heartbeat, OUT> {
    private static final long serialVersionUID = 1L;

    /** What a pair's changes become: rows, and the moments that decide when they go out. */
    public interface Rows extends PairTimeline.Listener {
        /** Changes reported while {@code on} come from a heartbeat out of order (they may rewrite or delete rows). */
        default void outOfOrder(boolean on) {}

        /** A {@code stop} ended the pair's session. */
        default void stopped() {}

        /** The pair is over: nothing of it may wait. */
        default void finished() {}

        // Each job reports only what its tables hold.
        @Override
        default void segmentUpserted(Segment segment) {}

        @Override
        default void segmentDeleted(long segmentStart) {}

        @Override
        default void progressChanged(PairFold tail) {}

        @Override
        default void hourChanged(long hour, long previousWatched, long watched) {}
    }

    protected final ContractParams params;
    private final boolean trackHours;
    private final OutputTag<DeadLetter> behindFrontier;

    protected transient PairTimeline timeline;
    private transient KeyedPairStore keyed;
    private transient Counter outOfOrder;
    private transient Counter duplicates;
    private transient Counter bufferReads;
    private transient Counter pairsClosed;

    /**
     * @param trackHours     whether the folds keep the watched time per hour (watch-time)
     * @param behindFrontier where a heartbeat goes that is behind what its pair finalised: none that the too-late
     *                       routing lets through, unless a pair's heartbeats move to another partition
     */
    protected PairTimelineFunction(ContractParams params, boolean trackHours, OutputTag<DeadLetter> behindFrontier) {
        this.params = params;
        this.trackHours = trackHours;
        this.behindFrontier = behindFrontier;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        timeline = new PairTimeline(params, trackHours);
        ValueState<PairState> state = getRuntimeContext().getState(PairStates.state());
        ListState<Beat> buffer = getRuntimeContext().getListState(PairStates.buffer());
        keyed = new KeyedPairStore(state, buffer);
        var group = getRuntimeContext().getMetricGroup();
        outOfOrder = group.counter("heartbeatsOutOfOrder");
        duplicates = group.counter("heartbeatsDuplicate");
        bufferReads = group.counter("bufferReads");
        pairsClosed = group.counter("pairsClosed");
    }

    /** Where the current pair's state lives for a heartbeat (default: the keyed state). */
    protected PairStore store(String key, Heartbeat h) throws Exception {
        return keyed;
    }

    /** Where the current pair's state lives for its maintenance timer (default: the keyed state). */
    protected PairStore storeForTimer(String key) {
        return keyed;
    }

    /** The keyed state of the current pair. */
    protected final PairStore keyedStore() {
        return keyed;
    }

    /** What the current pair's changes become. */
    protected abstract Rows rows(Context ctx, Collector<OUT> out, String userId, String videoId, PairStore store);

    /** The beat a heartbeat is kept as (a job may share strings with the pair's state). */
    protected Beat beat(Heartbeat h, PairState st) {
        return Beat.of(h);
    }

    /** After a heartbeat changed its pair (the state is stored). */
    protected void afterHeartbeat(PairStore store) throws Exception {}

    @Override
    public void processElement(Heartbeat h, Context ctx, Collector<OUT> out) throws Exception {
        PairStore store = store(ctx.getCurrentKey(), h);
        PairState st = store.state();
        if (st == null) st = new PairState();
        Beat b = beat(h, st);
        if (PairTimeline.isBehindFrontier(st, b)) {
            DeadLetter d = new DeadLetter();
            d.value = HeartbeatJson.toBytes(h);
            d.reason = "too late: event_time " + h.eventTime + " is behind what this pair has already finalised (" + st.frontier + ")";
            ctx.output(behindFrontier, d);
            return;
        }
        Rows rows = rows(ctx, out, h.userId, h.videoId, store);
        emitLegacyProgress(st, rows);
        RecentBeats recent = store.recent();
        if (PairTimeline.isInOrder(st, b)) {
            if (recent != null) recent.beforeInOrder(timeline, st, b);
            timeline.appendInOrder(st, b, rows);
            store.append(b, false);
            if (b.event == EventType.STOP.ordinal()) rows.stopped();
        } else if (PairTimeline.changesNothing(st, b)) {
            outOfOrder.inc();
            duplicates.inc();
            return;
        } else {
            outOfOrder.inc();
            rows.outOfOrder(true);
            boolean changed;
            if (recent != null && recent.covers(b)) {
                changed = recent.insert(timeline, st, b, rows);
                if (changed) store.append(b, true);
            } else {
                bufferReads.inc();
                List<Beat> updated = timeline.insert(st, store.buffer(), b, rows);
                changed = updated != null;
                if (changed) store.replaceBuffer(updated);
            }
            rows.outOfOrder(false);
            if (!changed) {
                duplicates.inc();
                return;
            }
        }
        scheduleMaintenance(st, ctx.timerService());
        store.update(st);
        afterHeartbeat(store);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<OUT> out) throws Exception {
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) return; // keyed processing-time timers of releases up to 0.1.0
        String key = ctx.getCurrentKey();
        PairStore store = storeForTimer(key);
        PairState st = store.state();
        if (st == null || timestamp != st.timerTime) return; // cleared, or replaced by another timer
        st.timerTime = Long.MIN_VALUE;
        Rows rows = rows(ctx, out, PairKey.userId(key), PairKey.videoId(key), store);
        emitLegacyProgress(st, rows);
        RecentBeats recent = store.recent();
        if (recent != null) recent.reset(); // maintenance may drop hours from the folds
        List<Beat> rest = timeline.maintain(st, store::buffer, ctx.timerService().currentWatermark());
        if (timeline.isFinished(st)) {
            rows.finished();
            store.clear();
            pairsClosed.inc();
            return;
        }
        if (rest != null) store.replaceBuffer(rest); // null: nothing was frozen
        scheduleMaintenance(st, ctx.timerService());
        store.update(st);
    }

    /** A resume point that a state of format 1 (releases up to 0.1.0) held back: it goes out now. */
    private static void emitLegacyProgress(PairState st, Rows rows) {
        if (!st.legacyProgressPending) return;
        st.legacyProgressPending = false;
        rows.progressChanged(st.tail);
    }

    private void scheduleMaintenance(PairState st, TimerService timers) {
        long next = nextMaintenance(st, timers.currentWatermark());
        if (next == Long.MAX_VALUE) return;
        if (st.timerTime == Long.MIN_VALUE || next < st.timerTime) {
            if (st.timerTime != Long.MIN_VALUE) timers.deleteEventTimeTimer(st.timerTime);
            timers.registerEventTimeTimer(next);
            st.timerTime = next;
        }
    }

    /** {@link PairTimeline#nextMaintenance}, never at or behind the watermark. */
    protected long nextMaintenance(PairState st, long watermark) {
        long next = timeline.nextMaintenance(st);
        if (watermark == Long.MIN_VALUE || next > watermark) return next;
        return watermark == Long.MAX_VALUE ? Long.MAX_VALUE : watermark + 1;
    }

    /** The counters, for the log at the end of the input. */
    public String stats() {
        return String.format("%,d heartbeats out of order (%,d duplicates), %,d buffer reads for them, %,d pairs closed",
                outOfOrder.getCount(), duplicates.getCount(), bufferReads.getCount(), pairsClosed.getCount());
    }
}
