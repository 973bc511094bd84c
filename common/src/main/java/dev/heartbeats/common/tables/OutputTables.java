package dev.heartbeats.common.tables;

import dev.heartbeats.common.jdbc.TableSpec;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.List;

import static dev.heartbeats.common.jdbc.TableSpec.setTime;

/** How the contract's output rows map onto their tables. */
public final class OutputTables {
    private OutputTables() {}

    /** The four output tables of the contract, in its order. */
    public static final List<String> NAMES = List.of("watch_segments", "video_progress", "content_watch_hourly", "ad_impressions_hourly");

    public static final TableSpec<WatchSegment> WATCH_SEGMENTS = new TableSpec<>() {
        private static final long serialVersionUID = 1L;

        @Override public String table() { return "watch_segments"; }

        @Override public List<String> keyColumns() { return List.of("user_id", "video_id", "segment_start"); }

        @Override public List<String> valueColumns() {
            return List.of("session_start", "segment_end", "start_pos_ms", "end_pos_ms", "heartbeats");
        }

        @Override public Object key(WatchSegment r) { return List.of(r.userId, r.videoId, r.segmentStart); }

        @Override public int bindKey(PreparedStatement ps, int i, WatchSegment r) throws SQLException {
            ps.setString(i, r.userId);
            ps.setString(i + 1, r.videoId);
            setTime(ps, i + 2, r.segmentStart);
            return i + 3;
        }

        @Override public void bindValues(PreparedStatement ps, int i, WatchSegment r) throws SQLException {
            setTime(ps, i, r.sessionStart);
            setTime(ps, i + 1, r.segmentEnd);
            ps.setLong(i + 2, r.startPosMs);
            ps.setLong(i + 3, r.endPosMs);
            ps.setLong(i + 4, r.heartbeats);
        }
    };

    /** Guarded: an older heartbeat, or a replay after a restart, never moves a resume point back. */
    public static final TableSpec<VideoProgress> VIDEO_PROGRESS = new TableSpec<>() {
        private static final long serialVersionUID = 1L;

        @Override public String table() { return "video_progress"; }

        @Override public List<String> keyColumns() { return List.of("user_id", "video_id"); }

        @Override public List<String> valueColumns() { return List.of("position_ms", "event_time", "device_id"); }

        @Override public String updateGuard() {
            return "(video_progress.event_time, video_progress.position_ms) <= (EXCLUDED.event_time, EXCLUDED.position_ms)";
        }

        @Override public Object key(VideoProgress r) { return List.of(r.userId, r.videoId); }

        @Override public int bindKey(PreparedStatement ps, int i, VideoProgress r) throws SQLException {
            ps.setString(i, r.userId);
            ps.setString(i + 1, r.videoId);
            return i + 2;
        }

        @Override public void bindValues(PreparedStatement ps, int i, VideoProgress r) throws SQLException {
            ps.setLong(i, r.positionMs);
            setTime(ps, i + 1, r.eventTime);
            if (r.deviceId == null) ps.setNull(i + 2, Types.VARCHAR); else ps.setString(i + 2, r.deviceId);
        }
    };

    /**
     * Per (video, hour): plain upserts; the Table API aggregation sends the whole row each time. A known licensor is
     * never overwritten with NULL: the job's catalog lookup caches misses, so without this a row that hb catalog has
     * just re-attributed could lose its licensor again at the job's next update of it.
     */
    public static final TableSpec<ContentWatchHourly> CONTENT_WATCH_HOURLY = new TableSpec<>() {
        private static final long serialVersionUID = 1L;

        @Override public String table() { return "content_watch_hourly"; }

        @Override public List<String> keyColumns() { return List.of("video_id", "hour"); }

        @Override public List<String> valueColumns() { return List.of("licensor_id", "watched_ms", "viewers"); }

        @Override public String updateValue(String column) {
            return column.equals("licensor_id") ? "COALESCE(EXCLUDED.licensor_id, content_watch_hourly.licensor_id)" : "EXCLUDED." + column;
        }

        @Override public Object key(ContentWatchHourly r) { return List.of(r.videoId, r.hour); }

        @Override public int bindKey(PreparedStatement ps, int i, ContentWatchHourly r) throws SQLException {
            ps.setString(i, r.videoId);
            setTime(ps, i + 1, r.hour);
            return i + 2;
        }

        @Override public void bindValues(PreparedStatement ps, int i, ContentWatchHourly r) throws SQLException {
            if (r.licensorId == null) ps.setNull(i, Types.VARCHAR); else ps.setString(i, r.licensorId);
            ps.setLong(i + 1, r.watchedMs);
            ps.setLong(i + 2, r.viewers);
        }
    };

    /** Per (ad, hour): plain upserts, and deletes when the last ad view of an hour moved to another one. */
    public static final TableSpec<AdImpressionsHourly> AD_IMPRESSIONS_HOURLY = new TableSpec<>() {
        private static final long serialVersionUID = 1L;

        @Override public String table() { return "ad_impressions_hourly"; }

        @Override public List<String> keyColumns() { return List.of("ad_id", "hour"); }

        @Override public List<String> valueColumns() {
            return List.of("impressions", "first_quartile", "midpoint", "third_quartile", "completes");
        }

        @Override public Object key(AdImpressionsHourly r) { return List.of(r.adId, r.hour); }

        @Override public int bindKey(PreparedStatement ps, int i, AdImpressionsHourly r) throws SQLException {
            ps.setString(i, r.adId);
            setTime(ps, i + 1, r.hour);
            return i + 2;
        }

        @Override public void bindValues(PreparedStatement ps, int i, AdImpressionsHourly r) throws SQLException {
            ps.setLong(i, r.impressions);
            ps.setLong(i + 1, r.firstQuartile);
            ps.setLong(i + 2, r.midpoint);
            ps.setLong(i + 3, r.thirdQuartile);
            ps.setLong(i + 4, r.completes);
        }
    };
}
