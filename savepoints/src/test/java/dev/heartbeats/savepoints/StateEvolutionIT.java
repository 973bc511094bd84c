package dev.heartbeats.savepoints;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * State evolution with the suite's versioned serializers ({@code CompactSerializer}): release 1 of a job keeps a
 * {@link WatchTally} per key in format 1 and is stopped with a canonical savepoint; release 2 adds a field (format 2),
 * restores that savepoint (allowNonRestoredState=false) and goes on counting: every key keeps what release 1 counted,
 * the new field starts empty, RocksDB rewrites the state in format 2 during the restore, and a savepoint of
 * release 2 says so. Going back is not possible: release 1 cannot read format 2, and the gate says which operator
 * and state, which is why a rollback after a state format change must restore the savepoint taken before the upgrade.
 */
class StateEvolutionIT {
    static final String UID = "watch-tally";
    static final int KEYS = 30;

    @AfterEach
    void backToRelease1() {
        WatchTally.Serializer.release(1);
    }

    @Test
    void addingAFieldKeepsOldSavepointsRestorable() throws Exception {
        GateEnvironment env = GateEnvironment.shared();
        String topic = env.fresh("evolution");
        env.stack.kafka.createTopic(topic, 2);
        Path work = env.workDir(topic);

        // Release 1: 5 heartbeats per key, then a savepoint.
        send(env, topic, KEYS, 1, 5, "phone");
        String group1 = env.fresh("evolution-group");
        LocalCluster.Job v1 = env.cluster.submit(graph(env, topic, group1, work, null));
        v1.awaitAllRunning(Duration.ofMinutes(1));
        v1.await(() -> env.kafka.consumed(group1, topic) == KEYS * 5L, Duration.ofMinutes(1), "release 1 to consume its input");
        String savepoint1 = v1.stopWithSavepoint(work.resolve("v1"), false, SavepointFormatType.CANONICAL);
        assertThat(stateSerializer(savepoint1)).isEqualTo("Serializer v1");

        // Release 2 (one more field) restores it and reads 3 more heartbeats for the first 20 keys.
        WatchTally.Serializer.release(2);
        send(env, topic, 20, 6, 3, "tv");
        String group2 = env.fresh("evolution-group");
        LocalCluster.Job v2 = env.cluster.submit(graph(env, topic, group2, work, savepoint1));
        v2.awaitAllRunning(Duration.ofMinutes(1));
        v2.await(() -> env.kafka.consumed(group2, topic) == KEYS * 5L + 20 * 3L, Duration.ofMinutes(1), "release 2 to consume the new heartbeats");
        String savepoint2 = v2.stopWithSavepoint(work.resolve("v2"), false, SavepointFormatType.CANONICAL);

        // The state was migrated to format 2 during the restore (every key, also those release 2 never saw) ...
        assertThat(stateSerializer(savepoint2)).isEqualTo("Serializer v2");
        Map<String, WatchTally> state = read(savepoint2);
        assertThat(state).hasSize(KEYS);
        for (int k = 0; k < KEYS; k++) {
            WatchTally t = state.get(key(k));
            if (k < 20) {
                // ... nothing release 1 counted was lost, and the new field is filled from the first new heartbeat on.
                assertThat(t.heartbeats).as(key(k)).isEqualTo(8);
                assertThat(t.lastPosition).as(key(k)).isEqualTo(8_000);
                assertThat(t.lastDevice).as(key(k)).isEqualTo("tv");
            } else {
                assertThat(t.heartbeats).as(key(k)).isEqualTo(5);
                assertThat(t.lastPosition).as(key(k)).isEqualTo(5_000);
                assertThat(t.lastDevice).as(key(k) + ": written by release 1, the new field is empty").isNull();
            }
        }

        // A rollback to release 1 cannot read format 2: the gate's diagnosis names the operator and the cause.
        WatchTally.Serializer.release(1);
        JobGraph back = graph(env, topic, env.fresh("evolution-group"), work, savepoint2);
        SavepointInventory inventory = SavepointInventory.read(Path.of(java.net.URI.create(savepoint2)), getClass().getClassLoader());
        LocalCluster.Job v1again = env.cluster.submit(back);
        assertThatThrownBy(() -> v1again.awaitAllRunning(Duration.ofMinutes(1)))
                .isInstanceOf(LocalCluster.JobFailedException.class)
                .satisfies(e -> {
                    String why = RestoreDiagnosis.explain(e, inventory, back);
                    System.out.println("rollback to release 1 from a release 2 savepoint:\n" + why);
                    assertThat(why).contains("'" + UID + "'").contains("unknown format version 2");
                });
        v1again.cancel();
    }

    static String key(int k) {
        return String.format("user-%02d", k);
    }

