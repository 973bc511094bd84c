package dev.heartbeats.bench;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.local.Jobs;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * {@code scripts/bench}: measures the jobs on this machine. Starts (or uses) Kafka and PostgreSQL, pre-loads a topic
 * with generated heartbeats, then measures
 * <ol>
 *   <li>the ceiling: a plain KafkaConsumer reading the topic, and reading + parsing it;</li>
 *   <li>bounded runs of every job at each parallelism, several times (median);</li>
 *   <li>live runs of the segments job at fixed rates: latency to the database;</li>
 * </ol>
 * and writes the report (bench/README.md results section, bench/report/). {@code scripts/bench jmh} runs the JMH
 * microbenchmarks instead. See bench/README.md.
 */
public final class Bench {
    static final Option<Long> RECORDS = Option.longValue("records", 5_000_000, "records to pre-load into the input topic");
    static final Option<Integer> VIEWERS = Option.integer("viewers", 100_000, "concurrently active viewers in the pre-loaded data");
    static final Option<Integer> PARTITIONS = Option.integer("partitions", 4, "partitions of the input topics");
    static final Option<Long> SEED = Option.longValue("seed", 1, "generator seed");
    static final Option<Boolean> CLEAN = Option.flag("clean-input",
            "generate a clean in-order stream (default: realistic adversities: 3% out of order, 2% duplicated, 2% late, 0.5% too late, 1% invalid)");
    static final Option<String> PARTS = Option.string("parts", "ceiling,bounded,live", "what to measure: any of ceiling, bounded, live, cluster (the bounded runs of --jobs on a real application cluster, beside the MiniCluster)");
    static final Option<String> JOBS = Option.string("jobs", "all", "jobs for the bounded runs (comma-separated names, or all = " + String.join(",", Jobs.all().keySet()) + ")");
    static final Option<String> PARALLELISM = Option.string("parallelism", "1,2", "parallelisms of the bounded runs");
    static final Option<Integer> RUNS = Option.integer("runs", 3, "measured runs per job and parallelism (and ceiling variant); the report quotes medians");
    static final Option<Long> WARMUP = Option.longValue("warmup-runs", 1, "unmeasured bounded runs of the first job first (JIT, RocksDB native library)");
    static final Option<String> RATES = Option.string("rates", "10000,30000,60000", "heartbeats/s of the live runs");
    static final Option<String> LIVE_JOB = Option.string("live-job", "segments", "job of the live runs (latency to video_progress and watch_segments)");
    static final Option<Duration> LIVE_DURATION = Option.duration("live-duration", "60s", "measured time of each live run");
    static final Option<Duration> LIVE_WARMUP = Option.duration("live-warmup", "20s", "time before each live run is measured");
    static final Option<String> CHECKPOINT_INTERVAL = Option.string("checkpoint-interval", "30s", "checkpoint interval of the jobs (the jobs' default)");
    static final Option<String> JOB_ARGS = Option.string("job-args", null,
            "extra job settings, space-separated, e.g. \"--progress-min-interval 0s --sink-batch-size 5000\" (each job gets those it knows)").optional();
    static final Option<String> BOOTSTRAP = Option.string("bootstrap-servers", null, "use this Kafka instead of starting one (then --jdbc-url too)").optional();
    static final Option<String> JDBC_URL = Option.string("jdbc-url", null, "use this database instead of starting PostgreSQL (password from env JDBC_PASSWORD)").optional();
    static final Option<String> JDBC_USER = JobOptions.JDBC_USER;
    static final Option<String> LABEL = Option.string("label", null, "a name for this configuration in the history tables (e.g. baseline)").optional();
    static final Option<String> REPORT_DIR = Option.string("report-dir", "bench/report", "where the plot, latest.md and the history files go");
    static final Option<String> README = Option.string("readme", "bench/README.md", "README whose results section is regenerated");
    static final Option<Boolean> NO_REPORT = Option.flag("no-report", "print the results only; write no report and no history line (development runs)");
    static final Option<Boolean> QUICK = Option.flag("quick",
            "a short development run: 500000 records, 1 run, parallelism 1, rate 30000 for 30 s (explicit settings still win)");

    static final List<Option<?>> OPTIONS = JobOptions.concat(List.of(RECORDS, VIEWERS, PARTITIONS, SEED, CLEAN, PARTS, JOBS, PARALLELISM, RUNS, WARMUP, RATES,
            LIVE_JOB, LIVE_DURATION, LIVE_WARMUP, CHECKPOINT_INTERVAL, JOB_ARGS), JobOptions.concat(JobOptions.kafkaClient(BOOTSTRAP),
            List.of(JDBC_URL, JDBC_USER, LABEL, REPORT_DIR, README, NO_REPORT, QUICK)));

