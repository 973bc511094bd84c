package dev.heartbeats.watchtime;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairStates;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.Segment;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;

/**
 * The watched time of one (user, video) pair per UTC hour (contract section 3, continuing pairs), keyed by
 * {@link PairKey}: the same {@link PairTimeline} as the segments job, with hour tracking on, so both jobs agree to
 * the millisecond.
 *
 * <p>Emits a retract changelog of rows {@code (video_id, user_id, hour, watched_ms)}, one logical row per pair and
 * hour that has a content heartbeat: {@code +I} when the hour first gets one, and {@code -U} (the value sent before)
 * / {@code +U} (the new value) whenever a heartbeat, in order or late, changes the hour's watched time. A row is never
 * retracted for good (an hour never loses its content heartbeat), so per (video, hour) the SQL aggregation downstream
 * holds exactly one row per viewer: {@code COUNT(*)} is the number of distinct viewers and {@code SUM(watched_ms)} the
 * watched time.
 *
 * <p>State per pair: a {@link PairState} (two constant-size folds, each with the watched time of the hours that can
 * still change) and a buffer of the beats not yet behind watermark - L. An event-time timer freezes old beats, drops
 * hours that ended more than L behind the watermark, and clears the pair once its last session is over for good.
 */
public class PairHoursFunction extends KeyedProcessFunction<String, Heartbeat, Row> {
    private static final long serialVersionUID = 1L;

    /** Beats behind what was already frozen; unreachable while lateness is checked upstream, kept as a safety net. */
    public static final OutputTag<DeadLetter> BEHIND_FRONTIER = new OutputTag<>("behind-frontier") {};

    public static final String[] FIELDS = {"video_id", "user_id", "hour", "watched_ms"};
    public static final RowTypeInfo ROW_TYPE = new RowTypeInfo(
            new TypeInformation<?>[] {Types.STRING, Types.STRING, Types.LONG, Types.LONG}, FIELDS);


    private final ContractParams params;

    private transient PairTimeline timeline;
    private transient ValueState<PairState> state;
    private transient ListState<Beat> buffer;
    private transient Emitter emitter;
    private transient Counter outOfOrder;
    private transient Counter duplicates;
    private transient Counter pairsClosed;
    private transient Counter hourUpdates;

    public PairHoursFunction(ContractParams params) {
        this.params = params;
    }

    @Override
    public void open(OpenContext openContext) {
        timeline = new PairTimeline(params, true);
        state = getRuntimeContext().getState(PairStates.state());
        buffer = getRuntimeContext().getListState(PairStates.buffer());
        emitter = new Emitter();
        var group = getRuntimeContext().getMetricGroup();
        outOfOrder = group.counter("heartbeatsOutOfOrder");
        duplicates = group.counter("heartbeatsDuplicate");
        pairsClosed = group.counter("pairsClosed");
        hourUpdates = group.counter("pairHourUpdates");
    }

    @Override
    public void processElement(Heartbeat h, Context ctx, Collector<Row> out) throws Exception {
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
        emitter.bind(out, h.userId, h.videoId);
        if (PairTimeline.isInOrder(st, b)) {
            timeline.appendInOrder(st, b, emitter);
            buffer.add(b);
        } else if (PairTimeline.changesNothing(st, b)) {
            outOfOrder.inc();
            duplicates.inc();
            return;
        } else {
            outOfOrder.inc();
            List<Beat> updated = timeline.insert(st, readBuffer(), b, emitter);
            if (updated == null) {
                duplicates.inc();
                return;
            }
            buffer.update(updated);
        }
        scheduleMaintenance(st, ctx.timerService());
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> out) throws Exception {
        PairState st = state.value();
        if (st == null || timestamp != st.timerTime) return; // cleared, or superseded by an earlier timer
        st.timerTime = Long.MIN_VALUE;
        // Maintenance never changes a result: it freezes beats and forgets hours that can no longer change.
        List<Beat> rest = timeline.maintain(st, this::readBuffer, ctx.timerService().currentWatermark());
        if (timeline.isFinished(st)) {
            state.clear();
            buffer.clear();
            pairsClosed.inc();
            return;
        }
        if (rest != null) buffer.update(rest); // null: nothing was frozen
        scheduleMaintenance(st, ctx.timerService());
        state.update(st);
    }

    private List<Beat> readBuffer() throws Exception {
        return PairStates.read(buffer);
    }

    private void scheduleMaintenance(PairState st, TimerService timers) {
        long next = nextMaintenance(st, timers.currentWatermark());
        if (next == Long.MAX_VALUE) return;
        if (st.timerTime == Long.MIN_VALUE || next < st.timerTime) {
            if (st.timerTime != Long.MIN_VALUE) timers.deleteEventTimeTimer(st.timerTime); // one timer per pair
            timers.registerEventTimeTimer(next);
            st.timerTime = next;
        }
    }

    /**
     * {@link PairTimeline#nextMaintenance}, never at or behind the watermark: a timer there would fire at once, and
     * if maintenance then finds nothing to do and asks for the same time again, the task would loop forever (the
     * livelock with hour tracking fixed in PairTimeline by 9cd9cef; this guard keeps the job safe from any other
     * such case at the cost of at most one extra maintenance per watermark step).
     */
    long nextMaintenance(PairState st, long watermark) {
        long next = timeline.nextMaintenance(st);
        if (watermark == Long.MIN_VALUE || next > watermark) return next;
        return watermark == Long.MAX_VALUE ? Long.MAX_VALUE : watermark + 1;
    }

    static Row row(RowKind kind, String videoId, String userId, long hour, long watchedMs) {
        return Row.ofKind(kind, videoId, userId, hour, watchedMs);
    }

    /** Turns hour changes into changelog rows; bound to the current pair before each call. */
    private final class Emitter implements PairTimeline.Listener {
        private Collector<Row> out;
        private String userId;
        private String videoId;

        void bind(Collector<Row> out, String userId, String videoId) {
            this.out = out;
            this.userId = userId;
            this.videoId = videoId;
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {
            hourUpdates.inc();
            if (previousWatched < 0) {
                out.collect(row(RowKind.INSERT, videoId, userId, hour, watched));
            } else {
                out.collect(row(RowKind.UPDATE_BEFORE, videoId, userId, hour, previousWatched));
                out.collect(row(RowKind.UPDATE_AFTER, videoId, userId, hour, watched));
            }
        }

        @Override
        public void segmentUpserted(Segment segment) {
            // segments are the segments job's
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            // idem
        }

        @Override
        public void progressChanged(PairFold tail) {
            // resume points are the segments job's
        }
    }
}
