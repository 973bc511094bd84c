package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The contract's sections 3 and 4, computed the plain way over a complete set of heartbeats: the expected content of
 * the four output tables. It is written straight from CONTRACT.md and deliberately shares no logic with the
 * production code (no PairFold, PairTimeline, Beat or {@code ContractParams.continues}); {@link ContractParams} is only
 * read as a holder of G, R, T and M. Clarity over speed: group by pair, sort, walk.
 *
 * <p>Interpretation choices (the contract leaves these open or they are easy to misread):
 * <ul>
 *   <li>Input: {@code heartbeats} are the valid, not-too-late heartbeats; duplicates and any order are fine. L plays
 *       no part here (it only decides which heartbeats are too late, which the caller has already done).</li>
 *   <li>De-duplication of content heartbeats is per (user, video, event_time), across all content events: a
 *       {@code stop} and a {@code play} at the same time are one heartbeat (largest position wins, then the later of
 *       play &lt; pause &lt; seek &lt; stop, then the greatest device_id by code points, absent least). The winner is
 *       what sessions ({@code a.event = stop}), segments, counts and progress see.</li>
 *   <li>Ad heartbeats are de-duplicated per (user, video, event_time, ad_id, ad_position_ms, ad_duration_ms);
 *       device_id and position_ms of an ad heartbeat play no part anywhere.</li>
 *   <li>Ads with the same event_time are ordered by ad_id compared by code points, then ad_position_ms (then
 *       ad_duration_ms, only for determinism). The order among equal-time ads cannot change any result.</li>
 *   <li>Sessions run over all heartbeats of the pair, ads included: an ad heartbeat can start a session (its
 *       event_time is then the session start, also for segments that follow in that session), extends the session
 *       (resets the gap) and counts for the M cap. "a.event = stop" is only possible for a content heartbeat; a
 *       {@code stop} followed by an ad at the same time ends the session before the ad (content sorts first).</li>
 *   <li>Segments: "the content heartbeat a just before b" is the previous content heartbeat of the same session,
 *       skipping any ad heartbeats in between. The rate test is evaluated in double precision exactly as
 *       {@code (double) (b.pos - a.pos) <= (double) (b.t - a.t) * R + T}, together with {@code b.pos - a.pos >= 0} and
 *       {@code b.event != seek}. {@code heartbeats} counts the segment's de-duplicated content heartbeats (ads are
 *       not counted).</li>
 *   <li>content_watch_hourly: a continuing pair with zero progress still "touches" nothing extra — rows exist for
 *       every (video, hour) with any content heartbeat (even watched_ms 0) and for no other hour; watched_ms is
 *       attributed to the hour of b. viewers counts distinct user_ids with a content heartbeat of the video in the
 *       hour. licensor_id comes from {@code licensorByVideo} (missing video: {@code null}).</li>
 *   <li>Ad views are independent of sessions: per (user, video, ad_id) the de-duplicated ad heartbeats are sorted by
 *       event_time and split where the gap to the previous one exceeds G (neither {@code stop} nor M split a view).
 *       Several heartbeats of one view at the same event_time (different positions) are all part of it.</li>
 *   <li>The quartile and completion counts count every ad <em>view</em> that meets the condition, not only views
 *       that are impressions (the contract defines them on "the view" and the table columns as "counts of ad
 *       views"): a view with m = 1500 and d = 1500 counts as first quartile, midpoint, third quartile and complete
 *       but not as an impression. An (ad, hour) with views that meet no condition still has a row (all zeros).</li>
 *   <li>Hours are {@code floorDiv(t, 3_600_000) * 3_600_000}; every time is epoch ms UTC.</li>
 * </ul>
 */
public final class ContractReference {
    private ContractReference() {}

    private static final long HOUR_MS = 3_600_000L;

    /** The four tables as the contract defines them. */
    public static final class Expected {
        public final Set<WatchSegment> watchSegments;
        public final Set<VideoProgress> videoProgress;
        public final Set<ContentWatchHourly> contentWatchHourly;
        public final Set<AdImpressionsHourly> adImpressionsHourly;

        public Expected(Set<WatchSegment> watchSegments, Set<VideoProgress> videoProgress,
                        Set<ContentWatchHourly> contentWatchHourly, Set<AdImpressionsHourly> adImpressionsHourly) {
            this.watchSegments = Collections.unmodifiableSet(watchSegments);
            this.videoProgress = Collections.unmodifiableSet(videoProgress);
            this.contentWatchHourly = Collections.unmodifiableSet(contentWatchHourly);
            this.adImpressionsHourly = Collections.unmodifiableSet(adImpressionsHourly);
        }

        @Override
        public String toString() {
            return "Expected[watch_segments=" + watchSegments.size() + ", video_progress=" + videoProgress.size()
                    + ", content_watch_hourly=" + contentWatchHourly.size() + ", ad_impressions_hourly=" + adImpressionsHourly.size() + "]";
        }
    }

    public static Expected compute(Collection<Heartbeat> heartbeats, ContractParams p, Map<String, String> licensorByVideo) {
        // Group by pair (user_id, video_id).
        Map<List<String>, List<Heartbeat>> byPair = new HashMap<>();
        for (Heartbeat h : heartbeats) {
            byPair.computeIfAbsent(List.of(h.userId, h.videoId), k -> new ArrayList<>()).add(h);
        }

        Set<WatchSegment> segments = new HashSet<>();
        Set<VideoProgress> progress = new HashSet<>();
        // (video, hour) -> watched ms, and -> distinct users
        Map<List<Object>, Long> watchedByVideoHour = new HashMap<>();
        Map<List<Object>, Set<String>> viewersByVideoHour = new HashMap<>();
        // (ad, hour) -> counters [impressions, q1, mid, q3, completes]
        Map<List<Object>, long[]> adCounts = new HashMap<>();

        for (Map.Entry<List<String>, List<Heartbeat>> e : byPair.entrySet()) {
            String user = e.getKey().get(0);
            String video = e.getKey().get(1);
            List<Heartbeat> ordered = dedupAndOrder(e.getValue());
            pairResults(user, video, ordered, p, segments, progress, watchedByVideoHour, viewersByVideoHour);
            adViews(ordered, p, adCounts);
        }

        Set<ContentWatchHourly> hourly = new HashSet<>();
        for (Map.Entry<List<Object>, Set<String>> e : viewersByVideoHour.entrySet()) {
            String video = (String) e.getKey().get(0);
            long hour = (Long) e.getKey().get(1);
            long watched = watchedByVideoHour.getOrDefault(e.getKey(), 0L);
            String licensor = licensorByVideo == null ? null : licensorByVideo.get(video);
            hourly.add(ContentWatchHourly.of(video, hour, licensor, watched, e.getValue().size()));
        }
        Set<AdImpressionsHourly> ads = new HashSet<>();
        for (Map.Entry<List<Object>, long[]> e : adCounts.entrySet()) {
            long[] c = e.getValue();
            ads.add(AdImpressionsHourly.of((String) e.getKey().get(0), (Long) e.getKey().get(1), c[0], c[1], c[2], c[3], c[4]));
        }
        return new Expected(segments, progress, hourly, ads);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // De-duplication and order (section 3, first paragraphs)

    /** The pair's heartbeats after de-duplication, in the contract's order. */
    static List<Heartbeat> dedupAndOrder(List<Heartbeat> pairBeats) {
        Map<Long, Heartbeat> contentByTime = new HashMap<>();
        Map<List<Object>, Heartbeat> adsByIdentity = new HashMap<>();
        for (Heartbeat h : pairBeats) {
            if (h.event == EventType.AD) {
                adsByIdentity.putIfAbsent(List.of(h.eventTime, h.adId, h.adPositionMs, h.adDurationMs), h);
            } else {
                contentByTime.merge(h.eventTime, h, (x, y) -> preferred(x, y));
            }
        }
        List<Heartbeat> out = new ArrayList<>(contentByTime.values());
        out.addAll(adsByIdentity.values());
        out.sort(CONTRACT_ORDER);
        return out;
    }

    /** Of two content heartbeats with the same event_time, the one that counts. */
    static Heartbeat preferred(Heartbeat x, Heartbeat y) {
        if (x.positionMs != y.positionMs) return x.positionMs > y.positionMs ? x : y;
        if (eventRank(x.event) != eventRank(y.event)) return eventRank(x.event) > eventRank(y.event) ? x : y;
        return compareDeviceIds(x.deviceId, y.deviceId) >= 0 ? x : y;
    }

    /** The order play, pause, seek, stop (later wins a tie). */
    static int eventRank(EventType e) {
        switch (e) {
            case PLAY: return 0;
            case PAUSE: return 1;
            case SEEK: return 2;
            case STOP: return 3;
            default: throw new IllegalArgumentException("not a content event: " + e);
        }
    }

    /** By Unicode code points (not UTF-16 units); an absent device id is the least. */
    static int compareDeviceIds(String a, String b) {
        if (a == null && b == null) return 0;
        if (a == null) return -1;
        if (b == null) return 1;
        return compareCodePoints(a, b);
    }

    static int compareCodePoints(String a, String b) {
        return Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray());
    }

    /** By event_time, content before ad at equal times, ads then by ad_id and ad_position_ms. */
    static final Comparator<Heartbeat> CONTRACT_ORDER = (x, y) -> {
        if (x.eventTime != y.eventTime) return Long.compare(x.eventTime, y.eventTime);
        boolean xAd = x.event == EventType.AD, yAd = y.event == EventType.AD;
        if (xAd != yAd) return xAd ? 1 : -1;
        if (!xAd) return 0; // cannot happen after de-duplication: one content heartbeat per time
        int c = compareCodePoints(x.adId, y.adId);
        if (c != 0) return c;
        if (x.adPositionMs != y.adPositionMs) return Long.compare(x.adPositionMs, y.adPositionMs);
        return Long.compare(x.adDurationMs, y.adDurationMs);
    };

    // ---------------------------------------------------------------------------------------------------------------
    // Sessions, segments, continuing pairs, progress

    private static void pairResults(String user, String video, List<Heartbeat> ordered, ContractParams p,
                                    Set<WatchSegment> segments, Set<VideoProgress> progress,
                                    Map<List<Object>, Long> watchedByVideoHour, Map<List<Object>, Set<String>> viewersByVideoHour) {
        // 1. Cut the ordered heartbeats into sessions.
        List<List<Heartbeat>> sessions = new ArrayList<>();
        List<Heartbeat> current = null;
        long sessionStart = 0;
        Heartbeat previous = null;
        for (Heartbeat b : ordered) {
            boolean newSession = previous == null
                    || b.eventTime - previous.eventTime > p.sessionGapMs
                    || previous.event == EventType.STOP
                    || b.eventTime - sessionStart > p.maxSessionMs;
            if (newSession) {
                current = new ArrayList<>();
                sessions.add(current);
                sessionStart = b.eventTime;
            }
            current.add(b);
            previous = b;
        }

        // 2. Within each session, cut its content heartbeats into segments.
        Heartbeat lastContent = null;
        for (List<Heartbeat> session : sessions) {
            long start = session.get(0).eventTime;
            List<Heartbeat> segment = null;
            Heartbeat a = null;
            for (Heartbeat b : session) {
                if (b.event == EventType.AD) continue;
                lastContent = b;
                long hour = hourOf(b.eventTime);
                viewersByVideoHour.computeIfAbsent(List.of(video, hour), k -> new HashSet<>()).add(user);
                watchedByVideoHour.merge(List.of(video, hour), 0L, Long::sum);
                if (a != null && continuesSegment(a, b, p)) {
                    segment.add(b);
                    watchedByVideoHour.merge(List.of(video, hour), b.positionMs - a.positionMs, Long::sum);
                } else {
                    if (segment != null) segments.add(row(user, video, start, segment));
                    segment = new ArrayList<>();
                    segment.add(b);
                }
                a = b;
            }
            if (segment != null) segments.add(row(user, video, start, segment));
        }

        // 3. The resume point: the content heartbeat that is last in order.
        if (lastContent != null) {
            progress.add(VideoProgress.of(user, video, lastContent.positionMs, lastContent.eventTime, lastContent.deviceId));
        }
    }

    /** b continues the segment of the content heartbeat a just before it (same session). */
    static boolean continuesSegment(Heartbeat a, Heartbeat b, ContractParams p) {
        if (b.event == EventType.SEEK) return false;
        long dpos = b.positionMs - a.positionMs;
        long dt = b.eventTime - a.eventTime;
        return dpos >= 0 && (double) dpos <= dt * p.maxRate + p.toleranceMs;
    }

    private static WatchSegment row(String user, String video, long sessionStart, List<Heartbeat> segment) {
        Heartbeat first = segment.get(0), last = segment.get(segment.size() - 1);
        WatchSegment w = new WatchSegment();
        w.userId = user;
        w.videoId = video;
        w.segmentStart = first.eventTime;
        w.sessionStart = sessionStart;
        w.segmentEnd = last.eventTime;
        w.startPosMs = first.positionMs;
        w.endPosMs = last.positionMs;
        w.heartbeats = segment.size();
        return w;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Ad views

    private static void adViews(List<Heartbeat> ordered, ContractParams p, Map<List<Object>, long[]> adCounts) {
        // Per ad_id (the pair is fixed), the de-duplicated ad heartbeats by event time.
        Map<String, List<Heartbeat>> byAd = new TreeMap<>();
        for (Heartbeat h : ordered) {
            if (h.event == EventType.AD) byAd.computeIfAbsent(h.adId, k -> new ArrayList<>()).add(h);
        }
        for (List<Heartbeat> beats : byAd.values()) {
            beats.sort(Comparator.comparingLong(h -> h.eventTime));
            List<Heartbeat> view = new ArrayList<>();
            for (Heartbeat h : beats) {
                if (!view.isEmpty() && h.eventTime - view.get(view.size() - 1).eventTime > p.sessionGapMs) {
                    countView(view, p, adCounts);
                    view = new ArrayList<>();
                }
                view.add(h);
            }
            if (!view.isEmpty()) countView(view, p, adCounts);
        }
    }

    private static void countView(List<Heartbeat> view, ContractParams p, Map<List<Object>, long[]> adCounts) {
        long m = Long.MIN_VALUE, d = Long.MIN_VALUE, first = Long.MAX_VALUE;
        for (Heartbeat h : view) {
            m = Math.max(m, h.adPositionMs);
            d = Math.max(d, h.adDurationMs);
            first = Math.min(first, h.eventTime);
        }
        long[] c = adCounts.computeIfAbsent(List.of(view.get(0).adId, hourOf(first)), k -> new long[5]);
        // Exact arithmetic: positions and durations may be anywhere in the 64-bit range.
        BigInteger bm = BigInteger.valueOf(m), bd = BigInteger.valueOf(d);
        if (m >= 2000) c[0]++;
        if (times(4, bm).compareTo(bd) >= 0) c[1]++;
        if (times(2, bm).compareTo(bd) >= 0) c[2]++;
        if (times(4, bm).compareTo(times(3, bd)) >= 0) c[3]++;
        if (bm.add(BigInteger.valueOf(p.toleranceMs)).compareTo(bd) >= 0) c[4]++;
    }

    private static BigInteger times(long k, BigInteger v) {
        return BigInteger.valueOf(k).multiply(v);
    }

    static long hourOf(long epochMs) {
        return Math.floorDiv(epochMs, HOUR_MS) * HOUR_MS;
    }

    /** Convenience: the expected rows of one pair only (for tests driving one pair). */
    public static Expected forPair(Collection<Heartbeat> heartbeats, ContractParams p) {
        return compute(heartbeats, p, Map.of());
    }

}
