package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.tables.Schema;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.util.List;

/** The shared {@code main} of every job: {@code --help}, fail-fast settings, the runtime setup, then the workflow. */
public final class JobLauncher {
    private JobLauncher() {}

    /** Adds a job's operators to an environment already configured by {@link JobRuntime}. */
    @FunctionalInterface
    public interface Workflow {
        void build(StreamExecutionEnvironment env, JobConfig cfg) throws Exception;
    }

    /** A job as the launcher, the local run, the tests and the benchmark start it. */
    public interface Job {
        String name();

        String description();

        List<Option<?>> options();

        Workflow workflow();

        default JobConfig parse(String... args) {
            return JobConfig.parse(name(), args, options());
        }

        /**
         * Checks the settings against the services the job will use (e.g. the input topic's retention), before the
         * job is started; a {@link ConfigException} names the setting. {@link #parse} touches nothing, so the tests
         * that only build job graphs need no broker.
         */
        default void preflight(JobConfig cfg) {}

        /** Flink settings of this job only, applied like {@link JobRuntime#DEFAULTS}: where the configuration leaves them unset. */
        default List<JobRuntime.Default> flinkDefaults() {
            return List.of();
        }

        /** Sets up {@code env} for this job: {@link JobRuntime} with this job's {@link #flinkDefaults()}. */
        default void configure(StreamExecutionEnvironment env, JobConfig cfg) {
            JobRuntime.configure(env, cfg, flinkDefaults());
        }

        default String help() {
            return Settings.help("Usage: " + name() + " job [settings]\n" + description(), JobConfig.options(options()));
        }

        /**
         * What every job checks before it starts, after its settings: that the Kafka brokers accept its credentials and
         * certificates (when it connects securely), that the database has the schema version this release needs (else it
         * would fail at its first write) and that its role is not a superuser, that its dead-letter topics take its dead
         * letters, then the job's own {@link #preflight}.
         */
        default void checkBeforeStart(JobConfig cfg) {
            // Credentials and certificates the brokers refuse fail here, naming the setting, not in a restart loop.
            if (cfg.kafka.isSecured()) cfg.kafka.check(List.of(cfg.inputTopic, cfg.dlqTopic, cfg.lateTopic), java.time.Duration.ofSeconds(30));
            Schema.requireVersion(cfg.jdbc);
            if (!cfg.get(dev.heartbeats.common.config.JobOptions.JDBC_ALLOW_SUPERUSER)) Schema.requireNotSuperuser(cfg.jdbc);
            HeartbeatIngest.requireDeadLetterTopicsFit(cfg);
            preflight(cfg);
        }

        /** Builds the job on {@code env} (configured here) and starts it without waiting. */
        default JobClient start(StreamExecutionEnvironment env, JobConfig cfg) throws Exception {
            checkBeforeStart(cfg);
            configure(env, cfg);
            workflow().build(env, cfg);
            return env.executeAsync(cfg.jobName);
        }
    }

    /** What a job's {@code main} does. */
    public static void main(Job job, String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(job.help());
            return;
        }
        JobConfig cfg;
        try {
            cfg = job.parse(args);
            job.checkBeforeStart(cfg);
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (run with --help for the settings)");
            throw e;
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        job.configure(env, cfg);
        job.workflow().build(env, cfg);
        env.execute(cfg.jobName);
    }
}
