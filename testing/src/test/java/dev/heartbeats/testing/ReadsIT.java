package dev.heartbeats.testing;

import dev.heartbeats.common.config.JdbcConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reads of schema/README.md ("Reading the results"), taken from the document itself so that it cannot drift from
 * what is tested: each returns what it says on rows written for it, and each is an index read (no sequential scan of
 * any table) on a database big enough for PostgreSQL's planner to prefer scans where an index does not serve.
 */
class ReadsIT {
    static final Path DOC = Path.of("../schema/README.md");
    final TestBed bed = TestBed.shared();

    /** 2026-02-01 ... as timestamptz, and dates. */
    static OffsetDateTime t(String iso) {
        return OffsetDateTime.parse(iso);
    }

    /** The parameters each documented read is run with: on the small rows, and on the big database. */
    static final Map<String, List<Object>> SMALL = new LinkedHashMap<>();
    static final Map<String, List<Object>> BIG = new LinkedHashMap<>();

    static {
        SMALL.put("resume", List.of("u1", "v1"));
        SMALL.put("continue-watching", List.of("u1", 2));
        SMALL.put("watch-history", List.of("u1", t("2026-02-01T10:30:00Z"), 5));
        SMALL.put("royalties-daily", List.of("lic-a", LocalDate.parse("2026-01-31"), LocalDate.parse("2026-02-02")));
        SMALL.put("royalties-monthly", List.of("lic-a", LocalDate.parse("2026-02-01")));
        SMALL.put("unattributed", List.of());
        SMALL.put("ad-delivery-hourly", List.of("adv-x", t("2026-02-01T00:00:00Z"), t("2026-02-02T00:00:00Z")));
        SMALL.put("ad-delivery-daily", List.of("adv-x", LocalDate.parse("2026-02-01"), LocalDate.parse("2026-02-03")));

        BIG.put("resume", List.of("u42", "v43"));
        BIG.put("continue-watching", List.of("u42", 20));
        BIG.put("watch-history", List.of("u42", t("2026-03-01T00:00:00Z"), 20));
        BIG.put("royalties-daily", List.of("lic3", LocalDate.parse("2025-01-05"), LocalDate.parse("2025-01-08")));
        BIG.put("royalties-monthly", List.of("lic3", LocalDate.parse("2025-02-01")));
        BIG.put("unattributed", List.of());
        BIG.put("ad-delivery-hourly", List.of("adv7", t("2025-06-02T00:00:00Z"), t("2025-06-03T00:00:00Z")));
        BIG.put("ad-delivery-daily", List.of("adv7", LocalDate.parse("2025-06-02"), LocalDate.parse("2025-06-04")));
    }

    /** The index each read's plan must use on the big database (one of them, where the planner may choose). */
    static final Map<String, List<String>> INDEX = Map.of(
            "resume", List.of("video_progress_pkey"),
            "continue-watching", List.of("video_progress_pkey"),
            "watch-history", List.of("watch_segments_by_user"),
            "royalties-daily", List.of("content_watch_hourly_by_licensor_day"),
            "royalties-monthly", List.of("content_watch_hourly_by_licensor_month"),
            "unattributed", List.of("content_watch_hourly_unattributed", "content_watch_hourly_by_licensor_day", "content_watch_hourly_by_licensor_month"),
            "ad-delivery-hourly", List.of("ads_by_advertiser", "ad_impressions_hourly_by_hour"),
            "ad-delivery-daily", List.of("ad_impressions_hourly_by_ad_day"));

    @Test
    void theDocumentHasExactlyTheTestedReads() throws IOException {
        assertThat(reads().keySet()).containsExactlyElementsOf(SMALL.keySet());
    }

