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
    public static final String KAFKA_SASL_PASSWORD_ENV = "KAFKA_SASL_PASSWORD";
    public static final String KAFKA_TRUSTSTORE_PASSWORD_ENV = "KAFKA_TRUSTSTORE_PASSWORD";
    public static final String KAFKA_KEYSTORE_PASSWORD_ENV = "KAFKA_KEYSTORE_PASSWORD";

    /** How the Kafka clients talk to the brokers (Kafka's {@code security.protocol}). */
    public enum KafkaSecurityProtocol { PLAINTEXT, SSL, SASL_SSL }

    /** Kafka's {@code sasl.mechanism}s the clients can log in with. */
    public enum SaslMechanism {
        SCRAM_SHA_512, SCRAM_SHA_256, PLAIN, OAUTHBEARER;

        /** Kafka's name, e.g. SCRAM-SHA-512. */
        public String kafkaName() {
            return name().replace('_', '-');
        }
    }

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

    // Kafka client security: every client of every job and tool (KafkaClientConfig)
    public static final Option<KafkaSecurityProtocol> KAFKA_SECURITY_PROTOCOL = Option.choice("kafka-security-protocol",
            KafkaSecurityProtocol.PLAINTEXT, KafkaSecurityProtocol.class, "Kafka security.protocol: TLS (ssl) and SASL over TLS (sasl-ssl)");
    public static final Option<SaslMechanism> KAFKA_SASL_MECHANISM = Option.choice("kafka-sasl-mechanism", SaslMechanism.SCRAM_SHA_512,
            SaslMechanism.class, "SASL mechanism with --kafka-security-protocol sasl-ssl").optional();
    public static final Option<String> KAFKA_SASL_USER = Option.string("kafka-sasl-user", null,
            "SASL user name (SCRAM, PLAIN) or OAuth client id (OAUTHBEARER); the password or client secret from env " + KAFKA_SASL_PASSWORD_ENV
                    + " or --kafka-sasl-password-file");
    public static final Option<String> KAFKA_SASL_PASSWORD_FILE = Option.string("kafka-sasl-password-file", null,
            "file holding the SASL password or OAuth client secret (e.g. a mounted Secret), read by each Kafka client when it is created "
                    + "(default: env " + KAFKA_SASL_PASSWORD_ENV + ")");
    public static final Option<String> KAFKA_OAUTH_TOKEN_ENDPOINT = Option.string("kafka-oauth-token-endpoint", null,
            "OAUTHBEARER: the identity provider's token endpoint (client credentials grant); the JVMs running Kafka clients must allow it "
                    + "(system property org.apache.kafka.sasl.oauthbearer.allowed.urls)");
    public static final Option<String> KAFKA_OAUTH_SCOPE = Option.string("kafka-oauth-scope", null, "OAUTHBEARER: the scope to request");
    public static final Option<String> KAFKA_TRUSTSTORE = Option.string("kafka-truststore", null,
            "CA certificates the brokers' certificates are checked against: a PEM file (.pem, .crt) or a PKCS12 (.p12, .pfx) or JKS (.jks) "
                    + "store, password from env " + KAFKA_TRUSTSTORE_PASSWORD_ENV + " or --kafka-truststore-password-file (default: the JVM's CAs)");
    public static final Option<String> KAFKA_TRUSTSTORE_PASSWORD_FILE = Option.string("kafka-truststore-password-file", null,
            "file holding the truststore's password (default: env " + KAFKA_TRUSTSTORE_PASSWORD_ENV + ", if set)");
    public static final Option<String> KAFKA_KEYSTORE = Option.string("kafka-keystore", null,
            "client certificate and key for mutual TLS: a PKCS12 (.p12, .pfx), JKS (.jks) or PEM (.pem: PKCS#8 key and certificate chain) file, "
                    + "password from env " + KAFKA_KEYSTORE_PASSWORD_ENV + " or --kafka-keystore-password-file");
    public static final Option<String> KAFKA_KEYSTORE_PASSWORD_FILE = Option.string("kafka-keystore-password-file", null,
            "file holding the keystore's (and its key's) password (default: env " + KAFKA_KEYSTORE_PASSWORD_ENV + ", if set)");
    public static final Option<java.util.List<String>> KAFKA_PROPERTY = Option.repeatable("kafka-property",
            "any other Kafka client property as key=value, for every client (consumers, producers, admin); secrets only as a reference "
                    + "${heartbeats:env:VAR} or ${heartbeats:file:/path}");
    public static final Option<String> KAFKA_PROPERTIES_FILE = Option.string("kafka-properties-file", null,
            "a Java properties file of further Kafka client properties, applied like --kafka-property (which wins)");

    /** The Kafka client settings every job and tool that talks to Kafka takes, besides --bootstrap-servers. */
    public static final List<Option<?>> KAFKA_CLIENT = List.of(KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM, KAFKA_SASL_USER,
            KAFKA_SASL_PASSWORD_FILE, KAFKA_OAUTH_TOKEN_ENDPOINT, KAFKA_OAUTH_SCOPE, KAFKA_TRUSTSTORE, KAFKA_TRUSTSTORE_PASSWORD_FILE,
            KAFKA_KEYSTORE, KAFKA_KEYSTORE_PASSWORD_FILE, KAFKA_PROPERTY, KAFKA_PROPERTIES_FILE);

    // Database
    public static final Option<String> JDBC_URL = Option.string("jdbc-url", "jdbc:postgresql://localhost:5432/heartbeats",
            "JDBC URL: jdbc:postgresql://... or jdbc:yugabytedb://... (YugabyteDB smart driver)");
    public static final Option<String> JDBC_USER = Option.string("jdbc-user", "postgres",
            "database user (password from env " + JDBC_PASSWORD_ENV + " or --jdbc-password-file)");
    /** A job's database user: its own role unless told otherwise (JobConfig). */
    public static final Option<String> JOB_JDBC_USER = Option.string("jdbc-user", null,
            "database user (default: the job's own role heartbeats_<job>, which the schema migrations create with only the rights the job needs; "
                    + "password from env " + JDBC_PASSWORD_ENV + " or --jdbc-password-file)");
    public static final Option<String> JDBC_PASSWORD_FILE = Option.string("jdbc-password-file", null,
            "file holding the database password (e.g. a mounted Secret), read again at every connect so that a rotated password "
                    + "is picked up without a restart; the file, not the password, goes into the job (default: env " + JDBC_PASSWORD_ENV
                    + ", read at every connect)").optional();
    public enum JdbcSslMode { DISABLE, REQUIRE, VERIFY_CA, VERIFY_FULL }

    public static final Option<JdbcSslMode> JDBC_SSL_MODE = Option.choice("jdbc-ssl-mode", JdbcSslMode.VERIFY_FULL, JdbcSslMode.class,
            "TLS to the database (the drivers' sslmode): verify-full checks the server's certificate and host name "
                    + "(default: verify-full with --jdbc-ssl-root-cert, else the driver's, which tries TLS unverified)").optional();
    public static final Option<String> JDBC_SSL_ROOT_CERT = Option.string("jdbc-ssl-root-cert", null,
            "PEM file of the CA the database server's certificate is checked against (e.g. a mounted Secret's ca.crt; "
                    + "default with verify-ca/verify-full: the JVM's CAs)");
    public static final Option<Boolean> JDBC_ALLOW_SUPERUSER = Option.flag("jdbc-allow-superuser",
            "let the job run as a database superuser (it refuses to by default: each job has its own role, created by the migrations)");
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

    /** How the tools (schema, catalog, ...) connect to the database. */
    public static final List<Option<?>> JDBC_CONNECTION = List.of(JDBC_URL, JDBC_USER, JDBC_PASSWORD_FILE, JDBC_SSL_MODE, JDBC_SSL_ROOT_CERT);

    /** --bootstrap-servers and the {@link #KAFKA_CLIENT} settings. */
    public static List<Option<?>> kafkaClient(Option<String> bootstrapServers) {
        List<Option<?>> out = new java.util.ArrayList<>();
        out.add(bootstrapServers);
        out.addAll(KAFKA_CLIENT);
        return List.copyOf(out);
    }

    public static final List<Option<?>> COMMON = concat(kafkaClient(BOOTSTRAP_SERVERS), List.of(
            INPUT_TOPIC, DLQ_TOPIC, LATE_TOPIC, DEAD_LETTER_MAX_BYTES, GROUP_ID, STARTING_OFFSETS, BOUNDED,
            JDBC_URL, JOB_JDBC_USER, JDBC_PASSWORD_FILE, JDBC_SSL_MODE, JDBC_SSL_ROOT_CERT, JDBC_ALLOW_SUPERUSER, JDBC_AUTH_RETRY_TIME, SINK_BATCH_SIZE, SINK_FLUSH_INTERVAL, SINK_MAX_RETRY_TIME,
            PARALLELISM, CHECKPOINT_INTERVAL, CHECKPOINT_DIR, OUT_OF_ORDERNESS, IDLE_TIMEOUT,
            SESSION_GAP, MAX_RATE, TOLERANCE, ALLOWED_LATENESS, MAX_SESSION, MAX_CLOCK_SKEW));

    public static List<Option<?>> concat(List<Option<?>> a, List<Option<?>> b) {
        List<Option<?>> out = new java.util.ArrayList<>(a);
        out.addAll(b);
        return List.copyOf(out);
    }
}