    private Bench() {}

    static String help() {
        return Settings.help("Usage: scripts/bench [settings]      the end-to-end benchmark (see bench/README.md)\n"
                + "       scripts/bench curve [settings]   the segments job's cost curve over audience sizes (scripts/bench curve --help)\n"
                + "       scripts/bench jmh [JMH options]  the JMH microbenchmarks (e.g. scripts/bench jmh -f 1 -wi 3 -i 5 Parse)\n"
                + "       scripts/bench archive [settings] the archive's size and restatement from it against a Kafka replay", OPTIONS);
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Locale.setDefault(Locale.ROOT);
        if (args.length > 0 && args[0].equals("jmh")) {
            org.openjdk.jmh.Main.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("archive")) {
            ArchiveBench.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (args.length > 0 && args[0].equals("curve")) {
            CostCurve.main(Arrays.copyOfRange(args, 1, args.length));
            return;
        }
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        Settings s;
        try {
            s = Settings.parse(quick(args), OPTIONS);
            if ((s.get(BOOTSTRAP) == null) != (s.get(JDBC_URL) == null)) {
                throw new ConfigException("--bootstrap-servers and --jdbc-url: give both to use existing services, or neither to start embedded ones");
            }
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (see --help)");
            System.exit(2);
            return;
        }
        int code = 0;
        try {
            run(s);
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        }
        System.exit(code); // Kafka, Flink and PostgreSQL leave non-daemon threads behind
    }

    /** --quick: defaults for a short run, placed before the user's arguments so that theirs win. */
    private static String[] quick(String[] args) {
        if (!Arrays.asList(args).contains("--quick")) return args;
        List<String> a = new ArrayList<>(List.of("--records", "500000", "--runs", "1", "--parallelism", "1", "--rates", "30000",
                "--live-duration", "30s", "--live-warmup", "15s"));
        List<String> given = Arrays.asList(args);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i += 2) if (!given.contains(a.get(i))) out.addAll(a.subList(i, i + 2));
        out.addAll(given);
        return out.toArray(new String[0]);
    }

