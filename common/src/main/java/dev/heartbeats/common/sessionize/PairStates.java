package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;

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
}
