package dev.heartbeats.segments;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.TableSinks;
import dev.heartbeats.common.pipeline.JobRuntime;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;

import java.time.Duration;
import java.util.List;

/**
 * The segments job: heartbeats from Kafka to {@code watch_segments} and {@code video_progress}.
 *
 * <pre>Kafka → parse/validate (invalid → DLQ) → too-late check (→ late topic) → keyBy(user, video)
 *       → {@link SegmentsFunction} in {@link SegmentsOperator} (state cache, row coalescing)
 *       → watch_segments upserts/deletes, video_progress guarded upserts</pre>
 */
public final class SegmentsJob implements JobLauncher.Job {
    public static final String NAME = "segments";
    // Operator uids: part of the savepoint format. Never rename them.
    public static final String SESSIONIZE_UID = "segments-sessionize";
    public static final String SEGMENTS_SINK_UID = "watch-segments-sink";
    public static final String PROGRESS_SINK_UID = "video-progress-sink";
    public static final String BEHIND_FRONTIER_SINK_UID = "segments-behind-frontier-sink";

    /**
     * Coalescing of video_progress writes. The default stays below the players' heartbeat period (5 s +- 0.3 s), so
     * in steady playback every heartbeat is still written at once (no added latency); the interval bounds the writes
     * of bursts (a seek right after a heartbeat, a player catching up) and, above all, of a job catching up on a
     * backlog (a restart, a backfill, a bounded run), where a pair's heartbeats arrive many per second. Freshness: a
     * resume point is at most this much older than the newest heartbeat (contract: "within a few seconds").
     */
    public static final Option<Duration> PROGRESS_MIN_INTERVAL = Option.duration("progress-min-interval", "4s",
            "minimum time between two video_progress writes of one (user, video) pair; the latest always follows (0s: every change)");
    /**
     * The same for the open segment's watch_segments row; a new segment's first row and closed, stopped or superseded
     * segments are written at once. Several heartbeat periods long, so that in steady playback the open segment's row
     * grows once every few heartbeats instead of with each (an open segment then lags by up to this much: it appears at
     * once and still "grows as it goes on"); together with one resume point per heartbeat this keeps live traffic at
     * about one database row per heartbeat (LiveWritesTest, bench/README.md).
     */
    public static final Option<Duration> SEGMENT_MIN_INTERVAL = Option.duration("segment-min-interval", "30s",
            "minimum time between two writes of a pair's open segment row; a new segment's first row and a closed, stopped or superseded segment"
                    + " are written at once (0s: every change)");
    public static final Option<Long> STATE_CACHE_PAIRS = Option.longValue("state-cache-pairs", 200_000,
            "pairs per subtask whose state is kept in memory between checkpoints in front of RocksDB (~1 KB each; 0: every heartbeat reads and writes RocksDB,"
                    + " and only video_progress is coalesced)");

    public static final TypeInformation<Change<WatchSegment>> SEGMENT_CHANGES = TypeInformation.of(new TypeHint<>() {});
    public static final TypeInformation<Change<VideoProgress>> PROGRESS_CHANGES = TypeInformation.of(new TypeHint<>() {});

    /**
     * Small RocksDB memtables (8 MB, RocksDB's default 64 MB): the state cache writes pairs back in bursts, and a
     * checkpoint flushes the memtables synchronously, in the task thread. Small ones fill and are flushed by RocksDB's
     * background threads as the write-backs come, so the checkpoint flushes at most 8 MB per column family (a shorter
     * resume-point p99 in live traffic, bench/README.md). Not for the Table API jobs: they read RocksDB on every
     * heartbeat, and more, smaller files cost them more CPU.
     *
     * <p>No compression in L0 and L1, LZ4 below: most of this job's data (a pair's buffered beats) is rewritten or
     * deleted within minutes, so it is flushed and compacted in the top levels again and again, where Snappy took most
     * of RocksDB's background CPU. Costs up to twice the disk and checkpoint size for that data.
     *
     * <p>Bloom filters: past the state cache (large audiences per subtask) nearly every heartbeat reads its pair's state
     * from RocksDB, and a read probes each file that may hold the key; a filter skips the files that do not (bench/README.md,
     * "Cost curve"). About 10 bits per key in memory.
     */
    static final List<JobRuntime.Default> ROCKSDB_DEFAULTS = List.of(
            new JobRuntime.Default("state.backend.rocksdb.writebuffer.size", "8mb"),
            new JobRuntime.Default("state.backend.rocksdb.compression.per.level", "NO_COMPRESSION;NO_COMPRESSION;LZ4_COMPRESSION"),
            new JobRuntime.Default("state.backend.rocksdb.use-bloom-filter", "true"));

    public static void main(String[] args) throws Exception {
        JobLauncher.main(new SegmentsJob(), args);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Sessionizes heartbeats per (user, video) and keeps the tables watch_segments and video_progress.";
    }

    @Override
    public List<Option<?>> options() {
        return List.of(PROGRESS_MIN_INTERVAL, SEGMENT_MIN_INTERVAL, STATE_CACHE_PAIRS);
    }

    @Override
    public List<JobRuntime.Default> flinkDefaults() {
        return ROCKSDB_DEFAULTS;
    }

    @Override
    public JobLauncher.Workflow workflow() {
        return (env, cfg) -> {
            DataStream<Heartbeat> heartbeats = HeartbeatIngest.validHeartbeats(env, cfg);
            wire(heartbeats, cfg,
                    TableSinks.of(cfg, OutputTables.WATCH_SEGMENTS),
                    TableSinks.of(cfg, OutputTables.VIDEO_PROGRESS));
        };
    }

    /**
     * A restatement writes every resume point: a coalesced one held back at the end of the range could be replaced by
     * a heartbeat after it, whose row the restatement does not write, and the range would end with an older one.
     */
    static long progressMinIntervalMs(JobConfig cfg) {
        return cfg.restatement != null ? 0 : cfg.get(PROGRESS_MIN_INTERVAL).toMillis();
    }

    /** The job's own part, on any heartbeat stream and any sinks (tests plug in theirs). */
    public static SingleOutputStreamOperator<Change<WatchSegment>> wire(DataStream<Heartbeat> heartbeats, JobConfig cfg,
            Sink<Change<WatchSegment>> segmentsSink, Sink<Change<VideoProgress>> progressSink) {
        SingleOutputStreamOperator<Change<WatchSegment>> segments = heartbeats
                .keyBy(new PairKey())
                .transform("Sessionize (user, video)", SEGMENT_CHANGES, new SegmentsOperator(
                        new SegmentsFunction(cfg.params, progressMinIntervalMs(cfg), cfg.get(SEGMENT_MIN_INTERVAL).toMillis()),
                        cfg.get(STATE_CACHE_PAIRS), heartbeats.getExecutionEnvironment().getCheckpointConfig().getCheckpointInterval()))
                .uid(SESSIONIZE_UID)
                .name("Sessionize (user, video)");
        segments.sinkTo(segmentsSink).uid(SEGMENTS_SINK_UID).name("YSQL: watch_segments");
        segments.getSideOutput(SegmentsFunction.PROGRESS).sinkTo(progressSink).uid(PROGRESS_SINK_UID).name("YSQL: video_progress");
        DataStream<DeadLetter> behind = segments.getSideOutput(SegmentsFunction.BEHIND_FRONTIER);
        behind.sinkTo(HeartbeatIngest.deadLetterSink(cfg, cfg.lateTopic)).uid(BEHIND_FRONTIER_SINK_UID).name("Kafka: " + cfg.lateTopic);
        return segments;
    }
}
