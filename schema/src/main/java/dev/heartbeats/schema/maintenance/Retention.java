package dev.heartbeats.schema.maintenance;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.tables.Schema;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.Period;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code hb retention}: deletes rows older than each table's retention, in bounded batches that YSQL handles well,
 * while the jobs keep writing. Each batch is one short transaction deleting at most {@code --batch-size} rows chosen by
 * primary key ({@code DELETE FROM t USING (SELECT key ... WHERE <age> < cutoff LIMIT n) b WHERE t.key = b.key AND
 * t.<age> < cutoff}); the age is checked again on the row the statement locks, so a row a job has just made young again (a resume point of a video
 * watched again) is kept. The jobs never write rows this old otherwise (they accept heartbeats at most the allowed
 * lateness behind). Safe to run again or while another run is going: it only deletes what is older than the cutoff.
 *
 * <p>How a batch finds old rows: the hourly tables through their index on {@code hour} (V10), a range read. The
 * per-user tables have no index on time (one would be a write hot spot on YugabyteDB: every new row at its end); on
 * YugabyteDB a batch reads one slice of the table's hash space ({@code yb_hash_code(...) BETWEEN lo AND hi}, the
 * pattern YSQL offers for going through a table in parts), so each statement reads a bounded part of the table and
 * none scans all of it; on PostgreSQL, the local stand-in, a batch scans the table until it has found its rows.
 */
public final class Retention {
    /** A table, the column that says how old a row is, its key, and the hash columns of its YugabyteDB key. */
    public enum Table {
        WATCH_SEGMENTS("watch_segments", "segment_end", List.of("user_id", "video_id", "segment_start"), "user_id, video_id", "13 months"),
        VIDEO_PROGRESS("video_progress", "event_time", List.of("user_id", "video_id"), "user_id, video_id", "13 months"),
        CONTENT_WATCH_HOURLY("content_watch_hourly", "hour", List.of("video_id", "hour"), null, KEEP),
        AD_IMPRESSIONS_HOURLY("ad_impressions_hourly", "hour", List.of("ad_id", "hour"), null, KEEP);

        public final String table;
        final String ageColumn;
        final List<String> key;
        /** The hash columns of the YugabyteDB key when a batch goes slice by slice; null when an index on the age column serves. */
        final String hashColumns;
        final Option<String> option;

        Table(String table, String ageColumn, List<String> key, String hashColumns, String defaultRetention) {
            this.table = table;
            this.ageColumn = ageColumn;
            this.key = key;
            this.hashColumns = hashColumns;
            this.option = Option.string("retention-" + table.replace('_', '-'), defaultRetention,
                    "how long " + table + " rows are kept, by " + ageColumn + ": '<n> days', '<n> months' or '" + KEEP + "' (never deleted)");
        }

        /**
         * The batch statement: the first {@code limit} rows older than the cutoff (on YugabyteDB for a sliced table,
         * of one slice of the hash space), each deleted by its key and only if still that old. Parameters: cutoff,
         * [lo, hi,] limit, cutoff.
         */
        String deleteSql(boolean bySlice) {
            StringBuilder join = new StringBuilder();
            for (String k : key) join.append(join.length() == 0 ? "" : " AND ").append("t.").append(k).append(" = b.").append(k);
            return "DELETE FROM " + table + " t USING (SELECT " + String.join(", ", key) + " FROM " + table + " WHERE " + ageColumn + " < ?"
                    + (bySlice ? " AND yb_hash_code(" + hashColumns + ") BETWEEN ? AND ?" : "") + " LIMIT ?) AS b WHERE " + join
                    + " AND t." + ageColumn + " < ?";
        }
    }

    public static final String KEEP = "keep";
    /** yb_hash_code's range: 0..65535. */
    static final int HASH_SPACE = 65_536;

    static final Option<Integer> BATCH_SIZE = Option.integer("batch-size", 1_000, "rows deleted per statement (one short transaction each)");
    static final Option<Duration> BATCH_PAUSE = Option.duration("batch-pause", "20ms", "pause after each batch, to leave the database to the jobs");
    static final Option<Integer> SLICES = Option.integer("slices", 256, "YugabyteDB: parts of the hash space that the per-user tables are gone through in");
    static final Option<Schema.Flavor> FLAVOR = Option.choice("flavor", Schema.Flavor.AUTO, Schema.Flavor.class,
            "database flavour; auto asks the database (YugabyteDB batches go slice by slice of the hash space)");

    /** The command's settings (the CronJob's arguments are checked against them). */
    public static List<Option<?>> options() {
        List<Option<?>> o = new ArrayList<>(JobOptions.JDBC_CONNECTION);
        for (Table t : Table.values()) o.add(t.option);
        o.addAll(List.of(BATCH_SIZE, BATCH_PAUSE, SLICES, FLAVOR));
        return o;
    }

    /** What to do: the retention of each table (empty: keep), batch size and pause, slices. */
    public record Plan(Map<Table, Optional<Period>> retention, int batchSize, Duration pause, int slices) {
        public Plan {
            if (batchSize < 1) throw new ConfigException("--" + BATCH_SIZE.name + ": must be at least 1, got " + batchSize);
            if (slices < 1 || slices > HASH_SPACE) throw new ConfigException("--" + SLICES.name + ": must be 1.." + HASH_SPACE + ", got " + slices);
        }

