package dev.heartbeats.savepoints;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.common.tables.WatchSegment;
import dev.heartbeats.segments.SegmentsFunction;
import dev.heartbeats.segments.SegmentsJob;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The gate catches changes that break state compatibility, and says which operator and why: the segments job with a
 * renamed operator uid, and with its per-pair state declared with an incompatible type, both against the newest
 * golden savepoint of the segments job.
 */
class BreakingChangesIT {

    @Test
    void aRenamedUidFailsTheGateNamingTheUidAndItsState() throws Exception {
        Path golden = Goldens.newest(SegmentsJob.NAME);
        assertThatThrownBy(() -> RestoreCheck.run(GateEnvironment.shared(), golden, new SegmentsJob(),
                env -> renameUid(env, SegmentsJob.SESSIONIZE_UID, "segments-sessionize-v2")))
                .isInstanceOf(RestoreCheck.GateFailure.class)
                .satisfies(e -> System.out.println("gate (renamed uid):\n" + e.getMessage()))
                .hasMessageContaining("cannot restore golden savepoint")
                .hasMessageContaining("operator uid '" + SegmentsJob.SESSIONIZE_UID + "'")
                .hasMessageContaining("its uid was renamed or the operator removed")
                .hasMessageContaining("allowNonRestoredState=false")
                .hasMessageContaining("pair (keyed VALUE");
    }

    @Test
    void anIncompatibleStateTypeFailsTheGateNamingTheOperatorAndTheState() throws Exception {
        Path golden = Goldens.newest(SegmentsJob.NAME);
        assertThatThrownBy(() -> RestoreCheck.run(GateEnvironment.shared(), golden, new SegmentsWithPairStateAsString()))
                .isInstanceOf(RestoreCheck.GateFailure.class)
                .satisfies(e -> System.out.println("gate (incompatible state type):\n" + e.getMessage()))
                .hasMessageContaining("state 'pair' (keyed VALUE")
                .hasMessageContaining("of operator uid '" + SegmentsJob.SESSIONIZE_UID + "'")
                .hasMessageContaining("cannot be read by its new serializer")
                .hasMessageContaining("StringSerializer");
    }

    /** Sets a new uid on the transformation that has {@code uid} (searching the whole graph). */
    static void renameUid(StreamExecutionEnvironment env, String uid, String newUid) {
        for (Transformation<?> sink : env.getTransformations()) {
            for (Transformation<?> t : sink.getTransitivePredecessors()) {
                if (uid.equals(t.getUid())) {
                    t.setUid(newUid);
                    return;
                }
            }
        }
        throw new IllegalStateException("no transformation with uid " + uid);
    }

    /**
     * The segments job as someone might change it: same operators and uids, but the keyed state "pair" of the
     * sessionizing operator is now declared with another type (here a String) whose serializer cannot read the old one.
     */
    static final class SegmentsWithPairStateAsString implements JobLauncher.Job {
        private final SegmentsJob real = new SegmentsJob();

        @Override
        public String name() {
            return real.name();
        }

        @Override
        public String description() {
            return real.description();
        }

        @Override
        public List<Option<?>> options() {
            return real.options();
        }

        @Override
        public JobLauncher.Workflow workflow() {
            return (env, cfg) -> {
                SingleOutputStreamOperator<Change<WatchSegment>> segments = HeartbeatIngest.validHeartbeats(env, cfg)
                        .keyBy(new PairKey())
                        .process(new PairStateAsString(), SegmentsJob.SEGMENT_CHANGES)
                        .uid(SegmentsJob.SESSIONIZE_UID)
                        .name("Sessionize (user, video)");
                segments.sinkTo(new JdbcUpsertSink<>(cfg.jdbc, OutputTables.WATCH_SEGMENTS)).uid(SegmentsJob.SEGMENTS_SINK_UID);
                segments.getSideOutput(SegmentsFunction.PROGRESS).sinkTo(new JdbcUpsertSink<>(cfg.jdbc, OutputTables.VIDEO_PROGRESS))
                        .uid(SegmentsJob.PROGRESS_SINK_UID);
                segments.getSideOutput(SegmentsFunction.BEHIND_FRONTIER).sinkTo(HeartbeatIngest.deadLetterSink(cfg, cfg.lateTopic))
                        .uid(SegmentsJob.BEHIND_FRONTIER_SINK_UID);
            };
        }

        @Override
        public JobConfig parse(String... args) {
            return real.parse(args);
        }
    }

    static final class PairStateAsString extends KeyedProcessFunction<String, Heartbeat, Change<WatchSegment>> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<String> pair;

        @Override
        public void open(OpenContext ctx) {
            pair = getRuntimeContext().getState(new ValueStateDescriptor<>("pair", Types.STRING));
        }

        @Override
        public void processElement(Heartbeat h, Context ctx, Collector<Change<WatchSegment>> out) throws Exception {
            pair.update(h.videoId);
        }
    }
}
