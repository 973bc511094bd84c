package dev.heartbeats.watchtime;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.pipeline.PairKey;
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

import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.apache.flink.types.RowKind.INSERT;
import static org.apache.flink.types.RowKind.UPDATE_AFTER;
import static org.apache.flink.types.RowKind.UPDATE_BEFORE;
import static org.assertj.core.api.Assertions.assertThat;

/** {@link PairHoursFunction} on its own: the changelog it emits, its state and its timers. */
class PairHoursFunctionTest {
    /** 2026-01-01T10:00:00Z */
    static final long H10 = 1_767_261_600_000L;
    static final long H11 = H10 + 3_600_000L;
    static final ContractParams P = ContractParams.DEFAULTS; // G 30 s, R 2, T 2 s, L 10 min, M 12 h

    KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Row> harness;

    @BeforeEach
    void open() throws Exception {
        harness = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(new PairHoursFunction(P)), new PairKey(), Types.STRING);
        harness.open();
    }

    @AfterEach
    void close() throws Exception {
        harness.close();
    }

    static Heartbeat hb(String user, long time, long pos, EventType event) {
        return Heartbeat.content(user, "v1", time, pos, event, null);
    }

    void send(Heartbeat... hs) throws Exception {
        for (Heartbeat h : hs) harness.processElement(new StreamRecord<>(h, h.eventTime));
    }

    List<Row> drain() {
        List<Row> out = harness.extractOutputValues();
        harness.getOutput().clear();
        return out;
    }

    static Row row(RowKind kind, String user, long hour, long watched) {
        return Row.ofKind(kind, "v1", user, hour, watched);
    }

    @Test
    void firstHeartbeatInsertsTheHourAndEachContinuingPairUpdatesIt() throws Exception {
        send(hb("u1", H10 + 1_000, 0, PLAY));
        assertThat(drain()).containsExactly(row(INSERT, "u1", H10, 0));
        send(hb("u1", H10 + 6_000, 5_000, PLAY));
        assertThat(drain()).containsExactly(row(UPDATE_BEFORE, "u1", H10, 0), row(UPDATE_AFTER, "u1", H10, 5_000));
        // a seek starts a new segment: no watched time, no change
        send(hb("u1", H10 + 11_000, 90_000, SEEK));
        assertThat(drain()).isEmpty();
        send(hb("u1", H10 + 16_000, 95_000, PLAY));
        assertThat(drain()).containsExactly(row(UPDATE_BEFORE, "u1", H10, 5_000), row(UPDATE_AFTER, "u1", H10, 10_000));
    }

    @Test
    void aSessionAcrossAnHourBoundaryAttributesEachPairToTheHourOfItsSecondHeartbeat() throws Exception {
        send(hb("u1", H11 - 10_000, 0, PLAY), hb("u1", H11 - 5_000, 5_000, PLAY),
                hb("u1", H11, 10_000, PLAY), hb("u1", H11 + 5_000, 15_000, PLAY));
        assertThat(drain()).containsExactly(
                row(INSERT, "u1", H10, 0),
                row(UPDATE_BEFORE, "u1", H10, 0), row(UPDATE_AFTER, "u1", H10, 5_000),
                row(INSERT, "u1", H11, 5_000),
                row(UPDATE_BEFORE, "u1", H11, 5_000), row(UPDATE_AFTER, "u1", H11, 10_000));
    }

    @Test
    void aLateHeartbeatCorrectsAnHourAlreadyEmittedAndDuplicatesChangeNothing() throws Exception {
        // two sessions (45 s apart > G): 5 s watched
        send(hb("u1", H10, 0, PLAY), hb("u1", H10 + 5_000, 5_000, PLAY), hb("u1", H10 + 50_000, 50_000, PLAY));
        drain();
        harness.processWatermark(H10 + 50_000);
        // a late heartbeat bridges them: 0→5→25→50 s all continue
        send(hb("u1", H10 + 25_000, 25_000, PLAY));
        assertThat(drain()).containsExactly(row(UPDATE_BEFORE, "u1", H10, 5_000), row(UPDATE_AFTER, "u1", H10, 50_000));
        send(hb("u1", H10 + 25_000, 25_000, PLAY), hb("u1", H10 + 5_000, 5_000, PLAY));
        assertThat(drain()).isEmpty();
    }

    @Test
    void aLateSeekBreaksAContinuingPairAndLowersTheHour() throws Exception {
        send(hb("u1", H10, 0, PLAY), hb("u1", H10 + 10_000, 10_000, PLAY));
        assertThat(drain()).endsWith(row(UPDATE_AFTER, "u1", H10, 10_000));
        // a seek at 5 s (to 4 s): 0→seek does not continue, seek→10 s does (6 s)
        send(hb("u1", H10 + 5_000, 4_000, SEEK));
        assertThat(drain()).containsExactly(row(UPDATE_BEFORE, "u1", H10, 10_000), row(UPDATE_AFTER, "u1", H10, 6_000));
    }

    @Test
    void adHeartbeatsKeepTheSessionOpenButEmitNothing() throws Exception {
        send(hb("u1", H10, 0, PLAY));
        drain();
        Heartbeat ad = Heartbeat.ad("u1", "v1", H10 + 20_000, 0, "ad1", 1_000, 15_000);
        send(ad);
        assertThat(drain()).isEmpty();
        // 40 s after the play but 20 s after the ad: same session, and 0→40 s is within the rate (40 s · 2 + 2 s)
        send(hb("u1", H10 + 40_000, 40_000, PLAY));
        assertThat(drain()).containsExactly(row(UPDATE_BEFORE, "u1", H10, 0), row(UPDATE_AFTER, "u1", H10, 40_000));
    }

    @Test
    void usersAreKeptApartAndEachHasItsRow() throws Exception {
        send(hb("u1", H10, 0, PLAY), hb("u2", H10 + 1, 0, PLAY));
        assertThat(drain()).containsExactly(row(INSERT, "u1", H10, 0), row(INSERT, "u2", H10, 0));
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
    }

    @Test
    void stateAndTimersAreGoneOnceTheHourAndTheSessionCanNoLongerChange() throws Exception {
        send(hb("u1", H10 + 1_000, 0, PLAY), hb("u1", H10 + 6_000, 5_000, STOP));
        drain();
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);

        // still within L of the hour's end: the hour may still change, the pair stays
        harness.processWatermark(H11 + P.allowedLatenessMs - 1);
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);

        harness.processWatermark(H11 + P.allowedLatenessMs + P.sessionGapMs + 1);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
        assertThat(drain()).isEmpty(); // maintenance never emits
    }

    @Test
    void aHeartbeatBehindWhatWasFinalisedGoesToTheLateOutput() throws Exception {
        send(hb("u1", H10, 0, PLAY), hb("u1", H10 + 5_000, 5_000, PLAY));
        drain();
        // the maintenance timer (last beat + G + L + 1) freezes both beats: the frontier moves to watermark - L
        harness.processWatermark(H10 + 5_000 + P.sessionGapMs + P.allowedLatenessMs + 1);
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0); // the hour H10 can still change
        send(hb("u1", H10 + 2_000, 2_000, PLAY));
        assertThat(drain()).isEmpty();
        assertThat(harness.getSideOutput(PairHoursFunction.BEHIND_FRONTIER)).hasSize(1);
    }

    @Test
    void aPairWhoseSessionEndedWaitsForItsHourWithOneTimerAheadOfTheWatermark() throws Exception {
        send(hb("u1", H10, 0, PLAY), hb("u1", H10 + 5_000, 5_000, PLAY));
        long sessionOver = H10 + 5_000 + P.sessionGapMs + P.allowedLatenessMs + 1;
        harness.processWatermark(sessionOver);
        assertThat(harness.numKeyedStateEntries()).isGreaterThan(0);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        // each further watermark finds the one timer still ahead (no loop, no timer per watermark)
        for (long w = sessionOver + 200; w < sessionOver + 10_000; w += 200) harness.processWatermark(w);
        assertThat(harness.numEventTimeTimers()).isEqualTo(1);
        harness.processWatermark(H11 + P.allowedLatenessMs);
        assertThat(harness.numKeyedStateEntries()).isZero();
        assertThat(harness.numEventTimeTimers()).isZero();
    }
}
