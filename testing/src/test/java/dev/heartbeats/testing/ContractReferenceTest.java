package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static dev.heartbeats.common.contract.EventType.PAUSE;
import static dev.heartbeats.common.contract.EventType.PLAY;
import static dev.heartbeats.common.contract.EventType.SEEK;
import static dev.heartbeats.common.contract.EventType.STOP;
import static org.assertj.core.api.Assertions.assertThat;

/** Hand-computed examples of every rule of contract section 3, checked against {@link ContractReference}. */
class ContractReferenceTest {
    static final ContractParams P = ContractParams.DEFAULTS; // G=30s R=2 T=2000 L=10min M=12h
    static final long H = 3_600_000L;
    /** 2023-11-14T22:00:00Z, the start of an hour. */
    static final long T0 = 1_700_000_000_000L / H * H;

    static Heartbeat hb(long t, long pos) {
        return hb("u", "v", t, pos, PLAY, null);
    }

    static Heartbeat hb(long t, long pos, EventType e) {
        return hb("u", "v", t, pos, e, null);
    }

    static Heartbeat hb(String user, String video, long t, long pos, EventType e, String device) {
        return Heartbeat.content(user, video, t, pos, e, device);
    }

    static Heartbeat ad(long t, String adId, long adPos, long adDur) {
        return Heartbeat.ad("u", "v", t, 0, adId, adPos, adDur);
    }

    static WatchSegment seg(long start, long session, long end, long startPos, long endPos, long n) {
        return seg("u", "v", start, session, end, startPos, endPos, n);
    }

    static WatchSegment seg(String u, String v, long start, long session, long end, long startPos, long endPos, long n) {
        WatchSegment w = WatchSegment.key(u, v, start);
        w.sessionStart = session;
        w.segmentEnd = end;
        w.startPosMs = startPos;
        w.endPosMs = endPos;
        w.heartbeats = n;
        return w;
    }

    static ContractReference.Expected compute(Heartbeat... hs) {
        return ContractReference.compute(List.of(hs), P, Map.of());
    }

    @Test
    void oneSessionOneSegment() {
        var e = compute(hb(T0, 0), hb(T0 + 5_000, 5_000), hb(T0 + 10_000, 10_000));
        assertThat(e.watchSegments).containsExactly(seg(T0, T0, T0 + 10_000, 0, 10_000, 3));
        assertThat(e.videoProgress).containsExactly(VideoProgress.of("u", "v", 10_000, T0 + 10_000, null));
        assertThat(e.contentWatchHourly).containsExactly(ContentWatchHourly.of("v", T0, null, 10_000, 1));
        assertThat(e.adImpressionsHourly).isEmpty();
    }

