package dev.heartbeats.savepoints;

import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.adimpressions.AdViewsState;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairStates;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.state.api.OperatorIdentifier;
import org.apache.flink.state.api.SavepointReader;
import org.apache.flink.state.api.functions.KeyedStateReaderFunction;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.flink.util.Collector;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What was still open in a golden savepoint, read with the State Processor API from the keyed state of the job's
 * sessionizing operator: (user, video) pairs with state, their open sessions and segments, and buffered heartbeats
 * (segments, watch-time); (user, video, ad) keys and their ad views that can still change (ad-impressions).
 */
public final class OpenState {
    private OpenState() {}

    /** Counters by name, for the manifest. */
    public static Map<String, Long> read(String job, String savepointPath) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(new Configuration());
        env.setParallelism(1);
        SavepointReader reader = SavepointReader.read(env, savepointPath, new EmbeddedRocksDBStateBackend());
        long[] totals;
        switch (job) {
            case SegmentsJob.NAME:
                totals = sum(reader.readKeyedState(OperatorIdentifier.forUid(SegmentsJob.SESSIONIZE_UID), new Pairs(), Types.STRING, TypeInformation.of(long[].class)));
                return pairs(totals);
            case WatchTimeJob.NAME:
                totals = sum(reader.readKeyedState(OperatorIdentifier.forUid(WatchTimeJob.PAIR_HOURS_UID), new Pairs(), Types.STRING, TypeInformation.of(long[].class)));
                Map<String, Long> m = pairs(totals);
                m.put("hoursHeld", totals[4]);
                return m;
            case AdImpressionsJob.NAME:
                totals = sum(reader.readKeyedState(OperatorIdentifier.forUid(AdImpressionsJob.AD_VIEWS_UID), new AdViews(), Types.STRING, TypeInformation.of(long[].class)));
                Map<String, Long> a = new LinkedHashMap<>();
                a.put("adViewKeys", totals[0]);
                a.put("openAdViews", totals[1]);
                return a;
            default:
                throw new IllegalArgumentException("no open-state reader for job " + job);
        }
    }

    private static Map<String, Long> pairs(long[] t) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("pairs", t[0]);
        m.put("openSessions", t[1]);
        m.put("openSegments", t[2]);
        m.put("bufferedHeartbeats", t[3]);
        return m;
    }

    private static long[] sum(org.apache.flink.streaming.api.datastream.DataStream<long[]> perKey) throws Exception {
        long[] total = null;
        try (CloseableIterator<long[]> it = perKey.executeAndCollect("read open state")) {
            while (it.hasNext()) {
                long[] v = it.next();
                if (total == null) total = new long[v.length];
                for (int i = 0; i < v.length; i++) total[i] += v[i];
            }
        }
        return total == null ? new long[5] : total;
    }

    /** Per pair: 1, open session (started, not ended by stop), open segment, buffered beats, hours held. */
    static final class Pairs extends KeyedStateReaderFunction<String, long[]> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<PairState> state;
        private transient ListState<Beat> buffer;

        @Override
        public void open(OpenContext ctx) {
            state = getRuntimeContext().getState(PairStates.state());
            buffer = getRuntimeContext().getListState(PairStates.buffer());
        }

        @Override
        public void readKey(String key, Context ctx, Collector<long[]> out) throws Exception {
            PairState s = state.value();
            long beats = 0;
            Iterable<Beat> b = buffer.get();
            if (b != null) for (Beat ignored : b) beats++;
            if (s == null) {
                out.collect(new long[] {0, 0, 0, beats, 0});
                return;
            }
            boolean open = s.tail.started && !s.tail.lastWasStop;
            out.collect(new long[] {1, open ? 1 : 0, open && s.tail.hasSegment ? 1 : 0, beats, s.tail.hours.length});
        }
    }

    /** Per (user, video, ad): 1, ad views held. */
    static final class AdViews extends KeyedStateReaderFunction<String, long[]> {
        private static final long serialVersionUID = 1L;
        private transient ValueState<AdViewsState> state;

        @Override
        public void open(OpenContext ctx) {
            state = getRuntimeContext().getState(new ValueStateDescriptor<>("ad-views", TypeInformation.of(AdViewsState.class)));
        }

        @Override
        public void readKey(String key, Context ctx, Collector<long[]> out) throws Exception {
            AdViewsState s = state.value();
            out.collect(new long[] {s == null ? 0 : 1, s == null ? 0 : s.views.length});
        }
    }
}
