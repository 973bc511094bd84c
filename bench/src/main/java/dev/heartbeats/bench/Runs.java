package dev.heartbeats.bench;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.pipeline.JobLauncher;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Starting a job of the suite for one measured run, with its own consumer group, topics and checkpoint directory. */
final class Runs {
    static final String DLQ_TOPIC = "bench-dlq";
    static final String LATE_TOPIC = "bench-late";

    private static int counter;

    private Runs() {}

    private static Path checkpointRoot;

    /** One temporary directory for the checkpoints of every run of this invocation, deleted when the JVM exits. */
    static synchronized Path checkpointRoot() throws java.io.IOException {
        if (checkpointRoot == null) {
            Path root = Files.createTempDirectory("heartbeat-sessions-bench-checkpoints-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var paths = Files.walk(root)) {
                    paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                } catch (java.io.IOException ignored) {
                    // best effort: it is in the temp directory
                }
            }, "bench-checkpoint-cleanup"));
            checkpointRoot = root;
        }
        return checkpointRoot;
    }

    /** A new directory under this invocation's checkpoint root (deleted when the JVM exits), e.g. for savepoints. */
    static Path tempDir(String prefix) throws java.io.IOException {
        return Files.createTempDirectory(checkpointRoot(), prefix);
    }

    static synchronized String unique(String prefix) {
        return prefix + "-" + System.currentTimeMillis() + "-" + (++counter);
    }

    /**
     * The job's settings for a run: the environment, a fresh group, the topics, parallelism and checkpoints, then the
     * user's extra settings, keeping only those this job knows (a job-specific setting applies to that job only).
     */
    static String[] args(JobLauncher.Job job, BenchEnv env, String inputTopic, String group, boolean bounded, int parallelism,
                         String checkpointInterval, List<String> extra) throws Exception {
        Path ckpt = Files.createTempDirectory(checkpointRoot(), "run-");
        List<String> a = new ArrayList<>(List.of("--bootstrap-servers", env.bootstrap, "--jdbc-url", env.jdbc.url,
                "--input-topic", inputTopic, "--dlq-topic", DLQ_TOPIC, "--late-topic", LATE_TOPIC, "--group-id", group,
                "--starting-offsets", "earliest", "--parallelism", Integer.toString(parallelism),
                "--checkpoint-interval", checkpointInterval, "--checkpoint-dir", ckpt.toUri().toString()));
        a.addAll(env.kafka.toArgs());
        if (bounded) a.add("--bounded");
        Set<String> known = new HashSet<>();
        for (Option<?> o : JobConfig.options(job.options())) known.add(o.name);
        for (int i = 0; i < extra.size(); i++) {
            String s = extra.get(i);
            String name = s.startsWith("--") ? s.substring(2).split("=", 2)[0] : null;
            boolean hasValue = !s.contains("=") && i + 1 < extra.size() && !extra.get(i + 1).startsWith("--");
            if (name != null && known.contains(name)) {
                a.add(s);
                if (hasValue) a.add(extra.get(i + 1));
            }
            if (hasValue) i++;
        }
        return a.toArray(new String[0]);
    }

    static JobClient start(BenchCluster cluster, JobLauncher.Job job, String[] args) throws Exception {
        return start(cluster, job, args, null);
    }

    /** @param savepoint the savepoint (or retained checkpoint) to restore the job from; null: a fresh start */
    static JobClient start(BenchCluster cluster, JobLauncher.Job job, String[] args, String savepoint) throws Exception {
        JobConfig cfg = job.parse(args);
        Configuration conf = new Configuration();
        if (savepoint != null) conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
        return job.start(cluster.environment(conf), cfg);
    }

    /** Records the job has read and judged so far: valid, invalid and too late (the ingest's counters, every subtask). */
    static long recordsRead(String jobId) {
        return CapturingReporter.sum(jobId, "heartbeatsValid") + CapturingReporter.sum(jobId, "heartbeatsInvalid")
                + CapturingReporter.sum(jobId, "heartbeatsTooLate");
    }

    /** Waits until every task of the job runs; returns the time (ms) it happened. */
    static long awaitRunning(BenchCluster cluster, JobClient client, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        JobID id = client.getJobID();
        // Asked for once: each call of a REST cluster client's getJobExecutionResult starts its own poller of the job's
        // result, and each poll makes the JobMaster archive the whole execution graph.
        var result = client.getJobExecutionResult();
        while (System.currentTimeMillis() < deadline) {
            if (System.getenv("BENCH_DEBUG_METRICS") != null) {
                StringBuilder sb = new StringBuilder("vertices:");
                for (var v : cluster.api.get("jobs/" + id).path("vertices")) sb.append(" [").append(v.path("name").asText().replaceAll("^(.{30}).*", "$1")).append(": ").append(v.path("status").asText()).append(']');
                System.out.println(System.currentTimeMillis() + " " + sb);
            }
            if (cluster.api.allTasksRunning(id) || "FINISHED".equals(cluster.api.state(id))) return System.currentTimeMillis();
            if (result.isDone()) result.get(); // throws the failure
            Thread.sleep(10);
        }
        throw new IllegalStateException("job " + id + " not running after " + timeoutMs + " ms");
    }

    static void cancel(JobClient client) {
        try {
            client.cancel().get(60, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // finished already, or the cluster goes down next
        }
        awaitResult(client);
    }

    /**
     * Waits for the job's end and fetches its result (a stopped or cancelled job's included): the MiniCluster keeps
     * unfetched results and waits minutes for them when it closes.
     */
    static void awaitResult(JobClient client) {
        try {
            client.getJobExecutionResult().get(60, TimeUnit.SECONDS);
        } catch (Exception ignored) {
            // cancelled or failed: the result was fetched all the same
        }
    }

    /** Whether any output table has a row yet (cheap: stops at the first row). */
    static boolean anyOutputRow(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT EXISTS (SELECT 1 FROM watch_segments) OR EXISTS (SELECT 1 FROM video_progress)"
                        + " OR EXISTS (SELECT 1 FROM content_watch_hourly) OR EXISTS (SELECT 1 FROM ad_impressions_hourly)")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }
}
