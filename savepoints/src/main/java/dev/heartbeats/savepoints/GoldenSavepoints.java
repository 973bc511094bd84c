package dev.heartbeats.savepoints;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.local.Jobs;
import org.apache.flink.core.execution.SavepointFormatType;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Generates the golden savepoints of a release (scripts/savepoints-regenerate.sh), in the spirit of Flink's own
 * migration-test snapshot generator: for each stateful job, run the current code on the first part of a fixed
 * generated input until it has consumed (and checkpointed) all of it, then stop it with a savepoint in canonical
 * format. Writes {@code <golden-dir>/<release>/}: the input ({@value InputRecords#FILE}, shared by the jobs) and per
 * job {@code manifest.json}, {@code savepoint/} and {@code tables/} (the rows the job had written, which a real
 * upgrade finds in the database).
 */
public final class GoldenSavepoints {
    static final Option<String> RELEASE = Option.string("release", BuildInfo.release(BuildInfo.projectVersion()),
            "release the goldens belong to (directory name; default: the project version without -SNAPSHOT)");
    static final Option<String> GOLDEN_DIR = Option.string("golden-dir", "savepoints/golden", "directory of the goldens (one subdirectory per release)");
    static final Option<String> JOBS = Option.string("jobs", "all", "comma-separated jobs (all = " + String.join(",", Jobs.all().keySet()) + ")");
    static final Option<Long> SEED = Option.longValue("seed", 20260101, "generator seed");
    static final Option<Integer> VIEWERS = Option.integer("viewers", 60, "concurrent viewers of the generated input (about 12 heartbeats per second of event time)");
    static final Option<Integer> RECORDS = Option.integer("records", 30_000, "records of the whole input, about 40 min of event time (the gate sends the rest after the savepoint)");
    static final Option<Integer> FIRST_PART = Option.integer("first-part", 12_000, "records the job reads before the savepoint, about 17 min (the rest is the gate's)");
    static final Option<String> START_TIME = Option.string("start-time", "2026-01-01T00:40:00Z",
            "event time of the first heartbeats (the default makes the second part cross an hour boundary)");
    static final Option<Integer> PARTITIONS = Option.integer("partitions", 2, "partitions of the input topic");
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", 2, "parallelism of the jobs (the gate restores with the same)");
    static final Option<Boolean> FORCE = Option.flag("force", "replace the release's goldens if they exist");
    static final Option<String> REPO_ROOT = Option.string("repo-root", ".", "repository root (for the commit and state-code hash in the manifests)");

    static final List<Option<?>> OPTIONS = List.of(RELEASE, GOLDEN_DIR, JOBS, SEED, VIEWERS, RECORDS, FIRST_PART, START_TIME, PARTITIONS,
            PARALLELISM, FORCE, REPO_ROOT);

    /** Where the state types and their serializers live: a change there is what the goldens guard against. */
    static final String STATE_CODE = "common/src/main/java/dev/heartbeats/common/sessionize";

    private GoldenSavepoints() {}

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: scripts/savepoints-regenerate.sh [settings]\n"
                    + "Generates the golden savepoints of a release from the current code (see savepoints/README.md).", OPTIONS));
            return;
        }
        try {
            run(Settings.parse(args, OPTIONS));
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
        System.exit(0); // Kafka and Flink leave non-daemon threads behind
    }

    static void run(Settings s) throws Exception {
        String release = s.get(RELEASE);
        if (!release.matches("[A-Za-z0-9._-]+")) throw new ConfigException("--release: '" + release + "' must be a plain directory name");
        Path releaseDir = Path.of(s.get(GOLDEN_DIR)).toAbsolutePath().resolve(release);
        if (Files.exists(releaseDir)) {
            if (!s.get(FORCE)) throw new ConfigException("--release: " + releaseDir + " exists; pass --force to replace it");
            Files2.deleteTree(releaseDir);
        }
        List<JobLauncher.Job> jobs = new ArrayList<>();
        for (String n : s.get(JOBS).equals("all") ? Jobs.all().keySet() : List.of(s.get(JOBS).split(","))) jobs.add(Jobs.byName(n.trim()));
        int total = s.get(RECORDS);
        int firstPart = s.get(FIRST_PART);
        if (firstPart <= 0 || firstPart >= total) throw new ConfigException("--first-part: must lie in (0, --records)");
        GeneratorConfig config = GeneratorConfig.allAdversities(s.get(SEED)).toBuilder().viewers(s.get(VIEWERS)).maxRecords(total)
                .startTime(Instant.parse(s.get(START_TIME))).build();
        Path repo = Path.of(s.get(REPO_ROOT)).toAbsolutePath().normalize();
        GoldenManifest.Source source = source(repo);

        Files.createDirectories(releaseDir);
        say("golden savepoints " + release + " -> " + releaseDir);
        say("input: " + config + "; first part " + firstPart + " of " + total + " records");
        List<InputRecords.Record> records = InputRecords.generate(config);
        InputRecords.write(releaseDir.resolve(InputRecords.FILE), records);

        String topic = "golden-" + release + "-heartbeats";
        try (GateEnvironment env = GateEnvironment.start(s.get(PARTITIONS), 4)) {
            env.stack.kafka.createTopic(topic, s.get(PARTITIONS));
            List<InputRecords.Sent> sent = InputRecords.send(env.stack.kafka.bootstrapServers(), topic, records, 0, firstPart);
            Map<Integer, Long> end = new TreeMap<>();
            for (int p = 0; p < s.get(PARTITIONS); p++) end.put(p, 0L);
            end.putAll(InputRecords.endOffsets(sent));
            env.stack.kafka.createDeadLetterTopic("golden-dlq", 1);
            env.stack.kafka.createDeadLetterTopic("golden-late", 1);

            for (JobLauncher.Job job : jobs) {
                List<String> jobArgs = List.of("--input-topic", topic, "--dlq-topic", "golden-dlq", "--late-topic", "golden-late",
                        "--group-id", "golden-" + release + "-" + job.name(), "--starting-offsets", "earliest",
                        "--parallelism", Integer.toString(s.get(PARALLELISM)), "--checkpoint-interval", "1s", "--sink-flush-interval", "100ms",
                        // Deterministic state: the watermark follows the data only (never the wall clock) while the job waits to be stopped.
                        "--idle-timeout", "1h");
                GoldenManifest m = generate(env, job, jobArgs, releaseDir.resolve(job.name()), end);
                m.release = release;
                m.source = source;
                m.input.file = "../" + InputRecords.FILE;
                m.input.generator = config.toString();
                m.input.seed = config.seed();
                m.input.startTime = config.startTime();
                m.input.records = total;
                m.input.firstPart = firstPart;
                m.input.firstPartSha256 = InputRecords.sha256(records, 0, firstPart);
                m.input.allSha256 = InputRecords.sha256(records, 0, total);
                m.input.topic = topic;
                m.input.partitions = s.get(PARTITIONS);
                m.input.firstPartEndOffsets = end;
                JobConfig cfg = job.parse(jobArgs.toArray(new String[0]));
                Expectation firstPartExpected = Expectation.of(sent, cfg.params, cfg.outOfOrdernessMs);
                m.input.firstPartInvalid = firstPartExpected.invalid.size();
                m.input.firstPartTooLate = firstPartExpected.tooLate.size();
                m.write(releaseDir.resolve(job.name()));
                say(String.format("  %-15s savepoint %,d bytes in %d ms; open: %s; rows: %s", job.name(), m.savepoint.bytes, m.savepoint.takeMillis, m.open, m.tableRows));
            }
        }
        say("done. Commit " + releaseDir + " (the gate, mvn -pl savepoints verify, restores every release under " + releaseDir.getParent() + ").");
    }

    private static GoldenManifest generate(GateEnvironment env, JobLauncher.Job job, List<String> jobArgs, Path dir, Map<Integer, Long> end) throws Exception {
        TableSnapshot.truncateOutputs(env.stack.jdbc());
        List<String> args = new ArrayList<>(jobArgs);
        args.addAll(env.stack.jobArgs());
        args.addAll(List.of("--checkpoint-dir", env.workDir(job.name()).resolve("checkpoints").toUri().toString()));
        JobConfig cfg = job.parse(args.toArray(new String[0]));
        LocalCluster.Job running = env.cluster.submit(JobGraphs.fromCode(job, args.toArray(new String[0]), null));
        String savepoint;
        long took;
        try {
            running.awaitAllRunning(Duration.ofMinutes(2));
            running.await(() -> env.kafka.reached(cfg.groupId, cfg.inputTopic, end), Duration.ofMinutes(5), "the first part to be consumed and checkpointed");
            long t0 = System.currentTimeMillis();
            savepoint = running.stopWithSavepoint(env.workDir(job.name()).resolve("savepoints"), false, SavepointFormatType.CANONICAL);
            took = System.currentTimeMillis() - t0;
            running.awaitResult(Duration.ofMinutes(1));
        } finally {
            running.cancel();
        }
        Path from = Path.of(java.net.URI.create(savepoint.startsWith("file:") ? savepoint : "file://" + savepoint));
        Files.createDirectories(dir);
        Path to = dir.resolve(GoldenManifest.SAVEPOINT_DIR);
        Files2.copyTree(from, to);
        JobTables.dump(env.stack.jdbc(), job.name(), dir.resolve(GoldenManifest.TABLES_DIR));
        Map<Integer, Long> offsets = SavepointOffsets.read(to.toUri().toString(), cfg.inputTopic);
        if (!offsets.equals(end)) {
            throw new IllegalStateException(job.name() + ": the savepoint's Kafka offsets " + offsets + " are not the end of the first part " + end);
        }

        GoldenManifest m = new GoldenManifest();
        m.job = job.name();
        m.jobClass = job.getClass().getName();
        m.projectVersion = BuildInfo.projectVersion();
        m.flinkVersion = BuildInfo.flinkVersion();
        m.createdAt = Instant.now().toString();
        m.jobArgs = new ArrayList<>(jobArgs);
        m.savepoint.parallelism = cfg.parallelism;
        m.savepoint.bytes = SavepointInventory.sizeOnDisk(to);
        m.savepoint.takeMillis = took;
        m.operators = SavepointInventory.read(to, GoldenSavepoints.class.getClassLoader()).operators;
        m.open = OpenState.read(job.name(), to.toUri().toString());
        m.tableRows = new TreeMap<>(JobTables.rowCounts(TableSnapshot.read(env.stack.jdbc()), job.name()));
        return m;
    }

    /** The commit, uncommitted changes under the state code, and a hash of the state code's sources (read-only git). */
    static GoldenManifest.Source source(Path repo) {
        GoldenManifest.Source src = new GoldenManifest.Source();
        src.gitCommit = git(repo, "rev-parse", "HEAD").strip();
        for (String line : git(repo, "status", "--porcelain", "--", STATE_CODE).split("\n")) {
            if (!line.isBlank()) src.uncommittedStateCode.add(line.strip());
        }
        Path code = repo.resolve(STATE_CODE);
        if (Files.isDirectory(code)) {
            try (Stream<Path> files = Files.walk(code)) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    md.update(code.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                    md.update(Files.readAllBytes(f));
                }
                src.stateCodeSha256 = HexFormat.of().formatHex(md.digest());
            } catch (Exception e) {
                src.stateCodeSha256 = "unavailable: " + e;
            }
        }
        return src;
    }

    private static String git(Path repo, String... args) {
        List<String> cmd = new ArrayList<>(List.of("git", "-C", repo.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return "unknown";
            return out;
        } catch (IOException e) {
            return "unknown";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