    /** {@code count} heartbeats ("key|position|device", positions firstIndex*1000, ...) for each of the first {@code keys} keys. */
    static void send(GateEnvironment env, String topic, int keys, int firstIndex, int count, String device) throws Exception {
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(dev.heartbeats.generator.LiveProducer.producerProperties(env.stack.kafka.bootstrapServers()))) {
            for (int i = firstIndex; i < firstIndex + count; i++) {
                for (int k = 0; k < keys; k++) {
                    String v = key(k) + "|" + i * 1000 + "|" + device;
                    p.send(new ProducerRecord<>(topic, key(k).getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
                }
            }
            p.flush();
        }
    }

    static JobGraph graph(GateEnvironment env, String topic, String group, Path work, String savepoint) {
        Configuration conf = new Configuration();
        conf.set(StateBackendOptions.STATE_BACKEND, "rocksdb");
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, work.resolve("checkpoints").toUri().toString());
        StreamExecutionEnvironment flink = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        flink.enableCheckpointing(500);
        flink.setParallelism(2);
        KafkaSource<String> source = KafkaSource.<String>builder().setBootstrapServers(env.stack.kafka.bootstrapServers()).setTopics(topic)
                .setGroupId(group).setStartingOffsets(OffsetsInitializer.earliest()).setValueOnlyDeserializer(new SimpleStringSchema())
                .setProperty("commit.offsets.on.checkpoint", "true").build();
        flink.fromSource(source, WatermarkStrategy.noWatermarks(), "tally input").uid("tally-source")
                .keyBy(line -> line.substring(0, line.indexOf('|')), Types.STRING)
                .process(new Tally()).uid(UID)
                .sinkTo(new DiscardingSink<>()).uid("tally-sink");
        var streamGraph = flink.getStreamGraph();
        streamGraph.setJobName("watch tally, release " + WatchTally.Serializer.codeRelease());
        JobGraph g = streamGraph.getJobGraph();
        return JobGraphs.withoutRestarts(JobGraphs.restoring(g, savepoint));
    }

    /** The serializer the savepoint's state "tally" was written with, as the inventory describes it. */
    static String stateSerializer(String savepoint) throws Exception {
        SavepointInventory inv = SavepointInventory.read(Path.of(java.net.URI.create(savepoint)), StateEvolutionIT.class.getClassLoader());
        return inv.byUid(UID).states.stream().filter(s -> s.name.equals("tally")).findFirst().orElseThrow().serializer;
    }

    static Map<String, WatchTally> read(String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        Map<String, WatchTally> out = new HashMap<>();
        try (CloseableIterator<KeyedTally> it = SavepointReader.read(env, savepoint, new EmbeddedRocksDBStateBackend())
                .readKeyedState(OperatorIdentifier.forUid(UID), new Reader(), Types.STRING, Types.POJO(KeyedTally.class)).executeAndCollect()) {
            while (it.hasNext()) {
                KeyedTally k = it.next();
                WatchTally t = new WatchTally();
                t.heartbeats = k.heartbeats;
                t.lastPosition = k.lastPosition;
                t.lastDevice = k.lastDevice;
                out.put(k.key, t);
            }
        }
        return out;
    }

    /** The job: per key, count heartbeats and keep the last position (and, from release 2 on, the device). */
    static final class Tally extends KeyedProcessFunction<String, String, String> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<WatchTally> tally;

        @Override
        public void open(OpenContext ctx) {
            tally = getRuntimeContext().getState(new ValueStateDescriptor<>("tally", WatchTally.TYPE));
        }

        @Override
        public void processElement(String line, Context ctx, Collector<String> out) throws Exception {
            String[] f = line.split("\\|");
            WatchTally t = tally.value();
            if (t == null) t = new WatchTally();
            t.heartbeats++;
            t.lastPosition = Long.parseLong(f[1]);
            if (WatchTally.Serializer.codeRelease() >= 2) t.lastDevice = f[2]; // release 2's code knows the device
            tally.update(t);
        }
    }

    public static final class KeyedTally {
        public String key;
        public long heartbeats;
        public long lastPosition;
        public String lastDevice;

        public KeyedTally() {}
    }

    static final class Reader extends KeyedStateReaderFunction<String, KeyedTally> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<WatchTally> tally;

        @Override
        public void open(OpenContext ctx) {
            tally = getRuntimeContext().getState(new ValueStateDescriptor<>("tally", WatchTally.TYPE));
        }

        @Override
        public void readKey(String key, Context ctx, Collector<KeyedTally> out) throws Exception {
            WatchTally t = tally.value();
            KeyedTally k = new KeyedTally();
            k.key = key;
            k.heartbeats = t.heartbeats;
            k.lastPosition = t.lastPosition;
            k.lastDevice = t.lastDevice;
            out.collect(k);
        }
    }
}
