package dev.heartbeats.segments;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairStates;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.Segment;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimeDomain;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;

/**
 * Sessions, segments and the resume point of one (user, video) pair (contract section 3), keyed by
 * {@link PairKey}. Emits upserts and deletes of {@code watch_segments} rows on the main output and resume points on
 * {@link #PROGRESS}.
 *
 * <p>State per pair: a {@link PairState} (two constant-size folds) and a buffer of the beats not yet behind
 * watermark - L. An event-time timer freezes old beats and, once the last session is over for good, clears the pair.
 *
 * <p>Two ways to run it:
 * <ul>
 *   <li>as a plain {@code KeyedProcessFunction} (operator test harness): every heartbeat reads and writes the keyed
 *       state, every segment change is emitted at once, and resume-point writes are coalesced per pair to at most one
 *       per {@code progressMinIntervalMs} with a keyed processing-time timer;</li>
 *   <li>inside {@link SegmentsOperator} (the job): the operator installs a {@link PairCache}, a write-back cache of
 *       the pairs' state in front of RocksDB, which also coalesces the rows each pair emits (resume point and open
 *       segment) in memory. Both are flushed before every checkpoint barrier, so a checkpoint always holds the same
 *       state and has the same rows emitted as with the plain function.</li>
 * </ul>
 */
