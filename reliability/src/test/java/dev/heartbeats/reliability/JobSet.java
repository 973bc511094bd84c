package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The three jobs of the suite running on one scenario's topics, each with its own consumer group. */
final class JobSet implements AutoCloseable {
    static final List<JobLauncher.Job> ALL = List.of(new SegmentsJob(), new WatchTimeJob(), new AdImpressionsJob());
    static final List<String> NAMES = List.of(SegmentsJob.NAME, WatchTimeJob.NAME, AdImpressionsJob.NAME);

    /** Builds a job's operators on an environment already configured by {@link JobRuntime}: the job's own or a test's. */
    @FunctionalInterface
    interface Wiring {
        void build(JobLauncher.Job job, StreamExecutionEnvironment env, JobConfig cfg) throws Exception;
    }

    static final Wiring AS_SHIPPED = (job, env, cfg) -> job.workflow().build(env, cfg);

    final Scenario scenario;
    final Wiring wiring;
    final String[] extra;
    final Map<String, JobClient> clients = new LinkedHashMap<>();

    private JobSet(Scenario scenario, Wiring wiring, String[] extra) {
        this.scenario = scenario;
        this.wiring = wiring;
        this.extra = extra;
    }

    /** Starts all three jobs as shipped (unbounded), with {@code extra} settings on top of the scenario's. */
    static JobSet start(Scenario s, String... extra) throws Exception {
        return start(s, AS_SHIPPED, extra);
    }

    static JobSet start(Scenario s, Wiring wiring, String... extra) throws Exception {
        JobSet set = new JobSet(s, wiring, extra);
        for (JobLauncher.Job job : ALL) set.clients.put(job.name(), set.submit(job, null));
        return set;
    }

    /** The same jobs, restored from the given savepoints (by job name). */
    JobSet restore(Map<String, String> savepoints) throws Exception {
        return restore(savepoints, extra);
    }

    /** The same jobs, restored from the given savepoints, with other settings (e.g. another parallelism). */
    JobSet restore(Map<String, String> savepoints, String... otherExtra) throws Exception {
        JobSet set = new JobSet(scenario, wiring, otherExtra);
        for (JobLauncher.Job job : ALL) set.clients.put(job.name(), set.submit(job, savepoints.get(job.name())));
        return set;
    }

    private JobClient submit(JobLauncher.Job job, String savepoint) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(extra));
        args.addAll(List.of("--group-id", scenario.groupId + "-" + job.name()));
        JobConfig cfg = job.parse(scenario.args(job, args.toArray(new String[0])));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (savepoint != null) {
            Configuration restore = new Configuration();
            restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
            env.configure(restore);
        }
        job.configure(env, cfg);
        wiring.build(job, env, cfg);
        return env.executeAsync(cfg.jobName);
    }

    JobClient client(String name) {
        return clients.get(name);
    }

    /** Waits until every job has all its tasks running (or fails if one ends). */
    void awaitRunning(FlinkRest rest, long timeoutMs) throws Exception {
        for (JobClient c : clients.values()) rest.awaitAllTasksRunning(c.getJobID(), Duration.ofMillis(timeoutMs));
    }

    /** Stops every job with a savepoint (no drain) into {@code dir}; returns the savepoint paths by job name. */
    Map<String, String> stopWithSavepoint(Path dir) throws Exception {
        Map<String, CompletableFuture<String>> futures = new LinkedHashMap<>();
        clients.forEach((name, c) -> futures.put(name, c.stopWithSavepoint(false, dir.resolve(name).toUri().toString(), SavepointFormatType.CANONICAL)));
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, CompletableFuture<String>> e : futures.entrySet()) out.put(e.getKey(), e.getValue().get(120, TimeUnit.SECONDS));
        return out;
    }

    Map<String, JobStatus> statuses() throws Exception {
        Map<String, JobStatus> out = new LinkedHashMap<>();
        for (Map.Entry<String, JobClient> e : clients.entrySet()) out.put(e.getKey(), e.getValue().getJobStatus().get(10, TimeUnit.SECONDS));
        return out;
    }

    /** Cancels the jobs still running and waits until each has reached a terminal state. */
    @Override
    public void close() throws Exception {
        for (JobClient c : clients.values()) {
            try {
                if (!c.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) c.cancel().get(60, TimeUnit.SECONDS);
            } catch (Exception ignored) {
                // already gone
            }
        }
        long deadline = System.currentTimeMillis() + 60_000;
        for (JobClient c : clients.values()) {
            while (System.currentTimeMillis() < deadline) {
                try {
                    if (c.getJobStatus().get(10, TimeUnit.SECONDS).isGloballyTerminalState()) break;
                } catch (Exception e) {
                    break;
                }
                Thread.sleep(100);
            }
        }
    }
}
