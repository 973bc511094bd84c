package dev.heartbeats.archive;

import dev.heartbeats.common.archive.ArchiveFormat;
import dev.heartbeats.common.archive.ArchiveLayout;
import dev.heartbeats.common.archive.ArchiveRecord;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Restatement;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.JobRuntime;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.connector.file.sink.FileSink;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.functions.sink.filesystem.OutputFileConfig;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/**
 * The archive job: every record of the input topic, valid or not, as it is (key and value bytes, partition, offset,
 * timestamp), to Parquet files in object storage, by UTC date and hour of its Kafka timestamp, exactly once.
 *
 * <pre>Kafka (FLIP-27, raw records) → FileSink (bulk Parquet, {@link ArchiveFormat}; part files committed on checkpoints)
 *       → &lt;archive-dir&gt;/date=YYYY-MM-DD/hour=HH/part-&lt;uuid&gt;-&lt;n&gt;.parquet</pre>
 *
 * Nothing is parsed here: the archive keeps the input, and a restatement ({@code --restate-from}) parses it with the
 * code of its own release. The FileSink commits a part file only with the checkpoint that covers its records, and the
 * Kafka offsets are part of that checkpoint, so after a failure nothing is lost and nothing is written twice.
 */
public final class ArchiveJob implements JobLauncher.Job {
    public static final String NAME = "archive";
    // Operator uids: part of the savepoint format. Never rename them.
    public static final String SOURCE_UID = "archive-kafka-source";
    public static final String SINK_UID = "archive-file-sink";

    public static final Option<Integer> FILE_MB = Option.integer("archive-file-mb", 128,
            "a part file is closed when it reaches this size (MiB), besides at every checkpoint");
    public static final Option<Duration> ROLLOVER = Option.duration("archive-rollover-interval", "15min",
            "a part file is closed when it has been open this long, besides at every checkpoint");

    /**
     * Checkpoints at the interval below when the configuration sets none: each checkpoint closes every open part
     * file (that is how bulk files are committed exactly once), so the interval decides how many files an hour gets,
     * and how long a record waits before it is visible in the archive. The archive has no other state to lose time on.
     */
    static final List<JobRuntime.Default> DEFAULTS = List.of(new JobRuntime.Default(CheckpointingOptions.CHECKPOINTING_INTERVAL.key(), "2 min"));

    public static void main(String[] args) throws Exception {
        JobLauncher.main(new ArchiveJob(), args);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Archives every record of the input topic (valid or not) to Parquet files under --archive-dir, by UTC date and hour "
                + "of its Kafka timestamp, exactly once; the other jobs restate ranges of time from there (--restate-from).";
    }

    @Override
    public List<Option<?>> options() {
        return List.of(FILE_MB, ROLLOVER);
    }

    @Override
    public List<JobRuntime.Default> flinkDefaults() {
        return DEFAULTS;
    }

    @Override
    public JobConfig parse(String... args) {
        JobConfig cfg = JobLauncher.Job.super.parse(args);
        if (cfg.get(Restatement.ARCHIVE_DIR) == null) {
            throw new ConfigException("--" + Restatement.ARCHIVE_DIR.name + ": required: where the archive job writes (a folder, file:///... or s3://...)");
        }
        if (cfg.restatement != null) throw new ConfigException("--" + Restatement.RESTATE_FROM.name + ": the archive job archives Kafka, it restates nothing");
        return cfg;
    }

    /** The archive's location as a URI. */
    static String archive(JobConfig cfg) {
        return Restatement.archiveUri(cfg.get(Restatement.ARCHIVE_DIR));
    }

    /**
     * No database here: the brokers must accept its credentials (when it connects securely), and the archive's file
     * system must be there (an s3:// URI needs the S3 plugin).
     */
    @Override
    public void checkBeforeStart(JobConfig cfg) {
        if (cfg.kafka.isSecured()) cfg.kafka.check(List.of(cfg.inputTopic), java.time.Duration.ofSeconds(30));
        try {
            new Path(archive(cfg)).getFileSystem();
        } catch (IOException e) {
            throw new ConfigException("--" + Restatement.ARCHIVE_DIR.name + ": cannot use '" + cfg.get(Restatement.ARCHIVE_DIR) + "': " + e.getMessage());
        }
    }

    @Override
    public JobLauncher.Workflow workflow() {
        return (env, cfg) -> env
                .fromSource(HeartbeatIngest.source(cfg, new RawRecords()), WatermarkStrategy.noWatermarks(), "Kafka: " + cfg.inputTopic)
                .uid(SOURCE_UID)
                .sinkTo(sink(cfg))
                .uid(SINK_UID)
                .name("Archive: " + archive(cfg));
    }

    static FileSink<ArchiveRecord> sink(JobConfig cfg) {
        return FileSink.forBulkFormat(new Path(archive(cfg)), ArchiveFormat.writerFactory())
                .withBucketAssigner(new ArchiveLayout.HourBuckets())
                .withRollingPolicy(new ArchiveLayout.RollingPolicy(cfg.get(FILE_MB) * 1024L * 1024L, cfg.get(ROLLOVER).toMillis()))
                .withOutputFileConfig(OutputFileConfig.builder().withPartPrefix(ArchiveLayout.PART_PREFIX).withPartSuffix(ArchiveLayout.PART_SUFFIX).build())
                .build();
    }

    /** Kafka records as they are: no parsing. */
    static final class RawRecords implements KafkaRecordDeserializationSchema<ArchiveRecord> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<ArchiveRecord> out) {
            out.collect(ArchiveRecord.of(record));
        }

        @Override
        public TypeInformation<ArchiveRecord> getProducedType() {
            return TypeInformation.of(ArchiveRecord.class);
        }
    }
}