public class SegmentsFunction extends KeyedProcessFunction<String, Heartbeat, Change<WatchSegment>> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Change<VideoProgress>> PROGRESS = new OutputTag<>("video-progress") {};
    /** Beats behind what was already frozen; unreachable while lateness is checked upstream, kept as a safety net. */
    public static final OutputTag<DeadLetter> BEHIND_FRONTIER = new OutputTag<>("behind-frontier") {};


    private final ContractParams params;
    final long progressMinIntervalMs;
    final long segmentMinIntervalMs;

    private transient PairTimeline timeline;
    transient ValueState<PairState> state;
    transient ListState<Beat> buffer;
    private transient Emitter emitter;
    /** Set by {@link SegmentsOperator}; null when run as a plain function. */
    private transient PairCache cache;
    private transient Counter outOfOrder;
    private transient Counter duplicates;
    /** Out-of-order heartbeats that needed the pair's whole buffer (a cached pair's among its last beats do not). */
    private transient Counter bufferReads;
    private transient Counter pairsClosed;
    private transient Counter segmentsDeleted;

    /** Segment rows emitted at once; resume points at most every {@code progressMinIntervalMs} per pair. */
    public SegmentsFunction(ContractParams params, long progressMinIntervalMs) {
        this(params, progressMinIntervalMs, 0);
    }

    /**
     * @param segmentMinIntervalMs with {@link SegmentsOperator}'s cache: the open segment's row at most every this
     *                             often per pair (a closed, superseded or stopped segment's rows go out at once)
     */
    public SegmentsFunction(ContractParams params, long progressMinIntervalMs, long segmentMinIntervalMs) {
        this.params = params;
        this.progressMinIntervalMs = progressMinIntervalMs;
        this.segmentMinIntervalMs = segmentMinIntervalMs;
    }

    @Override
    public void open(OpenContext openContext) {
        timeline = new PairTimeline(params, false);
        state = getRuntimeContext().getState(PairStates.state());
        buffer = getRuntimeContext().getListState(PairStates.buffer());
        emitter = new Emitter();
        var group = getRuntimeContext().getMetricGroup();
        outOfOrder = group.counter("heartbeatsOutOfOrder");
        duplicates = group.counter("heartbeatsDuplicate");
        bufferReads = group.counter("bufferReads");
        pairsClosed = group.counter("pairsClosed");
        segmentsDeleted = group.counter("segmentsSuperseded");
    }

    /** The function's counters, for the log at the end of the input. */
    String stats() {
        return String.format("%,d heartbeats out of order (%,d duplicates), %,d buffer reads for them, %,d pairs closed",
                outOfOrder.getCount(), duplicates.getCount(), bufferReads.getCount(), pairsClosed.getCount());
    }

    void useCache(PairCache cache) {
        this.cache = cache;
    }

    @Override
    public void processElement(Heartbeat h, Context ctx, Collector<Change<WatchSegment>> out) throws Exception {
        PairCache.Entry entry = cache == null ? null : cache.entry(ctx.getCurrentKey(), h.userId, h.videoId);
        PairState st = entry == null ? state.value() : entry.state();
        if (st == null) st = new PairState();
        Beat b = Beat.of(h, st.tail.progDevice);
        if (PairTimeline.isBehindFrontier(st, b)) {
            DeadLetter d = new DeadLetter();
            d.value = HeartbeatJson.toBytes(h);
            d.reason = "too late: event_time " + h.eventTime + " is behind what this pair has already finalised (" + st.frontier + ")";
            ctx.output(BEHIND_FRONTIER, d);
            return;
        }
        emitter.bind(ctx, out, st, entry, h.userId, h.videoId);
        if (PairTimeline.isInOrder(st, b)) {
            if (entry != null) entry.recent.beforeInOrder(timeline, st, b);
            timeline.appendInOrder(st, b, emitter);
            if (entry == null) buffer.add(b);
            else entry.append(b);
            // A stop ends the session: its rows are final, so they go out now whatever the coalescing.
            if (entry != null && b.event == EventType.STOP.ordinal()) cache.emitPending(entry);
        } else if (PairTimeline.changesNothing(st, b)) {
            outOfOrder.inc();
            duplicates.inc();
            return;
        } else {
            outOfOrder.inc();
            // Rows a late heartbeat changes go out at once: a pending row of a superseded segment must never follow.
            emitter.immediate = true;
            boolean changed;
            if (entry != null && entry.recent.covers(b)) {
                // Among the pair's last beats (a few seconds late): no need for the whole buffer.
                changed = entry.recent.insert(timeline, st, b, emitter);
                if (changed) entry.appendOutOfOrder(b);
            } else {
                bufferReads.inc();
                List<Beat> updated = timeline.insert(st, entry == null ? readBuffer() : entry.buffer(), b, emitter);
                changed = updated != null;
                if (changed) {
                    if (entry == null) buffer.update(updated);
                    else entry.replaceBuffer(updated);
                }
            }
            emitter.immediate = false;
            if (!changed) {
                duplicates.inc();
                return;
            }
        }
        scheduleMaintenance(st, ctx);
        if (entry == null) {
            state.update(st);
        } else {
            entry.update(st);
            cache.processed(entry);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Change<WatchSegment>> out) throws Exception {
        String key = ctx.getCurrentKey();
        PairCache.Entry entry = cache == null ? null : cache.entryIfPresent(key);
        PairState st = entry == null ? state.value() : entry.state();
        if (st == null) return;
        emitter.bind(ctx, out, st, entry, PairKey.userId(key), PairKey.videoId(key));
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            if (st.progressPending) {
                emitter.emitProgress(st.tail, ctx.timerService().currentProcessingTime());
                state.update(st);
            }
            return;
        }
        if (timestamp != st.timerTime) return; // superseded by an earlier timer
        st.timerTime = Long.MIN_VALUE;
        if (entry != null) entry.recent.reset(); // maintenance may drop hours from the folds
        List<Beat> rest = timeline.maintain(st, entry == null ? this::readBuffer : entry::buffer, ctx.timerService().currentWatermark());
        if (timeline.isFinished(st)) {
            if (entry != null) {
                cache.emitPending(entry);
                cache.remove(entry);
            } else if (st.progressPending) {
                emitter.emitProgress(st.tail, ctx.timerService().currentProcessingTime());
            }
            state.clear();
            buffer.clear();
            pairsClosed.inc();
            return;
        }
        if (rest != null) { // null: nothing was frozen
            if (entry == null) buffer.update(rest);
            else entry.replaceBuffer(rest);
        }
        scheduleMaintenance(st, ctx);
        if (entry == null) state.update(st);
        else entry.update(st);
    }

    /** The buffered beats of the current pair as stored in the keyed list state, sorted and distinct. */
    List<Beat> readBuffer() throws Exception {
        return PairStates.read(buffer);
    }

    private void scheduleMaintenance(PairState st, Context ctx) {
        long next = timeline.nextMaintenance(st);
        if (next == Long.MAX_VALUE) return;
        if (st.timerTime == Long.MIN_VALUE || next < st.timerTime) {
            ctx.timerService().registerEventTimeTimer(next);
            st.timerTime = next;
        }
    }

    /** Turns timeline changes into rows; bound to the current pair before each call. */
    private final class Emitter implements PairTimeline.Listener {
        private Context ctx;
        private Collector<Change<WatchSegment>> out;
        private PairState st;
        private PairCache.Entry entry;
        private String userId;
        private String videoId;
        /** Emit every change now (an out-of-order heartbeat), bypassing the coalescing. */
        boolean immediate;

        void bind(Context ctx, Collector<Change<WatchSegment>> out, PairState st, PairCache.Entry entry, String userId, String videoId) {
            this.ctx = ctx;
            this.out = out;
            this.st = st;
            this.entry = entry;
            this.userId = userId;
            this.videoId = videoId;
        }

        @Override
        public void segmentUpserted(Segment s) {
            WatchSegment row = WatchSegment.of(userId, videoId, s);
            if (entry != null) cache.segmentUpserted(entry, row, immediate);
            else out.collect(Change.upsert(row));
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            segmentsDeleted.inc();
            if (entry != null) cache.segmentDeleted(entry, WatchSegment.key(userId, videoId, segmentStart));
            else out.collect(Change.delete(WatchSegment.key(userId, videoId, segmentStart)));
        }

        @Override
        public void progressChanged(PairFold tail) {
            if (entry != null) {
                cache.progressChanged(entry, VideoProgress.of(userId, videoId, tail.progPos, tail.progTime, tail.progDevice), immediate);
                return;
            }
            long now = ctx.timerService().currentProcessingTime();
            if (progressMinIntervalMs <= 0 || st.progressEmittedAt == Long.MIN_VALUE || now - st.progressEmittedAt >= progressMinIntervalMs) {
                emitProgress(tail, now);
            } else if (!st.progressPending) {
                st.progressPending = true;
                ctx.timerService().registerProcessingTimeTimer(st.progressEmittedAt + progressMinIntervalMs);
            }
        }

        void emitProgress(PairFold tail, long now) {
            st.progressPending = false;
            st.progressEmittedAt = now;
            ctx.output(PROGRESS, Change.upsert(VideoProgress.of(userId, videoId, tail.progPos, tail.progTime, tail.progDevice)));
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {
            // not tracked by this job
        }
    }
}
