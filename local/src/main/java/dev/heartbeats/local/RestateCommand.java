package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Restatement;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.kafka.TopicLimits;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.RestatedTables;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * {@code hb restate}: recomputes the output rows of a time range from the archive (README, "Restatements").
 *
 * <ol>
 *   <li>the jobs run bounded on the archived records of the range, with its warm-up and cool-down
 *       ({@link Restatement}), into a scratch schema made by the same migrations, with the live catalog copied in;</li>
 *   <li>the rows of the range are compared with the live tables (rows only in one of them, per table);</li>
 *   <li>without {@code --into}, the range is then swapped into the live tables: per table and chunk of time, one
 *       transaction deletes the live rows of the chunk and inserts the restated ones. Running it again does the same
 *       again; a reader sees each chunk either before or after.</li>
 * </ol>
 * {@code --into <schema>} stops after the comparison (look first); {@code --swap-in <schema>} swaps a schema restated
 * earlier, without running the jobs again.
 */
public final class RestateCommand {
    private RestateCommand() {}

    static final Option<String> JOB = Option.string("job", "all", "the job to restate: " + String.join(", ", Jobs.all().keySet()) + " or all");
    static final Option<String> FROM = Option.string("from", null, "start of the range (inclusive), a whole UTC hour, e.g. 2026-11-01T00:00:00Z");
    static final Option<String> TO = Option.string("to", null, "end of the range (exclusive), a whole UTC hour");
    static final Option<String> ARCHIVE = Option.string("archive", defaultArchive(), "the archive: a folder, file:///... or s3://...");
    static final Option<String> INTO = Option.string("into", null,
            "restate into this scratch schema and compare it with the live tables, without touching them (swap later with --swap-in)").optional();
    static final Option<String> SWAP_IN = Option.string("swap-in", null,
            "do not run the jobs: replace the range of the live tables with the rows of this schema (restated earlier with --into)").optional();
    static final Option<Duration> SWAP_CHUNK = Option.duration("swap-chunk", "1h",
            "the swap replaces the range in chunks of this much time, one transaction per table and chunk");
    static final List<Option<?>> OPTIONS = List.of(JOB, FROM, TO, ARCHIVE, INTO, SWAP_IN, SWAP_CHUNK);

    private static final Pattern SCHEMA_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final DateTimeFormatter HOUR = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

    /** The tables each job writes. */
    static final Map<String, List<String>> TABLES = Map.of(
            "segments", List.of("watch_segments", "video_progress"),
            "watch-time", List.of("content_watch_hourly"),
            "ad-impressions", List.of("ad_impressions_hourly"));

    static String defaultArchive() {
        return Path.of(System.getProperty("user.home"), ".hb", "archive").toString();
    }

