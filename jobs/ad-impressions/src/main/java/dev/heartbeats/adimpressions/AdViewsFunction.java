package dev.heartbeats.adimpressions;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.RowLayout;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.ArrayList;
import java.util.List;

/**
 * The ad views of one (user, video, ad_id) (contract section 3, "Ad view"), keyed by {@link AdViewKey}: the ad
 * heartbeats split where the gap exceeds G, independently of content sessions.
 *
 * <p>Emits a retract changelog of per-view rows {@code (user_id, video_id, ad_id, view_start, hour, impression,
 * first_quartile, midpoint, third_quartile, complete)} with 0/1 flags, keyed by (user, video, ad, view_start):
 * {@code +I} for a new view; {@code -U}/{@code +U} when a heartbeat changes a view's flags; when a late heartbeat
 * moves a view's start earlier, or bridges two views, the superseded rows are retracted ({@code -D}) and the merged
 * view is inserted. A heartbeat that changes no row (a duplicate, or one that moves m or d without crossing a
 * milestone) emits nothing. The SQL aggregation downstream sums the flags per (ad_id, hour).
 *
 * <p>State per key: the views that can still change (usually one: four longs each). Every heartbeat that is not too
 * late is at or after watermark - L, so a view whose last heartbeat is more than G before that can neither grow nor
 * merge anymore: an event-time timer at {@code last + G + L + 1} drops it (its row stays counted downstream) and
 * clears the key when no view is left.
 */
public class AdViewsFunction extends KeyedProcessFunction<String, Heartbeat, Row> {
    private static final long serialVersionUID = 1L;

    /**
     * Heartbeats more than L behind this operator's watermark and their own partition's (the one too-late is decided
     * by upstream): none that the routing let through; it guards heartbeats that come without their partition's.
     */
    public static final OutputTag<DeadLetter> BEHIND_WATERMARK = new OutputTag<>("ad-behind-watermark") {};

    /** The rows this function emits, and the view the SQL aggregation reads them as. */
    public static final RowLayout ROWS = RowLayout.builder().string("user_id").string("video_id").string("ad_id")
            .bigint("view_start", "hour", "impression", "first_quartile", "midpoint", "third_quartile", "complete").build();

    static final String STATE_NAME = "ad-views";

    private final ContractParams params;

    private transient ValueState<AdViewsState> state;
    private transient Counter viewsClosed;
    private transient Counter viewsMerged;
    private transient Counter unchanged;

    public AdViewsFunction(ContractParams params) {
        this.params = params;
    }

    @Override
    public void open(OpenContext openContext) {
        state = getRuntimeContext().getState(new ValueStateDescriptor<>(STATE_NAME, TypeInformation.of(AdViewsState.class)));
        var group = getRuntimeContext().getMetricGroup();
        viewsClosed = group.counter("adViewsClosed");
        viewsMerged = group.counter("adViewsMerged");
        unchanged = group.counter("adHeartbeatsWithoutChange");
    }

