package dev.heartbeats.common.config;

import dev.heartbeats.common.kafka.TopicLimits;

import java.util.List;

/**
 * The settings every job shares. Defaults are the contract's (section 2) and a laptop's (localhost Kafka and
 * PostgreSQL). Secrets are never settings: the JDBC password comes from the environment variable
 * {@value #JDBC_PASSWORD_ENV} or from a file ({@code --jdbc-password-file}), read where and when a connection is made.
 */
public final class JobOptions {
    private JobOptions() {}

    public static final String JDBC_PASSWORD_ENV = "JDBC_PASSWORD";

    public enum StartingOffsets { COMMITTED_OR_EARLIEST, EARLIEST, LATEST }

    // Kafka
    public static final Option<String> BOOTSTRAP_SERVERS = Option.string("bootstrap-servers", "localhost:9092", "Kafka bootstrap servers");
    public static final Option<String> INPUT_TOPIC = Option.string("input-topic", "heartbeats", "topic the heartbeats are read from");
    public static final Option<String> DLQ_TOPIC = Option.string("dlq-topic", "heartbeats-dlq", "topic invalid records go to");
    public static final Option<String> LATE_TOPIC = Option.string("late-topic", "heartbeats-late", "topic too-late heartbeats go to");
    public static final Option<String> GROUP_ID = Option.string("group-id", null, "Kafka consumer group id").optional();
    public static final Option<StartingOffsets> STARTING_OFFSETS = Option.choice("starting-offsets", StartingOffsets.COMMITTED_OR_EARLIEST,
            StartingOffsets.class, "where to start without a checkpoint");
    public static final Option<Integer> DEAD_LETTER_MAX_BYTES = Option.integer("dead-letter-max-bytes",
            TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES / 2,
            "most bytes of key and value a dead letter or too-late record carries; a larger one goes out cut to this, with headers "
                    + "truncated, original-size and value-sha256 of the whole value (the default is half the production topics' "
                    + "max.message.bytes; at start the job checks that --dlq-topic and --late-topic accept it)");
    public static final Option<Boolean> BOUNDED = Option.flag("bounded",
            "process the input topic up to its end offsets at start, flush every session, and exit (backfills, re-processing)");

    // Database
    public static final Option<String> JDBC_URL = Option.string("jdbc-url", "jdbc:postgresql://localhost:5432/heartbeats",
            "JDBC URL: jdbc:postgresql://... or jdbc:yugabytedb://... (YugabyteDB smart driver)");
    public static final Option<String> JDBC_USER = Option.string("jdbc-user", "postgres",
            "database user (password from env " + JDBC_PASSWORD_ENV + " or --jdbc-password-file)");
    public static final Option<String> JDBC_PASSWORD_FILE = Option.string("jdbc-password-file", null,
            "file holding the database password (e.g. a mounted Secret), read again at every connect so that a rotated password "
                    + "is picked up without a restart; the file, not the password, goes into the job (default: env " + JDBC_PASSWORD_ENV
                    + ", read at every connect)").optional();
    public static final Option<java.time.Duration> JDBC_AUTH_RETRY_TIME = Option.duration("jdbc-auth-retry-time", "5min",
            "how long a sink retries a failed authentication (SQLState 28P01/28000, e.g. a password being rotated) with back-off "
                    + "before the job fails");
    public static final Option<Integer> SINK_BATCH_SIZE = Option.integer("sink-batch-size", 2000, "rows buffered per table before a flush");
    public static final Option<java.time.Duration> SINK_FLUSH_INTERVAL = Option.duration("sink-flush-interval", "500ms", "longest time a row waits in the sink buffer");
    public static final Option<java.time.Duration> SINK_MAX_RETRY_TIME = Option.duration("sink-max-retry-time", "2min",
            "how long a flush is retried with back-off on a transient DB error before the job fails and restarts from its checkpoint");

    // Flink runtime
    public static final Option<Integer> PARALLELISM = Option.integer("parallelism", 1, "job parallelism").optional();
    public static final Option<java.time.Duration> CHECKPOINT_INTERVAL = Option.duration("checkpoint-interval", "30s",
            "checkpoint interval; each checkpoint pauses the keyed operators (state write-back, RocksDB flush), "
                    + "so shorter intervals cost catch-up throughput (bench/README.md), longer ones mean more to replay after a failure");
    public static final Option<String> CHECKPOINT_DIR = Option.string("checkpoint-dir", null,
            "checkpoint directory URI, e.g. file:///tmp/ckpt or s3://bucket/ckpt (default: the cluster's)").optional();
    public static final Option<java.time.Duration> OUT_OF_ORDERNESS = Option.duration("out-of-orderness", "5s",
            "watermark delay behind the largest event time seen on a partition");
    public static final Option<java.time.Duration> IDLE_TIMEOUT = Option.duration("idle-timeout", "30s",
            "after this long without records a partition stops holding Flink's watermark back (results are written all the same; "
                    + "state a later record of the partition may still need is kept)");

    // Contract parameters (section 2)
    public static final Option<java.time.Duration> SESSION_GAP = Option.duration("session-gap", "30s", "G: a pause longer than this ends a session");
    public static final Option<Double> MAX_RATE = Option.decimal("max-rate", 2.0, "R: fastest plausible playback rate");
    public static final Option<java.time.Duration> TOLERANCE = Option.duration("tolerance", "2000ms", "T: slack for clock jitter and rounding");
    public static final Option<java.time.Duration> ALLOWED_LATENESS = Option.duration("allowed-lateness", "10min",
            "L: how far behind the watermark a heartbeat may still correct results");
    public static final Option<java.time.Duration> MAX_SESSION = Option.duration("max-session", "12h", "M: maximum session length");
    public static final Option<java.time.Duration> MAX_CLOCK_SKEW = Option.duration("max-clock-skew", "5min",
            "F: a heartbeat whose event_time is more than this ahead of its Kafka record's timestamp is invalid (a device clock in the future)");

    public static final List<Option<?>> COMMON = List.of(
            BOOTSTRAP_SERVERS, INPUT_TOPIC, DLQ_TOPIC, LATE_TOPIC, DEAD_LETTER_MAX_BYTES, GROUP_ID, STARTING_OFFSETS, BOUNDED,
            JDBC_URL, JDBC_USER, JDBC_PASSWORD_FILE, JDBC_AUTH_RETRY_TIME, SINK_BATCH_SIZE, SINK_FLUSH_INTERVAL, SINK_MAX_RETRY_TIME,
            PARALLELISM, CHECKPOINT_INTERVAL, CHECKPOINT_DIR, OUT_OF_ORDERNESS, IDLE_TIMEOUT,
            SESSION_GAP, MAX_RATE, TOLERANCE, ALLOWED_LATENESS, MAX_SESSION, MAX_CLOCK_SKEW);
}
