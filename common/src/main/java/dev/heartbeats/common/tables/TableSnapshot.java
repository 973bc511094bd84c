package dev.heartbeats.common.tables;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.jdbc.TableSpec;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Everything the four output tables hold, read at once (tests, the benchmark, and the local run's checks). */
public final class TableSnapshot {
    public final List<WatchSegment> watchSegments = new ArrayList<>();
    public final List<VideoProgress> videoProgress = new ArrayList<>();
    public final List<ContentWatchHourly> contentWatchHourly = new ArrayList<>();
    public final List<AdImpressionsHourly> adImpressionsHourly = new ArrayList<>();

    public static TableSnapshot read(JdbcConfig jdbc) throws SQLException {
        TableSnapshot s = new TableSnapshot();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT user_id, video_id, segment_start, session_start, segment_end, start_pos_ms, end_pos_ms, heartbeats FROM watch_segments")) {
                while (rs.next()) {
                    WatchSegment w = WatchSegment.key(rs.getString(1), rs.getString(2), TableSpec.epochMs(rs.getObject(3)));
                    w.sessionStart = TableSpec.epochMs(rs.getObject(4));
                    w.segmentEnd = TableSpec.epochMs(rs.getObject(5));
                    w.startPosMs = rs.getLong(6);
                    w.endPosMs = rs.getLong(7);
                    w.heartbeats = rs.getLong(8);
                    s.watchSegments.add(w);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT user_id, video_id, position_ms, event_time, device_id FROM video_progress")) {
                while (rs.next()) {
                    s.videoProgress.add(VideoProgress.of(rs.getString(1), rs.getString(2), rs.getLong(3), TableSpec.epochMs(rs.getObject(4)), rs.getString(5)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT video_id, hour, licensor_id, watched_ms, viewers FROM content_watch_hourly")) {
                while (rs.next()) {
                    s.contentWatchHourly.add(ContentWatchHourly.of(rs.getString(1), TableSpec.epochMs(rs.getObject(2)), rs.getString(3), rs.getLong(4), rs.getLong(5)));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT ad_id, hour, impressions, first_quartile, midpoint, third_quartile, completes FROM ad_impressions_hourly")) {
                while (rs.next()) {
                    s.adImpressionsHourly.add(AdImpressionsHourly.of(rs.getString(1), TableSpec.epochMs(rs.getObject(2)), rs.getLong(3), rs.getLong(4),
                            rs.getLong(5), rs.getLong(6), rs.getLong(7)));
                }
            }
        }
        return s;
    }

    /** Empties the output tables (not the catalog). */
    public static void truncateOutputs(JdbcConfig jdbc) throws SQLException {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("TRUNCATE watch_segments, video_progress, content_watch_hourly, ad_impressions_hourly");
        }
    }
}
