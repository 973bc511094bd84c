package dev.heartbeats.common.sessionize;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.heartbeats.common.contract.EventType.AD;
import static dev.heartbeats.common.contract.EventType.PAUSE;
import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;

class BeatTest {
    static final String SMILE = "\uD83D\uDE00"; // U+1F600, UTF-16 D83D DE00
    static final String MAX_BMP = "\uFFFF"; // U+FFFF

    static Beat b(long t, long pos, EventType e, String device) {
        return new Beat(t, pos, e, device);
    }

    static Beat ad(long t) {
        return new Beat(t, 0, AD, null);
    }

    @Test
    void devicesCompareByCodePointsNotUtf16Units() {
        // UTF-16 units: D83D < FFFF, so String.compareTo says the emoji is smaller; by code points U+1F600 > U+FFFF.
        assertThat(SMILE.compareTo(MAX_BMP)).isNegative();
        assertThat(Beat.compareDevices(SMILE, MAX_BMP)).isPositive();
        assertThat(Beat.compareDevices(MAX_BMP, SMILE)).isNegative();
        assertThat(Beat.compareDevices("a" + SMILE, "a" + MAX_BMP)).isPositive();
        assertThat(Beat.compareDevices("\uE000", SMILE)).isNegative();
        assertThat(Beat.compareDevices(SMILE, SMILE)).isZero();
        assertThat(Beat.compareDevices(SMILE, "\uD83D\uDE01")).isNegative();
    }

    @Test
    void absentDeviceIsLeastAndPrefixesAreSmaller() {
        assertThat(Beat.compareDevices(null, null)).isZero();
        assertThat(Beat.compareDevices(null, "")).isNegative();
        assertThat(Beat.compareDevices("", null)).isPositive();
        assertThat(Beat.compareDevices("", "a")).isNegative();
        assertThat(Beat.compareDevices("ab", "a")).isPositive();
        assertThat(Beat.compareDevices("a", "ab")).isNegative();
        assertThat(Beat.compareDevices("b", "ab")).isPositive();
        assertThat(Beat.compareDevices(SMILE, SMILE + "a")).isNegative();
    }

    @Test
    void winsByPositionThenEventThenDevice() {
        assertThat(Beat.wins(b(1, 10, PLAY, null), b(1, 9, STOP, "z"))).isTrue();
        assertThat(Beat.wins(b(1, 9, STOP, "z"), b(1, 10, PLAY, null))).isFalse();
        assertThat(Beat.wins(b(1, 10, PAUSE, null), b(1, 10, PLAY, "z"))).isTrue();
        assertThat(Beat.wins(b(1, 10, SEEK, null), b(1, 10, PAUSE, "z"))).isTrue();
        assertThat(Beat.wins(b(1, 10, STOP, null), b(1, 10, SEEK, "z"))).isTrue();
        assertThat(Beat.wins(b(1, 10, PLAY, SMILE), b(1, 10, PLAY, MAX_BMP))).isTrue();
        assertThat(Beat.wins(b(1, 10, PLAY, MAX_BMP), b(1, 10, PLAY, SMILE))).isFalse();
        assertThat(Beat.wins(b(1, 10, PLAY, ""), b(1, 10, PLAY, null))).isTrue();
        assertThat(Beat.wins(b(1, 10, PLAY, null), b(1, 10, PLAY, null))).as("an identical beat does not win").isFalse();
    }

    @Test
    void orderIsTimeThenContentBeforeAd() {
        assertThat(Beat.compareOrder(b(1, 0, PLAY, null), b(2, 0, PLAY, null))).isNegative();
        assertThat(Beat.compareOrder(ad(1), b(2, 0, PLAY, null))).isNegative();
        assertThat(Beat.compareOrder(b(2, 0, STOP, null), ad(2))).isNegative();
        assertThat(Beat.compareOrder(ad(2), b(2, 0, PLAY, null))).isPositive();
        assertThat(Beat.compareOrder(ad(2), ad(2))).isZero();
    }

    @Test
    void sortedDistinctKeepsTheWinnerPerTimeAndOneAdMarker() {
        List<Beat> in = List.of(ad(5), b(5, 10, PLAY, "a"), b(3, 1, PLAY, null), b(5, 10, PLAY, SMILE), b(5, 10, PLAY, MAX_BMP),
                b(5, 9, STOP, "zzz"), ad(5), ad(4), b(3, 1, PLAY, null));
        List<Beat> out = Beat.sortedDistinct(in);
        assertThat(out).extracting(Beat::toString).containsExactly("play@3:1", "ad@4", "play@5:10/" + SMILE, "ad@5");
        // The same whatever the input order.
        Random r = new Random(1);
        for (int i = 0; i < 50; i++) {
            List<Beat> shuffled = new ArrayList<>(in);
            Collections.shuffle(shuffled, r);
            assertThat(Beat.sortedDistinct(shuffled)).extracting(Beat::toString).containsExactly("play@3:1", "ad@4", "play@5:10/" + SMILE, "ad@5");
        }
        assertThat(Beat.sortedDistinct(List.of())).isEmpty();
    }

    @Test
    void sortedDistinctTieBreaksByEventOrder() {
        List<Beat> out = Beat.sortedDistinct(List.of(b(1, 5, STOP, null), b(1, 5, PLAY, "z"), b(1, 5, SEEK, "y"), b(1, 5, PAUSE, "x")));
        assertThat(out).hasSize(1);
        assertThat(out.get(0).eventType()).isEqualTo(STOP);
    }

    @Test
    void ofHeartbeat() {
        Beat c = Beat.of(Heartbeat.content("u", "v", 7, 8, SEEK, "d"));
        assertThat(c.time).isEqualTo(7);
        assertThat(c.pos).isEqualTo(8);
        assertThat(c.eventType()).isEqualTo(SEEK);
        assertThat(c.device).isEqualTo("d");
        assertThat(c.isAd()).isFalse();
        Beat a = Beat.of(Heartbeat.ad("u", "v", 9, 100, "ad", 5, 10));
        assertThat(a.isAd()).isTrue();
        assertThat(a.time).isEqualTo(9);
        assertThat(a.device).isNull();
    }
}
