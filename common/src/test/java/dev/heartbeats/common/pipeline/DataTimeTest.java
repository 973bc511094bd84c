package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.IngestDeserializer;
import dev.heartbeats.common.kafka.IngestedRecord;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Event time from the data alone: the clock-skew bound, the too-late decision, and the keyed operators' watermark. */
class DataTimeTest {
    static final long L = 60_000;
    static final long OOO = 5_000;

    // ---- the clock-skew bound F (contract section 1) ----

    @Test
    void aHeartbeatMoreThanFAheadOfItsRecordsTimestampIsInvalidAndOneExactlyFAheadIsNot() {
        ContractParams p = ContractParams.DEFAULTS;
        long ts = 1_780_000_000_000L;
        assertThat(ingest(p, ts + p.maxClockSkewMs, ts).isValid()).isTrue();
        IngestedRecord ahead = ingest(p, ts + p.maxClockSkewMs + 1, ts);
        assertThat(ahead.isValid()).isFalse();
        assertThat(ahead.invalidReason).startsWith("clock skew: event_time ").contains("ahead of the record's timestamp " + ts);
        assertThat(ingest(p, 4_070_908_800_000L, ts).invalidReason).as("a clock set to 2099").startsWith("clock skew");
        assertThat(ingest(p, ts - 86_400_000, ts).isValid()).as("a day behind: late perhaps, but not skewed").isTrue();
    }

    private static IngestedRecord ingest(ContractParams p, long eventTime, long recordTimestamp) {
        byte[] value = HeartbeatJson.toBytes(Heartbeat.content("u", "v", eventTime, 0, EventType.PLAY, null));
        ConsumerRecord<byte[], byte[]> r = new ConsumerRecord<>("heartbeats", 0, 0, recordTimestamp, TimestampType.LOG_APPEND_TIME,
                1, value.length, "u".getBytes(StandardCharsets.UTF_8), value, new RecordHeaders(), Optional.empty());
        List<IngestedRecord> out = new ArrayList<>();
        new IngestDeserializer(p).deserialize(r, new Collector<>() {
            @Override
            public void collect(IngestedRecord record) {
                out.add(record);
            }

            @Override
            public void close() {}
        });
        return out.get(0);
    }

    // ---- too late: by the partition's data, whatever Flink's watermark says ----

    @Test
    void tooLateIsDecidedByThePartitionsDataNotByFlinksWatermarkAndSurvivesARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = router()) {
            h.open();
            h.processElement(record(0, 100_000), 1);
            // Flink's watermark far ahead (another partition, idleness): it decides nothing.
            h.processWatermark(new Watermark(10_000_000));
            h.processElement(record(0, 100_000 - OOO - 1 - L), 2);
            assertThat(h.getSideOutput(RouteInvalidAndLate.LATE)).isNull();
            h.processElement(record(0, 100_000 - OOO - 1 - L - 1), 3);
            assertThat(h.getSideOutput(RouteInvalidAndLate.LATE)).hasSize(1);
            // Each heartbeat leaves with its partition and that partition's watermark after it.
            Heartbeat first = h.extractOutputValues().get(0);
            assertThat(first.sourcePartition).isZero();
            assertThat(first.partitionWatermark).isEqualTo(100_000 - OOO - 1);
            // Another partition's first heartbeat is never too late.
            h.processElement(record(1, 1_000), 4);
            assertThat(h.getSideOutput(RouteInvalidAndLate.LATE)).hasSize(1);
            snapshot = h.snapshot(1, 5);
        }
        try (var h = router()) {
            h.initializeState(snapshot);
            h.open();
            h.processElement(record(0, 100_000 - OOO - 1 - L - 1), 6);
            assertThat(h.getSideOutput(RouteInvalidAndLate.LATE)).as("the same decision after a restore").hasSize(1);
        }
    }

    private static OneInputStreamOperatorTestHarness<IngestedRecord, Heartbeat> router() throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new RouteInvalidAndLate(L, OOO)));
    }

    private static IngestedRecord record(int partition, long eventTime) {
        IngestedRecord r = new IngestedRecord();
        r.heartbeat = Heartbeat.content("u" + partition, "v", eventTime, 0, EventType.PLAY, null);
        r.topic = "heartbeats";
        r.partition = partition;
        return r;
    }

    // ---- the keyed operators' watermark: Flink's, capped by the partitions' data ----

    @Test
    void theKeyedOperatorsWatermarkWaitsForTheSlowestKnownPartitionAcrossARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = keyed()) {
            h.open();
            h.processWatermark(new Watermark(1_000));
            assertThat(h.getOutput()).as("no tagged heartbeat yet: nothing to hold back for").anyMatch(o -> o instanceof Watermark w && w.getTimestamp() == 1_000);
            h.processElement(new StreamRecord<>(tagged(0, 50_000, 40_000)));
            h.processElement(new StreamRecord<>(tagged(1, 90_000, 80_000)));
            h.processWatermark(new Watermark(200_000)); // partition 0 went quiet and is idle: Flink moved on
            assertThat(lastWatermark(h)).isEqualTo(40_000);
            h.processElement(new StreamRecord<>(tagged(0, 70_000, 60_000)));
            assertThat(lastWatermark(h)).isEqualTo(60_000);
            snapshot = h.snapshot(1, 1);
        }
        try (var h = keyed()) {
            h.initializeState(snapshot);
            h.open();
            h.processWatermark(new Watermark(300_000));
            assertThat(lastWatermark(h)).as("after a restore, still held for the quiet partition").isEqualTo(60_000);
            h.processWatermark(Watermark.MAX_WATERMARK);
            assertThat(lastWatermark(h)).as("the end of a bounded input passes").isEqualTo(Long.MAX_VALUE);
        }
    }

    private static KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, String> keyed() throws Exception {
        KeyedProcessFunction<String, Heartbeat, String> noop = new KeyedProcessFunction<>() {
            @Override
            public void processElement(Heartbeat value, Context ctx, Collector<String> out) {}
        };
        return new KeyedOneInputStreamOperatorTestHarness<>(new DataWatermarkOperator<>(noop), x -> x.userId, Types.STRING);
    }

    private static Heartbeat tagged(int partition, long eventTime, long partitionWatermark) {
        Heartbeat h = Heartbeat.content("u" + partition, "v", eventTime, 0, EventType.PLAY, null);
        h.sourcePartition = partition;
        h.partitionWatermark = partitionWatermark;
        return h;
    }

    private static long lastWatermark(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, String> h) {
        long last = Long.MIN_VALUE;
        for (Object o : h.getOutput()) if (o instanceof Watermark w) last = w.getTimestamp();
        return last;
    }
}