    @Test
    void aGapOfExactlyGKeepsTheSessionOneMoreSplitsIt() {
        var same = compute(hb(T0, 0), hb(T0 + 30_000, 1_000));
        assertThat(same.watchSegments).containsExactly(seg(T0, T0, T0 + 30_000, 0, 1_000, 2));
        var split = compute(hb(T0, 0), hb(T0 + 30_001, 1_000));
        assertThat(split.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0, 0, 0, 1), seg(T0 + 30_001, T0 + 30_001, T0 + 30_001, 1_000, 1_000, 1));
        assertThat(split.contentWatchHourly).containsExactly(ContentWatchHourly.of("v", T0, null, 0, 1));
    }

    @Test
    void stopEndsTheSessionAtOnce() {
        var e = compute(hb(T0, 0), hb(T0 + 5_000, 5_000, STOP), hb(T0 + 6_000, 5_000));
        assertThat(e.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0 + 5_000, 0, 5_000, 2), seg(T0 + 6_000, T0 + 6_000, T0 + 6_000, 5_000, 5_000, 1));
        assertThat(e.videoProgress).containsExactly(VideoProgress.of("u", "v", 5_000, T0 + 6_000, null));
    }

    @Test
    void maxSessionLengthCapsTheSession() {
        ContractParams p = new ContractParams(30_000, 2.0, 2_000, 600_000, 20_000); // M = 20 s
        List<Heartbeat> hs = List.of(hb(T0, 0), hb(T0 + 10_000, 10_000), hb(T0 + 20_000, 20_000), hb(T0 + 20_001, 20_001), hb(T0 + 30_000, 30_000));
        var e = ContractReference.compute(hs, p, Map.of());
        // b - s > M: 20_000 - 0 is not > 20_000; 20_001 - 0 is: a new session starts at +20_001.
        assertThat(e.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0 + 20_000, 0, 20_000, 3),
                seg(T0 + 20_001, T0 + 20_001, T0 + 30_000, 20_001, 30_000, 2));
        assertThat(e.contentWatchHourly).containsExactly(ContentWatchHourly.of("v", T0, null, 20_000 + 9_999, 1));
    }

    @Test
    void seekStartsANewSegmentInTheSameSession() {
        var e = compute(hb(T0, 0), hb(T0 + 5_000, 5_000), hb(T0 + 6_000, 60_000, SEEK), hb(T0 + 11_000, 65_000));
        assertThat(e.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0 + 5_000, 0, 5_000, 2), seg(T0 + 6_000, T0, T0 + 11_000, 60_000, 65_000, 2));
        assertThat(e.contentWatchHourly).containsExactly(ContentWatchHourly.of("v", T0, null, 10_000, 1));
        // A seek that does not move the position still starts a new segment.
        var still = compute(hb(T0, 0), hb(T0 + 5_000, 5_000, SEEK));
        assertThat(still.watchSegments).hasSize(2);
    }

    @Test
    void rateLimitIsInclusiveAndPositionsMustNotGoBack() {
        // dt = 5000: limit 5000 * 2 + 2000 = 12000
        assertThat(compute(hb(T0, 1_000), hb(T0 + 5_000, 13_000)).watchSegments).hasSize(1);
        assertThat(compute(hb(T0, 1_000), hb(T0 + 5_000, 13_001)).watchSegments).hasSize(2);
        assertThat(compute(hb(T0, 1_000), hb(T0 + 5_000, 1_000)).watchSegments).hasSize(1); // Δpos = 0 continues (pause)
        assertThat(compute(hb(T0, 1_000), hb(T0 + 5_000, 999)).watchSegments).hasSize(2); // back
        // Pause events continue a segment like play does.
        assertThat(compute(hb(T0, 1_000), hb(T0 + 5_000, 1_000, PAUSE), hb(T0 + 10_000, 1_000, PAUSE)).watchSegments)
                .containsExactly(seg(T0, T0, T0 + 10_000, 1_000, 1_000, 3));
        // Fractional limits: R = 1.5, T = 0, dt = 3 -> 4.5: Δpos 4 continues, 5 does not.
        ContractParams p = new ContractParams(30_000, 1.5, 0, 600_000, 43_200_000);
        assertThat(ContractReference.compute(List.of(hb(T0, 0), hb(T0 + 3, 4)), p, Map.of()).watchSegments).hasSize(1);
        assertThat(ContractReference.compute(List.of(hb(T0, 0), hb(T0 + 3, 5)), p, Map.of()).watchSegments).hasSize(2);
    }

    @Test
    void contentDuplicatesPerTimeKeepLargestPositionThenLastEventThenGreatestDevice() {
        // Largest position wins over event and device.
        var e = compute(hb("u", "v", T0, 100, STOP, "z"), hb("u", "v", T0, 200, PLAY, null));
        assertThat(e.videoProgress).containsExactly(VideoProgress.of("u", "v", 200, T0, null));
        assertThat(e.watchSegments).containsExactly(seg(T0, T0, T0, 200, 200, 1));
        // Same position: stop > seek > pause > play.
        e = compute(hb("u", "v", T0, 100, PLAY, "z"), hb("u", "v", T0, 100, STOP, "a"), hb("u", "v", T0, 100, SEEK, "b"), hb("u", "v", T0 + 1_000, 100, PLAY, null));
        // The stop won, so the heartbeat one second later starts a new session.
        assertThat(e.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0, 100, 100, 1), seg(T0 + 1_000, T0 + 1_000, T0 + 1_000, 100, 100, 1));
        // Same position and event: greatest device by code points; absent is least; "" beats absent.
        e = compute(hb("u", "v", T0, 100, PLAY, null), hb("u", "v", T0, 100, PLAY, ""));
        assertThat(e.videoProgress).containsExactly(VideoProgress.of("u", "v", 100, T0, ""));
        e = compute(hb("u", "v", T0, 100, PLAY, "\uD83D\uDE00"), hb("u", "v", T0, 100, PLAY, "\uFFFF"));
        // U+1F600 > U+FFFF by code points, although its UTF-16 units (D83D) are less than FFFF.
        assertThat(e.videoProgress).containsExactly(VideoProgress.of("u", "v", 100, T0, "\uD83D\uDE00"));
        // Exact duplicates count once.
        e = compute(hb(T0, 0), hb(T0, 0), hb(T0 + 5_000, 5_000), hb(T0 + 5_000, 5_000));
        assertThat(e.watchSegments).containsExactly(seg(T0, T0, T0 + 5_000, 0, 5_000, 2));
    }

    @Test
    void adsKeepTheSessionOpenButAreNotPartOfSegments() {
        // Content at 0 and 50 s is 50 s apart (> G) but an ad at 25 s bridges the gap.
        var e = compute(hb(T0, 0), ad(T0 + 25_000, "a", 1_000, 10_000), hb(T0 + 50_000, 0));
        assertThat(e.watchSegments).containsExactly(seg(T0, T0, T0 + 50_000, 0, 0, 2));
        // An ad can start the session: its time is the session start.
        e = compute(ad(T0, "a", 1_000, 10_000), hb(T0 + 20_000, 0), hb(T0 + 25_000, 5_000));
        assertThat(e.watchSegments).containsExactly(seg(T0 + 20_000, T0, T0 + 25_000, 0, 5_000, 2));
        // Content sorts before an ad at the same time: a stop then an ad at its time -> the ad starts a new session.
        e = compute(hb(T0, 0), hb(T0 + 5_000, 5_000, STOP), ad(T0 + 5_000, "a", 0, 10_000), hb(T0 + 10_000, 5_000));
        assertThat(e.watchSegments).containsExactlyInAnyOrder(seg(T0, T0, T0 + 5_000, 0, 5_000, 2), seg(T0 + 10_000, T0 + 5_000, T0 + 10_000, 5_000, 5_000, 1));
        // A session with ads only has no segment, and ads are no resume point.
        e = compute(ad(T0, "a", 0, 10_000));
        assertThat(e.watchSegments).isEmpty();
        assertThat(e.videoProgress).isEmpty();
        assertThat(e.contentWatchHourly).isEmpty();
        // Segments continue across the ads of the session (a is the previous CONTENT heartbeat).
        e = compute(hb(T0, 0), ad(T0 + 1_000, "a", 0, 10_000), ad(T0 + 2_000, "a", 1_000, 10_000), hb(T0 + 5_000, 5_000));
        assertThat(e.watchSegments).containsExactly(seg(T0, T0, T0 + 5_000, 0, 5_000, 2));
    }

    @Test
    void watchedTimeGoesToTheHourOfTheLaterHeartbeat() {
        var e = compute(hb(T0 - 2_000, 0), hb(T0 + 3_000, 5_000), hb(T0 + 8_000, 10_000));
        assertThat(e.contentWatchHourly).containsExactlyInAnyOrder(ContentWatchHourly.of("v", T0 - H, null, 0, 1), ContentWatchHourly.of("v", T0, null, 10_000, 1));
        assertThat(e.watchSegments).containsExactly(seg(T0 - 2_000, T0 - 2_000, T0 + 8_000, 0, 10_000, 3));
    }

    @Test
    void viewersAreDistinctUsersAndLicensorComesFromTheCatalog() {
        List<Heartbeat> hs = List.of(hb("u1", "v1", T0, 0, PLAY, null), hb("u1", "v1", T0 + 5_000, 5_000, PLAY, null),
                hb("u2", "v1", T0 + 1_000, 0, PLAY, null), hb("u2", "v1", T0 + 5_000, 2_000, STOP, null),
                hb("u3", "v2", T0 + 1_000, 0, PLAY, null), Heartbeat.ad("u4", "v1", T0, 0, "a", 0, 1_000));
        var e = ContractReference.compute(hs, P, Map.of("v1", "lic-1"));
        assertThat(e.contentWatchHourly).containsExactlyInAnyOrder(ContentWatchHourly.of("v1", T0, "lic-1", 7_000, 2), ContentWatchHourly.of("v2", T0, null, 0, 1));
        assertThat(e.videoProgress).hasSize(3);
        assertThat(e.watchSegments).hasSize(3);
    }

    @Test
    void adViewsAndTheirThresholds() {
        // d = 8000: impression m >= 2000; q1 4m >= d (m >= 2000); mid 2m >= d (m >= 4000); q3 4m >= 3d (m >= 6000); complete m + 2000 >= d (m >= 6000)
        assertThat(adRow(1_999, 8_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 0, 0, 0, 0, 0));
        assertThat(adRow(2_000, 8_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 0, 0, 0));
        assertThat(adRow(4_000, 8_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 1, 0, 0));
        assertThat(adRow(5_999, 8_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 1, 0, 0));
        assertThat(adRow(6_000, 8_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 1, 1, 1));
        // Not an impression, yet every other condition holds and is counted (interpretation: counts of ad views).
        assertThat(adRow(1_500, 1_500)).isEqualTo(AdImpressionsHourly.of("a", T0, 0, 1, 1, 1, 1));
        // Completion uses T: m + 2000 >= d although the quartiles are not met.
        assertThat(adRow(2_000, 4_000)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 1, 0, 1));
        // Huge values do not overflow.
        assertThat(adRow(Long.MAX_VALUE, Long.MAX_VALUE)).isEqualTo(AdImpressionsHourly.of("a", T0, 1, 1, 1, 1, 1));
    }

    private static AdImpressionsHourly adRow(long m, long d) {
        var e = compute(ad(T0 + 1_000, "a", 0, d), ad(T0 + 2_000, "a", m, d));
        assertThat(e.adImpressionsHourly).hasSize(1);
        return e.adImpressionsHourly.iterator().next();
    }

    @Test
    void adViewsSplitOnGapsPerAdIdIndependentlyOfSessions() {
        List<Heartbeat> hs = new ArrayList<>(List.of(
                ad(T0, "a", 1_000, 10_000), ad(T0 + 30_000, "a", 3_000, 10_000), // gap of exactly G: same view, m = 3000
                ad(T0 + 60_001, "a", 500, 10_000), // gap G + 1: a second view, m = 500
                ad(T0 + 5_000, "b", 9_000, 10_000)));
        hs.add(hb(T0 + 10_000, 0, STOP)); // a stop between ads does not split ad views
        hs.add(ad(T0 + 20_000, "b", 9_500, 9_000)); // d is the largest duration of the view: 10_000
        var e = ContractReference.compute(hs, P, Map.of());
        assertThat(e.adImpressionsHourly).containsExactlyInAnyOrder(
                AdImpressionsHourly.of("a", T0, 1, 1, 0, 0, 0), // views m=3000 (impression, q1) and m=500 (nothing)
                AdImpressionsHourly.of("b", T0, 1, 1, 1, 1, 1));
    }

    @Test
    void anAdViewBelongsToTheHourOfItsFirstHeartbeatAndDuplicatesCountOnce() {
        var e = compute(ad(T0 - 1_000, "a", 0, 30_000), ad(T0 + 20_000, "a", 29_000, 30_000), ad(T0 + 20_000, "a", 29_000, 30_000));
        assertThat(e.adImpressionsHourly).containsExactly(AdImpressionsHourly.of("a", T0 - H, 1, 1, 1, 1, 1));
        // Ad views of two users, and of one user on two videos, are separate views.
        List<Heartbeat> hs = List.of(Heartbeat.ad("u1", "v1", T0, 0, "a", 2_000, 4_000), Heartbeat.ad("u2", "v1", T0, 0, "a", 2_000, 4_000),
                Heartbeat.ad("u1", "v2", T0, 0, "a", 0, 4_000));
        assertThat(ContractReference.compute(hs, P, Map.of()).adImpressionsHourly).containsExactly(AdImpressionsHourly.of("a", T0, 2, 2, 2, 0, 2));
    }

    @Test
    void theOrderOfTheInputDoesNotMatter() {
        Random r = new Random(7);
        List<Heartbeat> hs = new ArrayList<>();
        long t = T0 - 100_000;
        long pos = 0;
        for (int i = 0; i < 500; i++) {
            t += r.nextInt(40_000);
            pos += r.nextInt(15_000) - 2_000;
            pos = Math.max(0, pos);
            hs.add(r.nextInt(6) == 0 ? Heartbeat.ad("u" + r.nextInt(3), "v", t, pos, "a" + r.nextInt(2), r.nextInt(10_000), 8_000)
                    : hb("u" + r.nextInt(3), "v" + r.nextInt(2), t, pos, EventType.ofOrdinal(r.nextInt(4)), r.nextBoolean() ? null : "d" + r.nextInt(3)));
            if (r.nextInt(10) == 0) hs.add(hs.get(r.nextInt(hs.size())).copy());
        }
        var a = ContractReference.compute(hs, P, Map.of("v0", "l"));
        Collections.shuffle(hs, r);
        var b = ContractReference.compute(hs, P, Map.of("v0", "l"));
        assertThat(b.watchSegments).isEqualTo(a.watchSegments);
        assertThat(b.videoProgress).isEqualTo(a.videoProgress);
        assertThat(b.contentWatchHourly).isEqualTo(a.contentWatchHourly);
        assertThat(b.adImpressionsHourly).isEqualTo(a.adImpressionsHourly);
        // And the watch-time invariant holds for the reference itself.
        TableAssert.assertWatchTimeConsistent(TableAssert.snapshotOf(a.watchSegments, a.videoProgress, a.contentWatchHourly, a.adImpressionsHourly));
    }

    @Test
    void handles200kHeartbeatsInAFewSeconds() {
        Random r = new Random(11);
        List<Heartbeat> hs = new ArrayList<>(200_000);
        for (int u = 0; u < 2_000; u++) {
            long t = T0 + r.nextInt(3_600_000);
            long pos = 0;
            for (int i = 0; i < 100; i++) {
                t += 5_000;
                pos += 5_000;
                hs.add(i % 10 == 9 ? Heartbeat.ad("u" + u, "v" + (u % 50), t, pos, "ad" + (u % 7), (i % 30) * 1_000L, 15_000)
                        : hb("u" + u, "v" + (u % 50), t, pos, PLAY, "d"));
            }
        }
        Collections.shuffle(hs, r);
        long start = System.nanoTime();
        var e = ContractReference.compute(hs, P, Map.of());
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(e.videoProgress).hasSize(2_000);
        assertThat(e.watchSegments).hasSize(2_000);
        assertThat(ms).as("ms for 200k heartbeats").isLessThan(5_000);
        Set<ContentWatchHourly> hourly = e.contentWatchHourly;
        assertThat(hourly.stream().mapToLong(h -> h.watchedMs).sum()).isEqualTo(e.watchSegments.stream().mapToLong(w -> w.endPosMs - w.startPosMs).sum());
    }
}
