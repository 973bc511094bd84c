package dev.heartbeats.adimpressions;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.apache.flink.types.RowKind.DELETE;
import static org.apache.flink.types.RowKind.INSERT;
import static org.apache.flink.types.RowKind.UPDATE_AFTER;
import static org.apache.flink.types.RowKind.UPDATE_BEFORE;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link AdViewsFunction} on its own: the per-view changelog it emits, its state and its timers. */
class AdViewsFunctionTest {
    /** 2026-01-01T10:00:00Z */
    static final long H10 = 1_767_261_600_000L;
    static final long H11 = H10 + 3_600_000L;
    static final ContractParams P = ContractParams.DEFAULTS; // G 30 s, T 2 s, L 10 min
    static final long D = 30_000; // ad duration

    KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Row> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AdViewsFunction(P)), new AdViewKey(), Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    static Heartbeat ad(long time, long adPos) {
        return ad("u1", "a1", time, adPos, D);
    }

    static Heartbeat ad(String user, String adId, long time, long adPos, long duration) {
        return Heartbeat.ad(user, "v1", time, 60_000, adId, adPos, duration);
    }

    void send(Heartbeat... hs) throws Exception {
        for (Heartbeat h : hs) harness.processElement(new StreamRecord<>(h, h.eventTime));
    }

    List<Row> drain() {
        List<Row> out = harness.extractOutputValues();
        harness.getOutput().clear();
        return out;
    }

    /** A view row of u1/v1/a1 with flags impression, q1, mid, q3, complete. */
    static Row view(RowKind kind, long start, int imp, int q1, int mid, int q3, int complete) {
        return Row.ofKind(kind, "u1", "v1", "a1", start, AdView.hourOf(start), (long) imp, (long) q1, (long) mid, (long) q3, (long) complete);
    }

    @Test
    void aViewIsInsertedOnceAndUpdatedOnlyWhenAMilestoneIsReached() throws Exception {
        send(ad(H10, 0));
        assertThat(drain()).containsExactly(view(INSERT, H10, 0, 0, 0, 0, 0));
        send(ad(H10 + 1_000, 1_000));
        assertThat(drain()).isEmpty(); // m = 1000: nothing reached
        send(ad(H10 + 2_000, 2_000));
        assertThat(drain()).containsExactly(view(UPDATE_BEFORE, H10, 0, 0, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 0, 0, 0, 0));
        send(ad(H10 + 7_500, 7_500)); // 4m = d
        assertThat(drain()).containsExactly(view(UPDATE_BEFORE, H10, 1, 0, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 0, 0, 0));
        send(ad(H10 + 15_000, 15_000), ad(H10 + 22_500, 22_500), ad(H10 + 28_000, 28_000));
        assertThat(drain()).containsExactly(
                view(UPDATE_BEFORE, H10, 1, 1, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 1, 0, 0),
                view(UPDATE_BEFORE, H10, 1, 1, 1, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 1, 1, 0),
                view(UPDATE_BEFORE, H10, 1, 1, 1, 1, 0), view(UPDATE_AFTER, H10, 1, 1, 1, 1, 1)); // m + T = d
    }

    @Test
    void duplicatesAndHeartbeatsInsideTheViewChangeNothing() throws Exception {
        send(ad(H10, 0), ad(H10 + 5_000, 5_000));
        drain();
        send(ad(H10 + 5_000, 5_000), ad(H10, 0), ad(H10 + 2_000, 2_000), ad(H10 + 5_000, 5_000));
        assertThat(drain()).isEmpty();
    }

    @Test
    void aGapLongerThanGStartsANewViewAndExactlyGDoesNot() throws Exception {
        send(ad(H10, 0), ad(H10 + P.sessionGapMs, 1_000));
        assertThat(drain()).containsExactly(view(INSERT, H10, 0, 0, 0, 0, 0)); // gap = G: same view
        send(ad(H10 + 2 * P.sessionGapMs + 1, 0));
        assertThat(drain()).containsExactly(view(INSERT, H10 + 2 * P.sessionGapMs + 1, 0, 0, 0, 0, 0));
    }

    @Test
    void aLateHeartbeatThatBridgesTwoViewsRetractsTheLaterOne() throws Exception {
        send(ad(H10, 0), ad(H10 + 10_000, 10_000)); // view 1: m 10 s of 30 s → impression, q1
        send(ad(H10 + 50_000, 28_000)); // view 2 (40 s gap): m 28 s → everything
        assertThat(drain()).containsExactly(view(INSERT, H10, 0, 0, 0, 0, 0),
                view(UPDATE_BEFORE, H10, 0, 0, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 0, 0, 0),
                view(INSERT, H10 + 50_000, 1, 1, 1, 1, 1));
        send(ad(H10 + 30_000, 12_000)); // within G of both
        assertThat(drain()).containsExactly(
                view(UPDATE_BEFORE, H10, 1, 1, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 1, 1, 1),
                view(DELETE, H10 + 50_000, 1, 1, 1, 1, 1));
    }

    @Test
    void aLateFirstHeartbeatMovesTheViewToTheEarlierHour() throws Exception {
        send(ad(H11 + 5_000, 5_000), ad(H11 + 10_000, 10_000));
        assertThat(drain()).endsWith(view(UPDATE_AFTER, H11 + 5_000, 1, 1, 0, 0, 0));
        send(ad(H11 - 10_000, 0));
        assertThat(drain()).containsExactly(view(INSERT, H11 - 10_000, 1, 1, 0, 0, 0), view(DELETE, H11 + 5_000, 1, 1, 0, 0, 0));
    }

    @Test
    void viewsOfOtherAdsAndUsersAreIndependent() throws Exception {
        send(ad("u1", "a1", H10, 0, D), ad("u1", "a2", H10 + 1_000, 2_000, D), ad("u2", "a1", H10 + 2_000, 0, D));
        assertThat(drain()).hasSize(3).allMatch(r -> r.getKind() == INSERT);
    }

    @Test
    void finalViewsAreDroppedAndTheKeyClearedByTheTimer() throws Exception {
        send(ad(H10, 0), ad(H10 + 5_000, 5_000));
        send(ad(H10 + 100_000, 0)); // a second view
        drain();
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        // view 1 can no longer change: last + G < watermark - L
        harness.processWatermark(H10 + 5_000 + P.sessionGapMs + P.allowedLatenessMs + 1);
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        // a heartbeat that would have reached view 1 but is within L of the watermark cannot exist; one for view 2 still merges
        send(ad(H10 + 110_000, 3_000));
        assertThat(drain()).containsExactly(view(UPDATE_BEFORE, H10 + 100_000, 0, 0, 0, 0, 0), view(UPDATE_AFTER, H10 + 100_000, 1, 0, 0, 0, 0));

        harness.processWatermark(H10 + 110_000 + P.sessionGapMs + P.allowedLatenessMs + 1);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(drain()).isEmpty(); // dropping a view retracts nothing: its row stays counted
    }

    @Test
    void anEarlierSeparateViewMovesTheOneTimerForward() throws Exception {
        send(ad(H10 + 100_000, 0));
        send(ad(H10, 0)); // late, 100 s before: a view of its own
        assertThat(drain()).containsExactly(view(INSERT, H10 + 100_000, 0, 0, 0, 0, 0), view(INSERT, H10, 0, 0, 0, 0, 0));
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        harness.processWatermark(H10 + P.sessionGapMs + P.allowedLatenessMs + 1); // the earlier view is final
        assertThat(harness.numKeyedStateEntries()).isEqualTo(1);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        harness.processWatermark(H10 + 100_000 + P.sessionGapMs + P.allowedLatenessMs + 1);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }

    @Test
    void aHeartbeatMoreThanLBehindTheWatermarkGoesToTheLateOutput() throws Exception {
        harness.processWatermark(H11);
        send(ad(H11 - P.allowedLatenessMs, 0)); // exactly L behind: still counts
        assertThat(drain()).hasSize(1);
        send(ad(H11 - P.allowedLatenessMs - 1, 0));
        assertThat(drain()).isEmpty();
        assertThat(harness.getSideOutput(AdViewsFunction.BEHIND_WATERMARK)).hasSize(1);
    }

    @Test
    void stateSurvivesASnapshotAndRestore() throws Exception {
        send(ad(H10, 0), ad(H10 + 5_000, 5_000));
        drain();
        var snapshot = harness.snapshot(1, 1);
        harness.close();
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new AdViewsFunction(P)), new AdViewKey(), Types.STRING);
        harness.initializeState(snapshot);
        harness.open();
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        send(ad(H10 + 5_000, 5_000)); // a replayed duplicate
        assertThat(drain()).isEmpty();
        send(ad(H10 + 8_000, 8_000));
        assertThat(drain()).containsExactly(view(UPDATE_BEFORE, H10, 1, 0, 0, 0, 0), view(UPDATE_AFTER, H10, 1, 1, 0, 0, 0));
    }
}
