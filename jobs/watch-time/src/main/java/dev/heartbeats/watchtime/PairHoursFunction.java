package dev.heartbeats.watchtime;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.pipeline.RowLayout;
import dev.heartbeats.common.sessionize.PairStore;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.PairTimelineFunction;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

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
 * <p>State per pair ({@link PairTimelineFunction}): two constant-size folds, each with the watched time of the hours
 * that can still change, and a buffer of the beats not yet behind watermark - L; maintenance drops hours that ended
 * more than L behind the watermark.
 */
public class PairHoursFunction extends PairTimelineFunction<Row> {
    private static final long serialVersionUID = 1L;

    /** Beats behind what was already frozen; unreachable while lateness is checked upstream, kept as a safety net. */
    public static final OutputTag<DeadLetter> BEHIND_FRONTIER = new OutputTag<>("behind-frontier") {};

    /** The rows this function emits, and the view the SQL aggregation reads them as. */
    public static final RowLayout ROWS = RowLayout.builder().string("video_id").string("user_id").bigint("hour", "watched_ms").build();

    private transient HourRows rows;
    private transient Counter hourUpdates;

    public PairHoursFunction(ContractParams params) {
        super(params, true, BEHIND_FRONTIER);
    }

    @Override
    public void open(OpenContext openContext) throws Exception {
        super.open(openContext);
        rows = new HourRows();
        hourUpdates = getRuntimeContext().getMetricGroup().counter("pairHourUpdates");
    }

    @Override
    protected Rows rows(Context ctx, Collector<Row> out, String userId, String videoId, PairStore store) {
        rows.out = out;
        rows.userId = userId;
        rows.videoId = videoId;
        return rows;
    }

    static Row row(RowKind kind, String videoId, String userId, long hour, long watchedMs) {
        return ROWS.row(kind, videoId, userId, hour, watchedMs);
    }

    /** Hour changes as changelog rows; bound to the current pair before each call. */
    private final class HourRows implements Rows {
        private Collector<Row> out;
        private String userId;
        private String videoId;

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
    }
}
