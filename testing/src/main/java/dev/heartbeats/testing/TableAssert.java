package dev.heartbeats.testing;

import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Compares what the output tables hold with what the contract says they must hold ({@link ContractReference}), as
 * sets of rows, and fails with a readable diff: per table the row counts, then up to {@value #MAX_SHOWN} rows whose
 * key is present on both sides with other values, up to {@value #MAX_SHOWN} missing and up to {@value #MAX_SHOWN}
 * unexpected rows, and any primary key that occurs more than once.
 */
public final class TableAssert {
    public static final int MAX_SHOWN = 20;

    private TableAssert() {}

    public static final Function<WatchSegment, Object> WATCH_SEGMENT_KEY = r -> List.of(r.userId, r.videoId, r.segmentStart);
    public static final Function<VideoProgress, Object> VIDEO_PROGRESS_KEY = r -> List.of(r.userId, r.videoId);
    public static final Function<ContentWatchHourly, Object> CONTENT_WATCH_KEY = r -> List.of(r.videoId, r.hour);
    public static final Function<AdImpressionsHourly, Object> AD_IMPRESSIONS_KEY = r -> List.of(r.adId, r.hour);

    /** All four tables; one failure lists the differences of every table. */
    public static void assertMatches(TableSnapshot actual, ContractReference.Expected expected) {
        String report = diff(actual, expected);
        if (!report.isEmpty()) throw new AssertionError("tables differ from the contract:\n" + report);
    }

    /** The readable difference of all four tables, or "" when they match. */
    public static String diff(TableSnapshot actual, ContractReference.Expected expected) {
        StringBuilder sb = new StringBuilder();
        sb.append(diff("watch_segments", actual.watchSegments, expected.watchSegments, WATCH_SEGMENT_KEY));
        sb.append(diff("video_progress", actual.videoProgress, expected.videoProgress, VIDEO_PROGRESS_KEY));
        sb.append(diff("content_watch_hourly", actual.contentWatchHourly, expected.contentWatchHourly, CONTENT_WATCH_KEY));
        sb.append(diff("ad_impressions_hourly", actual.adImpressionsHourly, expected.adImpressionsHourly, AD_IMPRESSIONS_KEY));
        return sb.toString();
    }

    public static void assertWatchSegments(Collection<WatchSegment> actual, Set<WatchSegment> expected) {
        check("watch_segments", actual, expected, WATCH_SEGMENT_KEY);
    }

    public static void assertVideoProgress(Collection<VideoProgress> actual, Set<VideoProgress> expected) {
        check("video_progress", actual, expected, VIDEO_PROGRESS_KEY);
    }

    public static void assertContentWatchHourly(Collection<ContentWatchHourly> actual, Set<ContentWatchHourly> expected) {
        check("content_watch_hourly", actual, expected, CONTENT_WATCH_KEY);
    }

    public static void assertAdImpressionsHourly(Collection<AdImpressionsHourly> actual, Set<AdImpressionsHourly> expected) {
        check("ad_impressions_hourly", actual, expected, AD_IMPRESSIONS_KEY);
    }

    private static <T> void check(String table, Collection<T> actual, Collection<T> expected, Function<T, Object> key) {
        String report = diff(table, actual, expected, key);
        if (!report.isEmpty()) throw new AssertionError(report);
    }

    /**
     * The readable difference of one table, or "" when {@code actual} holds exactly the rows of {@code expected},
     * each key once.
     */
    public static <T> String diff(String table, Collection<T> actual, Collection<T> expected, Function<T, Object> key) {
        Map<Object, List<T>> actualByKey = byKey(actual, key);
        Map<Object, List<T>> expectedByKey = byKey(expected, key);
        List<String> duplicateKeys = new ArrayList<>();
        actualByKey.forEach((k, rows) -> {
            if (rows.size() > 1) duplicateKeys.add("actual key " + k + " occurs " + rows.size() + " times: " + rows);
        });
        expectedByKey.forEach((k, rows) -> {
            if (rows.size() > 1) duplicateKeys.add("EXPECTED key " + k + " occurs " + rows.size() + " times (bug in the expectation): " + rows);
        });

        Set<T> actualSet = new HashSet<>(actual);
        Set<T> expectedSet = new HashSet<>(expected);
        List<String> changed = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        for (T e : expectedSet) {
            if (actualSet.contains(e)) continue;
            List<T> sameKey = actualByKey.get(key.apply(e));
            if (sameKey != null) {
                changed.add("expected " + e + "\n        but was  " + (sameKey.size() == 1 ? sameKey.get(0) : sameKey));
            } else {
                missing.add(String.valueOf(e));
            }
        }
        for (T a : actualSet) {
            if (expectedSet.contains(a)) continue;
            if (!expectedByKey.containsKey(key.apply(a))) unexpected.add(String.valueOf(a));
        }
        if (duplicateKeys.isEmpty() && changed.isEmpty() && missing.isEmpty() && unexpected.isEmpty()) return "";

        StringBuilder sb = new StringBuilder();
        sb.append(table).append(": expected ").append(expected.size()).append(" rows, actual ").append(actual.size())
                .append(" rows (").append(changed.size()).append(" with other values, ").append(missing.size()).append(" missing, ")
                .append(unexpected.size()).append(" unexpected, ").append(duplicateKeys.size()).append(" duplicate keys)\n");
        section(sb, "with other values", changed);
        section(sb, "missing", missing);
        section(sb, "unexpected", unexpected);
        section(sb, "duplicate keys", duplicateKeys);
        return sb.toString();
    }

    private static void section(StringBuilder sb, String title, List<String> lines) {
        if (lines.isEmpty()) return;
        lines.sort(Comparator.naturalOrder());
        sb.append("  ").append(title).append(" (").append(lines.size()).append("):\n");
        for (int i = 0; i < Math.min(MAX_SHOWN, lines.size()); i++) sb.append("    ").append(lines.get(i)).append('\n');
        if (lines.size() > MAX_SHOWN) sb.append("    ... and ").append(lines.size() - MAX_SHOWN).append(" more\n");
    }

    private static <T> Map<Object, List<T>> byKey(Collection<T> rows, Function<T, Object> key) {
        Map<Object, List<T>> out = new LinkedHashMap<>();
        for (T r : rows) out.computeIfAbsent(key.apply(r), k -> new ArrayList<>()).add(r);
        return out;
    }

    /**
     * The contract's invariant: for every video, the sum of content_watch_hourly.watched_ms equals the sum of
     * end_pos_ms - start_pos_ms over its watch_segments (a video absent from one table counts as 0 there).
     */
    public static void assertWatchTimeConsistent(TableSnapshot actual) {
        String report = watchTimeDiff(actual);
        if (!report.isEmpty()) throw new AssertionError(report);
    }

    /** The videos that break the watch-time invariant, or "" when none does. */
    public static String watchTimeDiff(TableSnapshot actual) {
        Map<String, Long> hourly = new HashMap<>();
        for (ContentWatchHourly r : actual.contentWatchHourly) hourly.merge(r.videoId, r.watchedMs, Long::sum);
        Map<String, Long> segments = new HashMap<>();
        for (WatchSegment w : actual.watchSegments) segments.merge(w.videoId, w.endPosMs - w.startPosMs, Long::sum);
        Set<String> videos = new HashSet<>(hourly.keySet());
        videos.addAll(segments.keySet());
        Map<String, String> bad = new TreeMap<>();
        for (String v : videos) {
            long h = hourly.getOrDefault(v, 0L), s = segments.getOrDefault(v, 0L);
            if (h != s) bad.put(v, "sum(content_watch_hourly.watched_ms)=" + h + " but sum(watch_segments end-start)=" + s + " (diff " + (h - s) + ")");
        }
        if (bad.isEmpty()) return "";
        StringBuilder sb = new StringBuilder("watch time inconsistent for ").append(bad.size()).append(" of ").append(videos.size()).append(" videos:\n");
        int shown = 0;
        for (Map.Entry<String, String> e : bad.entrySet()) {
            if (shown++ == MAX_SHOWN) {
                sb.append("  ... and ").append(bad.size() - MAX_SHOWN).append(" more\n");
                break;
            }
            sb.append("  video ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    /** Convenience for tests that build a snapshot from expected or collected rows. */
    public static TableSnapshot snapshotOf(Collection<WatchSegment> segments, Collection<VideoProgress> progress,
                                           Collection<ContentWatchHourly> hourly, Collection<AdImpressionsHourly> ads) {
        TableSnapshot s = new TableSnapshot();
        s.watchSegments.addAll(Objects.requireNonNull(segments));
        s.videoProgress.addAll(Objects.requireNonNull(progress));
        s.contentWatchHourly.addAll(Objects.requireNonNull(hourly));
        s.adImpressionsHourly.addAll(Objects.requireNonNull(ads));
        return s;
    }
}
