package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.archive.ArchiveSource;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.common.kafka.HeartbeatWatermarks;
import dev.heartbeats.common.kafka.IngestDeserializer;
import dev.heartbeats.common.kafka.IngestedRecord;
import dev.heartbeats.common.kafka.TopicConfigs;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.TopicConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The front of every job: the Kafka source (FLIP-27), parsing and validation, watermarks, and the routing of invalid
 * and too-late records to their topics. One place, so that every job treats bad input the same way.
 */
public final class HeartbeatIngest {
    public static final String SOURCE_UID = "heartbeats-source";
    public static final String ROUTE_UID = "route-invalid-and-late";
    public static final String DLQ_SINK_UID = "dlq-sink";
    public static final String LATE_SINK_UID = "late-sink";
    /** The archive's file source of a restatement (a bounded run that starts from nothing, never from a savepoint). */
    public static final String ARCHIVE_SOURCE_UID = "heartbeats-archive-source";

    private static final Logger LOG = LoggerFactory.getLogger(HeartbeatIngest.class);

    private HeartbeatIngest() {}

    /**
     * Reads {@code cfg.inputTopic} and returns its valid, not-too-late heartbeats; wires the DLQ and late sinks. A
     * restatement ({@link JobConfig#restatement}) reads the same records from the archive instead: only the source
     * differs, everything after it is the same code.
     */
    public static DataStream<Heartbeat> validHeartbeats(StreamExecutionEnvironment env, JobConfig cfg) {
        if (cfg.restatement != null) return route(archiveRecords(env, cfg), cfg);
        return route(env.fromSource(source(cfg), watermarks(cfg), "Kafka: " + cfg.inputTopic).uid(SOURCE_UID), cfg);
    }

    /**
     * The archived records of the restatement's range. One reader (a parallelism of its own), so that every Kafka partition
     * comes in offset order; the routing runs at the same parallelism, chained to it ({@link #route}).
     */
    public static DataStream<IngestedRecord> archiveRecords(StreamExecutionEnvironment env, JobConfig cfg) {
        LOG.info("Restating {} instead of reading Kafka", cfg.restatement);
        return env.fromSource(ArchiveSource.of(cfg.restatement, cfg.params), watermarks(cfg), "Archive: " + cfg.restatement.archiveDir)
                .uid(ARCHIVE_SOURCE_UID)
                .setParallelism(1);
    }

    /** The routing step on any stream of ingested records (tests may bring their own source). */
    public static DataStream<Heartbeat> route(DataStream<IngestedRecord> records, JobConfig cfg) {
        SingleOutputStreamOperator<Heartbeat> valid = records
                .process(new RouteInvalidAndLate(cfg.params.allowedLatenessMs, cfg.outOfOrdernessMs), HeartbeatSerializer.TYPE)
                .uid(ROUTE_UID)
                .name("Validate; route invalid and too-late");
        inPartitionOrder(valid, records);
        valid.getSideOutput(RouteInvalidAndLate.INVALID)
                .sinkTo(deadLetterSink(cfg, cfg.dlqTopic)).uid(DLQ_SINK_UID).name("Kafka: " + cfg.dlqTopic);
        valid.getSideOutput(RouteInvalidAndLate.LATE)
                .sinkTo(deadLetterSink(cfg, cfg.lateTopic)).uid(LATE_SINK_UID).name("Kafka: " + cfg.lateTopic);
        return valid;
    }

    /**
     * Runs {@code step} at the parallelism of {@code input} when that was set on it, and returns it. The too-late decision
     * and the keyed steps' state need every Kafka partition's records in offset order up to the first {@code keyBy}: a
     * source with a parallelism of its own (the archive's single reader) must not be followed by a step at the job's
     * parallelism, which Flink would feed round robin and so reorder. Every step between the source and the first
     * {@code keyBy} goes through here; {@code RestatementOrderTest} checks each job's graph.
     */
    public static <T> SingleOutputStreamOperator<T> inPartitionOrder(SingleOutputStreamOperator<T> step, DataStream<?> input) {
        if (input.getTransformation().isParallelismConfigured()) step.setParallelism(input.getParallelism());
        return step;
    }

