package dev.heartbeats.bench.jmh;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.Segment;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The per-heartbeat state update of the segments job without RocksDB itself: read the pair's {@link PairState} from
 * its serialized bytes, {@link PairTimeline#appendInOrder}, write the state back, and serialize the {@link Beat}
 * appended to the buffer list, with the serializers Flink picks for the state descriptors the job declares
 * ({@code TypeInformation.of(PairState.class)} and {@code TypeInformation.of(Beat.class)}). 4096 pairs, each beat
 * 5 s after the pair's previous one, as in steady playback.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class StateUpdateBenchmark {
    static final int PAIRS = 4096;
    static final long T0 = 1_767_261_600_000L;

    /**
     * compact: the serializers the job uses ({@code TypeInformation.of(...)}, i.e. the {@code @TypeInfo} ones);
     * pojo: Flink's reflective POJO serializers, which the state used before (for the before/after comparison).
     */
    @Param({"compact", "pojo"})
    public String serializer;

    private TypeSerializer<PairState> stateSerializer;
    private TypeSerializer<Beat> beatSerializer;
    private final PairTimeline timeline = new PairTimeline(ContractParams.DEFAULTS, false);
    private final DataOutputSerializer out = new DataOutputSerializer(512);
    private final DataInputDeserializer in = new DataInputDeserializer();
    private final byte[][] states = new byte[PAIRS][];
    private final long[] times = new long[PAIRS];
    private final long[] positions = new long[PAIRS];
    private int next;
    private Blackhole bh;

    private final PairTimeline.Listener listener = new PairTimeline.Listener() {
        @Override
        public void segmentUpserted(Segment segment) {
            bh.consume(segment);
        }

        @Override
        public void segmentDeleted(long segmentStart) {}

        @Override
        public void progressChanged(PairFold tail) {
            bh.consume(tail.progPos);
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {}
    };

    @Setup
    public void setup() throws IOException {
        if ("pojo".equals(serializer)) {
            stateSerializer = pojoStateInfo().createSerializer(new SerializerConfigImpl());
            beatSerializer = pojoBeatInfo().createSerializer(new SerializerConfigImpl());
        } else {
            stateSerializer = TypeInformation.of(PairState.class).createSerializer(new SerializerConfigImpl());
            beatSerializer = TypeInformation.of(Beat.class).createSerializer(new SerializerConfigImpl());
        }
        for (int i = 0; i < PAIRS; i++) {
            PairState st = new PairState();
            times[i] = T0 + i * 1_000L;
            // Some history: a session a minute old, with a frozen part, as a pair has in steady playback.
            for (int k = 0; k < 12; k++) {
                Beat b = new Beat(times[i], positions[i], EventType.PLAY, "d-u" + i + "-1");
                timeline.appendInOrder(st, b, PairTimeline_NOOP);
                times[i] += 5_000;
                positions[i] += 5_000;
            }
            st.frozen = st.tail.copy();
            out.clear();
            stateSerializer.serialize(st, out);
            states[i] = out.getCopyOfBuffer();
        }
    }

    private static final PairTimeline.Listener PairTimeline_NOOP = new PairTimeline.Listener() {
        @Override public void segmentUpserted(Segment segment) {}
        @Override public void segmentDeleted(long segmentStart) {}
        @Override public void progressChanged(PairFold tail) {}
        @Override public void hourChanged(long hour, long previousWatched, long watched) {}
    };

    /** Deserialize state, fold one in-order beat, serialize state and the appended beat. */
    @Benchmark
    public void appendInOrderWithSerialization(Blackhole bh) throws IOException {
        this.bh = bh;
        int i = next;
        next = (next + 1) & (PAIRS - 1);
        in.setBuffer(states[i]);
        PairState st = stateSerializer.deserialize(in);
        Beat b = new Beat(times[i], positions[i], EventType.PLAY, "d-u" + (i & 7) + "-1");
        times[i] += 5_000;
        positions[i] += 5_000;
        if (PairTimeline.isInOrder(st, b)) timeline.appendInOrder(st, b, listener);
        out.clear();
        stateSerializer.serialize(st, out);
        states[i] = out.getCopyOfBuffer();
        out.clear();
        beatSerializer.serialize(b, out);
        bh.consume(out.length());
    }

    /** The fold step alone, on a state object kept in memory (what a heap state backend would pay). */
    @Benchmark
    public void appendInOrderOnly(Blackhole bh) {
        this.bh = bh;
        int i = next;
        next = (next + 1) & (PAIRS - 1);
        PairState st = heap[i];
        Beat b = new Beat(times[i], positions[i], EventType.PLAY, "d");
        times[i] += 5_000;
        positions[i] += 5_000;
        timeline.appendInOrder(st, b, listener);
    }

    private final PairState[] heap = new PairState[PAIRS];

    @Setup
    public void setupHeap() {
        for (int i = 0; i < PAIRS; i++) heap[i] = new PairState();
    }

    /** Flink's POJO type of PairState (bypassing its {@code @TypeInfo}): what the state was stored with before. */
    static TypeInformation<PairState> pojoStateInfo() {
        Map<String, TypeInformation<?>> fold = new LinkedHashMap<>();
        for (String f : new String[] {"started", "lastWasStop", "lastWasAd", "hasSegment", "hasProgress"}) fold.put(f, Types.BOOLEAN);
        for (String f : new String[] {"lastTime", "sessionStart", "segStart", "segStartPos", "segEnd", "segEndPos", "segSessionStart", "progTime", "progPos"}) {
            fold.put(f, Types.LONG);
        }
        fold.put("segBeats", Types.INT);
        fold.put("progDevice", Types.STRING);
        fold.put("hours", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);
        fold.put("watched", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);
        TypeInformation<PairFold> foldInfo = Types.POJO(PairFold.class, fold);
        Map<String, TypeInformation<?>> st = new LinkedHashMap<>();
        st.put("frozen", foldInfo);
        st.put("tail", foldInfo);
        for (String f : new String[] {"frontier", "bufferFirst", "timerTime"}) st.put(f, Types.LONG);
        st.put("legacyProgressPending", Types.BOOLEAN);
        return Types.POJO(PairState.class, st);
    }

    static TypeInformation<Beat> pojoBeatInfo() {
        Map<String, TypeInformation<?>> f = new LinkedHashMap<>();
        f.put("time", Types.LONG);
        f.put("pos", Types.LONG);
        f.put("event", Types.BYTE);
        f.put("device", Types.STRING);
        return Types.POJO(Beat.class, f);
    }

    /** Serialized sizes with both serializers, printed once (not a benchmark). */
    public static void main(String[] args) throws IOException {
        for (String s : new String[] {"pojo", "compact"}) {
            StateUpdateBenchmark b = new StateUpdateBenchmark();
            b.serializer = s;
            b.setup();
            DataOutputSerializer o = new DataOutputSerializer(64);
            b.beatSerializer.serialize(new Beat(T0, 123_000, EventType.PLAY, "d-u000001-1"), o);
            System.out.println(s + ": PairState " + b.states[0].length + " bytes, Beat " + o.length() + " bytes");
        }
    }
}