    static void run(Settings s) throws Exception {
        Results res = new Results();
        res.startedAt = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        res.machine = Machine.describe();
        res.loadAtStart = Machine.loadAvg();
        res.commit = commit();
        res.label = s.get(LABEL) == null ? "" : s.get(LABEL);
        List<String> parts = List.of(s.get(PARTS).split(","));
        List<String> extra = s.get(JOB_ARGS) == null ? List.of() : List.of(s.get(JOB_ARGS).trim().split("\\s+"));
        for (Option<?> o : List.of(RECORDS, VIEWERS, PARTITIONS, SEED, CLEAN, RUNS, PARALLELISM, RATES, LIVE_DURATION, CHECKPOINT_INTERVAL)) {
            res.settings.put(o.name, String.valueOf(s.get(o)));
        }
        res.settings.put("job-args", String.join(" ", extra));
        res.settings.put("stack", s.get(BOOTSTRAP) == null ? "embedded Kafka + PostgreSQL 16 in this JVM" : s.get(BOOTSTRAP) + " / " + s.get(JDBC_URL));
        say("machine: " + res.machine + "; load " + res.loadAtStart);

        GeneratorConfig base = (s.get(CLEAN) ? GeneratorConfig.of(s.get(SEED)) : GeneratorConfig.allAdversities(s.get(SEED)))
                .toBuilder().viewers(s.get(VIEWERS)).build();
        int partitions = s.get(PARTITIONS);
        List<Integer> parallelisms = new ArrayList<>();
        for (String p : s.get(PARALLELISM).split(",")) parallelisms.add(Integer.parseInt(p.trim()));
        int slots = parallelisms.stream().mapToInt(Integer::intValue).max().orElse(1);

        say("starting " + (s.get(BOOTSTRAP) == null ? "embedded Kafka and PostgreSQL" : "clients of the given Kafka and database") + " and a MiniCluster ...");
        try (BenchEnv env = BenchEnv.start(s.get(BOOTSTRAP) == null ? null : dev.heartbeats.common.kafka.KafkaClientConfig.fromSettings(s, BOOTSTRAP), s.get(JDBC_URL), s.get(JDBC_USER), partitions);
             BenchCluster cluster = new BenchCluster(slots)) {
            env.createTopic(Runs.DLQ_TOPIC, 1);
            env.createTopic(Runs.LATE_TOPIC, 1);
            say("Kafka " + env.bootstrap + ", database " + env.jdbc.url + ", Flink REST " + cluster.rest);

            boolean needsTopic = parts.contains("ceiling") || parts.contains("bounded") || parts.contains("cluster");
            String topic = null;
            if (needsTopic) {
                Topic t = topic(env, base, s.get(RECORDS), s.get(SEED), s.get(CLEAN), partitions);
                topic = t.name;
                res.preloadSeconds = t.preloadSeconds;
                res.topicRecords = t.records;
            }

            if (parts.contains("ceiling")) {
                for (int i = 0; i < s.get(RUNS); i++) {
                    res.ceilingRead.add(Ceiling.read(env.kafka, topic, false));
                    res.ceilingParse.add(Ceiling.read(env.kafka, topic, true));
                    say(String.format("ceiling run %d: read %,.0f/s, read+parse %,.0f/s", i + 1, last(res.ceilingRead), last(res.ceilingParse)));
                }
            }

            if (parts.contains("bounded")) {
                List<JobLauncher.Job> jobs = jobs(s.get(JOBS));
                for (int w = 0; w < s.get(WARMUP); w++) {
                    Results.BoundedRun r = BoundedBench.run(env, cluster, jobs.get(0), topic, res.topicRecords, parallelisms.get(0), 0,
                            s.get(CHECKPOINT_INTERVAL), extra);
                    say(String.format("warm-up %s p=%d: %,.0f records/s (not counted)", r.job, r.parallelism, r.throughput()));
                }
                for (JobLauncher.Job job : jobs) {
                    for (int p : parallelisms) {
                        for (int i = 1; i <= s.get(RUNS); i++) {
                            Results.BoundedRun r = BoundedBench.run(env, cluster, job, topic, res.topicRecords, p, i, s.get(CHECKPOINT_INTERVAL), extra);
                            res.bounded.add(r);
                            say(String.format("bounded %s p=%d run %d: %,.0f records/s (%.1f s; first row -> end %,.0f/s), JVM CPU %.2f s/M, DB CPU %.2f s/M,"
                                            + " DB rows/hb %.3f, checkpoints %d, load %s", r.job, p, i, r.throughput(), r.runningToEndMs / 1000,
                                    r.throughputFromFirstRow(), r.jvmCpuPerMillion(), r.dbCpuPerMillion(),
                                    r.db.valid ? r.db.rows() / (double) r.records : Double.NaN, r.checkpoints.completed, r.loadAfter));
                        }
                    }
                }
            }

            if (parts.contains("cluster")) {
                Path repo = Path.of("").toAbsolutePath();
                String manifests = dev.heartbeats.cluster.Distribution.render(repo, "local");
                for (JobLauncher.Job job : jobs(s.get(JOBS))) {
                    for (int i = 1; i <= s.get(RUNS); i++) {
                        // Alternating, so that both see the same machine: the real cluster, then the MiniCluster at its parallelism.
                        Results.BoundedRun real = ClusterBench.run(env, job, topic, res.topicRecords, i, s.get(CHECKPOINT_INTERVAL), repo, manifests);
                        Results.BoundedRun mini = BoundedBench.run(env, cluster, job, topic, res.topicRecords, real.parallelism, i, s.get(CHECKPOINT_INTERVAL), extra);
                        res.cluster.add(real);
                        res.cluster.add(mini);
                        for (Results.BoundedRun r : List.of(real, mini)) {
                            say(String.format("cluster part %s p=%d run %d on %s: %,.0f records/s (%.1f s), start-up %.1f s, CPU %.2f s/M, load %s",
                                    r.job, r.parallelism, i, r.where, r.throughput(), r.runningToEndMs / 1000, r.startupMs / 1000, r.jvmCpuPerMillion(), r.loadAfter));
                        }
                    }
                }
            }

            if (parts.contains("live")) {
                JobLauncher.Job job = Jobs.byName(s.get(LIVE_JOB));
                for (String rate : s.get(RATES).split(",")) {
                    double rt = Double.parseDouble(rate.trim());
                    say(String.format("live %s at %,.0f heartbeats/s (%d s warm-up, %d s measured) ...", job.name(), rt,
                            s.get(LIVE_WARMUP).toSeconds(), s.get(LIVE_DURATION).toSeconds()));
                    Results.LiveRun r = LiveBench.run(env, cluster, job, base, rt, partitions, s.get(LIVE_WARMUP).toMillis(),
                            s.get(LIVE_DURATION).toMillis(), s.get(CHECKPOINT_INTERVAL), extra);
                    res.live.add(r);
                    say(String.format("live %,.0f/s (achieved %,.0f/s): progress p50 %,.0f p99 %,.0f max %,.0f ms (%d samples, %d never seen);"
                                    + " stop p50 %,.0f p99 %,.0f max %,.0f ms (%d); JVM CPU %.2f s/M; DB rows/hb %.3f (watch_segments %.3f,"
                                    + " video_progress %.3f); load %s",
                            rt, r.achievedRate, Stats.median(r.progressLatencyMs), Stats.percentile(r.progressLatencyMs, 99), Stats.max(r.progressLatencyMs),
                            r.progressLatencyMs.size(), r.progressMissing, Stats.median(r.stopLatencyMs), Stats.percentile(r.stopLatencyMs, 99),
                            Stats.max(r.stopLatencyMs), r.stopLatencyMs.size(), r.jvmCpuPerMillion(),
                            r.db != null && r.db.valid ? r.db.rows() / (double) r.sent : Double.NaN,
                            r.db != null && r.db.valid ? r.db.rows("watch_segments") / (double) r.sent : Double.NaN,
                            r.db != null && r.db.valid ? r.db.rows("video_progress") / (double) r.sent : Double.NaN, r.loadAfter));
                }
            }
        }
        res.loadAtEnd = Machine.loadAvg();
        System.out.println();
        System.out.println(Report.markdown(res));
        if (!s.get(NO_REPORT)) {
            Path dir = Path.of(s.get(REPORT_DIR));
            Path readme = Path.of(s.get(README));
            Report.write(res, readme, dir, true);
            say("report: " + readme.toAbsolutePath() + ", " + dir.resolve("bench.png").toAbsolutePath());
        }
    }

