package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;

import java.util.ArrayList;
import java.util.List;

/**
 * The keyed state of a (user, video) timeline, as every job that runs {@link PairTimeline} stores it. The names are
 * part of the savepoint format, like the operator uids: never rename them.
 */
public final class PairStates {
    public static final String STATE_NAME = "pair";
    public static final String BUFFER_NAME = "recent-beats";

    private PairStates() {}

    public static ValueStateDescriptor<PairState> state() {
        return new ValueStateDescriptor<>(STATE_NAME, TypeInformation.of(PairState.class));
    }

    public static ListStateDescriptor<Beat> buffer() {
        return new ListStateDescriptor<>(BUFFER_NAME, TypeInformation.of(Beat.class));
    }

    /** The current key's buffered beats as {@link PairTimeline} takes them: sorted and distinct. */
    public static List<Beat> read(ListState<Beat> buffer) throws Exception {
        Iterable<Beat> stored = buffer.get();
        if (stored == null) return new ArrayList<>();
        if (stored instanceof List<Beat> list) return Beat.sortedDistinct(list); // RocksDB's list; sortedDistinct copies it
        List<Beat> all = new ArrayList<>();
        for (Beat b : stored) all.add(b);
        return Beat.sortedDistinct(all);
    }
}
