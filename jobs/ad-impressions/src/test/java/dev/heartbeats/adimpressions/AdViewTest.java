package dev.heartbeats.adimpressions;

import org.junit.jupiter.api.Test;

import static dev.heartbeats.adimpressions.AdView.COMPLETE;
import static dev.heartbeats.adimpressions.AdView.FIRST_QUARTILE;
import static dev.heartbeats.adimpressions.AdView.IMPRESSION;
import static dev.heartbeats.adimpressions.AdView.MIDPOINT;
import static dev.heartbeats.adimpressions.AdView.THIRD_QUARTILE;
import static org.assertj.core.api.Assertions.assertThat;

/** The contract's milestones exactly at their boundaries. */
class AdViewTest {
    static final long T = 2_000;

    static boolean has(long m, long d, int flag) {
        return (AdView.flags(m, d, T) & flag) != 0;
    }

    @Test
    void impressionFrom2000ms() {
        assertThat(has(1_999, 100_000, IMPRESSION)).isFalse();
        assertThat(has(2_000, 100_000, IMPRESSION)).isTrue();
    }

    @Test
    void quartilesAtExactlyTheirFraction() {
        assertThat(has(7_499, 30_000, FIRST_QUARTILE)).isFalse();
        assertThat(has(7_500, 30_000, FIRST_QUARTILE)).isTrue(); // 4m = d
        assertThat(has(14_999, 30_000, MIDPOINT)).isFalse();
        assertThat(has(15_000, 30_000, MIDPOINT)).isTrue(); // 2m = d
        assertThat(has(22_499, 30_000, THIRD_QUARTILE)).isFalse();
        assertThat(has(22_500, 30_000, THIRD_QUARTILE)).isTrue(); // 4m = 3d
        // odd durations: 4m = 3d has no integer solution for d = 10 001: m = 7 501 is the first (30 004 ≥ 30 003)
        assertThat(has(7_500, 10_001, THIRD_QUARTILE)).isFalse();
        assertThat(has(7_501, 10_001, THIRD_QUARTILE)).isTrue();
    }

    @Test
    void completeWithinTheTolerance() {
        assertThat(has(27_999, 30_000, COMPLETE)).isFalse();
        assertThat(has(28_000, 30_000, COMPLETE)).isTrue(); // m + T = d
        assertThat(has(1_000, 1_500, COMPLETE)).isTrue(); // short ad: complete without being an impression
        assertThat(has(1_000, 1_500, IMPRESSION)).isFalse();
    }

    @Test
    void milestonesAreExactForHugeValues() {
        long big = Long.MAX_VALUE / 2;
        assertThat(has(big, Long.MAX_VALUE, MIDPOINT)).isFalse(); // 2·big = MAX - 1 < MAX
        assertThat(has(big + 1, Long.MAX_VALUE, MIDPOINT)).isTrue();
        assertThat(has(Long.MAX_VALUE, Long.MAX_VALUE, THIRD_QUARTILE | COMPLETE)).isTrue();
        assertThat(AdView.flags(Long.MAX_VALUE, 1, T)).isEqualTo(IMPRESSION | FIRST_QUARTILE | MIDPOINT | THIRD_QUARTILE | COMPLETE);
        assertThat(AdView.flags(0, Long.MAX_VALUE, Long.MAX_VALUE)).isEqualTo(COMPLETE); // m + T ≥ d, no overflow
    }
}
