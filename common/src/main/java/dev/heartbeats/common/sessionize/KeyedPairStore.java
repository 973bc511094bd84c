package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ValueState;

import java.util.List;

/** The pair's state in Flink's keyed state ({@link PairStates}), for the current key: every access goes to RocksDB. */
public final class KeyedPairStore implements PairStore {
    private final ValueState<PairState> state;
    private final ListState<Beat> buffer;

    public KeyedPairStore(ValueState<PairState> state, ListState<Beat> buffer) {
        this.state = state;
        this.buffer = buffer;
    }

    @Override
    public PairState state() throws Exception {
        return state.value();
    }

    @Override
    public List<Beat> buffer() throws Exception {
        return PairStates.read(buffer);
    }

    @Override
    public RecentBeats recent() {
        return null;
    }

    @Override
    public void append(Beat b, boolean outOfOrder) throws Exception {
        buffer.add(b);
    }

    @Override
    public void replaceBuffer(List<Beat> beats) throws Exception {
        buffer.update(beats);
    }

    @Override
    public void update(PairState st) throws Exception {
        state.update(st);
    }

    @Override
    public void clear() {
        state.clear();
        buffer.clear();
    }
}
