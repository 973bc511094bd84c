package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.AggregatePhaseStrategy;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.api.config.OptimizerConfigOptions;

import java.time.Duration;
import java.time.ZoneOffset;

/** What the Table API jobs share: their aggregation settings and how their table environment is set up. */
public final class TableJobs {
    private TableJobs() {}

    public static final Option<Duration> AGGREGATE_STATE_TTL = Option.duration("aggregate-state-ttl", "25h",
            "how long the SQL aggregation keeps an hourly total after its last change (table.exec.state.ttl; wall-clock time); "
                    + "must exceed the time an hour can still change plus the longest outage the job must survive");
    public static final Option<Duration> MINI_BATCH_LATENCY = Option.duration("mini-batch-latency", "1s",
            "the SQL aggregation buffers changes this long (or mini-batch-size rows) and applies them per group at once, "
                    + "pre-aggregated before the shuffle; 0 applies every change on its own");
    public static final Option<Integer> MINI_BATCH_SIZE = Option.integer("mini-batch-size", 5_000,
            "rows buffered per subtask before a mini-batch is applied");

    /**
     * Refuses a state TTL that could expire an hourly total while a change can still arrive (the retraction would
     * find nothing, and the total would restart from zero).
     */
    public static void requireStateTtlAbove(JobConfig cfg, long minTtlMs, String what) {
        if (cfg.get(AGGREGATE_STATE_TTL).toMillis() <= minTtlMs) {
            throw new ConfigException("--" + AGGREGATE_STATE_TTL.name + ": must exceed " + what + " (" + Duration.ofMillis(minTtlMs)
                    + "): an hour's total can change that long after it starts, and an expired total would restart from zero");
        }
    }

    /** A streaming table environment on {@code stream}'s environment, set up the same way for every Table API job. */
    public static StreamTableEnvironment tableEnvironment(DataStream<?> stream, JobConfig cfg) {
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(stream.getExecutionEnvironment(),
                EnvironmentSettings.newInstance().inStreamingMode().build());
        var conf = tEnv.getConfig();
        conf.setLocalTimeZone(ZoneOffset.UTC);
        conf.set(ExecutionConfigOptions.IDLE_STATE_RETENTION, cfg.get(AGGREGATE_STATE_TTL));
        // Uids of the planner's operators are set by TableUids from the plan's shape (see there why not the planner's).
        conf.set(ExecutionConfigOptions.TABLE_EXEC_UID_GENERATION, ExecutionConfigOptions.UidGeneration.PLAN_ONLY);
        conf.set(ExecutionConfigOptions.TABLE_EXEC_SIMPLIFY_OPERATOR_NAME_ENABLED, true);
        // Our sink is a DataStream sink keyed like the aggregation: no SinkUpsertMaterializer (and its state) wanted.
        conf.set(ExecutionConfigOptions.TABLE_EXEC_SINK_UPSERT_MATERIALIZE, ExecutionConfigOptions.UpsertMaterialize.NONE);
        Duration latency = cfg.get(MINI_BATCH_LATENCY);
        if (!latency.isZero()) {
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_ENABLED, true);
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_ALLOW_LATENCY, latency);
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_SIZE, (long) cfg.get(MINI_BATCH_SIZE));
            conf.set(OptimizerConfigOptions.TABLE_OPTIMIZER_AGG_PHASE_STRATEGY, AggregatePhaseStrategy.TWO_PHASE);
        }
        return tEnv;
    }
}