    @Override
    public void processElement(Heartbeat h, Context ctx, Collector<Row> out) throws Exception {
        long watermark = Math.min(ctx.timerService().currentWatermark(), h.partitionWatermark == Long.MIN_VALUE ? Long.MAX_VALUE : h.partitionWatermark);
        if (watermark != Long.MIN_VALUE && watermark - h.eventTime > params.allowedLatenessMs) {
            DeadLetter d = new DeadLetter();
            d.value = HeartbeatJson.toBytes(h);
            d.reason = "too late: event_time " + h.eventTime + " is " + (watermark - h.eventTime) + " ms behind the ad views' watermark " + watermark;
            ctx.output(BEHIND_WATERMARK, d);
            return;
        }
        AdViewsState st = state.value();
        if (st == null) st = new AdViewsState();
        long gap = params.sessionGapMs;
        long tolerance = params.toleranceMs;

        AdView merged = new AdView(h.eventTime, h.eventTime, h.adPositionMs, h.adDurationMs);
        List<AdView> touched = new ArrayList<>(2);
        List<AdView> kept = new ArrayList<>(st.views.length + 1);
        for (AdView v : st.views) {
            if (v.reaches(h.eventTime, gap)) {
                touched.add(v);
                merged.absorb(v);
            } else {
                kept.add(v);
            }
        }
        if (touched.size() > 1) viewsMerged.inc(touched.size() - 1);

        // The row keyed by the merged view's start: updated in place if it existed, inserted otherwise; every
        // other touched view's row is retracted after it (so an (ad, hour) total never drops to zero in between).
        AdView same = null;
        for (AdView v : touched) if (v.first == merged.first) same = v;
        boolean changed = true;
        if (same == null) {
            out.collect(row(RowKind.INSERT, h, merged, tolerance));
        } else if (same.flags(tolerance) != merged.flags(tolerance)) {
            out.collect(row(RowKind.UPDATE_BEFORE, h, same, tolerance));
            out.collect(row(RowKind.UPDATE_AFTER, h, merged, tolerance));
        } else {
            changed = touched.size() > 1 || same.last != merged.last || same.maxPosition != merged.maxPosition
                    || same.maxDuration != merged.maxDuration;
        }
        for (AdView v : touched) if (v != same) out.collect(row(RowKind.DELETE, h, v, tolerance));
        if (!changed) {
            unchanged.inc(); // a duplicate or a heartbeat inside what the view already covers: no state write
            return;
        }
        int at = 0;
        while (at < kept.size() && kept.get(at).first < merged.first) at++;
        kept.add(at, merged);
        st.views = kept.toArray(new AdView[0]);
        schedule(st, ctx);
        state.update(st);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Row> out) throws Exception {
        AdViewsState st = state.value();
        if (st == null || timestamp != st.timerTime) return; // cleared, or superseded by an earlier timer
        st.timerTime = Long.MIN_VALUE;
        long watermark = ctx.timerService().currentWatermark();
        List<AdView> open = new ArrayList<>(st.views.length);
        for (AdView v : st.views) {
            if (isFinal(v, watermark)) viewsClosed.inc(); else open.add(v);
        }
        if (open.isEmpty()) {
            state.clear();
            return;
        }
        st.views = open.toArray(new AdView[0]);
        schedule(st, ctx);
        state.update(st);
    }

    /** Whether no heartbeat that can still arrive (at or after watermark - L) can reach the view anymore. */
    boolean isFinal(AdView v, long watermark) {
        return watermark != Long.MIN_VALUE && v.last + params.sessionGapMs < watermark - params.allowedLatenessMs;
    }

    private void schedule(AdViewsState st, Context ctx) {
        long earliestLast = Long.MAX_VALUE;
        for (AdView v : st.views) earliestLast = Math.min(earliestLast, v.last);
        long next = saturatedAdd(earliestLast, params.sessionGapMs + params.allowedLatenessMs + 1);
        if (st.timerTime == Long.MIN_VALUE || next < st.timerTime) {
            if (st.timerTime != Long.MIN_VALUE) ctx.timerService().deleteEventTimeTimer(st.timerTime); // one timer per key
            ctx.timerService().registerEventTimeTimer(next);
            st.timerTime = next;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    static Row row(RowKind kind, Heartbeat h, AdView v, long toleranceMs) {
        int f = v.flags(toleranceMs);
        return ROWS.row(kind, h.userId, h.videoId, h.adId, v.first, AdView.hourOf(v.first),
                bit(f, AdView.IMPRESSION), bit(f, AdView.FIRST_QUARTILE), bit(f, AdView.MIDPOINT), bit(f, AdView.THIRD_QUARTILE),
                bit(f, AdView.COMPLETE));
    }

    private static long bit(int flags, int bit) {
        return (flags & bit) != 0 ? 1L : 0L;
    }
}
