package dev.heartbeats.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.Sql;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The business dashboard and the readers' views against what the pipeline really writes: the three jobs run (bounded,
 * parallelism 2) on generated input with every adversity and the sample catalog, then every panel's SQL of
 * k8s/components/business-dashboard runs against PostgreSQL with Grafana's time macros replaced for a fixed range
 * (below), and its numbers must equal the same aggregation of the reference implementation's tables plus the
 * catalog. Then the videos the catalog missed are added to it, {@code hb catalog --reattribute-only} runs, and the
 * watch time table and the royalty panels must match the reference computed with the new catalog.
 *
 * <p>Macros: {@code $__timeFilter(col)} becomes {@code col BETWEEN '<from>' AND '<to>'} with RFC 3339 UTC times, as
 * Grafana's PostgreSQL data source expands it; the range starts at the second hour with data (a boundary that is
 * itself included) and ends one second before the last hour with data (which is excluded), so both edges of the
 * filter matter. Any other macro or variable fails the test: a panel using one needs its expansion here first.
 */
class BusinessDashboardIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static final Path DASHBOARD = Path.of("../k8s/components/business-dashboard/dashboards/heartbeat-sessions-business.json");
    static final DateTimeFormatter PG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);

    record Ad(String advertiser, String campaign) {}

    @Test
    void everyPanelShowsTheReferenceNumbersAndReattributionCompletesTheRoyalties() throws Exception {
        TestBed bed = TestBed.shared();
        CatalogLoader.loadDefaults(bed.jdbc());
        Scenario s = bed.scenario("business-dashboard");
        // Few viewers for long (one heartbeat per viewer every 5 s: about 3.3 hours), across a day and a month
        // boundary, so that the time range, the daily and the monthly buckets all have something to cut.
        DifferentialRun run = DifferentialRun.send(s, GeneratorConfig.allAdversities(11).toBuilder().viewers(15).maxRecords(36_000)
                .startTime(Instant.parse("2026-01-31T22:20:00Z")).build());
        for (JobLauncher.Job job : Jobs.all().values()) s.runBounded(job, "--parallelism", "2");

        ContractParams params = ContractParams.DEFAULTS;
        Routing routing = run.routing(params, 5_000);
        Map<String, String> licensors = new HashMap<>();
        Map<String, String> titles = new HashMap<>();
        Map<String, Ad> ads = new HashMap<>();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT video_id, licensor_id, title FROM videos")) {
                while (rs.next()) {
                    licensors.put(rs.getString(1), rs.getString(2));
                    titles.put(rs.getString(1), rs.getString(3));
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT ad_id, advertiser_id, campaign_id FROM ads")) {
                while (rs.next()) ads.put(rs.getString(1), new Ad(rs.getString(2), rs.getString(3)));
            }
        }
        ContractReference.Expected expected = routing.tables(params, licensors);
        List<ContentWatchHourly> watch = List.copyOf(expected.contentWatchHourly);
        List<AdImpressionsHourly> adHours = List.copyOf(expected.adImpressionsHourly);
        assertThat(watch.stream().filter(r -> r.licensorId == null)).as("catalog misses exercised").isNotEmpty();
        // The sample catalog knows every generated ad: one leaves it for this test (the jobs never read ads), so that
        // the panels' "(unknown ad)" rows are exercised; it is put back at the end.
        String droppedAd = adHours.stream().map(r -> r.adId).sorted().findFirst().orElseThrow();
        ads.remove(droppedAd);
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("DELETE FROM ads WHERE ad_id = '" + droppedAd + "'");
        }
        try {
            check(bed, routing, params, licensors, titles, ads, watch, adHours);
        } finally {
            CatalogLoader.loadDefaults(bed.jdbc()); // the sample catalog as it was
        }
    }

    void check(TestBed bed, Routing routing, ContractParams params, Map<String, String> licensors, Map<String, String> titles, Map<String, Ad> ads,
               List<ContentWatchHourly> watch, List<AdImpressionsHourly> adHours) throws Exception {
        assertThat(adHours.stream().filter(r -> !ads.containsKey(r.adId))).as("ads missing from the catalog exercised").isNotEmpty();
        assertThat(TableSnapshot.read(bed.jdbc()).contentWatchHourly).as("the pipeline wrote the reference's watch time")
                .containsExactlyInAnyOrderElementsOf(watch);

        TreeSet<Long> hours = new TreeSet<>();
        watch.forEach(r -> hours.add(r.hour));
        adHours.forEach(r -> hours.add(r.hour));
        assertThat(hours).as("hours with data: enough for a range that cuts some off at both ends").hasSizeGreaterThanOrEqualTo(3);
        long from = new ArrayList<>(hours).get(1);
        long to = hours.last() - 1_000;
        List<ContentWatchHourly> watchIn = watch.stream().filter(r -> r.hour >= from && r.hour <= to).toList();
        List<AdImpressionsHourly> adsIn = adHours.stream().filter(r -> r.hour >= from && r.hour <= to).toList();
        assertThat(watchIn).isNotEmpty().hasSizeLessThan(watch.size());
        assertThat(adsIn).isNotEmpty();

        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        Map<String, JsonNode> panels = new TreeMap<>();
        for (JsonNode p : dashboard.get("panels")) panels.put(p.get("title").asText(), p);
        Map<String, List<String>> expectedPanels = expectedPanels(watchIn, adsIn, ads, titles);
        assertThat(panels.keySet()).as("every panel has its expected numbers here").isEqualTo(expectedPanels.keySet());

        try (Connection c = bed.jdbc().connect()) {
            Sql.utc(c);
            for (Map.Entry<String, JsonNode> p : panels.entrySet()) {
                String sql = expand(p.getValue().at("/targets/0/rawSql").asText(), from, to);
                List<String> actual = Sql.query(c, sql);
                System.out.println("panel '" + p.getKey() + "': " + actual.size() + " row(s), e.g. " + actual.stream().limit(3).toList());
                assertPanel(p.getKey(), actual, expectedPanels.get(p.getKey()));
            }
            // The views over the whole tables, against the same reference.
            assertThat(Sql.query(c, "SELECT licensor_id, video_id, day, watched_ms, viewer_hours FROM royalties_daily"))
                    .containsExactlyInAnyOrderElementsOf(groupWatch(watch, r -> r.licensorId + "|" + r.videoId + "|" + day(r.hour), false));
            assertThat(Sql.query(c, "SELECT licensor_id, video_id, month, watched_ms, viewer_hours FROM royalties_monthly"))
                    .containsExactlyInAnyOrderElementsOf(groupWatch(watch, r -> r.licensorId + "|" + r.videoId + "|" + day(r.hour).withDayOfMonth(1), false));
            assertThat(Sql.query(c, "SELECT advertiser_id, campaign_id, hour, impressions, first_quartile, midpoint, third_quartile, completes, completion_rate"
                    + " FROM ad_delivery_hourly")).containsExactlyInAnyOrderElementsOf(groupAds(adHours, ads, r -> time(r.hour), true));
            assertThat(Sql.query(c, "SELECT advertiser_id, campaign_id, day, impressions, first_quartile, midpoint, third_quartile, completes, completion_rate"
                    + " FROM ad_delivery_daily")).containsExactlyInAnyOrderElementsOf(groupAds(adHours, ads, r -> day(r.hour).toString(), true));
        }

        // The catalog learns the videos it missed; hb catalog --reattribute-only gives their watch time a licensor.
        Set<String> missed = watch.stream().filter(r -> r.licensorId == null).map(r -> r.videoId).collect(Collectors.toCollection(TreeSet::new));
        JdbcConfig jdbc = bed.jdbc();
        try {
            try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
                for (String v : missed) st.execute("INSERT INTO videos VALUES ('" + v + "', 'lic-late', 'added later', 60000)");
            }
            String out = SchemaMigrationIT.captureOut(() -> Main.main(new String[] {"catalog", "--reattribute-only", "--jdbc-url", jdbc.url,
                    "--jdbc-user", jdbc.user, "--batch-size", "5", "--batch-pause", "0ms"}));
            long unattributedRows = watch.stream().filter(r -> r.licensorId == null).count();
            assertThat(out).contains(unattributedRows + " content_watch_hourly row(s) re-attributed in " + ((unattributedRows + 4) / 5) + " batch(es)");
            Map<String, String> newCatalog = new HashMap<>(licensors);
            missed.forEach(v -> newCatalog.put(v, "lic-late"));
            List<ContentWatchHourly> reattributed = List.copyOf(routing.tables(params, newCatalog).contentWatchHourly);
            assertThat(TableSnapshot.read(jdbc).contentWatchHourly).containsExactlyInAnyOrderElementsOf(reattributed);
            List<ContentWatchHourly> reIn = reattributed.stream().filter(r -> r.hour >= from && r.hour <= to).toList();
            Map<String, List<String>> after = expectedPanels(reIn, adsIn, ads, titles);
            try (Connection c = jdbc.connect()) {
                Sql.utc(c);
                for (String title : List.of("Royalties by licensor", "Royalties per licensor per day (UTC)", "Watch time waiting for the catalog")) {
                    assertPanel(title + " (after hb catalog)", Sql.query(c, expand(panels.get(title).at("/targets/0/rawSql").asText(), from, to)), after.get(title));
                }
            }
            assertThat(after.get("Watch time waiting for the catalog")).containsExactly("0");
            // Again: nothing left to do.
            assertThat(SchemaMigrationIT.captureOut(() -> Main.main(new String[] {"catalog", "--reattribute-only", "--jdbc-url", jdbc.url,
                    "--jdbc-user", jdbc.user}))).contains(" 0 content_watch_hourly row(s) re-attributed");
        } finally {
            try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
                st.execute("DELETE FROM videos WHERE licensor_id = 'lic-late'"); // the shared catalog, as the other tests expect it
            }
        }
    }

    /** Each panel's rows as the dashboard's SQL should return them, from the reference's tables and the catalog. */
    static Map<String, List<String>> expectedPanels(List<ContentWatchHourly> watch, List<AdImpressionsHourly> adHours, Map<String, Ad> ads,
                                                    Map<String, String> titles) {
        Map<String, List<String>> out = new TreeMap<>();
        // Royalties by licensor: watched_ms and distinct videos, by watched_ms descending.
        Map<String, long[]> byLicensor = new TreeMap<>();
        Map<String, Set<String>> videosByLicensor = new TreeMap<>();
        for (ContentWatchHourly r : watch) {
            String l = r.licensorId == null ? "(unattributed)" : r.licensorId;
            byLicensor.computeIfAbsent(l, k -> new long[1])[0] += r.watchedMs;
            videosByLicensor.computeIfAbsent(l, k -> new TreeSet<>()).add(r.videoId);
        }
        out.put("Royalties by licensor", byLicensor.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                .map(e -> e.getKey() + "|" + e.getValue()[0] + "|" + videosByLicensor.get(e.getKey()).size()).toList());
        Map<String, Long> perDay = new TreeMap<>();
        for (ContentWatchHourly r : watch) {
            perDay.merge(time(day(r.hour).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli()) + "|" + (r.licensorId == null ? "(unattributed)" : r.licensorId),
                    r.watchedMs, Long::sum);
        }
        out.put("Royalties per licensor per day (UTC)", perDay.entrySet().stream().map(e -> e.getKey() + "|" + e.getValue()).toList());
        // Ad delivery by campaign, by impressions descending.
        Map<String, long[]> byCampaign = new TreeMap<>();
        for (AdImpressionsHourly r : adHours) {
            Ad ad = ads.getOrDefault(r.adId, new Ad("(unknown ad)", "(unknown ad)"));
            long[] a = byCampaign.computeIfAbsent(ad.advertiser() + "|" + ad.campaign(), k -> new long[5]);
            a[0] += r.impressions;
            a[1] += r.firstQuartile;
            a[2] += r.midpoint;
            a[3] += r.thirdQuartile;
            a[4] += r.completes;
        }
        out.put("Ad delivery by campaign", byCampaign.entrySet().stream().sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]))
                .map(e -> e.getKey() + "|" + counts(e.getValue())).toList());
        Map<String, Long> impressionsPerHour = new TreeMap<>();
        for (AdImpressionsHourly r : adHours) {
            impressionsPerHour.merge(time(r.hour) + "|" + ads.getOrDefault(r.adId, new Ad(null, "(unknown ad)")).campaign(), r.impressions, Long::sum);
        }
        out.put("Impressions per campaign per hour", impressionsPerHour.entrySet().stream().map(e -> e.getKey() + "|" + e.getValue()).toList());
        Map<Long, long[]> perHour = new TreeMap<>();
        for (ContentWatchHourly r : watch) {
            long[] a = perHour.computeIfAbsent(r.hour, k -> new long[2]);
            a[0] += r.viewers;
            a[1] += r.watchedMs;
        }
        out.put("Engagement: viewers and watch time per hour", perHour.entrySet().stream().map(e -> time(e.getKey()) + "|" + e.getValue()[0] + "|" + e.getValue()[1]).toList());
        Map<String, long[]> perVideo = new TreeMap<>();
        for (ContentWatchHourly r : watch) {
            long[] a = perVideo.computeIfAbsent(r.videoId, k -> new long[2]);
            a[0] += r.watchedMs;
            a[1] += r.viewers;
        }
        out.put("Top videos by watched time", perVideo.entrySet().stream()
                .sorted(Comparator.comparingLong((Map.Entry<String, long[]> e) -> -e.getValue()[0]).thenComparing(Map.Entry::getKey))
                .map(e -> e.getKey() + "|" + titles.get(e.getKey()) + "|" + e.getValue()[0] + "|" + e.getValue()[1]).toList());
        out.put("Watch time waiting for the catalog", List.of(Long.toString(watch.stream().filter(r -> r.licensorId == null).mapToLong(r -> r.watchedMs).sum())));
        return out;
    }

    /**
     * A panel's rows equal the expected ones, and come in the panel's order by its first numeric sort key (ties may come
     * in any order: string order depends on the database's collation). The top-10 table: the expected ten, up to ties
     * at the cut.
     */
    static void assertPanel(String title, List<String> actual, List<String> expected) {
        if (title.startsWith("Top videos")) {
            assertThat(actual).as(title).hasSize(Math.min(10, expected.size()));
            long cut = watched(expected.get(actual.size() - 1), 2);
            assertThat(expected).as(title).containsAll(actual);
            assertThat(actual).as(title + ": the ten longest watched").allMatch(r -> watched(r, 2) >= cut);
            assertThat(actual.stream().map(r -> watched(r, 2)).toList()).as(title + " in order").isSortedAccordingTo(Comparator.reverseOrder());
            return;
        }
        assertThat(actual).as(title).containsExactlyInAnyOrderElementsOf(expected);
        int key = title.equals("Royalties by licensor") ? 1 : title.equals("Ad delivery by campaign") ? 2 : -1;
        if (key >= 0) {
            assertThat(actual.stream().map(r -> watched(r, key)).toList()).as(title + " in order").isSortedAccordingTo(Comparator.reverseOrder());
        } else if (actual.stream().allMatch(r -> r.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\+00\\|.*"))) {
            assertThat(actual).as(title + " in time order").isSortedAccordingTo(Comparator.comparing((String r) -> r.substring(0, 19)));
        }
    }

    static long watched(String row, int column) {
        return Long.parseLong(row.split("\\|")[column]);
    }

    static String counts(long[] a) {
        String rate = a[0] == 0 ? "null" : BigDecimal.valueOf(a[4]).divide(BigDecimal.valueOf(a[0]), 4, RoundingMode.HALF_UP).toPlainString();
        return a[0] + "|" + a[1] + "|" + a[2] + "|" + a[3] + "|" + a[4] + "|" + rate;
    }

    static List<String> groupWatch(List<ContentWatchHourly> rows, Function<ContentWatchHourly, String> key, boolean unused) {
        Map<String, long[]> g = new TreeMap<>();
        for (ContentWatchHourly r : rows) {
            long[] a = g.computeIfAbsent(key.apply(r), k -> new long[2]);
            a[0] += r.watchedMs;
            a[1] += r.viewers;
        }
        return g.entrySet().stream().map(e -> e.getKey() + "|" + e.getValue()[0] + "|" + e.getValue()[1]).toList();
    }

    static List<String> groupAds(List<AdImpressionsHourly> rows, Map<String, Ad> ads, Function<AdImpressionsHourly, String> bucket, boolean unused) {
        Map<String, long[]> g = new TreeMap<>();
        for (AdImpressionsHourly r : rows) {
            Ad ad = ads.getOrDefault(r.adId, new Ad(null, null));
            long[] a = g.computeIfAbsent(ad.advertiser() + "|" + ad.campaign() + "|" + bucket.apply(r), k -> new long[5]);
            a[0] += r.impressions;
            a[1] += r.firstQuartile;
            a[2] += r.midpoint;
            a[3] += r.thirdQuartile;
            a[4] += r.completes;
        }
        return g.entrySet().stream().map(e -> e.getKey() + "|" + counts(e.getValue())).toList();
    }

    static LocalDate day(long epochMs) {
        return Instant.ofEpochMilli(epochMs).atZone(ZoneOffset.UTC).toLocalDate();
    }

    /** A timestamptz as PostgreSQL prints it in a UTC session. */
    static String time(long epochMs) {
        return PG_TIME.format(Instant.ofEpochMilli(epochMs)) + "+00";
    }

    static final Pattern TIME_FILTER = Pattern.compile("\\$__timeFilter\\(([^)]+)\\)");

    /** Grafana's expansion of the time macros for the range [from, to]. */
    static String expand(String sql, long from, long to) {
        Matcher m = TIME_FILTER.matcher(sql);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(sb, Matcher.quoteReplacement(m.group(1) + " BETWEEN '" + Instant.ofEpochMilli(from) + "' AND '" + Instant.ofEpochMilli(to) + "'"));
        }
        m.appendTail(sb);
        assertThat(sb.toString()).as("no macro or variable left that this test does not expand:\n%s", sb).doesNotContain("$");
        return sb.toString();
    }
}
