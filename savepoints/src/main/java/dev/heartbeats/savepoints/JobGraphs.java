package dev.heartbeats.savepoints;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import org.apache.flink.client.program.PackagedProgram;
import org.apache.flink.client.program.PackagedProgramUtils;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.JobVertexID;
import org.apache.flink.runtime.jobgraph.SavepointRestoreSettings;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Job graphs of the suite's jobs, as a cluster receives them: from the code on this classpath (exactly what
 * {@link JobLauncher#main} builds: {@link JobRuntime} settings, then the job's workflow), or from a job jar through
 * Flink's own client path ({@link PackagedProgram}: the jar's main runs and its pipeline is captured), which is how
 * "version B" of an upgrade can be a different build.
 */
public final class JobGraphs {
    private JobGraphs() {}

    /** The operators of a job graph: uid (or generated id) and name, per operator id, with their vertex. */
    public record Operator(String operatorId, String uid, String name, JobVertexID vertex, String vertexName) {}

    /**
     * The job graph {@link JobLauncher#main} would submit for {@code job} with {@code args}.
     *
     * @param change applied to the environment after the workflow is built (tests: rename a uid, ...); may be null
     */
    public static JobGraph fromCode(JobLauncher.Job job, String[] args, Consumer<StreamExecutionEnvironment> change) {
        JobConfig cfg = job.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        job.configure(env, cfg);
        try {
            job.workflow().build(env, cfg);
        } catch (Exception e) {
            throw e instanceof RuntimeException ? (RuntimeException) e : new IllegalStateException("building job " + job.name() + ": " + e, e);
        }
        if (change != null) change.accept(env);
        StreamGraph streamGraph = env.getStreamGraph();
        streamGraph.setJobName(cfg.jobName);
        return streamGraph.getJobGraph();
    }

    /**
     * The job graph of a job jar (the shaded {@code heartbeat-jobs.jar}), built by running its main class
     * the way {@code flink run} does; the jar travels with the graph, and its classes are loaded child-first.
     */
    public static JobGraph fromJar(File jar, String entryClass, String[] args) throws Exception {
        Configuration conf = new Configuration();
        conf.set(CoreOptions.ALWAYS_PARENT_FIRST_LOADER_PATTERNS_ADDITIONAL, PARENT_FIRST);
        PackagedProgram program = PackagedProgram.newBuilder().setJarFile(jar).setEntryPointClassName(entryClass).setArguments(args)
                .setConfiguration(conf).build();
        return PackagedProgramUtils.createJobGraph(program, conf, 1, false);
    }

    /**
     * Loaded from this JVM even for a job jar: the Kafka client. The jars bundle the Kafka connector and client, but in
     * this JVM the connector comes from the application class path (org.apache.flink is always parent-first), and
     * the connector and the client it is linked against must come from one class loader. On a cluster, where Flink's
     * distribution has neither, both come from the jar.
     */
    static final List<String> PARENT_FIRST = List.of("org.apache.kafka.");

    /** Restore from {@code savepoint}, refusing state that no operator claims (allowNonRestoredState=false). */
    public static JobGraph restoring(JobGraph graph, String savepoint) {
        graph.setSavepointRestoreSettings(savepoint == null ? SavepointRestoreSettings.none() : SavepointRestoreSettings.forPath(savepoint, false));
        return graph;
    }

    /** No restarts: a restore or state failure fails the job at once, with its cause, instead of restarting forever. */
    public static JobGraph withoutRestarts(JobGraph graph) {
        graph.getJobConfiguration().set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return graph;
    }

    public static Map<String, Operator> operators(JobGraph graph) {
        Map<String, Operator> out = new LinkedHashMap<>();
        for (JobVertex v : graph.getVertices()) {
            for (OperatorIDPair p : v.getOperatorIDs()) {
                String id = p.getUserDefinedOperatorID().orElse(p.getGeneratedOperatorID()).toHexString();
                out.put(id, new Operator(id, p.getUserDefinedOperatorUid(), p.getUserDefinedOperatorName(), v.getID(), v.getName()));
            }
        }
        return out;
    }

    /** The uids of the operators in {@code vertex}. */
    public static List<Operator> operatorsOf(JobGraph graph, JobVertexID vertex) {
        List<Operator> out = new ArrayList<>();
        for (Operator o : operators(graph).values()) if (o.vertex().equals(vertex)) out.add(o);
        return out;
    }
}
