package dev.heartbeats.savepoints;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.embedded.LocalStack;
import dev.heartbeats.local.Jobs;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The upgrade rehearsal (scripts/upgrade-rehearsal.sh): version A of the jobs runs on live generated traffic (embedded
 * Kafka and PostgreSQL, a MiniCluster with RocksDB), is stopped with a savepoint while the traffic goes on, version B
 * starts from that savepoint, the traffic stops, and B catches up. Then the database must hold exactly the contract's
 * tables over every heartbeat sent (none lost, none counted twice across the upgrade), and the hourly watch time must
 * equal the segments' when both jobs run. Version B is the current build unless {@code --b-jars} points at the job
 * jars of another build (its classes are loaded from the jars, child-first, as on a cluster); {@code --a-jars} likewise.
 */
public final class UpgradeRehearsal {
    static final Option<String> JOBS = Option.string("jobs", "all", "comma-separated jobs (all = " + String.join(",", Jobs.all().keySet()) + ")");
    static final Option<Double> RATE = Option.decimal("rate", 400, "heartbeats per second of live traffic");
    static final Option<Duration> BEFORE = Option.duration("before", "40s", "how long version A runs before the savepoint");
    static final Option<Duration> AFTER = Option.duration("after", "40s", "how long the traffic goes on after version B started");
    static final Option<Long> SEED = Option.longValue("seed", 7, "generator seed");
    static final Option<Boolean> CLEAN = Option.flag("clean-input", "only clean heartbeats (default: a few % out of order, duplicated, late, too late and invalid)");
    static final Option<Integer> PARTITIONS = Option.integer("partitions", 4, "partitions of the heartbeats topic");
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", 2, "parallelism of each job (A and B)");
    static final Option<String> A_JARS = Option.string("a-jars", null,
            "version A's job jars, like --b-jars; default: this build's classes").optional();
    static final Option<String> B_JARS = Option.string("b-jars", null,
            "version B's job jar: a directory with heartbeat-jobs.jar (an image's /opt/flink/usrlib) or a built checkout of another version"
                    + " (its jobs/bundle/target/heartbeat-jobs-<version>.jar; releases up to 0.1.0: one <job>-job.jar per job); default: this build's classes").optional();
    static final Option<String> SAVEPOINT_DIR = Option.string("savepoint-dir", null, "where the upgrade savepoints go (default: a temporary directory)").optional();

    static final List<Option<?>> OPTIONS = List.of(JOBS, RATE, BEFORE, AFTER, SEED, CLEAN, PARTITIONS, PARALLELISM, A_JARS, B_JARS, SAVEPOINT_DIR);