    @Test
    void everyReadReturnsWhatItSays() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO videos VALUES ('v1', 'lic-a', 'Film One', 3600000), ('v2', 'lic-a', 'Film Two', 1800000), ('v3', 'lic-b', 'Other', 60000)");
            st.execute("INSERT INTO video_progress VALUES ('u1', 'v1', 1000, '2026-02-01T10:00:00Z', 'd1'), ('u1', 'v2', 2000, '2026-02-01T11:00:00Z', NULL),"
                    + " ('u1', 'v3', 3000, '2026-02-01T09:00:00Z', 'd1'), ('u2', 'v1', 9, '2026-02-01T12:00:00Z', 'd2'), ('u1', 'v9', 5, '2026-01-01T00:00:00Z', 'd1')");
            st.execute("INSERT INTO watch_segments VALUES"
                    + " ('u1', 'v1', '2026-02-01T10:00:00Z', '2026-02-01T10:00:00Z', '2026-02-01T10:05:00Z', 0, 300000, 61),"
                    + " ('u1', 'v1', '2026-02-01T10:20:00Z', '2026-02-01T10:20:00Z', '2026-02-01T10:21:00Z', 600000, 660000, 13),"
                    + " ('u1', 'v2', '2026-02-01T11:00:00Z', '2026-02-01T11:00:00Z', '2026-02-01T11:00:30Z', 0, 30000, 7),"
                    + " ('u1', 'v2', '2026-02-01T10:30:00Z', '2026-02-01T10:30:00Z', '2026-02-01T10:30:10Z', 5, 10005, 3),"
                    + " ('u2', 'v1', '2026-02-01T09:00:00Z', '2026-02-01T09:00:00Z', '2026-02-01T09:01:00Z', 0, 60000, 13)");
            st.execute("INSERT INTO content_watch_hourly VALUES"
                    + " ('v1', '2026-01-31T23:00:00Z', 'lic-a', 100, 1), ('v1', '2026-02-01T00:00:00Z', 'lic-a', 200, 2),"
                    + " ('v1', '2026-02-01T01:00:00Z', 'lic-a', 300, 1), ('v2', '2026-02-01T05:00:00Z', 'lic-a', 50, 1),"
                    + " ('v2', '2026-03-01T05:00:00Z', 'lic-a', 7, 1), ('v3', '2026-02-01T05:00:00Z', 'lic-b', 1000, 4),"
                    + " ('v4', '2026-02-01T02:00:00Z', NULL, 70, 1), ('v4', '2026-02-01T03:00:00Z', NULL, 30, 2)");
            st.execute("INSERT INTO ads VALUES ('ad1', 'adv-x', 'camp-1', 15000), ('ad2', 'adv-x', 'camp-1', 30000), ('ad3', 'adv-x', 'camp-2', 30000),"
                    + " ('ad4', 'adv-y', 'camp-9', 30000)");
            st.execute("INSERT INTO ad_impressions_hourly VALUES"
                    + " ('ad1', '2026-02-01T10:00:00Z', 10, 8, 6, 4, 3), ('ad2', '2026-02-01T10:00:00Z', 5, 5, 5, 5, 5),"
                    + " ('ad3', '2026-02-01T11:00:00Z', 4, 2, 2, 1, 0), ('ad4', '2026-02-01T10:00:00Z', 100, 100, 100, 100, 100),"
                    + " ('ad1', '2026-02-02T10:00:00Z', 1, 1, 1, 1, 1), ('ad3', '2026-02-01T12:00:00Z', 0, 1, 1, 1, 1)");
        }
        Map<String, List<String>> expected = new LinkedHashMap<>();
        expected.put("resume", List.of("1000|2026-02-01 10:00:00+00|d1"));
        expected.put("continue-watching", List.of("v2|Film Two|1800000|2000|2026-02-01 11:00:00+00", "v1|Film One|3600000|1000|2026-02-01 10:00:00+00"));
        // the page after 10:30 (exclusive), newest first
        expected.put("watch-history", List.of(
                "v1|Film One|2026-02-01 10:20:00+00|2026-02-01 10:20:00+00|2026-02-01 10:21:00+00|600000|660000|60000",
                "v1|Film One|2026-02-01 10:00:00+00|2026-02-01 10:00:00+00|2026-02-01 10:05:00+00|0|300000|300000"));
        expected.put("royalties-daily", List.of("v1|2026-01-31|100|1", "v1|2026-02-01|500|3", "v2|2026-02-01|50|1"));
        expected.put("royalties-monthly", List.of("v1|500|3", "v2|50|1"));
        expected.put("unattributed", List.of("v4|2026-02-01 02:00:00+00|100"));
        expected.put("ad-delivery-hourly", List.of("camp-1|2026-02-01 10:00:00+00|15|13|11|9|8|0.5333",
                "camp-2|2026-02-01 11:00:00+00|4|2|2|1|0|0.0000", "camp-2|2026-02-01 12:00:00+00|0|1|1|1|1|null"));
        expected.put("ad-delivery-daily", List.of("camp-1|2026-02-01|15|13|11|9|8|0.5333", "camp-1|2026-02-02|1|1|1|1|1|1.0000",
                "camp-2|2026-02-01|4|3|3|2|1|0.2500"));
        Map<String, String> reads = reads();
        try (Connection c = jdbc.connect()) {
            Sql.utc(c);
            for (Map.Entry<String, String> r : reads.entrySet()) {
                assertThat(run(c, r.getValue(), SMALL.get(r.getKey()))).as(r.getKey()).containsExactlyElementsOf(expected.get(r.getKey()));
            }
        }
    }

    @Test
    void everyReadIsAnIndexReadOnABigDatabase() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO videos SELECT 'v' || i, 'lic' || (i % 20), 'title ' || i, 3600000 FROM generate_series(1, 2000) i");
            st.execute("INSERT INTO ads SELECT 'ad' || i, 'adv' || (i % 50), 'camp' || (i % 200), 30000 FROM generate_series(1, 1000) i");
            st.execute("INSERT INTO video_progress SELECT 'u' || (i % 5000), 'v' || (i % 2000 + 1), i, timestamptz '2026-01-01' + i * interval '1 min', 'd'"
                    + " FROM generate_series(1, 100000) i ON CONFLICT DO NOTHING");
            st.execute("INSERT INTO watch_segments SELECT 'u' || (i % 5000), 'v' || (i % 2000 + 1), timestamptz '2026-01-01' + i * interval '1 min',"
                    + " timestamptz '2026-01-01' + i * interval '1 min', timestamptz '2026-01-01' + i * interval '1 min' + interval '5 min', 0, 300000, 60"
                    + " FROM generate_series(1, 200000) i");
            st.execute("INSERT INTO content_watch_hourly SELECT 'v' || (i % 2000 + 1), timestamptz '2025-01-01' + (i / 2000) * interval '1 hour',"
                    + " CASE WHEN i % 100 = 0 THEN NULL ELSE 'lic' || ((i % 2000 + 1) % 20) END, 1000 * i, i % 7 FROM generate_series(1, 400000) i");
            st.execute("INSERT INTO ad_impressions_hourly SELECT 'ad' || (i % 1000 + 1), timestamptz '2025-06-01' + (i / 1000) * interval '1 hour', 10, 8, 6, 4, 3"
                    + " FROM generate_series(1, 200000) i");
            st.execute("ANALYZE");
        }
        try (Connection c = jdbc.connect()) {
            Sql.utc(c);
            for (Map.Entry<String, String> r : reads().entrySet()) {
                List<String> plan = run(c, "EXPLAIN " + r.getValue(), BIG.get(r.getKey()));
                String text = String.join("\n", plan);
                System.out.println("EXPLAIN " + r.getKey() + ":\n" + text);
                assertThat(text).as("plan of %s:\n%s", r.getKey(), text).doesNotContain("Seq Scan");
                assertThat(INDEX.get(r.getKey())).as("plan of %s uses one of these indexes:\n%s", r.getKey(), text).anyMatch(text::contains);
            }
        }
    }

    static final Pattern READ = Pattern.compile("<!-- read: ([a-z-]+) -->\\s*```sql\\n(.*?)```", Pattern.DOTALL);

    /** The documented reads by name, in document order, their SQL as written (comments dropped). */
    static Map<String, String> reads() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Matcher m = READ.matcher(Files.readString(DOC));
        while (m.find()) {
            StringBuilder sql = new StringBuilder();
            for (String line : m.group(2).split("\n")) if (!line.trim().startsWith("--")) sql.append(line).append('\n');
            assertThat(out.put(m.group(1), sql.toString().trim().replaceAll(";$", ""))).as("read %s documented once", m.group(1)).isNull();
        }
        return out;
    }

    /** Runs a documented read ({@code $n} parameters bound in order), each row as its columns joined by |. */
    static List<String> run(Connection c, String sql, List<Object> params) throws SQLException {
        Matcher p = Pattern.compile("\\$(\\d+)").matcher(sql);
        List<Object> ordered = new ArrayList<>();
        StringBuilder jdbcSql = new StringBuilder();
        while (p.find()) {
            ordered.add(params.get(Integer.parseInt(p.group(1)) - 1));
            p.appendReplacement(jdbcSql, "?");
        }
        p.appendTail(jdbcSql);
        assertThat(ordered).as("parameters of %s", sql).hasSizeGreaterThanOrEqualTo(params.size());
        List<String> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(jdbcSql.toString())) {
            for (int i = 0; i < ordered.size(); i++) ps.setObject(i + 1, ordered.get(i));
            try (ResultSet rs = ps.executeQuery()) {
                rows.addAll(Sql.rows(rs));
            }
        }
        return rows;
    }

    private JdbcConfig freshDatabase() throws SQLException {
        return bed.migratedDatabase("reads_it");
    }
}