    static String help() {
        return Settings.help(String.join("\n",
                "Usage: hb restate --job <name|all> --from <instant> --to <instant> [--archive <dir|uri>] [--into <schema> | --swap-in <schema>] [job settings]",
                "Recomputes the output rows whose time lies in [from, to) from the archive (the archive job's Parquet files) instead of Kafka:",
                "into a scratch schema, compared with the live tables, then swapped in (README, 'Restatements'). Other settings go to the jobs",
                "(hb job <name> --help): Kafka, database, contract parameters, --restate-warm-up, --restate-cool-down; the restated dead letters",
                "go to --dlq-topic / --late-topic, by default <heartbeats-dlq|heartbeats-late>-restated (created if missing)."), OPTIONS);
    }

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        List<String> jobArgs = new ArrayList<>();
        List<String> own = new ArrayList<>();
        split(args, jobArgs, own);
        Settings s = Settings.parse(own.toArray(new String[0]), OPTIONS);
        List<JobLauncher.Job> jobs = jobs(s.get(JOB));
        if (s.get(INTO) != null && s.get(SWAP_IN) != null) throw new ConfigException("--into and --swap-in: give one of them");
        // The jobs' own parser checks the range and every other setting first.
        JobConfig probe = jobs.get(0).parse(restateArgs(jobArgs, s, "restate_probe").toArray(new String[0]));
        Restatement range = probe.restatement;
        JdbcConfig live = probe.jdbc.withUrl(withoutSchema(probe.jdbc.url));
        List<String> tables = tablesOf(jobs);
        if (s.get(SWAP_IN) != null) {
            String schema = schemaName(SWAP_IN, s.get(SWAP_IN));
            say("swapping " + tables + " of " + range + " in from schema " + schema);
            swap(live, schema, range.fromMs, range.toMs, tables, s.get(SWAP_CHUNK));
            say("done: the range of the live tables holds the rows of " + schema);
            return;
        }
        String schema = s.get(INTO) != null ? schemaName(INTO, s.get(INTO))
                : "restate_" + HOUR.format(Instant.ofEpochMilli(range.fromMs)) + "_" + HOUR.format(Instant.ofEpochMilli(range.toMs));
        say("restating " + String.join(", ", jobs.stream().map(JobLauncher.Job::name).toList()) + " over " + range + " into schema " + schema);
        JdbcConfig scratch = prepareScratch(live, schema);
        List<String> finalArgs = restateArgs(jobArgs, s, schema);
        createDeadLetterTopics(jobs.get(0).parse(finalArgs.toArray(new String[0])));
        long started = System.nanoTime();
        restate(jobs, finalArgs, StreamExecutionEnvironment::getExecutionEnvironment, Duration.ofDays(7));
        say(String.format("restated in %.1f s", (System.nanoTime() - started) / 1e9));
        for (Map.Entry<String, long[]> e : compare(live, schema, range.fromMs, range.toMs, tables).entrySet()) {
            long[] c = e.getValue();
            say(String.format("  %-22s live %,d rows, restated %,d rows; only live %,d, only restated %,d", e.getKey(), c[0], c[1], c[2], c[3]));
        }
        if (s.get(INTO) != null) {
            say("the live tables are untouched; to swap the range in: hb restate --job " + s.get(JOB) + " --from " + s.get(FROM) + " --to " + s.get(TO)
                    + " --swap-in " + schema + " [the same --jdbc-url]");
            return;
        }
        swap(live, schema, range.fromMs, range.toMs, tables, s.get(SWAP_CHUNK));
        say("swapped in: the range of the live tables holds the restated rows (kept in schema " + schema + " for reference)");
    }

    static List<JobLauncher.Job> jobs(String names) {
        if (names.equals("all")) return new ArrayList<>(Jobs.all().values());
        List<JobLauncher.Job> out = new ArrayList<>();
        for (String n : names.split(",")) {
            if (!Jobs.all().containsKey(n.trim())) throw new ConfigException("--job: '" + n + "' writes no table to restate (one of " + String.join(", ", Jobs.all().keySet()) + ", all)");
            out.add(Jobs.byName(n.trim()));
        }
        return out;
    }

    static List<String> tablesOf(List<JobLauncher.Job> jobs) {
        List<String> out = new ArrayList<>();
        for (JobLauncher.Job j : jobs) out.addAll(TABLES.get(j.name()));
        return out;
    }

    /** The jobs' arguments for a restatement into {@code schema}. */
    static List<String> restateArgs(List<String> jobArgs, Settings s, String schema) {
        List<String> a = new ArrayList<>(jobArgs);
        String url = valueOf(jobArgs, JobOptions.JDBC_URL.name, JobOptions.JDBC_URL.defaultText);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).equals("--" + JobOptions.JDBC_URL.name)) { i++; continue; }
            if (a.get(i).startsWith("--" + JobOptions.JDBC_URL.name + "=")) continue;
            out.add(a.get(i));
        }
        out.addAll(List.of("--" + JobOptions.JDBC_URL.name, withSchema(url, schema),
                "--" + Restatement.ARCHIVE_DIR.name, s.get(ARCHIVE), "--" + Restatement.RESTATE_FROM.name, s.get(FROM),
                "--" + Restatement.RESTATE_TO.name, s.get(TO), "--" + JobOptions.BOUNDED.name));
        if (valueOf(jobArgs, JobOptions.DLQ_TOPIC.name, null) == null) out.addAll(List.of("--" + JobOptions.DLQ_TOPIC.name, JobOptions.DLQ_TOPIC.defaultText + "-restated"));
        if (valueOf(jobArgs, JobOptions.LATE_TOPIC.name, null) == null) out.addAll(List.of("--" + JobOptions.LATE_TOPIC.name, JobOptions.LATE_TOPIC.defaultText + "-restated"));
        return out;
    }

    private static String valueOf(List<String> args, String name, String fallback) {
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--" + name) && i + 1 < args.size()) return args.get(i + 1);
            if (args.get(i).startsWith("--" + name + "=")) return args.get(i).substring(name.length() + 3);
        }
        return fallback;
    }

    static String schemaName(Option<String> setting, String name) {
        if (!SCHEMA_NAME.matcher(name).matches()) {
            throw new ConfigException("--" + setting.name + ": '" + name + "' must be a plain lower-case schema name ([a-z_][a-z0-9_]*)");
        }
        if (name.equals("public")) throw new ConfigException("--" + setting.name + ": not the live schema 'public'");
        return name;
    }

    /** {@code url} writing into {@code schema} (PostgreSQL and YugabyteDB drivers: the currentSchema parameter). */
    public static String withSchema(String url, String schema) {
        String base = withoutSchema(url);
        return base + (base.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    static String withoutSchema(String url) {
        int q = url.indexOf('?');
        if (q < 0) return url;
        List<String> kept = new ArrayList<>();
        for (String p : url.substring(q + 1).split("&")) if (!p.startsWith("currentSchema=") && !p.isEmpty()) kept.add(p);
        return url.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
    }

    /**
     * A scratch schema for a restatement: the live schema's migrations applied to it, its output tables emptied (a
     * second run starts clean), and the live catalog copied in (the watch-time job looks licensors up in it).
     */
    public static JdbcConfig prepareScratch(JdbcConfig live, String schema) throws SQLException {
        JdbcConfig scratch = live.withUrl(withSchema(live.url, schema));
        Migrations.Result migrated = Migrations.apply(scratch, Schema.Flavor.AUTO);
        say("scratch schema " + schema + ": " + migrated);
        String liveSchema = liveSchema(live);
        try (Connection c = live.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            st.execute("TRUNCATE " + schema + ".watch_segments, " + schema + ".video_progress, " + schema + ".content_watch_hourly, "
                    + schema + ".ad_impressions_hourly, " + schema + ".videos, " + schema + ".ads");
            st.execute("INSERT INTO " + schema + ".videos SELECT * FROM " + liveSchema + ".videos");
            st.execute("INSERT INTO " + schema + ".ads SELECT * FROM " + liveSchema + ".ads");
            c.commit();
        }
        return scratch;
    }

    static String liveSchema(JdbcConfig live) {
        String s = Migrations.currentSchema(live.url);
        return s == null ? "public" : s;
    }

    /** Creates the restatement's dead-letter topics if missing, with the size limits of the live ones. */
    static void createDeadLetterTopics(JobConfig cfg) {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cfg.bootstrapServers);
        try (Admin admin = Admin.create(p)) {
            for (String topic : List.of(cfg.dlqTopic, cfg.lateTopic)) {
                NewTopic t = new NewTopic(topic, java.util.Optional.empty(), java.util.Optional.empty())
                        .configs(Map.of("max.message.bytes", Integer.toString(TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES)));
                try {
                    admin.createTopics(List.of(t)).all().get(30, TimeUnit.SECONDS);
                    say("created topic " + topic + " for the restated dead letters");
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException("cannot create topic " + topic + ": " + e.getCause(), e.getCause());
                }
            }
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the restatement's dead-letter topics at " + cfg.bootstrapServers, e);
        }
    }

    /** Runs the jobs' restatements at once, each on an environment from {@code env}, and waits until all have finished. */
    public static void restate(List<JobLauncher.Job> jobs, List<String> args, Supplier<StreamExecutionEnvironment> env, Duration timeout) throws Exception {
        Map<String, JobClient> running = new LinkedHashMap<>();
        for (JobLauncher.Job job : jobs) {
            JobConfig cfg = job.parse(args.toArray(new String[0]));
            running.put(job.name(), job.start(env.get(), cfg));
        }
        for (Map.Entry<String, JobClient> e : running.entrySet()) {
            e.getValue().getJobExecutionResult().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            say("  " + e.getKey() + ": restated");
        }
    }

    /** Per table: rows in the range live, restated, only live, only restated. */
    public static Map<String, long[]> compare(JdbcConfig live, String schema, long fromMs, long toMs, List<String> tables) throws SQLException {
        Map<String, long[]> out = new LinkedHashMap<>();
        String liveSchema = liveSchema(live);
        try (Connection c = live.connect()) {
            for (String table : tables) {
                String col = RestatedTables.byName(table).timeColumn();
                String a = "(SELECT * FROM " + liveSchema + "." + table + " WHERE " + col + " >= ? AND " + col + " < ?)";
                String b = "(SELECT * FROM " + schema + "." + table + " WHERE " + col + " >= ? AND " + col + " < ?)";
                out.put(table, new long[] {count(c, "SELECT count(*) FROM " + a + " x", fromMs, toMs, 1),
                        count(c, "SELECT count(*) FROM " + b + " x", fromMs, toMs, 1),
                        count(c, "SELECT count(*) FROM (" + a + " EXCEPT " + b + ") x", fromMs, toMs, 2),
                        count(c, "SELECT count(*) FROM (" + b + " EXCEPT " + a + ") x", fromMs, toMs, 2)});
            }
        }
        return out;
    }

    private static long count(Connection c, String sql, long fromMs, long toMs, int ranges) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < ranges; i++) {
                ps.setObject(2 * i + 1, utc(fromMs));
                ps.setObject(2 * i + 2, utc(toMs));
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Replaces the rows of [fromMs, toMs) of the live tables with those of {@code schema}: per table and chunk, one
     * transaction deletes the chunk's live rows and inserts the restated ones. video_progress keeps its guard: a pair
     * whose live resume point is newer than the range keeps it.
     */
    public static void swap(JdbcConfig live, String schema, long fromMs, long toMs, List<String> tables, Duration chunk) throws SQLException {
        if (chunk.toMillis() <= 0) throw new ConfigException("--" + SWAP_CHUNK.name + ": must be > 0");
        String liveSchema = liveSchema(live);
        try (Connection c = live.connect()) {
            c.setAutoCommit(false);
            for (String table : tables) {
                RestatedTables.Table t = RestatedTables.byName(table);
                String col = t.timeColumn();
                String insert = "INSERT INTO " + liveSchema + "." + table + " SELECT * FROM " + schema + "." + table + " WHERE " + col + " >= ? AND " + col + " < ?";
                if (t.updateGuard() != null) {
                    List<String> values = valueColumns(c, schema, table, t.keyColumns());
                    StringBuilder set = new StringBuilder();
                    for (String v : values) set.append(set.length() == 0 ? "" : ", ").append(v).append(" = EXCLUDED.").append(v);
                    insert += " ON CONFLICT (" + String.join(", ", t.keyColumns()) + ") DO UPDATE SET " + set + " WHERE " + t.updateGuard();
                }
                long rows = 0;
                for (long at = fromMs; at < toMs; at += chunk.toMillis()) {
                    long end = Math.min(toMs, at + chunk.toMillis());
                    try (PreparedStatement del = c.prepareStatement("DELETE FROM " + liveSchema + "." + table + " WHERE " + col + " >= ? AND " + col + " < ?");
                         PreparedStatement ins = c.prepareStatement(insert)) {
                        del.setObject(1, utc(at));
                        del.setObject(2, utc(end));
                        del.executeUpdate();
                        ins.setObject(1, utc(at));
                        ins.setObject(2, utc(end));
                        rows += ins.executeUpdate();
                        c.commit();
                    } catch (SQLException e) {
                        c.rollback();
                        throw e;
                    }
                }
                say("  " + table + ": " + rows + " rows swapped in");
            }
        }
    }

    private static List<String> valueColumns(Connection c, String schema, String table, List<String> keys) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) if (!keys.contains(rs.getString(1))) out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** A timestamptz parameter, independent of the session's time zone. */
    private static java.time.OffsetDateTime utc(long epochMs) {
        return java.time.OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC);
    }

    /** Separates this command's own settings from the jobs'. */
    static void split(String[] args, List<String> jobArgs, List<String> ownArgs) {
        JobCommand.split(args, OPTIONS, jobArgs, ownArgs);
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