    /** A pre-loaded input topic: its name, records, and the seconds its pre-loading took (0 when reused). */
    record Topic(String name, long records, double preloadSeconds) {}

    /**
     * The input topic of {@code n} records generated from {@code base} (its viewers, seed and adversities name it):
     * reused when it exists with exactly that many records, else (re)created and pre-loaded with the production
     * {@link LiveProducer} settings.
     */
    static Topic topic(BenchEnv env, GeneratorConfig base, long n, long seed, boolean clean, int partitions) throws Exception {
        String topic = "bench-" + n + "-" + base.viewers() + "v-" + seed + (clean ? "-clean" : "-adv");
        env.createTopic(topic, partitions);
        long have = env.topicSize(topic);
        double seconds = 0;
        if (have != n) {
            if (have > 0) {
                env.deleteTopic(topic);
                Thread.sleep(2000);
                env.createTopic(topic, partitions);
            }
            say(String.format("pre-loading %,d records from %,d viewers into %s (%d partitions) ...", n, base.viewers(), topic, partitions));
            long t0 = System.nanoTime();
            try (LiveProducer producer = new LiveProducer(env.kafka, topic)) {
                producer.sendAll(new HeartbeatGenerator(base.toBuilder().maxRecords(n).build().endingAt(System.currentTimeMillis())));
            }
            seconds = (System.nanoTime() - t0) / 1e9;
            say(String.format("pre-loaded in %.1f s", seconds));
        } else {
            say(String.format("reusing %s (%,d records)", topic, n));
        }
        return new Topic(topic, env.topicSize(topic), seconds);
    }

    private static List<JobLauncher.Job> jobs(String names) {
        if (names.equals("all")) return new ArrayList<>(Jobs.all().values());
        List<JobLauncher.Job> out = new ArrayList<>();
        for (String n : names.split(",")) out.add(Jobs.byName(n.trim()));
        return out;
    }

    private static double last(List<Double> l) {
        return l.get(l.size() - 1);
    }

    /** The checked-out commit (read from .git, no git command), with "+changes" unknown: the label says what was measured. */
    static String commit() {
        try {
            Path git = Path.of(".git");
            Path common = git;
            if (Files.isRegularFile(git)) { // a worktree: .git names its own git directory, whose commondir holds the refs
                git = Path.of(Files.readString(git).trim().substring("gitdir: ".length()));
                Path commondir = git.resolve("commondir");
                common = Files.exists(commondir) ? git.resolve(Files.readString(commondir).trim()).normalize() : git;
            }
            String head = Files.readString(git.resolve("HEAD")).trim();
            if (head.startsWith("ref: ")) {
                Path ref = common.resolve(head.substring(5));
                if (Files.exists(ref)) return Files.readString(ref).trim().substring(0, 10);
                for (String line : Files.readAllLines(common.resolve("packed-refs"))) {
                    if (line.endsWith(head.substring(5))) return line.substring(0, 10);
                }
                return head;
            }
            return head.substring(0, 10);
        } catch (Exception e) {
            return "unknown";
        }
    }

    static void say(String line) {
        System.out.println("[" + java.time.LocalTime.now().withNano(0) + "] " + line);
        System.out.flush();
    }
}
