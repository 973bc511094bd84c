package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.JobConfig;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;

/** How every job of the suite runs: RocksDB with incremental checkpoints, explicit uids, object reuse, restarts. */
public final class JobRuntime {
    private JobRuntime() {}

    public static void configure(StreamExecutionEnvironment env, JobConfig cfg) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.INCREMENTAL_CHECKPOINTS, true);
        // Timers on the JVM heap, not in a RocksDB column family: the jobs keep about one event-time timer per active
        // pair (a few MB), and a RocksDB timer costs a put, a delete and a seek, which profiling showed at ~5% of
        // the segments job's CPU. Heap timers are written to every checkpoint in full, which at this size is cheap.
        conf.setString("state.backend.rocksdb.timer-service.factory", "HEAP");
        if (cfg.checkpointDir != null) conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, cfg.checkpointDir);
        conf.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        conf.set(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER, 3);
        // Every stateful operator must carry a uid constant: a missing one fails the job graph, not an upgrade.
        conf.set(PipelineOptions.AUTO_GENERATE_UIDS, false);
        // Records are handed between chained operators by reference (no serializer copy); our functions never keep
        // or mutate their inputs.
        conf.set(PipelineOptions.OBJECT_REUSE, true);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "exponential-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF, Duration.ofSeconds(1));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF, Duration.ofMinutes(1));
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS, Integer.MAX_VALUE);
        env.configure(conf);
        env.enableCheckpointing(cfg.checkpointIntervalMs, CheckpointingMode.EXACTLY_ONCE);
        if (cfg.parallelism != null) env.setParallelism(cfg.parallelism);
        env.getConfig().setAutoWatermarkInterval(200);
    }
}
