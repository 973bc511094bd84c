package dev.heartbeats.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.local.Jobs;
import dev.heartbeats.segments.SegmentsJob;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.JobClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code scripts/bench curve}: the cost curve of the segments job as the audience grows. For each audience size
 * (concurrent viewers) a topic with the same number of heartbeats per viewer is pre-loaded and the job runs it bounded
 * at parallelism 1, measured like every bounded run ({@link BoundedBench}: throughput from all tasks running to the
 * last committed row, CPU of this JVM and of PostgreSQL per million heartbeats, heap in use), with one checkpoint
 * triggered halfway through the input so that even a short run reports its state size and a checkpoint's duration and
 * size. Then the largest audience's state is built by an unbounded run at parallelism 1, taken with
 * stop-with-savepoint and restored at {@code --restore-parallelism} (the rescale an autoscaler triggers). The report
 * ({@link CurveReport}) gives the table, the knee and the plot.
 */
final class CostCurve {
    static final Option<String> VIEWERS = Option.string("viewers", "20000,100000,300000,1000000",
            "audience sizes: concurrent viewers, comma-separated, ascending");
    static final Option<Integer> HEARTBEATS_PER_VIEWER = Option.integer("heartbeats-per-viewer", 20,
            "heartbeats per viewer in every topic (records = viewers x this; a heartbeat every ~5 s each)");
    static final Option<Integer> PARTITIONS = Bench.PARTITIONS;
    static final Option<Long> SEED = Bench.SEED;
    static final Option<Boolean> CLEAN = Bench.CLEAN;
    static final Option<Long> WARMUP = Option.longValue("warmup-runs", 1, "unmeasured runs over the smallest audience first (JIT, RocksDB's native library)");
    static final Option<String> CHECKPOINT_INTERVAL = Bench.CHECKPOINT_INTERVAL;
    static final Option<Integer> RESTORE_PARALLELISM = Option.integer("restore-parallelism", 2,
            "parallelism the largest audience's parallelism-1 savepoint is restored at");
    static final Option<String> SAVEPOINT_FORMAT = Option.string("savepoint-format", "canonical",
            "format of that savepoint: canonical (what the operator's upgrades take by default) or native");
    static final Option<Boolean> NO_RESTORE = Option.flag("no-restore", "skip the savepoint and restore of the largest audience");
    static final Option<Duration> RESTORE_TIMEOUT = Option.duration("restore-timeout", "30m",
            "longest wait for building the largest audience's state, for its savepoint and for its restore");
    static final Option<String> JOB_ARGS = Bench.JOB_ARGS;
    static final Option<String> LABEL = Bench.LABEL;
    static final Option<String> REPORT_DIR = Bench.REPORT_DIR;
    static final Option<String> README = Bench.README;
    static final Option<Boolean> NO_REPORT = Bench.NO_REPORT;

    static final List<Option<?>> OPTIONS = List.of(VIEWERS, HEARTBEATS_PER_VIEWER, PARTITIONS, SEED, CLEAN, WARMUP, CHECKPOINT_INTERVAL,
            RESTORE_PARALLELISM, SAVEPOINT_FORMAT, NO_RESTORE, RESTORE_TIMEOUT, JOB_ARGS, LABEL, REPORT_DIR, README, NO_REPORT);

    /** A run's cost per heartbeat is "at the knee" while it stays within this factor of the smallest audience's. */
    static final double KNEE_FACTOR = 1.25;

    private CostCurve() {}

    static String help() {
        return Settings.help("Usage: scripts/bench curve [settings]   the segments job's cost curve over audience sizes (see bench/README.md)", OPTIONS);
    }

