package dev.heartbeats.testing;

import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

class TableAssertTest {
    static WatchSegment seg(String video, long start, long startPos, long endPos) {
        WatchSegment w = WatchSegment.key("u", video, start);
        w.sessionStart = start;
        w.segmentEnd = start + 10;
        w.startPosMs = startPos;
        w.endPosMs = endPos;
        w.heartbeats = 2;
        return w;
    }

    static ContractReference.Expected expected(Set<WatchSegment> s, Set<VideoProgress> p, Set<ContentWatchHourly> c, Set<AdImpressionsHourly> a) {
        return new ContractReference.Expected(new HashSet<>(s), new HashSet<>(p), new HashSet<>(c), new HashSet<>(a));
    }

    @Test
    void equalSetsMatchWhateverTheOrder() {
        var e = expected(Set.of(seg("v", 1, 0, 5), seg("v", 2, 5, 9)), Set.of(VideoProgress.of("u", "v", 9, 2, null)),
                Set.of(ContentWatchHourly.of("v", 0, null, 9, 1)), Set.of(AdImpressionsHourly.of("a", 0, 1, 1, 1, 1, 1)));
        TableSnapshot actual = TableAssert.snapshotOf(List.of(seg("v", 2, 5, 9), seg("v", 1, 0, 5)), List.of(VideoProgress.of("u", "v", 9, 2, null)),
                List.of(ContentWatchHourly.of("v", 0, null, 9, 1)), List.of(AdImpressionsHourly.of("a", 0, 1, 1, 1, 1, 1)));
        assertThatCode(() -> TableAssert.assertMatches(actual, e)).doesNotThrowAnyException();
        assertThat(TableAssert.diff(actual, e)).isEmpty();
    }

    @Test
    void reportsChangedMissingAndUnexpectedRowsPerTable() {
        var e = expected(Set.of(seg("v", 1, 0, 5), seg("v", 2, 5, 9)), Set.of(VideoProgress.of("u", "v", 9, 2, null)),
                Set.of(ContentWatchHourly.of("v", 0, null, 9, 1)), Set.of());
        TableSnapshot actual = TableAssert.snapshotOf(List.of(seg("v", 1, 0, 6), seg("v", 3, 5, 9)), List.of(VideoProgress.of("u", "v", 9, 2, null)),
                List.of(), List.of(AdImpressionsHourly.of("a", 0, 1, 0, 0, 0, 0)));
        assertThatThrownBy(() -> TableAssert.assertMatches(actual, e))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("watch_segments: expected 2 rows, actual 2 rows (1 with other values, 1 missing, 1 unexpected, 0 duplicate keys)")
                .hasMessageContaining("expected watch_segments(u, v, start=1, session=1, end=11, pos 0..5, n=2)")
                .hasMessageContaining("but was  watch_segments(u, v, start=1, session=1, end=11, pos 0..6, n=2)")
                .hasMessageContaining("missing (1):\n    watch_segments(u, v, start=2")
                .hasMessageContaining("unexpected (1):\n    watch_segments(u, v, start=3")
                .hasMessageContaining("content_watch_hourly: expected 1 rows, actual 0 rows")
                .hasMessageContaining("ad_impressions_hourly: expected 0 rows, actual 1 rows")
                .satisfies(t -> assertThat(t.getMessage()).doesNotContain("video_progress"));
    }

    @Test
    void reportsDuplicateKeysEvenOfIdenticalRows() {
        Set<WatchSegment> e = Set.of(seg("v", 1, 0, 5));
        assertThatThrownBy(() -> TableAssert.assertWatchSegments(List.of(seg("v", 1, 0, 5), seg("v", 1, 0, 5)), e))
                .hasMessageContaining("1 duplicate keys")
                .hasMessageContaining("actual key [u, v, 1] occurs 2 times");
    }

    @Test
    void showsAtMostTwentyRowsPerSection() {
        List<WatchSegment> many = new ArrayList<>();
        for (int i = 0; i < 45; i++) many.add(seg("v", i, 0, 1));
        String d = TableAssert.diff("watch_segments", many, Set.of(), TableAssert.WATCH_SEGMENT_KEY);
        assertThat(d).contains("45 unexpected").contains("... and 25 more");
        assertThat(d.lines().filter(l -> l.startsWith("    watch_segments(")).count()).isEqualTo(20);
    }

    @Test
    void watchTimeInvariant() {
        TableSnapshot ok = TableAssert.snapshotOf(List.of(seg("v1", 1, 0, 5), seg("v1", 2, 10, 14), seg("v2", 1, 3, 3)), List.of(),
                List.of(ContentWatchHourly.of("v1", 0, null, 4, 1), ContentWatchHourly.of("v1", 3_600_000, null, 5, 1), ContentWatchHourly.of("v2", 0, null, 0, 1)),
                List.of());
        assertThatCode(() -> TableAssert.assertWatchTimeConsistent(ok)).doesNotThrowAnyException();
        TableSnapshot bad = TableAssert.snapshotOf(List.of(seg("v1", 1, 0, 5), seg("v3", 1, 0, 7)), List.of(),
                List.of(ContentWatchHourly.of("v1", 0, null, 4, 1), ContentWatchHourly.of("v2", 0, null, 1, 1)), List.of());
        assertThatThrownBy(() -> TableAssert.assertWatchTimeConsistent(bad))
                .hasMessageContaining("watch time inconsistent for 3 of 3 videos")
                .hasMessageContaining("video v1: sum(content_watch_hourly.watched_ms)=4 but sum(watch_segments end-start)=5")
                .hasMessageContaining("video v2: sum(content_watch_hourly.watched_ms)=1 but sum(watch_segments end-start)=0")
                .hasMessageContaining("video v3: sum(content_watch_hourly.watched_ms)=0 but sum(watch_segments end-start)=7");
    }
}