    /**
     * Refuses to start when the dead-letter or late topic would refuse a dead letter of {@code --dead-letter-max-bytes}:
     * the sink would fail on the first large one, and the job would restart into it again and again. Asks the broker;
     * if it cannot tell, the job starts with a warning.
     */
    public static void requireDeadLetterTopicsFit(JobConfig cfg) {
        int needed = DeadLetterSerializer.messageBytesNeeded(cfg.deadLetterMaxBytes);
        List<String> topics = List.of(cfg.dlqTopic, cfg.lateTopic);
        Map<String, String> limits = TopicConfigs.of(cfg.kafka.properties(), topics, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Duration.ofSeconds(10));
        for (String topic : topics) {
            String setting = topic.equals(cfg.dlqTopic) ? "--" + JobOptions.DLQ_TOPIC.name : "--" + JobOptions.LATE_TOPIC.name;
            String limit = limits.get(topic);
            if (limit == null) {
                LOG.warn("Could not read max.message.bytes of {} '{}'; it must be at least {} for dead letters of --{} {}: "
                        + "a dead letter the topic refuses fails the job", setting, topic, needed, JobOptions.DEAD_LETTER_MAX_BYTES.name, cfg.deadLetterMaxBytes);
                continue;
            }
            int max = Integer.parseInt(limit.trim());
            if (max < needed) {
                throw new ConfigException("--" + JobOptions.DEAD_LETTER_MAX_BYTES.name + " (" + cfg.deadLetterMaxBytes + ") does not fit " + setting + " '" + topic
                        + "': its max.message.bytes is " + max + ", and dead letters of that size need " + needed + " with their headers. Lower --"
                        + JobOptions.DEAD_LETTER_MAX_BYTES.name + " to at most " + DeadLetterSerializer.largestFitting(max)
                        + ", or raise the topic's max.message.bytes");
            }
        }
    }

    public static KafkaSource<IngestedRecord> source(JobConfig cfg) {
        return source(cfg, new IngestDeserializer(cfg.params));
    }

    /** The Kafka source of the input topic with the job's settings, for any record type (the archive job keeps raw records). */
    public static <T> KafkaSource<T> source(JobConfig cfg, KafkaRecordDeserializationSchema<T> deserializer) {
        // Our defaults, then the pass-through properties and security (KafkaClientConfig), then what the job requires.
        KafkaSourceBuilder<T> b = KafkaSource.<T>builder()
                .setProperties(cfg.kafka.properties(Map.of("commit.offsets.on.checkpoint", "true", "partition.discovery.interval.ms", "60000")))
                .setBootstrapServers(cfg.bootstrapServers)
                .setTopics(cfg.inputTopic)
                .setGroupId(cfg.groupId)
                .setDeserializer(deserializer);
        switch (cfg.startingOffsets) {
            case EARLIEST:
                b.setStartingOffsets(OffsetsInitializer.earliest());
                break;
            case LATEST:
                b.setStartingOffsets(OffsetsInitializer.latest());
                break;
            default:
                b.setStartingOffsets(OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST));
        }
        if (cfg.bounded) b.setBounded(OffsetsInitializer.latest());
        return b.build();
    }

    public static WatermarkStrategy<IngestedRecord> watermarks(JobConfig cfg) {
        return WatermarkStrategy.<IngestedRecord>forGenerator(ctx -> new HeartbeatWatermarks(cfg.outOfOrdernessMs, cfg.idleTimeoutMs, ctx.getInputActivityClock()))
                .withTimestampAssigner((r, kafkaTs) -> r.isValid() ? r.heartbeat.eventTime : Long.MIN_VALUE);
    }

    /**
     * A sink for dead letters (or too-late records) to {@code topic}. Their key and value are cut to
     * {@code --dead-letter-max-bytes} ({@link DeadLetterSerializer}), so that every one fits the topic that
     * {@link #requireDeadLetterTopicsFit} checked; compressed, as the input usually is.
     */
    public static KafkaSink<DeadLetter> deadLetterSink(JobConfig cfg, String topic) {
        Properties props = cfg.kafka.properties(Map.of(
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, Integer.toString(DeadLetterSerializer.messageBytesNeeded(cfg.deadLetterMaxBytes)),
                ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4"));
        return KafkaSink.<DeadLetter>builder()
                .setBootstrapServers(cfg.bootstrapServers)
                .setKafkaProducerConfig(props)
                .setRecordSerializer(new DeadLetterSerializer(topic, cfg.jobName, cfg.deadLetterMaxBytes))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .build();
    }
}