    static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        Settings s;
        List<Long> viewers;
        try {
            s = Settings.parse(args, OPTIONS);
            viewers = viewers(s.get(VIEWERS));
            String format = s.get(SAVEPOINT_FORMAT);
            if (!format.equals("canonical") && !format.equals("native")) {
                throw new ConfigException("--" + SAVEPOINT_FORMAT.name + ": '" + format + "' is neither canonical nor native");
            }
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (see scripts/bench curve --help)");
            System.exit(2);
            return;
        }
        int code = 0;
        try {
            run(s, viewers);
        } catch (Exception e) {
            e.printStackTrace();
            code = 1;
        }
        System.exit(code); // Kafka, Flink and PostgreSQL leave non-daemon threads behind
    }

    /** The audience sizes: positive, strictly ascending; a bad list fails naming {@code --viewers}. */
    static List<Long> viewers(String list) {
        List<Long> out = new ArrayList<>();
        for (String v : list.split(",")) {
            long n;
            try {
                n = Long.parseLong(v.trim().replace("_", ""));
            } catch (NumberFormatException e) {
                throw new ConfigException("--" + VIEWERS.name + ": '" + v.trim() + "' is not a number of viewers");
            }
            if (n < 1 || n > Integer.MAX_VALUE) throw new ConfigException("--" + VIEWERS.name + ": " + n + " viewers is out of range");
            if (!out.isEmpty() && n <= out.get(out.size() - 1)) throw new ConfigException("--" + VIEWERS.name + ": sizes must be ascending (" + list + ")");
            out.add(n);
        }
        return out;
    }

    static void run(Settings s, List<Long> viewers) throws Exception {
        Results res = new Results();
        res.startedAt = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        res.machine = Machine.describe();
        res.loadAtStart = Machine.loadAvg();
        res.commit = Bench.commit();
        res.label = s.get(LABEL) == null ? "" : s.get(LABEL);
        List<String> extra = s.get(JOB_ARGS) == null ? List.of() : List.of(s.get(JOB_ARGS).trim().split("\\s+"));
        for (Option<?> o : List.of(VIEWERS, HEARTBEATS_PER_VIEWER, PARTITIONS, SEED, CLEAN, CHECKPOINT_INTERVAL, RESTORE_PARALLELISM, SAVEPOINT_FORMAT)) {
            res.settings.put(o.name, String.valueOf(s.get(o)));
        }
        res.settings.put("job-args", String.join(" ", extra));
        res.settings.put("state-cache-pairs", Long.toString(cachePairs(extra)));
        Bench.say("machine: " + res.machine + "; load " + res.loadAtStart);

        JobLauncher.Job job = Jobs.byName(SegmentsJob.NAME);
        int partitions = s.get(PARTITIONS);
        int perViewer = s.get(HEARTBEATS_PER_VIEWER);
        String ckpt = s.get(CHECKPOINT_INTERVAL);
        int restoreP = s.get(RESTORE_PARALLELISM);
        GeneratorConfig adversities = s.get(CLEAN) ? GeneratorConfig.of(s.get(SEED)) : GeneratorConfig.allAdversities(s.get(SEED));

        Bench.say("starting embedded Kafka and PostgreSQL and a MiniCluster ...");
        try (BenchEnv env = BenchEnv.start(null, null, null, partitions);
             BenchCluster cluster = new BenchCluster(Math.max(1, restoreP))) {
            env.createTopic(Runs.DLQ_TOPIC, 1);
            env.createTopic(Runs.LATE_TOPIC, 1);
            Bench.say("Kafka " + env.bootstrap + ", database " + env.jdbc.url + ", Flink REST " + cluster.rest);

            List<Bench.Topic> topics = new ArrayList<>();
            for (long v : viewers) {
                GeneratorConfig base = adversities.toBuilder().viewers((int) v).build();
                topics.add(Bench.topic(env, base, v * perViewer, s.get(SEED), s.get(CLEAN), partitions));
            }
            for (int w = 0; w < s.get(WARMUP); w++) {
                Bench.Topic t = topics.get(0);
                Results.BoundedRun r = BoundedBench.run(env, cluster, job, t.name(), t.records(), 1, 0, ckpt, extra);
                Bench.say(String.format("warm-up over %,d viewers: %,.0f records/s (not counted)", viewers.get(0), r.throughput()));
            }
            for (int i = 0; i < viewers.size(); i++) {
                Bench.Topic t = topics.get(i);
                Bench.say(String.format("curve: %,d viewers, %,d records at parallelism 1 ...", viewers.get(i), t.records()));
                System.gc(); // the heap in use is then this run's, not the previous one's garbage
                Results.CurvePoint p = new Results.CurvePoint();
                p.viewers = viewers.get(i);
                p.preloadSeconds = t.preloadSeconds();
                p.run = BoundedBench.run(env, cluster, job, t.name(), t.records(), 1, 1, ckpt, extra, t.records() / 2);
                res.curve.add(p);
                Results.BoundedRun r = p.run;
                Bench.say(String.format("curve %,d viewers: %,.0f records/s, JVM CPU %.2f s/M, DB CPU %.2f s/M, heap %s, state %s,"
                                + " checkpoints %d (median %,.0f ms), cache misses/hb %.3f, load %s", p.viewers, r.throughput(), r.jvmCpuPerMillion(),
                        r.dbCpuPerMillion(), Report.bytes(r.heapInUseMax), Report.bytes(r.checkpoints.maxFullSize), r.checkpoints.completed,
                        Stats.median(CurveReport.doubles(r.checkpoints.durationsMs)), p.cacheMissesPerHeartbeat(), r.loadAfter));
            }
            if (!s.get(NO_RESTORE)) {
                Bench.Topic t = topics.get(topics.size() - 1);
                res.restore = restore(env, cluster, job, t, viewers.get(viewers.size() - 1), restoreP, s.get(SAVEPOINT_FORMAT), ckpt, extra,
                        s.get(RESTORE_TIMEOUT));
            }
        }
        res.loadAtEnd = Machine.loadAvg();
        System.out.println();
        System.out.println(CurveReport.markdown(res));
        if (!s.get(NO_REPORT)) {
            Path dir = Path.of(s.get(REPORT_DIR));
            CurveReport.write(res, Path.of(s.get(README)), dir);
            Bench.say("report: " + Path.of(s.get(README)).toAbsolutePath() + ", " + dir.resolve(CurveReport.PLOT).toAbsolutePath());
        }
    }

    /** The state cache's capacity the runs use: the job's default unless the job settings give one. */
    static long cachePairs(List<String> extra) {
        String flag = "--" + SegmentsJob.STATE_CACHE_PAIRS.name;
        List<String> given = new ArrayList<>();
        for (int i = 0; i < extra.size(); i++) {
            String a = extra.get(i);
            if (a.startsWith(flag + "=")) given = List.of(a);
            else if (a.equals(flag) && i + 1 < extra.size()) given = List.of(a, extra.get(i + 1));
        }
        return Settings.parse(given.toArray(new String[0]), List.of(SegmentsJob.STATE_CACHE_PAIRS)).get(SegmentsJob.STATE_CACHE_PAIRS);
    }

    /**
     * Builds the state of the topic's audience with an unbounded run at parallelism 1 (every record read), stops it
     * with a savepoint, and starts the job from it at {@code toParallelism}: how long the savepoint and the restore
     * take, by the JobManager's own timestamps.
     */
    static Results.Restore restore(BenchEnv env, BenchCluster cluster, JobLauncher.Job job, Bench.Topic topic, long viewers, int toParallelism,
                                   String format, String ckpt, List<String> extra, Duration timeout) throws Exception {
        Results.Restore r = new Results.Restore();
        r.viewers = viewers;
        r.fromParallelism = 1;
        r.toParallelism = toParallelism;
        r.savepointFormat = format;
        r.loadBefore = Machine.loadAvg();
        TableSnapshot.truncateOutputs(env.jdbc);
        String group = Runs.unique("bench-curve-restore");
        Bench.say(String.format("restore: building the state of %,d viewers at parallelism 1 (unbounded, %,d records) ...", viewers, topic.records()));
        long t0 = System.currentTimeMillis();
        JobClient before = Runs.start(cluster, job, Runs.args(job, env, topic.name(), group, false, 1, ckpt, extra));
        String id = before.getJobID().toString();
        Runs.awaitRunning(cluster, before, timeout.toMillis());
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        long lastSaid = System.currentTimeMillis();
        var result = before.getJobExecutionResult(); // once: see Runs.awaitRunning
        while (Runs.recordsRead(id) < topic.records()) {
            if (result.isDone()) result.get(); // throws the failure
            if (System.currentTimeMillis() > deadline) throw new IllegalStateException("restore: the state was not built within " + timeout);
            if (System.currentTimeMillis() - lastSaid >= 15_000) {
                lastSaid = System.currentTimeMillis();
                Bench.say(String.format("  ... %,d of %,d records read", Runs.recordsRead(id), topic.records()));
            }
            Thread.sleep(200);
        }
        r.buildSeconds = (System.currentTimeMillis() - t0) / 1000.0;
        Path dir = Runs.tempDir("savepoint-");
        long t1 = System.currentTimeMillis();
        String savepoint = cluster.api.stopWithSavepoint(before.getJobID(), dir.toUri().toString(), format.toUpperCase(java.util.Locale.ROOT), timeout);
        r.savepointSeconds = (System.currentTimeMillis() - t1) / 1000.0;
        r.savepointBytes = size(dir);
        Runs.awaitResult(before);
        CapturingReporter.forget(id);
        Bench.say(String.format("restore: state built in %.1f s; %s savepoint of %s in %.1f s; restoring at parallelism %d ...", r.buildSeconds, format,
                Report.bytes(r.savepointBytes), r.savepointSeconds, toParallelism));

        long submitted = System.currentTimeMillis();
        JobClient after = Runs.start(cluster, job, Runs.args(job, env, topic.name(), group, false, toParallelism, ckpt, extra), savepoint);
        try {
            Runs.awaitRunning(cluster, after, timeout.toMillis());
            long[] restored = CheckpointStats.restoreWindow(cluster.api, after.getJobID());
            r.submitToRunningSeconds = ((restored[1] > 0 ? restored[1] : System.currentTimeMillis()) - submitted) / 1000.0;
            r.slowestSubtaskRestoreSeconds = restored[2] / 1000.0;
            r.restoredStateBytes = checkpointNow(cluster, after.getJobID(), Duration.ofMinutes(3));
        } finally {
            Runs.cancel(after);
            CapturingReporter.forget(after.getJobID().toString());
        }
        r.loadAfter = Machine.loadAvg();
        Bench.say(String.format("restore: at parallelism %d running %.1f s after submission (slowest subtask restored in %.1f s); state %s, load %s",
                toParallelism, r.submitToRunningSeconds, r.slowestSubtaskRestoreSeconds, Report.bytes(r.restoredStateBytes), r.loadAfter));
        return r;
    }

    /** Triggers a checkpoint and waits for it: its full state size (0 if none completed in time). */
    private static long checkpointNow(BenchCluster cluster, JobID job, Duration timeout) throws Exception {
        long id = cluster.api.checkpointTriggered(job, cluster.api.triggerCheckpoint(job), timeout);
        if (id < 0) return 0;
        for (JsonNode h : cluster.api.checkpoints(job).path("history")) {
            if (h.path("id").asLong() == id) return h.path("state_size").asLong();
        }
        return 0;
    }

    private static long size(Path dir) throws java.io.IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}
