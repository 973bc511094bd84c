package dev.heartbeats.schema.maintenance;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.Period;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Retention settings: what they accept, the cutoff they give, and errors that name the setting. */
class RetentionTest {
    @Test
    void retentionsAreDaysCalendarMonthsOrKeep() {
        var option = Retention.Table.WATCH_SEGMENTS.option;
        assertThat(Retention.parseRetention(option, "13 months")).contains(Period.ofMonths(13));
        assertThat(Retention.parseRetention(option, "13mo")).contains(Period.ofMonths(13));
        assertThat(Retention.parseRetention(option, "400 days")).contains(Period.ofDays(400));
        assertThat(Retention.parseRetention(option, "1d")).contains(Period.ofDays(1));
        assertThat(Retention.parseRetention(option, "KEEP")).isEmpty();
        for (String bad : new String[] {"13", "0 days", "-1 months", "1 year", "forever", "13 months ago"}) {
            assertThatThrownBy(() -> Retention.parseRetention(option, bad)).as(bad).isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("--retention-watch-segments: ");
        }
    }

    @Test
    void theDefaultsKeepSegmentsAndResumePointsThirteenMonthsAndTheHourlyTablesForever() {
        Retention.Plan plan = Retention.Plan.defaults(Map.of(), 1000);
        assertThat(plan.retention()).containsEntry(Retention.Table.WATCH_SEGMENTS, Optional.of(Period.ofMonths(13)))
                .containsEntry(Retention.Table.VIDEO_PROGRESS, Optional.of(Period.ofMonths(13)))
                .containsEntry(Retention.Table.CONTENT_WATCH_HOURLY, Optional.empty())
                .containsEntry(Retention.Table.AD_IMPRESSIONS_HOURLY, Optional.empty());
        Settings s = Settings.parse(new String[] {"--jdbc-url", "jdbc:postgresql://db/x"}, Retention.options());
        assertThat(s.get(Retention.Table.WATCH_SEGMENTS.option)).isEqualTo("13 months");
    }

    @Test
    void monthsAreCalendarMonthsInUtc() {
        assertThat(Retention.cutoff(Instant.parse("2027-03-31T12:00:00Z"), Period.ofMonths(13))).isEqualTo(Instant.parse("2026-02-28T12:00:00Z"));
        assertThat(Retention.cutoff(Instant.parse("2027-03-15T00:00:00Z"), Period.ofDays(30))).isEqualTo(Instant.parse("2027-02-13T00:00:00Z"));
    }

    @Test
    void badSettingsFailNamingTheSetting() {
        assertThatThrownBy(() -> new Retention.Plan(Map.of(), 0, java.time.Duration.ZERO, 1)).hasMessageStartingWith("--batch-size: ");
        assertThatThrownBy(() -> new Retention.Plan(Map.of(), 1, java.time.Duration.ZERO, 70_000)).hasMessageStartingWith("--slices: ");
    }

    @Test
    void aBatchDeletesByKeyAndChecksTheAgeAgainOnTheRowItDeletes() {
        assertThat(Retention.Table.VIDEO_PROGRESS.deleteSql(true)).isEqualTo("DELETE FROM video_progress t USING (SELECT user_id, video_id FROM video_progress"
                + " WHERE event_time < ? AND yb_hash_code(user_id, video_id) BETWEEN ? AND ? LIMIT ?) AS b"
                + " WHERE t.user_id = b.user_id AND t.video_id = b.video_id AND t.event_time < ?");
        assertThat(Retention.Table.CONTENT_WATCH_HOURLY.deleteSql(false)).isEqualTo("DELETE FROM content_watch_hourly t USING (SELECT video_id, hour"
                + " FROM content_watch_hourly WHERE hour < ? LIMIT ?) AS b WHERE t.video_id = b.video_id AND t.hour = b.hour AND t.hour < ?");
    }
}