    private UpgradeRehearsal() {}

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: scripts/upgrade-rehearsal.sh [settings]\n"
                    + "Rehearses a savepoint upgrade on live traffic and checks the database against the contract (see savepoints/README.md).", OPTIONS));
            return;
        }
        boolean ok;
        try {
            ok = run(Settings.parse(args, OPTIONS));
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
            return;
        }
        System.exit(ok ? 0 : 1); // Kafka and Flink leave non-daemon threads behind
    }

    /** One job through the upgrade. */
    static final class Upgrade {
        final JobLauncher.Job job;
        String[] args;
        LocalCluster.Job a;
        LocalCluster.Job b;
        String savepoint;
        long savepointBytes;
        long stopMillis;
        Duration restore;
        long readByA;

        Upgrade(JobLauncher.Job job) {
            this.job = job;
        }
    }

    static boolean run(Settings s) throws Exception {
        List<Upgrade> upgrades = new ArrayList<>();
        for (String n : s.get(JOBS).equals("all") ? Jobs.all().keySet() : List.of(s.get(JOBS).split(","))) upgrades.add(new Upgrade(Jobs.byName(n.trim())));
        Path savepoints = s.get(SAVEPOINT_DIR) == null ? Files.createTempDirectory("upgrade-rehearsal") : Files.createDirectories(Path.of(s.get(SAVEPOINT_DIR)));
        int parallelism = s.get(PARALLELISM);

        say("starting Kafka, PostgreSQL and a MiniCluster ...");
        try (GateEnvironment env = GateEnvironment.start(s.get(PARTITIONS), Math.max(4, upgrades.size() * parallelism))) {
            String bootstrap = env.stack.kafka.bootstrapServers();
            GeneratorConfig base = s.get(CLEAN) ? GeneratorConfig.of(s.get(SEED)) : GeneratorConfig.allAdversities(s.get(SEED));
            GeneratorConfig live = LiveProducer.liveConfig(base, s.get(RATE), System.currentTimeMillis());
            LiveProducer producer = new LiveProducer(bootstrap, LocalStack.INPUT_TOPIC);
            Thread traffic = new Thread(() -> producer.sendLive(new HeartbeatGenerator(live)), "live-traffic");
            traffic.setDaemon(true);

            for (Upgrade u : upgrades) {
                List<String> a = new ArrayList<>(env.stack.jobArgs());
                a.addAll(List.of("--parallelism", Integer.toString(parallelism), "--group-id", "rehearsal-" + u.job.name(),
                        "--checkpoint-dir", env.workDir(u.job.name()).resolve("checkpoints").toUri().toString()));
                u.args = a.toArray(new String[0]);
                u.a = env.cluster.submit(graph(u.job, u.args, s.get(A_JARS)));
                say("version A of " + u.job.name() + " started (" + describe(s.get(A_JARS)) + ")");
            }
            for (Upgrade u : upgrades) u.a.awaitAllRunning(Duration.ofMinutes(2));
            traffic.start();
            say(String.format("live traffic: %.0f heartbeats/s from about %d viewers%s; version A runs for %s", s.get(RATE), live.viewers(),
                    s.get(CLEAN) ? "" : " (with out-of-order, duplicated, late, too-late and invalid records)", s.get(BEFORE)));
            Thread.sleep(s.get(BEFORE).toMillis());

            for (Upgrade u : upgrades) {
                u.a.failIfFailing();
                long t0 = System.currentTimeMillis();
                u.savepoint = u.a.stopWithSavepoint(savepoints.resolve(u.job.name()), false, SavepointFormatType.CANONICAL);
                u.stopMillis = System.currentTimeMillis() - t0;
                u.a.awaitResult(Duration.ofMinutes(1));
                Path dir = Path.of(java.net.URI.create(u.savepoint));
                u.savepointBytes = SavepointInventory.sizeOnDisk(dir);
                u.readByA = SavepointOffsets.read(u.savepoint, LocalStack.INPUT_TOPIC).values().stream().mapToLong(Long::longValue).sum();
                say(String.format("%s: stopped version A with a savepoint in %,d ms: %,d bytes, %,d records read before it (%,d sent so far)",
                        u.job.name(), u.stopMillis, u.savepointBytes, u.readByA, producer.sent()));

                JobGraph b = JobGraphs.withoutRestarts(JobGraphs.restoring(graph(u.job, u.args, s.get(B_JARS)), u.savepoint));
                u.b = env.cluster.submit(b);
                try {
                    u.restore = u.b.awaitAllRunning(Duration.ofMinutes(2));
                } catch (LocalCluster.JobFailedException e) {
                    say("FAILED: version B of " + u.job.name() + " cannot restore the savepoint of version A:\n"
                            + RestoreDiagnosis.explain(e, SavepointInventory.read(dir, UpgradeRehearsal.class.getClassLoader()), b));
                    return false;
                }
                say(String.format("%s: version B (%s) restored and running in %,d ms", u.job.name(), describe(s.get(B_JARS)), u.restore.toMillis()));
            }
            say("traffic goes on for " + s.get(AFTER) + " ...");
            Thread.sleep(s.get(AFTER).toMillis());
            producer.stop();
            traffic.join(60_000);
            producer.close();
            long sent = producer.acked();
            say(String.format("traffic stopped: %,d records sent (%,d acknowledged by the broker)", producer.sent(), sent));

            Map<Integer, Long> end = env.kafka.endOffsets(LocalStack.INPUT_TOPIC);
            for (Upgrade u : upgrades) {
                long t0 = System.currentTimeMillis();
                JobConfig cfg = u.job.parse(u.args);
                u.b.await(() -> env.kafka.reached(cfg.groupId, cfg.inputTopic, end), Duration.ofMinutes(5), "version B to read everything");
                // End event time: every session closes and every row is flushed, as when traffic moves on for good.
                u.b.stopWithSavepoint(savepoints.resolve(u.job.name() + "-final"), true, SavepointFormatType.CANONICAL);
                u.b.awaitResult(Duration.ofMinutes(1));
                say(String.format("%s: version B read and checkpointed everything %,d ms after the traffic stopped", u.job.name(), System.currentTimeMillis() - t0));
            }

            return verify(env, upgrades, end);
        }
    }

    private static boolean verify(GateEnvironment env, List<Upgrade> upgrades, Map<Integer, Long> end) throws Exception {
        List<InputRecords.Sent> input = new ArrayList<>();
        int i = 0;
        for (ConsumerRecord<byte[], byte[]> r : env.kafka.readAll(LocalStack.INPUT_TOPIC)) {
            input.add(new InputRecords.Sent(i++, new InputRecords.Record(r.key(), r.value()), r.partition(), r.offset(), r.timestamp()));
        }
        long total = end.values().stream().mapToLong(Long::longValue).sum();
        JobConfig cfg = upgrades.get(0).job.parse(upgrades.get(0).args);
        Expectation expected = Expectation.of(input, cfg.params, cfg.outOfOrdernessMs);
        ContractReference.Expected tables = expected.tables(cfg.params, env.licensorByVideo);
        TableSnapshot actual = TableSnapshot.read(env.stack.jdbc());

        boolean ok = input.size() == total;
        say("");
        say(String.format("every record in the topic: %,d (%,d invalid, %,d too late, %,d heartbeats count)", input.size(), expected.invalid.size(),
                expected.tooLate.size(), expected.counted.size()));
        Map<String, String> lines = new LinkedHashMap<>();
        for (Upgrade u : upgrades) {
            String diff = JobTables.diff(actual, tables, u.job.name());
            Set<String> late = env.kafka.routedPositions(LocalStack.LATE_TOPIC, u.job.name());
            Set<String> invalid = env.kafka.routedPositions(LocalStack.DLQ_TOPIC, u.job.name());
            boolean routed = late.equals(expected.tooLate) && invalid.equals(expected.invalid);
            ok &= diff.isEmpty() && routed;
            lines.put(u.job.name(), String.format("savepoint %,d bytes in %,d ms; restore %,d ms; records read by A %,d, by B %,d (of %,d);"
                            + " tables %s%s; dead letters %s",
                    u.savepointBytes, u.stopMillis, u.restore.toMillis(), u.readByA, total - u.readByA, total,
                    JobTables.rowCounts(actual, u.job.name()), diff.isEmpty() ? " = contract" : " DIFFER:\n" + diff,
                    routed ? "= expected (" + late.size() + " too late, " + invalid.size() + " invalid)"
                            : "DIFFER: too late " + late.size() + " vs " + expected.tooLate.size() + ", invalid " + invalid.size() + " vs " + expected.invalid.size()));
        }
        lines.forEach((job, line) -> say(job + ": " + line));
        boolean both = upgrades.stream().anyMatch(u -> u.job.name().equals(SegmentsJob.NAME)) && upgrades.stream().anyMatch(u -> u.job.name().equals(WatchTimeJob.NAME));
        if (both) {
            String cross = TableAssert.watchTimeDiff(actual);
            ok &= cross.isEmpty();
            say("cross-check sum(content_watch_hourly.watched_ms) = sum(watch_segments end - start) per video: " + (cross.isEmpty() ? "holds" : "BROKEN:\n" + cross));
        }
        say(ok ? "upgrade rehearsal passed: no heartbeat lost, none counted twice" : "upgrade rehearsal FAILED");
        return ok;
    }

    /** Version A or B of a job: this build's classes, or the job jar found in {@code jarsDir}. */
    static JobGraph graph(JobLauncher.Job job, String[] args, String jarsDir) throws Exception {
        return jarsDir == null ? JobGraphs.fromCode(job, args, null) : JobGraphs.fromJar(jar(jarsDir, job.name()), job.getClass().getName(), args);
    }

    /**
     * The jar with {@code job} in {@code dir}: the one job jar ({@code heartbeat-jobs.jar}, or a checkout's
     * {@code jobs/bundle/target/heartbeat-jobs-<version>.jar}), or, for releases up to 0.1.0, the job's own jar.
     */
    static File jar(String dir, String job) {
        List<File> found = new ArrayList<>();
        for (File d : new File[] {new File(dir), new File(dir, "jobs/bundle/target")}) {
            File[] c = d.listFiles((x, n) -> n.equals("heartbeat-jobs.jar") || (n.startsWith("heartbeat-jobs-") && n.endsWith(".jar")));
            if (c != null) found.addAll(List.of(c));
        }
        if (found.isEmpty()) {
            for (File d : new File[] {new File(dir), new File(dir, "jobs/" + job + "/target")}) {
                File[] c = d.listFiles((x, n) -> n.equals(job + "-job.jar") || (n.startsWith(job + "-job-") && n.endsWith("-job.jar")));
                if (c != null) found.addAll(List.of(c));
            }
        }
        if (found.size() != 1) {
            throw new ConfigException("expected one job jar with " + job + " in " + dir + " (heartbeat-jobs.jar, jobs/bundle/target/heartbeat-jobs-<version>.jar, "
                    + "or up to 0.1.0 " + job + "-job.jar / jobs/" + job + "/target/" + job + "-job-<version>-job.jar), found " + found);
        }
        return found.get(0);
    }

    private static String describe(String jarsDir) {
        return jarsDir == null ? "this build" : "jars from " + jarsDir;
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
