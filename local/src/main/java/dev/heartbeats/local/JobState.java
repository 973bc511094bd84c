package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a job run by {@code hb job} or {@code hb pipeline} leaves for its next start: its savepoints and checkpoints,
 * and a record ({@value #RECORD}) of which of them belongs to which job, consumer group, input topic and Kafka.
 *
 * <p>The Kafka source commits its offsets at every checkpoint, so a consumer group's committed offsets are only
 * right together with the job state of that checkpoint. A run stopped with SIGTERM or Ctrl-C takes a savepoint (no
 * drain) and records it; the next start with the same settings resumes from it. A run that could not take one (killed,
 * failed) leaves its last retained checkpoint, which the next start takes instead. A start that would read from
 * committed offsets with none of that state refuses (see {@link #plan}): the sessions open at the stop would be cut in
 * two and their rows overwritten or left behind. On Kubernetes the operator keeps this record itself; the job's own
 * {@code main} knows nothing of it.
 */
final class JobState {
    static final String RECORD = "hb-job-state.properties";

    /** Where to start from: a savepoint or checkpoint path, or none (a fresh start); and why, for the output. */
    record Plan(String path, String why) {
        void applyTo(Configuration conf) {
            if (path == null) return;
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, path);
            // State the job no longer claims must not vanish silently (as the upgrade gate restores).
            conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        }
    }

    final Path dir;
    final String job;
    final JobConfig cfg;

    JobState(Path dir, String job, JobConfig cfg) {
        this.dir = dir.toAbsolutePath().normalize();
        this.job = job;
        this.cfg = cfg;
    }

    /** Where the jobs' state directories are by default: {@code ~/.hb/state}. */
    static Path defaultRoot() {
        return Path.of(System.getProperty("user.home"), ".hb", "state");
    }

    /** The state directory of a job and consumer group under a root: {@code <root>/<job>-<group-id>}. */
    static Path dirUnder(Path root, String job, JobConfig cfg) {
        return root.resolve(safe(job + "-" + cfg.groupId));
    }

    Path savepoints() {
        return dir.resolve("savepoints");
    }

    /** The checkpoint directory to use when {@code --checkpoint-dir} is not given: inside the state directory. */
    Path defaultCheckpoints() {
        return dir.resolve("checkpoints");
    }

    /**
     * Where this start resumes from. In order: {@code --from-savepoint}; the savepoint the last run stopped with;
     * the last retained checkpoint of the last run (it was killed or failed); the point the last run itself started
     * from. With none of these, a start that would read from the group's committed offsets refuses, naming the
     * settings that resume or start over.
     *
     * @param how the command, for the refusal's advice (e.g. {@code hb job segments})
     * @throws ConfigException naming the settings
     */
    Plan plan(String fromSavepoint, String how) throws IOException {
        if (fromSavepoint != null) {
            Path p = localPath(fromSavepoint);
            if (p != null && !Files.exists(p.resolve("_metadata")) && !Files.exists(p)) {
                throw new ConfigException("--from-savepoint: '" + fromSavepoint + "' does not exist");
            }
            return new Plan(fromSavepoint, "from --from-savepoint " + fromSavepoint);
        }
        Properties r = read();
        if (r != null) {
            checkBelongs(r);
            String stopped = r.getProperty("stopped-with-savepoint");
            if (stopped != null) return new Plan(stopped, "from the savepoint the last run stopped with (" + r.getProperty("stopped-at") + "): " + stopped);
            String lastJob = r.getProperty("job-id");
            Optional<Path> checkpoint = lastJob == null ? Optional.empty() : latestCheckpoint(r.getProperty("checkpoint-dir"), lastJob);
            if (checkpoint.isPresent()) {
                return new Plan(checkpoint.get().toString(), "from the last checkpoint of the last run, which did not stop with a savepoint: " + checkpoint.get());
            }
            String startedFrom = r.getProperty("started-from");
            if (startedFrom != null) {
                return new Plan(startedFrom, "from where the last run started, which ended before its first checkpoint: " + startedFrom);
            }
        }
        if (cfg.startingOffsets != JobOptions.StartingOffsets.COMMITTED_OR_EARLIEST) {
            return new Plan(null, "without state, from the " + cfg.startingOffsets.name().toLowerCase() + " offsets (--starting-offsets)");
        }
        long committed = committedPartitions();
        if (committed > 0) {
            throw new ConfigException("consumer group '" + cfg.groupId + "' has committed offsets on " + committed + " partition(s) of topic '" + cfg.inputTopic
                    + "' at " + cfg.bootstrapServers + " (a " + job + " job ran with it before), but no savepoint or checkpoint of that job's state is known"
                    + (r == null ? " (none recorded in --state-dir " + dir + ")" : "")
                    + ". Starting from those offsets with empty state would corrupt the tables: sessions open at the stop would be cut in two, their rows"
                    + " overwritten or left behind. Either resume: " + how + " --from-savepoint PATH (a savepoint or retained checkpoint of this job and group,"
                    + " e.g. <checkpoint-dir>/<job-id>/chk-N), or --state-dir DIR where it was recorded; or start over cleanly: a new --group-id with"
                    + " --starting-offsets earliest, and emptied output tables (TRUNCATE watch_segments, video_progress, content_watch_hourly,"
                    + " ad_impressions_hourly as the job writes them). Nothing was started.");
        }
        return new Plan(null, "fresh: consumer group '" + cfg.groupId + "' has no committed offsets on '" + cfg.inputTopic + "'");
    }

    /** Records that a run started: its job id, checkpoint directory and where it started from; forgets an older stop. */
    void started(JobID jobId, String checkpointDir, Plan plan) throws IOException {
        Properties r = identity();
        r.setProperty("job-id", jobId.toHexString());
        if (checkpointDir != null) r.setProperty("checkpoint-dir", checkpointDir);
        if (plan.path() != null) r.setProperty("started-from", plan.path());
        r.setProperty("started-at", Instant.now().toString());
        write(r);
    }

    /**
     * Stops the job with a savepoint (no drain: event time does not jump to the end, open sessions stay open) into
     * {@link #savepoints()} and records it. On failure the record keeps the run's job id, so the next start takes its
     * last checkpoint.
     */
    String stopWithSavepoint(JobClient client, Duration timeout) throws Exception {
        String path = client.stopWithSavepoint(false, savepoints().toUri().toString(), SavepointFormatType.CANONICAL)
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Properties r = read();
        if (r == null) r = identity();
        r.setProperty("stopped-with-savepoint", path);
        r.setProperty("stopped-at", Instant.now().toString());
        write(r);
        return path;
    }

    private Properties identity() {
        Properties r = new Properties();
        r.setProperty("job", job);
        r.setProperty("group-id", cfg.groupId);
        r.setProperty("input-topic", cfg.inputTopic);
        r.setProperty("bootstrap-servers", cfg.bootstrapServers);
        return r;
    }

    /** A record of another job, group, topic or Kafka is not this job's state: refuse rather than restore it. */
    private void checkBelongs(Properties r) {
        Properties mine = identity();
        for (String key : List.of("job", "group-id", "input-topic", "bootstrap-servers")) {
            if (!mine.getProperty(key).equals(r.getProperty(key))) {
                throw new ConfigException("--state-dir: " + dir + " holds the state of job " + r.getProperty("job") + ", consumer group "
                        + r.getProperty("group-id") + ", topic " + r.getProperty("input-topic") + " at " + r.getProperty("bootstrap-servers")
                        + ", but this start has " + key + " " + mine.getProperty(key) + ": give the settings it was recorded with, or another --state-dir");
            }
        }
    }

    Properties read() throws IOException {
        Path f = dir.resolve(RECORD);
        if (!Files.exists(f)) return null;
        Properties r = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            r.load(in);
        }
        return r;
    }

    private void write(Properties r) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(RECORD + ".tmp");
        try (OutputStream out = Files.newOutputStream(tmp)) {
            r.store(out, "hb: the state of " + job + " for its next start (see local/README.md, 'Stopping and resuming')");
        }
        Files.move(tmp, dir.resolve(RECORD), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** The newest completed checkpoint ({@code chk-N} with its {@code _metadata}) of a job in a local checkpoint directory. */
    static Optional<Path> latestCheckpoint(String checkpointDir, String jobIdHex) throws IOException {
        Path root = checkpointDir == null ? null : localPath(checkpointDir);
        if (root == null) return Optional.empty();
        Path jobDir = root.resolve(jobIdHex);
        if (!Files.isDirectory(jobDir)) return Optional.empty();
        try (Stream<Path> s = Files.list(jobDir)) {
            return s.filter(p -> p.getFileName().toString().matches("chk-\\d+") && Files.exists(p.resolve("_metadata")))
                    .max(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(4))));
        }
    }

    /** The local path of a {@code file:} URI or a plain path; null for other schemes (s3://, ...). */
    static Path localPath(String location) {
        if (location.startsWith("file:")) return Path.of(URI.create(location));
        if (location.contains("://")) return null;
        return Path.of(location);
    }

    /** How many partitions of the input topic the consumer group has committed offsets for. */
    long committedPartitions() {
        try (Admin admin = Admin.create(cfg.kafka.properties(Map.of(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000, AdminClientConfig.CLIENT_ID_CONFIG, "hb-job-state")))) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(cfg.groupId).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            return offsets.entrySet().stream().filter(e -> e.getKey().topic().equals(cfg.inputTopic) && e.getValue() != null).count();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("--bootstrap-servers: interrupted while reading the committed offsets of consumer group '" + cfg.groupId + "'");
        } catch (Exception e) {
            throw new ConfigException("--bootstrap-servers: cannot read the committed offsets of consumer group '" + cfg.groupId + "' at " + cfg.bootstrapServers
                    + " (" + e.getMessage() + "): without them a start cannot tell whether it would resume without its state");
        }
    }

    static String safe(String name) {
        return name.replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
