package dev.heartbeats.local;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.OutputTables;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/** The rows in the output tables, for status lines and summaries. */
final class TableCounts {
    private TableCounts() {}

    /** e.g. {@code watch_segments 1,255 video_progress 303 content_watch_hourly 96 ad_impressions_hourly 20}. */
    static String line(JdbcConfig jdbc) {
        StringBuilder sb = new StringBuilder();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            for (String table : OutputTables.NAMES) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    sb.append(sb.length() == 0 ? "" : " ").append(String.format("%s %,d", table, rs.getLong(1)));
                }
            }
        } catch (Exception e) {
            sb.append("(db: ").append(e.getMessage()).append(')');
        }
        return sb.toString();
    }
}
