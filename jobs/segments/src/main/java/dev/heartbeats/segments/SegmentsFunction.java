package dev.heartbeats.segments;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairStore;
import dev.heartbeats.common.sessionize.PairTimelineFunction;
import dev.heartbeats.common.sessionize.Segment;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sessions, segments and the resume point of one (user, video) pair (contract section 3), keyed by
 * {@link PairKey}. Emits upserts and deletes of {@code watch_segments} rows on the main output and resume points on
 * {@link #PROGRESS}.
 *
 * <p>The state and its dispatch are {@link PairTimelineFunction}'s. What this job adds are its two seams:
 * <ul>
 *   <li>where a pair's state lives: Flink's keyed state (the plain function, e.g. in the operator test harness, or
 *       {@code --state-cache-pairs 0}), or the {@link StateCache} in front of it that {@link SegmentsOperator} installs;</li>
 *   <li>how its rows go out: every change at once, or coalesced ({@link RowCoalescer}) for the pairs in the cache.</li>
 * </ul>
 * Both give the same tables; the cache and the coalescing are what make the job fast and keep the database's load down.
 */
public class SegmentsFunction extends PairTimelineFunction<Change<WatchSegment>> {
    private static final long serialVersionUID = 1L;

    public static final OutputTag<Change<VideoProgress>> PROGRESS = new OutputTag<>("video-progress") {};
    /** Beats behind what was already frozen; unreachable while lateness is checked upstream, kept as a safety net. */
    public static final OutputTag<DeadLetter> BEHIND_FRONTIER = new OutputTag<>("behind-frontier") {};

    final long progressMinIntervalMs;
    final long segmentMinIntervalMs;

    /** Set by {@link SegmentsOperator}; null when run as a plain function. */
    private transient StateCache cache;
    private transient ImmediateRows immediate;
    private transient Counter segmentsSuperseded;

    /** Every row change at once (no coalescing). */
    public SegmentsFunction(ContractParams params) {
        this(params, 0, 0);
    }

    /**
     * @param progressMinIntervalMs with {@link SegmentsOperator}'s cache: a pair's resume point at most every this often
     * @param segmentMinIntervalMs  with the cache: the open segment's row at most every this often per pair (a closed,
     *                              superseded or stopped segment's rows go out at once)
     */
    public SegmentsFunction(ContractParams params, long progressMinIntervalMs, long segmentMinIntervalMs) {
        super(params, false, BEHIND_FRONTIER);
        this.progressMinIntervalMs = progressMinIntervalMs;
        this.segmentMinIntervalMs = segmentMinIntervalMs;
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        super.open(openContext);
        immediate = new ImmediateRows();
        segmentsSuperseded = getRuntimeContext().getMetricGroup().counter("segmentsSuperseded");
    }

    void useCache(StateCache cache) {
        this.cache = cache;
    }

    /** Counts segment rows deleted because a late heartbeat rewrote their pair (also for the coalesced rows). */
    Counter segmentsSuperseded() {
        return segmentsSuperseded;
    }

    @Override
    protected PairStore store(String key, Heartbeat h) throws Exception {
        return cache == null ? keyedStore() : cache.entry(key, h.userId, h.videoId);
    }

    @Override
    protected PairStore storeForTimer(String key) {
        StateCache.Entry e = cache == null ? null : cache.entryIfPresent(key);
        return e != null ? e : keyedStore();
    }

    @Override
    protected Rows rows(Context ctx, Collector<Change<WatchSegment>> out, String userId, String videoId, PairStore store) {
        if (store instanceof StateCache.Entry e) return e.rows;
        immediate.bind(ctx, out, userId, videoId);
        return immediate;
    }

    /** A pair's beats share one device string: most of a pair's heartbeats come from the device it resumed on. */
    @Override
    protected Beat beat(Heartbeat h, PairState st) {
        return Beat.of(h, st.tail.progDevice);
    }

    @Override
    protected void afterHeartbeat(PairStore store) throws Exception {
        if (store instanceof StateCache.Entry e) cache.processed(e);
    }

    /** Every change as a row at once; bound to the current pair before each call. */
    private final class ImmediateRows implements Rows {
        private Context ctx;
        private Collector<Change<WatchSegment>> out;
        private String userId;
        private String videoId;

        void bind(Context ctx, Collector<Change<WatchSegment>> out, String userId, String videoId) {
            this.ctx = ctx;
            this.out = out;
            this.userId = userId;
            this.videoId = videoId;
        }

        @Override
        public void segmentUpserted(Segment s) {
            out.collect(Change.upsert(WatchSegment.of(userId, videoId, s)));
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            segmentsSuperseded.inc();
            out.collect(Change.delete(WatchSegment.key(userId, videoId, segmentStart)));
        }

        @Override
        public void progressChanged(PairFold tail) {
            ctx.output(PROGRESS, Change.upsert(VideoProgress.of(userId, videoId, tail.progPos, tail.progTime, tail.progDevice)));
        }
    }
}
