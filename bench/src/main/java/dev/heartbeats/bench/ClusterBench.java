package dev.heartbeats.bench;

import dev.heartbeats.cluster.ApplicationCluster;
import dev.heartbeats.cluster.ClusterPlan;
import dev.heartbeats.cluster.Distribution;
import dev.heartbeats.cluster.FlinkDeployment;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import org.apache.flink.runtime.util.EnvironmentInformation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * One bounded run of a job as users deploy it: the image's jar on a real application cluster (a JobManager process
 * that runs the job's {@code main}, and TaskManager processes) built from the job's FlinkDeployment in the local
 * overlay, exactly as {@code hb cluster} starts it, over the same pre-loaded topic as the MiniCluster runs. Measured
 * the same way: records over the time from all tasks running to the job finished with every result committed;
 * start-up is from starting the processes to all tasks running; CPU is that of the JobManager and TaskManager
 * processes (the MiniCluster runs count this whole JVM, which also hosts the embedded Kafka and the generator).
 */
final class ClusterBench {
    static final String WHERE = "application cluster (processes)";

    private ClusterBench() {}

    static Results.BoundedRun run(BenchEnv env, JobLauncher.Job job, String topic, long records, int run, String checkpointInterval,
                                  Path repo, String manifests) throws Exception {
        if (env.kafka.isSecured()) {
            throw new dev.heartbeats.common.config.ConfigException("--parts cluster: the application cluster connects to Kafka in plaintext"
                    + " (as hb cluster maps a FlinkDeployment to this machine); use the embedded services or a plaintext --bootstrap-servers");
        }
        TableSnapshot.truncateOutputs(env.jdbc);
        Results.BoundedRun r = new Results.BoundedRun();
        r.where = WHERE;
        r.job = job.name();
        r.run = run;
        r.records = records;
        r.loadBefore = Machine.loadAvg();
        DbStats dbBefore = DbStats.read(env.jdbc);

        Distribution dist = Distribution.ofRepository(repo, EnvironmentInformation.getVersion());
        FlinkDeployment d = FlinkDeployment.find(manifests, job.name());
        r.parallelism = d.parallelism;
        Path work = Files.createTempDirectory(Runs.checkpointRoot(), "cluster-" + job.name() + "-");
        List<String> args = List.of("--input-topic", topic, "--dlq-topic", Runs.DLQ_TOPIC, "--late-topic", Runs.LATE_TOPIC,
                "--group-id", Runs.unique("bench-cluster-" + job.name()), "--starting-offsets", "earliest", "--bounded",
                "--checkpoint-interval", checkpointInterval);
        ClusterPlan.Services services = new ClusterPlan.Services(env.bootstrap, env.jdbc.url, env.jdbc.user, env.databasePassword());
        ClusterPlan plan = new ClusterPlan(d, dist.defaults(), work.resolve("flink"), work.resolve("object-storage"), services, null, args);
        long[] mach0 = Machine.machineJiffies();
        try (ApplicationCluster c = ApplicationCluster.start(plan, dist.dir, dist.jobJar())) {
            c.awaitRunning(Duration.ofMinutes(5));
            double cpuAtRunning = cpu(c);
            double dbAtRunning = env.databaseCpuSeconds();
            String state = c.awaitTerminal(Duration.ofHours(2));
            if (!"FINISHED".equals(state)) throw new IllegalStateException(job.name() + " on the application cluster ended " + state + "\n" + c.logTails(40));
            long[] window = CheckpointStats.runningWindow(c.rest, plan.jobId);
            r.startupMs = window[0] - c.startedAt;
            r.runningToEndMs = window[1] - window[0];
            r.jvmCpuSeconds = cpu(c) - cpuAtRunning;
            r.dbCpuSeconds = env.databaseCpuSeconds() - dbAtRunning;
            r.machineBusy = Machine.busyFraction(mach0, Machine.machineJiffies());
            r.checkpoints = CheckpointStats.of(c.rest, plan.jobId);
        }
        r.loadAfter = Machine.loadAvg();
        r.db = DbStats.read(env.jdbc).minus(dbBefore);
        r.rowCounts = DbStats.rowCounts(env.jdbc);
        return r;
    }

    /** CPU seconds of the cluster's processes. */
    private static double cpu(ApplicationCluster c) {
        double sum = 0;
        for (long pid : c.pids()) sum += Machine.processTreeCpuSeconds(pid);
        return sum;
    }
}
