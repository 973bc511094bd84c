package dev.heartbeats.segments;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.Segment;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeHint;
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
 * Resume-point writes are coalesced per pair to at most one per {@code progressMinIntervalMs} (processing time).
 */
public class SegmentsFunction extends KeyedProcessFunction<String, Heartbeat, Change<WatchSegment>> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Change<VideoProgress>> PROGRESS = new OutputTag<>("video-progress") {};
    /** Beats behind what was already frozen; unreachable while lateness is checked upstream, kept as a safety net. */
    public static final OutputTag<DeadLetter> BEHIND_FRONTIER = new OutputTag<>("behind-frontier") {};

    static final String STATE_NAME = "pair";
    static final String BUFFER_NAME = "recent-beats";

    private final ContractParams params;
    private final long progressMinIntervalMs;

    private transient PairTimeline timeline;
    private transient ValueState<PairState> state;
    private transient ListState<Beat> buffer;
    private transient Emitter emitter;
    private transient Counter outOfOrder;
    private transient Counter duplicates;
    private transient Counter pairsClosed;
    private transient Counter segmentsDeleted;

    public SegmentsFunction(ContractParams params, long progressMinIntervalMs) {
        this.params = params;
        this.progressMinIntervalMs = progressMinIntervalMs;
    }

    @Override
    public void open(OpenContext openContext) {
        timeline = new PairTimeline(params, false);
        state = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME, TypeInformation.of(PairState.class)));
        buffer = getRuntimeContext().getListState(new ListStateDescriptor<>(BUFFER_NAME, TypeInformation.of(Beat.class)));
        emitter = new Emitter();
        var group = getRuntimeContext().getMetricGroup();
        outOfOrder = group.counter("heartbeatsOutOfOrder");
        duplicates = group.counter("heartbeatsDuplicate");
        pairsClosed = group.counter("pairsClosed");
        segmentsDeleted = group.counter("segmentsSuperseded");
    }

    @Override
    public void processElement(Heartbeat h, Context ctx, Collector<Change<WatchSegment>> out) throws Exception {
        PairState st = state.value();
        if (st == null) st = new PairState();
        Beat b = Beat.of(h);
        if (PairTimeline.isBehindFrontier(st, b)) {
            DeadLetter d = new DeadLetter();
            d.value = HeartbeatJson.toBytes(h);
            d.reason = "too late: event_time " + h.eventTime + " is behind what this pair has already finalised (" + st.frontier + ")";
            ctx.output(BEHIND_FRONTIER, d);
            return;
        }
        emitter.bind(ctx, out, st, h.userId, h.videoId);
        if (PairTimeline.isInOrder(st, b)) {
            timeline.appendInOrder(st, b, emitter);
            buffer.add(b);
        } else {
            outOfOrder.inc();
            List<Beat> updated = timeline.insert(st, readBuffer(), b, emitter);
            if (updated == null) {
                duplicates.inc();
                return;
            }
            buffer.update(updated);
        }
        scheduleMaintenance(st, ctx);
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Change<WatchSegment>> out) throws Exception {
        PairState st = state.value();
        if (st == null) return;
        String key = ctx.getCurrentKey();
        emitter.bind(ctx, out, st, PairKey.userId(key), PairKey.videoId(key));
        if (ctx.timeDomain() == TimeDomain.PROCESSING_TIME) {
            if (st.progressPending) {
                emitter.emitProgress(st.tail, ctx.timerService().currentProcessingTime());
                state.update(st);
            }
            return;
        }
        if (timestamp != st.timerTime) return; // superseded by an earlier timer
        st.timerTime = Long.MIN_VALUE;
        List<Beat> rest = timeline.maintain(st, readBuffer(), ctx.timerService().currentWatermark());
        if (timeline.isFinished(st)) {
            if (st.progressPending) emitter.emitProgress(st.tail, ctx.timerService().currentProcessingTime());
            state.clear();
            buffer.clear();
            pairsClosed.inc();
            return;
        }
        buffer.update(rest);
        scheduleMaintenance(st, ctx);
        state.update(st);
    }

    private List<Beat> readBuffer() throws Exception {
        List<Beat> all = new ArrayList<>();
        for (Beat b : buffer.get()) all.add(b);
        return Beat.sortedDistinct(all);
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
        private String userId;
        private String videoId;

        void bind(Context ctx, Collector<Change<WatchSegment>> out, PairState st, String userId, String videoId) {
            this.ctx = ctx;
            this.out = out;
            this.st = st;
            this.userId = userId;
            this.videoId = videoId;
        }

        @Override
        public void segmentUpserted(Segment s) {
            out.collect(Change.upsert(WatchSegment.of(userId, videoId, s)));
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            segmentsDeleted.inc();
            out.collect(Change.delete(WatchSegment.key(userId, videoId, segmentStart)));
        }

        @Override
        public void progressChanged(PairFold tail) {
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
