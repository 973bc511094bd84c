package dev.heartbeats.savepoints;

import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;

/**
 * The output tables each job owns, and moving their rows in and out of the database as CSV: a golden savepoint goes
 * with the rows its job had written when the savepoint was taken (the database a real upgrade keeps), so that a
 * restored job must end with exactly the contract's tables over the whole input.
 */
public final class JobTables {
    private JobTables() {}

    /** A table and its primary key (the CSV files are sorted by it, so that regenerated goldens diff cleanly). */
    public record Table(String name, String primaryKey) {}

    private static final Map<String, List<Table>> BY_JOB = Map.of(
            SegmentsJob.NAME, List.of(new Table("watch_segments", "user_id, video_id, segment_start"), new Table("video_progress", "user_id, video_id")),
            WatchTimeJob.NAME, List.of(new Table("content_watch_hourly", "video_id, hour")),
            AdImpressionsJob.NAME, List.of(new Table("ad_impressions_hourly", "ad_id, hour")));

    public static List<Table> of(String job) {
        List<Table> t = BY_JOB.get(job);
        if (t == null) throw new IllegalArgumentException("no output tables known for job " + job + " (known: " + BY_JOB.keySet() + ")");
        return t;
    }

    /** Writes {@code <table>.csv} (header, rows by primary key, times in UTC) into {@code dir} for each of the job's tables. */
    public static void dump(JdbcConfig jdbc, String job, Path dir) throws SQLException, IOException {
        Files.createDirectories(dir);
        try (Connection c = jdbc.connect()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'UTC'");
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (Table t : of(job)) {
                try (Writer w = Files.newBufferedWriter(dir.resolve(t.name() + ".csv"), StandardCharsets.UTF_8)) {
                    copy.copyOut("COPY (SELECT * FROM " + t.name() + " ORDER BY " + t.primaryKey() + ") TO STDOUT WITH (FORMAT csv, HEADER)", w);
                }
            }
        }
    }

    /** Loads the CSV files of {@link #dump} into the (emptied) tables; returns the rows loaded. */
    public static long load(JdbcConfig jdbc, String job, Path dir) throws SQLException, IOException {
        long rows = 0;
        try (Connection c = jdbc.connect()) {
            try (Statement st = c.createStatement()) {
                st.execute("SET TIME ZONE 'UTC'");
            }
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            for (Table t : of(job)) {
                Path csv = dir.resolve(t.name() + ".csv");
                String header;
                try (BufferedReader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
                    header = r.readLine();
                }
                if (header == null) throw new IOException(csv + " is empty (expected at least the CSV header)");
                try (Reader r = Files.newBufferedReader(csv, StandardCharsets.UTF_8)) {
                    rows += copy.copyIn("COPY " + t.name() + " (" + header + ") FROM STDIN WITH (FORMAT csv, HEADER)", r);
                }
            }
        }
        return rows;
    }

    /** The rows of the job's tables, per table. */
    public static Map<String, Integer> rowCounts(TableSnapshot s, String job) {
        switch (job) {
            case SegmentsJob.NAME:
                return Map.of("watch_segments", s.watchSegments.size(), "video_progress", s.videoProgress.size());
            case WatchTimeJob.NAME:
                return Map.of("content_watch_hourly", s.contentWatchHourly.size());
            case AdImpressionsJob.NAME:
                return Map.of("ad_impressions_hourly", s.adImpressionsHourly.size());
            default:
                throw new IllegalArgumentException(job);
        }
    }

    /** The readable difference between the job's tables and the contract's, or "" when they are equal. */
    public static String diff(TableSnapshot actual, ContractReference.Expected expected, String job) {
        switch (job) {
            case SegmentsJob.NAME:
                return TableAssert.diff("watch_segments", actual.watchSegments, expected.watchSegments, TableAssert.WATCH_SEGMENT_KEY)
                        + TableAssert.diff("video_progress", actual.videoProgress, expected.videoProgress, TableAssert.VIDEO_PROGRESS_KEY);
            case WatchTimeJob.NAME:
                return TableAssert.diff("content_watch_hourly", actual.contentWatchHourly, expected.contentWatchHourly, TableAssert.CONTENT_WATCH_KEY);
            case AdImpressionsJob.NAME:
                return TableAssert.diff("ad_impressions_hourly", actual.adImpressionsHourly, expected.adImpressionsHourly, TableAssert.AD_IMPRESSIONS_KEY);
            default:
                throw new IllegalArgumentException(job);
        }
    }
}
