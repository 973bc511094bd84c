package dev.heartbeats.bench;

import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import org.apache.flink.core.execution.JobClient;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One bounded run: the job reads the pre-loaded topic from the start to its end offsets with a fresh consumer group,
 * into emptied output tables, and exits once every result is committed. Throughput counts every record of the topic
 * (valid, invalid, duplicated, too late: the job reads and judges them all) over the time from "all tasks running" to
 * "job finished"; a bounded job finishes only after its sinks flushed and committed the last rows.
 */
final class BoundedBench {
    private BoundedBench() {}

    static Results.BoundedRun run(BenchEnv env, BenchCluster cluster, JobLauncher.Job job, String topic, long records, int parallelism,
                                  int run, String checkpointInterval, List<String> extraArgs) throws Exception {
        return run(env, cluster, job, topic, records, parallelism, run, checkpointInterval, extraArgs, 0);
    }

    /**
     * @param checkpointAtRecords when the job has read this many records (&gt; 0), a checkpoint is triggered through
     *                            REST, so that a run shorter than the checkpoint interval still reports its state and
     *                            a checkpoint of it (the cost curve); 0: only the periodic ones
     */
    static Results.BoundedRun run(BenchEnv env, BenchCluster cluster, JobLauncher.Job job, String topic, long records, int parallelism,
                                  int run, String checkpointInterval, List<String> extraArgs, long checkpointAtRecords) throws Exception {
        TableSnapshot.truncateOutputs(env.jdbc);
        Results.BoundedRun r = new Results.BoundedRun();
        r.job = job.name();
        r.parallelism = parallelism;
        r.run = run;
        r.records = records;
        r.loadBefore = Machine.loadAvg();
        DbStats dbBefore = DbStats.read(env.jdbc);

        String[] args = Runs.args(job, env, topic, Runs.unique("bench-" + job.name()), true, parallelism, checkpointInterval, extraArgs);
        long submitted = System.currentTimeMillis();
        JobClient client = Runs.start(cluster, job, args);
        String id = client.getJobID().toString();
        // CPU counters are sampled from submission on, so that the values at the exact start (known only afterwards,
        // from the JobManager's timestamps) can be picked from the samples.
        List<double[]> samples = new ArrayList<>();
        long firstRow = -1;
        String checkpointRequest = null;
        long checkpointAskedAt = 0;
        try (Connection c = env.jdbc.connect()) {
            var result = client.getJobExecutionResult();
            double dbCpu = env.databaseCpuSeconds();
            long dbSampledAt = System.currentTimeMillis();
            long saidAt = System.currentTimeMillis();
            while (!result.isDone()) {
                long[] mach = Machine.machineJiffies();
                long now = System.currentTimeMillis();
                if (now - dbSampledAt >= 250) { // scanning /proc for the server's processes costs ~1-2 ms
                    dbCpu = env.databaseCpuSeconds();
                    dbSampledAt = now;
                }
                samples.add(new double[] {now, Machine.processCpuSeconds(), dbCpu, mach[0], mach[1]});
                r.heapInUseMax = Math.max(r.heapInUseMax, Machine.heapInUse());
                if (firstRow < 0 && Runs.anyOutputRow(c)) firstRow = System.currentTimeMillis();
                if (now - saidAt >= 30_000) { // progress of a long run
                    saidAt = now;
                    Bench.say(String.format("  ... %,d of %,d records read", Runs.recordsRead(id), records));
                }
                if (checkpointAtRecords > 0 && r.checkpointTriggeredAtRecords == 0 && Runs.recordsRead(id) >= checkpointAtRecords) {
                    r.checkpointTriggeredAtRecords = Runs.recordsRead(id);
                    checkpointRequest = cluster.api.triggerCheckpoint(client.getJobID());
                    checkpointAskedAt = now;
                } else if (checkpointRequest != null && now - checkpointAskedAt >= 1_000) {
                    // Followed while the job runs: the JobManager forgets a trigger's outcome a few minutes after it.
                    checkpointAskedAt = now;
                    if (cluster.api.checkpointFinished(client.getJobID(), checkpointRequest)) checkpointRequest = null;
                }
                try {
                    result.get(firstRow < 0 ? 20 : 100, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillRunning) {
                    // poll again
                }
            }
            result.get(); // a failed job fails the benchmark
        }
        long observedEnd = System.currentTimeMillis();
        double cpu1 = Machine.processCpuSeconds();
        double db1 = env.databaseCpuSeconds();
        long[] mach1 = Machine.machineJiffies();
        r.loadAfter = Machine.loadAvg();
        long[] window = CheckpointStats.runningWindow(cluster.api, client.getJobID());
        long running = window[0] > 0 ? window[0] : submitted;
        long ended = window[1] > 0 ? window[1] : observedEnd;
        double[] at = samples.get(0);
        for (double[] s : samples) if (s[0] <= running) at = s; // the last sample before all tasks ran
        r.jvmCpuSeconds = cpu1 - at[1];
        r.dbCpuSeconds = db1 - at[2];
        r.machineBusy = Machine.busyFraction(new long[] {(long) at[3], (long) at[4]}, mach1);
        r.startupMs = running - submitted;
        r.runningToEndMs = ended - running;
        if (firstRow > 0) r.firstRowToEndMs = ended - firstRow;

        Thread.sleep(500); // the sinks' backends have exited and published their counters
        r.db = DbStats.read(env.jdbc).minus(dbBefore);
        if (checkpointRequest != null) cluster.api.checkpointTriggered(client.getJobID(), checkpointRequest, java.time.Duration.ofSeconds(10));
        r.checkpoints = CheckpointStats.of(cluster.api, client.getJobID());
        r.sinkRows = CapturingReporter.sum(id, "rowsUpserted") + CapturingReporter.sum(id, "rowsDeleted");
        r.sinkStatements = CapturingReporter.sum(id, "batchesExecuted");
        r.sinkTransactions = CapturingReporter.sum(id, "transactions");
        r.invalid = CapturingReporter.sum(id, "heartbeatsInvalid");
        r.tooLate = CapturingReporter.sum(id, "heartbeatsTooLate");
        r.cacheMisses = CapturingReporter.sum(id, "stateCacheMisses");
        r.cacheEvictions = CapturingReporter.sum(id, "stateCacheEvictions");
        r.rowCounts = DbStats.rowCounts(env.jdbc);
        if (System.getenv("BENCH_DEBUG_METRICS") != null) CapturingReporter.dump(id);
        CapturingReporter.forget(id);
        return r;
    }
}
