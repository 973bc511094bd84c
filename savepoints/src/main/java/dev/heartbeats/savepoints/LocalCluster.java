package dev.heartbeats.savepoints;

import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.executiongraph.AccessExecutionGraph;
import org.apache.flink.runtime.executiongraph.AccessExecutionJobVertex;
import org.apache.flink.runtime.executiongraph.AccessExecutionVertex;
import org.apache.flink.runtime.executiongraph.ErrorInfo;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertexID;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Flink MiniCluster in this JVM, driven through its own API rather than through an execution environment: jobs are
 * submitted as job graphs (built from the current code, or from a job jar as a real cluster gets them), and this
 * class can say which task failed and why, which a restore check needs to name the operator a failure is about.
 */
public final class LocalCluster implements AutoCloseable {
    private final MiniCluster cluster;

    private LocalCluster(MiniCluster cluster) {
        this.cluster = cluster;
    }

    /** @param slots task slots of its one TaskManager */
    public static LocalCluster start(int slots) throws Exception {
        Configuration conf = new Configuration();
        conf.set(RestOptions.BIND_PORT, "0");
        conf.set(RestOptions.ADDRESS, "localhost");
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("256m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("64m"));
        conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("64m"));
        conf.set(org.apache.flink.configuration.CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, JobGraphs.PARENT_FIRST);
        MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(slots).build());
        cluster.start();
        return new LocalCluster(cluster);
    }

    public Job submit(JobGraph graph) throws Exception {
        JobID id = cluster.submitJob(graph).get(2, TimeUnit.MINUTES).getJobID();
        return new Job(graph, id);
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }

    /** Thrown when a job failed or keeps failing; the message names the task and carries Flink's exception. */
    public static final class JobFailedException extends Exception {
        private static final long serialVersionUID = 1L;
        /** The job vertex of the first failing task, or null when the job failed before it ran (e.g. restore mapping). */
        public final transient JobVertexID vertex;
        public final String taskName;

        JobFailedException(String message, Throwable cause, JobVertexID vertex, String taskName) {
            super(message, cause);
            this.vertex = vertex;
            this.taskName = taskName;
        }
    }

    /** A submitted job. */
    public final class Job {
        public final JobGraph graph;
        public final JobID id;
        public final long submittedAt = System.currentTimeMillis();

        Job(JobGraph graph, JobID id) {
            this.graph = graph;
            this.id = id;
        }

        public JobStatus status() throws Exception {
            return cluster.getJobStatus(id).get(30, TimeUnit.SECONDS);
        }

        /**
         * Waits until every task is RUNNING (its state is restored: tasks are INITIALIZING while they restore); returns
         * the time since submission. Fails when the job fails or restarts meanwhile.
         */
        public Duration awaitAllRunning(Duration timeout) throws Exception {
            await(() -> {
                AccessExecutionGraph g = graph();
                for (AccessExecutionVertex v : g.getAllExecutionVertices()) {
                    if (v.getExecutionState() != ExecutionState.RUNNING && v.getExecutionState() != ExecutionState.FINISHED) return false;
                }
                return g.getAllExecutionVertices().iterator().hasNext();
            }, timeout, "all tasks running");
            return Duration.ofMillis(System.currentTimeMillis() - submittedAt);
        }

        /** Polls {@code condition} until it holds; throws {@link JobFailedException} as soon as the job fails or restarts. */
        public void await(CheckedCondition condition, Duration timeout, String what) throws Exception {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                failIfFailing();
                if (condition.holds()) return;
                if (System.nanoTime() > deadline) throw new IllegalStateException("job " + graph.getName() + ": timed out after " + timeout + " waiting for " + what);
                Thread.sleep(200);
            }
        }

        /** Throws {@link JobFailedException} if the job failed, is failing or restarting, or finished unexpectedly. */
        public void failIfFailing() throws Exception {
            JobStatus s = status();
            if (s == JobStatus.FAILED || s == JobStatus.FAILING || s == JobStatus.RESTARTING || s == JobStatus.CANCELED) throw failure(s);
        }

        /** The job's failure as reported by Flink: the first failing task and its exception, else the job's. */
        public JobFailedException failure(JobStatus s) throws Exception {
            AccessExecutionGraph g = graph();
            for (AccessExecutionJobVertex jv : g.getVerticesTopologically()) {
                for (AccessExecutionVertex v : jv.getTaskVertices()) {
                    Optional<ErrorInfo> f = v.getFailureInfo();
                    if (f.isPresent()) {
                        Throwable t = f.get().getException().deserializeError(Thread.currentThread().getContextClassLoader());
                        return new JobFailedException("job " + graph.getName() + " is " + s + ": task " + v.getTaskNameWithSubtaskIndex() + " failed: " + t, t,
                                jv.getJobVertexId(), jv.getName());
                    }
                }
            }
            // The job failed before any task ran (e.g. its state could not be mapped): the job's own failure.
            ErrorInfo info = g.getFailureInfo();
            Throwable t = info == null ? null : info.getException().deserializeError(Thread.currentThread().getContextClassLoader());
            if (t == null && s == JobStatus.FAILED) {
                t = cluster.requestJobResult(id).get(30, TimeUnit.SECONDS).getSerializedThrowable()
                        .map(x -> x.deserializeError(Thread.currentThread().getContextClassLoader())).orElse(null);
            }
            return new JobFailedException("job " + graph.getName() + " is " + s + (t == null ? "" : ": " + t), t, null, null);
        }

        private AccessExecutionGraph graph() throws Exception {
            return cluster.getExecutionGraph(id).get(30, TimeUnit.SECONDS);
        }

        /** Stops the job with a savepoint in {@code dir}; {@code drain}: first let event time run to its end (flushes everything). */
        public String stopWithSavepoint(Path dir, boolean drain, SavepointFormatType format) throws Exception {
            return cluster.stopWithSavepoint(id, dir.toUri().toString(), drain, format).get(3, TimeUnit.MINUTES);
        }

        /** Waits for the job to end and returns its result. */
        public JobResult awaitResult(Duration timeout) throws Exception {
            return cluster.requestJobResult(id).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        public void cancel() throws Exception {
            JobStatus s = status();
            if (!s.isGloballyTerminalState()) cluster.cancelJob(id).get(60, TimeUnit.SECONDS);
        }
    }

    /** A condition that may throw. */
    @FunctionalInterface
    public interface CheckedCondition {
        boolean holds() throws Exception;
    }
}
