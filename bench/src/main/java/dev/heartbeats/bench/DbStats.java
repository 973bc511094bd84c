package dev.heartbeats.bench;

import dev.heartbeats.common.config.JdbcConfig;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The database's own write counters for the output tables (pg_stat_user_tables: rows inserted, updated, deleted) and
 * committed transactions (pg_stat_database), read before and after a run. PostgreSQL publishes a backend's counters
 * when its transaction ends (at most once a second) and when it exits; the sinks' connections close when a bounded
 * job ends, so the deltas of a bounded run are complete.
 */
final class DbStats {
    static final String[] TABLES = dev.heartbeats.common.tables.OutputTables.NAMES.toArray(new String[0]);

    /** table -> {inserted, updated, deleted, hot updated} */
    final Map<String, long[]> tables = new LinkedHashMap<>();
    long commits;

    static DbStats read(JdbcConfig jdbc) {
        DbStats s = new DbStats();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del, n_tup_hot_upd FROM pg_stat_user_tables"
                    + " WHERE relname IN ('watch_segments', 'video_progress', 'content_watch_hourly', 'ad_impressions_hourly')")) {
                while (rs.next()) s.tables.put(rs.getString(1), new long[] {rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)});
            }
            try (ResultSet rs = st.executeQuery("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")) {
                if (rs.next()) s.commits = rs.getLong(1);
            }
        } catch (SQLException e) {
            // Not PostgreSQL-compatible statistics (or no rights): the report shows n/a.
            s.commits = -1;
        }
        return s;
    }

    /** What changed from {@code before} to this. */
    Delta minus(DbStats before) {
        Delta d = new Delta();
        if (commits < 0 || before.commits < 0) {
            d.valid = false;
            return d;
        }
        d.commits = commits - before.commits;
        for (Map.Entry<String, long[]> e : tables.entrySet()) {
            long[] b = before.tables.getOrDefault(e.getKey(), new long[4]);
            long[] a = e.getValue();
            long[] x = {a[0] - b[0], a[1] - b[1], a[2] - b[2], a[3] - b[3]};
            d.tables.put(e.getKey(), x);
            d.inserted += x[0];
            d.updated += x[1];
            d.deleted += x[2];
        }
        return d;
    }

    static final class Delta {
        boolean valid = true;
        long commits;
        long inserted;
        long updated;
        long deleted;
        final Map<String, long[]> tables = new LinkedHashMap<>();

        long rows() {
            return inserted + updated + deleted;
        }

        long rows(String table) {
            long[] x = tables.get(table);
            return x == null ? 0 : x[0] + x[1] + x[2];
        }
    }

    /** Row counts of the output tables (a cheap consistency check between runs of the same job). */
    static Map<String, Long> rowCounts(JdbcConfig jdbc) throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            for (String t : TABLES) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + t)) {
                    rs.next();
                    out.put(t, rs.getLong(1));
                }
            }
        }
        return out;
    }
}
