package dev.heartbeats.segments;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
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
 *       → {@link SegmentsFunction} → watch_segments upserts/deletes, video_progress guarded upserts</pre>
 */
public final class SegmentsJob implements JobLauncher.Job {
    public static final String NAME = "segments";
    // Operator uids: part of the savepoint format. Never rename them.
    public static final String SESSIONIZE_UID = "segments-sessionize";
    public static final String SEGMENTS_SINK_UID = "watch-segments-sink";
    public static final String PROGRESS_SINK_UID = "video-progress-sink";
    public static final String BEHIND_FRONTIER_SINK_UID = "segments-behind-frontier-sink";

    public static final Option<Duration> PROGRESS_MIN_INTERVAL = Option.duration("progress-min-interval", "0s",
            "minimum time between two video_progress writes of one (user, video) pair; the latest always follows");

    public static final TypeInformation<Change<WatchSegment>> SEGMENT_CHANGES = TypeInformation.of(new TypeHint<>() {});
    public static final TypeInformation<Change<VideoProgress>> PROGRESS_CHANGES = TypeInformation.of(new TypeHint<>() {});

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
        return List.of(PROGRESS_MIN_INTERVAL);
    }

    @Override
    public JobLauncher.Workflow workflow() {
        return (env, cfg) -> {
            DataStream<Heartbeat> heartbeats = HeartbeatIngest.validHeartbeats(env, cfg);
            wire(heartbeats, cfg,
                    new JdbcUpsertSink<>(cfg.jdbc, OutputTables.WATCH_SEGMENTS),
                    new JdbcUpsertSink<>(cfg.jdbc, OutputTables.VIDEO_PROGRESS));
        };
    }

    /** The job's own part, on any heartbeat stream and any sinks (tests plug in theirs). */
    public static SingleOutputStreamOperator<Change<WatchSegment>> wire(DataStream<Heartbeat> heartbeats, JobConfig cfg,
            Sink<Change<WatchSegment>> segmentsSink, Sink<Change<VideoProgress>> progressSink) {
        SingleOutputStreamOperator<Change<WatchSegment>> segments = heartbeats
                .keyBy(new PairKey())
                .process(new SegmentsFunction(cfg.params, cfg.get(PROGRESS_MIN_INTERVAL).toMillis()), SEGMENT_CHANGES)
                .uid(SESSIONIZE_UID)
                .name("Sessionize (user, video)");
        segments.sinkTo(segmentsSink).uid(SEGMENTS_SINK_UID).name("YSQL: watch_segments");
        segments.getSideOutput(SegmentsFunction.PROGRESS).sinkTo(progressSink).uid(PROGRESS_SINK_UID).name("YSQL: video_progress");
        DataStream<DeadLetter> behind = segments.getSideOutput(SegmentsFunction.BEHIND_FRONTIER);
        behind.sinkTo(HeartbeatIngest.deadLetterSink(cfg, cfg.lateTopic)).uid(BEHIND_FRONTIER_SINK_UID).name("Kafka: " + cfg.lateTopic);
        return segments;
    }
}
