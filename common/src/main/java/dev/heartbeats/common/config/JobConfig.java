package dev.heartbeats.common.config;

import dev.heartbeats.common.contract.ContractParams;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

import static dev.heartbeats.common.config.JobOptions.*;

/** The typed, validated settings of a job, handed to the workflow and (serialised) to its operators. */
public final class JobConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String jobName;
    public final Settings settings;
    public final ContractParams params;
    public final String bootstrapServers;
    /** How every Kafka client of the job connects (security, pass-through properties); holds no secret. */
    public final dev.heartbeats.common.kafka.KafkaClientConfig kafka;
    public final String inputTopic;
    public final String dlqTopic;
    public final String lateTopic;
    public final int deadLetterMaxBytes;
    public final String groupId;
    public final StartingOffsets startingOffsets;
    public final boolean bounded;
    public final JdbcConfig jdbc;
    public final Integer parallelism;
    public final String checkpointDir;
    public final long outOfOrdernessMs;
    public final long idleTimeoutMs;
    /** Set when the job restates a range from the archive instead of reading Kafka ({@link Restatement}). */
    public final Restatement restatement;

    private JobConfig(String jobName, Settings s) {
        this.jobName = jobName;
        this.settings = s;
        this.params = new ContractParams(s.get(SESSION_GAP).toMillis(), s.get(MAX_RATE), s.get(TOLERANCE).toMillis(),
                s.get(ALLOWED_LATENESS).toMillis(), s.get(MAX_SESSION).toMillis(), s.get(MAX_CLOCK_SKEW).toMillis());
        if (params.sessionGapMs <= 0) throw new ConfigException("--session-gap: must be > 0");
        if (params.maxSessionMs <= 0) throw new ConfigException("--max-session: must be > 0");
        if (params.maxClockSkewMs < 0) throw new ConfigException("--max-clock-skew: must be >= 0");
        this.bootstrapServers = s.get(BOOTSTRAP_SERVERS);
        this.kafka = dev.heartbeats.common.kafka.KafkaClientConfig.fromSettings(s, BOOTSTRAP_SERVERS);
        this.inputTopic = s.get(INPUT_TOPIC);
        this.dlqTopic = s.get(DLQ_TOPIC);
        this.lateTopic = s.get(LATE_TOPIC);
        // A job reading its own dead letters would route them again, forever.
        if (dlqTopic.equals(inputTopic)) throw new ConfigException("--dlq-topic: must differ from --input-topic (" + inputTopic + ")");
        if (lateTopic.equals(inputTopic)) throw new ConfigException("--late-topic: must differ from --input-topic (" + inputTopic + ")");
        this.deadLetterMaxBytes = s.get(DEAD_LETTER_MAX_BYTES);
        if (deadLetterMaxBytes < 1024) throw new ConfigException("--dead-letter-max-bytes: must be at least 1024, got " + deadLetterMaxBytes);
        this.outOfOrdernessMs = s.get(OUT_OF_ORDERNESS).toMillis();
        this.restatement = Restatement.of(s, params, outOfOrdernessMs);
        String group = s.get(GROUP_ID);
        // A restatement takes its own writer fence: one sharing the live job's group would fence the live job's writers.
        this.groupId = group != null ? group : "heartbeat-" + jobName + (restatement != null ? "-restate" : "");
        this.startingOffsets = s.get(STARTING_OFFSETS);
        this.bounded = s.get(BOUNDED);
        // The sinks fence stale attempts per consumer group: a later attempt (or deployment) of the same job takes over.
        this.jdbc = JdbcConfig.fromSettings(s, s.get(SINK_BATCH_SIZE), s.get(SINK_FLUSH_INTERVAL).toMillis(), s.get(SINK_MAX_RETRY_TIME).toMillis())
                .withWriterGroup(groupId)
                .withUser(s.get(JOB_JDBC_USER) != null ? s.get(JOB_JDBC_USER) : dev.heartbeats.common.tables.Schema.jobRole(jobName));
        this.parallelism = s.get(PARALLELISM);
        if (s.get(CHECKPOINT_INTERVAL).toMillis() < 10) throw new ConfigException("--checkpoint-interval: must be at least 10ms");
        this.checkpointDir = s.get(CHECKPOINT_DIR);
        if (checkpointDir != null && !checkpointDir.contains("://")) {
            throw new ConfigException("--checkpoint-dir: '" + checkpointDir + "' must be a URI with a scheme, e.g. file:///tmp/ckpt or s3://bucket/path");
        }
        this.idleTimeoutMs = s.get(IDLE_TIMEOUT).toMillis();
        if (idleTimeoutMs <= 0) throw new ConfigException("--idle-timeout: must be > 0");
    }

    /**
     * Parses a job's arguments: the common options plus the job's own.
     *
     * @throws ConfigException naming the setting, on any problem
     */
    public static JobConfig parse(String jobName, String[] args, List<Option<?>> jobOptions) {
        return new JobConfig(jobName, Settings.parse(args, options(jobOptions)));
    }

    public static List<Option<?>> options(List<Option<?>> jobOptions) {
        List<Option<?>> all = new ArrayList<>(COMMON);
        all.addAll(Restatement.OPTIONS);
        all.addAll(jobOptions);
        return all;
    }

    public <T> T get(Option<T> option) {
        return settings.get(option);
    }
}