        /** The defaults, with {@code overrides} applied. */
        public static Plan defaults(Map<Table, String> overrides, int batchSize) {
            Map<Table, Optional<Period>> r = new LinkedHashMap<>();
            for (Table t : Table.values()) r.put(t, parseRetention(t.option, overrides.getOrDefault(t, t.option.defaultText)));
            return new Plan(r, batchSize, Duration.ZERO, 256);
        }
    }

    /** Rows deleted per table. */
    public record Result(Map<Table, Long> deleted) {
        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            deleted.forEach((t, n) -> sb.append(sb.length() == 0 ? "" : ", ").append(t.table).append(": ").append(n));
            return sb.toString();
        }
    }

    private Retention() {}

    static final Pattern RETENTION = Pattern.compile("(\\d+)\\s*(days?|d|months?|mo)");

    /** {@code keep}, {@code <n> days} or {@code <n> months}; anything else fails naming the setting. */
    static Optional<Period> parseRetention(Option<String> option, String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (v.equals(KEEP)) return Optional.empty();
        Matcher m = RETENTION.matcher(v);
        if (!m.matches()) {
            throw new ConfigException("--" + option.name + ": expected '<n> days', '<n> months' or '" + KEEP + "', got '" + value + "'");
        }
        int n = Integer.parseInt(m.group(1));
        if (n < 1) throw new ConfigException("--" + option.name + ": must be at least 1 day or month, got '" + value + "'");
        return Optional.of(m.group(2).startsWith("d") ? Period.ofDays(n) : Period.ofMonths(n));
    }

    /** The cutoff of a retention period: rows older than this go. Calendar months in UTC. */
    static Instant cutoff(Instant now, Period retention) {
        return now.atOffset(ZoneOffset.UTC).minus(retention).toInstant();
    }

    /** Deletes what is older than each table's retention as of {@code now}. */
    public static Result run(JdbcConfig jdbc, Schema.Flavor flavor, Plan plan, Instant now) throws SQLException, InterruptedException {
        Map<Table, Long> deleted = new LinkedHashMap<>();
        try (Connection c = Batches.open(jdbc)) {
            boolean yugabyte = (flavor == Schema.Flavor.AUTO ? Schema.detect(jdbc, c) : flavor) == Schema.Flavor.YUGABYTE;
            for (Map.Entry<Table, Optional<Period>> e : plan.retention().entrySet()) {
                if (e.getValue().isEmpty()) continue;
                Table t = e.getKey();
                Timestamp cutoff = Timestamp.from(cutoff(now, e.getValue().get()));
                long rows = 0;
                if (yugabyte && t.hashColumns != null) {
                    int width = (HASH_SPACE + plan.slices() - 1) / plan.slices();
                    for (int lo = 0; lo < HASH_SPACE; lo += width) {
                        int from = lo;
                        int to = Math.min(lo + width, HASH_SPACE) - 1;
                        rows += Batches.drain(c, t.deleteSql(true), ps -> {
                            ps.setTimestamp(1, cutoff);
                            ps.setInt(2, from);
                            ps.setInt(3, to);
                            ps.setInt(4, plan.batchSize());
                            ps.setTimestamp(5, cutoff);
                        }, plan.pause())[0];
                    }
                } else {
                    rows = Batches.drain(c, t.deleteSql(false), ps -> {
                        ps.setTimestamp(1, cutoff);
                        ps.setInt(2, plan.batchSize());
                        ps.setTimestamp(3, cutoff);
                    }, plan.pause())[0];
                }
                deleted.put(t, rows);
            }
        }
        return new Result(deleted);
    }

    public static void main(String[] args) throws Exception {
        List<Option<?>> options = options();
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: retention [settings]   (password from env " + JobOptions.JDBC_PASSWORD_ENV + " or --"
                    + JobOptions.JDBC_PASSWORD_FILE.name + ")\nDeletes rows older than each table's retention, in bounded batches; safe while the jobs run"
                    + " and to run again.", options));
            return;
        }
        Settings s;
        JdbcConfig jdbc;
        Plan plan;
        try {
            s = Settings.parse(args, options);
            jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
            Map<Table, Optional<Period>> r = new LinkedHashMap<>();
            for (Table t : Table.values()) r.put(t, parseRetention(t.option, s.get(t.option)));
            plan = new Plan(r, s.get(BATCH_SIZE), s.get(BATCH_PAUSE), s.get(SLICES));
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (run with --help for the settings)");
            System.exit(2);
            return;
        }
        Instant now = Instant.now();
        StringBuilder what = new StringBuilder();
        plan.retention().forEach((t, p) -> what.append(what.length() == 0 ? "" : ", ").append(t.table).append(" ")
                .append(p.map(x -> "before " + cutoff(now, x)).orElse("kept")));
        System.out.println("retention at " + jdbc + ": " + what);
        Result result = run(jdbc, s.get(FLAVOR), plan, now);
        System.out.println("deleted: " + result);
    }
}
