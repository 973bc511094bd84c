package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * How every job of the suite runs: RocksDB with incremental checkpoints, explicit uids, object reuse, restarts.
 *
 * <p>The Flink configuration owns these settings: on a cluster it is the FlinkDeployment's {@code flinkConfiguration}
 * (or {@code config.yaml}), and every value set there takes effect. The job only fills in the keys that the
 * configuration leaves unset, with the defaults below. The three job settings that name a Flink key
 * ({@code --parallelism}, {@code --checkpoint-interval}, {@code --checkpoint-dir}) are for runs without a cluster
 * configuration (the local run, tests, the benchmark); given on the command line they win, as {@code flink run -p}
 * does.
 */
public final class JobRuntime {
    private JobRuntime() {}

    /** One default: a Flink key and the value the suite runs with when the configuration does not set it. */
    public record Default(String key, String value) {}

    /**
     * The defaults, in the order they are applied. Timers live on the JVM heap, not in a RocksDB column family: the
     * jobs keep about one event-time timer per active pair, and a RocksDB timer costs a put, a delete and a seek per
     * heartbeat (bench/README.md, optimisation log). Max parallelism 128: the key groups of the savepoints
     * of every release so far; changing it makes their keyed state unrestorable.
     */
    public static final List<Default> DEFAULTS = List.of(
            new Default(StateBackendOptions.STATE_BACKEND.key(), "rocksdb"),
            new Default(CheckpointingOptions.INCREMENTAL_CHECKPOINTS.key(), "true"),
            new Default("state.backend.rocksdb.timer-service.factory", "HEAP"),
            new Default(CheckpointingOptions.CHECKPOINTING_INTERVAL.key(), "30 s"),
            new Default(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE.key(), CheckpointingMode.EXACTLY_ONCE.name()),
            new Default(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION.key(), ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION.name()),
            new Default(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER.key(), "3"),
            new Default(PipelineOptions.MAX_PARALLELISM.key(), "128"),
            // Every stateful operator must carry a uid constant: a missing one fails the job graph, not an upgrade.
            new Default(PipelineOptions.AUTO_GENERATE_UIDS.key(), "false"),
            // Records are handed between chained operators by reference; the functions never keep or mutate inputs.
            new Default(PipelineOptions.OBJECT_REUSE.key(), "true"),
            new Default(PipelineOptions.AUTO_WATERMARK_INTERVAL.key(), "200 ms"),
            new Default(RestartStrategyOptions.RESTART_STRATEGY.key(), "exponential-delay"),
            new Default(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_INITIAL_BACKOFF.key(), "1 s"),
            new Default(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_MAX_BACKOFF.key(), "1 min"),
            new Default(RestartStrategyOptions.RESTART_STRATEGY_EXPONENTIAL_DELAY_ATTEMPTS.key(), Integer.toString(Integer.MAX_VALUE)));

    public static void configure(StreamExecutionEnvironment env, JobConfig cfg) {
        configure(env, cfg, List.of());
    }

    /** @param jobDefaults the job's own defaults (e.g. RocksDB tuning), applied the same way after {@link #DEFAULTS} */
    public static void configure(StreamExecutionEnvironment env, JobConfig cfg, List<Default> jobDefaults) {
        ReadableConfig cluster = env.getConfiguration();
        Configuration conf = new Configuration();
        List<Default> all = new ArrayList<>(DEFAULTS);
        all.addAll(jobDefaults);
        for (Default d : all) {
            if (!cluster.getOptional(key(d.key())).isPresent()) conf.setString(d.key(), d.value());
        }
        explicit(cfg, JobOptions.CHECKPOINT_INTERVAL, conf, CheckpointingOptions.CHECKPOINTING_INTERVAL.key(), cfg.get(JobOptions.CHECKPOINT_INTERVAL).toMillis() + " ms");
        explicit(cfg, JobOptions.CHECKPOINT_DIR, conf, CheckpointingOptions.CHECKPOINTS_DIRECTORY.key(), cfg.checkpointDir);
        explicit(cfg, JobOptions.PARALLELISM, conf, CoreOptions.DEFAULT_PARALLELISM.key(), String.valueOf(cfg.parallelism));
        env.configure(conf);
    }

    private static void explicit(JobConfig cfg, Option<?> setting, Configuration conf, String key, String value) {
        if (cfg.settings.isSet(setting)) conf.setString(key, value);
    }

    private static ConfigOption<String> key(String key) {
        return ConfigOptions.key(key).stringType().noDefaultValue();
    }
}
