package dev.heartbeats.schema.catalog;

import dev.heartbeats.generator.SampleCatalog;
import dev.heartbeats.schema.catalog.CatalogLoader.CsvRow;
import dev.heartbeats.schema.catalog.CatalogLoader.MalformedCsvException;
import dev.heartbeats.schema.catalog.CatalogLoader.Table;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The CSV side of the loader; the database side is tested where an embedded PostgreSQL is available. */
class CatalogLoaderTest {
    private static final String VIDEOS_HEADER = "video_id,licensor_id,title,duration_ms\n";

    private static List<CsvRow> csv(String text) throws IOException {
        return CatalogLoader.readCsv(new StringReader(text), "test.csv");
    }

    private static List<Object[]> videos(String text) throws IOException {
        return CatalogLoader.parse(Table.VIDEOS, new StringReader(text), "videos.csv");
    }

    private static String read(String resource) throws IOException {
        StringWriter w = new StringWriter();
        try (Reader r = CatalogLoader.bundled(resource)) {
            r.transferTo(w);
        }
        return w.toString();
    }

    @Test
    void bundledCatalogMatchesTheGenerator() throws IOException {
        StringBuilder videos = new StringBuilder();
        SampleCatalog.writeVideosCsv(videos, SampleCatalog.DEFAULT_VIDEOS);
        StringBuilder ads = new StringBuilder();
        SampleCatalog.writeAdsCsv(ads, SampleCatalog.DEFAULT_ADS);
        // If this fails, regenerate: java -cp common/target/classes dev.heartbeats.generator.SampleCatalog
        assertThat(read(CatalogLoader.BUNDLED_VIDEOS)).isEqualTo(videos.toString());
        assertThat(read(CatalogLoader.BUNDLED_ADS)).isEqualTo(ads.toString());
    }

    @Test
    void bundledVideosParseWithQuotedTitlesAndLeaveSomeVideosOut() throws IOException {
        List<Object[]> rows = parseBundled(Table.VIDEOS, CatalogLoader.BUNDLED_VIDEOS);
        assertThat(rows).hasSize(190);
        int row = 0;
        for (int i = 0; i < SampleCatalog.DEFAULT_VIDEOS; i++) {
            if (!SampleCatalog.inCatalog(i)) continue;
            Object[] v = rows.get(row++);
            assertThat(v).containsExactly(SampleCatalog.videoId(i), SampleCatalog.licensorId(i), SampleCatalog.title(i), SampleCatalog.videoDurationMs(i));
        }
        assertThat(rows).extracting(v -> (String) v[2]).anyMatch(t -> t.contains(",")).anyMatch(t -> t.contains("\""));
        assertThat(rows).extracting(v -> (String) v[1]).allMatch(l -> l.matches("lic-0[1-8]"));
    }

    @Test
    void bundledAdsParse() throws IOException {
        List<Object[]> rows = parseBundled(Table.ADS, CatalogLoader.BUNDLED_ADS);
        assertThat(rows).hasSize(20);
        assertThat(rows.get(0)).containsExactly("ad000", "adv-01", "camp-001", SampleCatalog.adDurationMs(0));
        assertThat(rows).extracting(v -> (Long) v[3]).containsOnly(15_000L, 30_000L).contains(15_000L, 30_000L);
    }

    @Test
    void quotedFields() throws IOException {
        List<CsvRow> rows = csv("a,b,c\r\n"
                + "\"x, y\",\"say \"\"hi\"\"\",\"\"\r\n"
                + "\"two\nlines\",plain,\n"
                + "\n"
                + "last,row,\"end\"");
        assertThat(rows).extracting(CsvRow::fields).containsExactly(
                List.of("a", "b", "c"),
                List.of("x, y", "say \"hi\"", ""),
                List.of("two\nlines", "plain", ""),
                List.of("last", "row", "end"));
        // A row's line is where it starts; the blank line 5 is skipped.
        assertThat(rows).extracting(CsvRow::line).containsExactly(1, 2, 3, 6);
    }

    @Test
    void aQuoteInsideAnUnquotedFieldIsKept() throws IOException {
        assertThat(videos(VIDEOS_HEADER + "v0001,lic-01,The \"Cut\",1000\n").get(0)).containsExactly("v0001", "lic-01", "The \"Cut\"", 1000L);
    }

    @Test
    void byteOrderMarkAndEmptyFields() throws IOException {
        List<Object[]> rows = videos("\uFEFF" + VIDEOS_HEADER + "v0001,,,\nv0002,lic-01,\"Title\",5000\n");
        assertThat(rows.get(0)).containsExactly("v0001", null, null, null);
        assertThat(rows.get(1)).containsExactly("v0002", "lic-01", "Title", 5000L);
    }

    @Test
    void upsertIsIdempotentByKey() {
        assertThat(Table.VIDEOS.upsertSql()).isEqualTo("INSERT INTO videos (video_id, licensor_id, title, duration_ms) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (video_id) DO UPDATE SET licensor_id = EXCLUDED.licensor_id, title = EXCLUDED.title, duration_ms = EXCLUDED.duration_ms");
        assertThat(Table.ADS.upsertSql()).startsWith("INSERT INTO ads (ad_id, advertiser_id, campaign_id, duration_ms)")
                .contains("ON CONFLICT (ad_id) DO UPDATE SET advertiser_id = EXCLUDED.advertiser_id");
    }

    @Test
    void malformedRowsNameTheFileAndLine() {
        assertMalformed(VIDEOS_HEADER + "v0001,lic-01,T,1000\nv0002,lic-01,T\n", "videos.csv line 3: expected 4 fields, got 3");
        assertThatThrownBy(() -> videos(VIDEOS_HEADER + "v0001,lic-01,\"unclosed,1000\nv0002,lic-01,T,1000\n"))
                .isInstanceOf(MalformedCsvException.class).hasMessageStartingWith("videos.csv: ").hasMessageContaining("startline 2");
        assertThatThrownBy(() -> videos(VIDEOS_HEADER + "v0001,lic-01,\"The\" Cut,1000\n"))
                .isInstanceOf(MalformedCsvException.class).hasMessageStartingWith("videos.csv: ").hasMessageContaining("line 2");
        assertMalformed(VIDEOS_HEADER + "v0001,lic-01,T,long\n", "videos.csv line 2: duration_ms must be a whole number >= 0, got 'long'");
        assertMalformed(VIDEOS_HEADER + "v0001,lic-01,T,-5\n", "videos.csv line 2: duration_ms must be a whole number >= 0");
        assertMalformed(VIDEOS_HEADER + ",lic-01,T,5\n", "videos.csv line 2: video_id is empty");
        assertMalformed(VIDEOS_HEADER + "v0001,lic-01,T,5\n\nv0001,lic-02,T,5\n", "videos.csv line 4: video_id 'v0001' repeats line 2");
        assertMalformed("video_id,licensor,title,duration_ms\n", "videos.csv line 1: expected the header video_id,licensor_id,title,duration_ms");
        assertMalformed("", "videos.csv line 1: empty file");
        assertMalformed(VIDEOS_HEADER + "v\u0000,lic-01,T,5\n", "videos.csv line 2: video_id contains U+0000");
    }

    private static void assertMalformed(String text, String message) {
        assertThatThrownBy(() -> videos(text)).isInstanceOf(MalformedCsvException.class).hasMessageStartingWith(message);
    }

    private static List<Object[]> parseBundled(Table table, String name) throws IOException {
        try (Reader r = CatalogLoader.bundled(name)) {
            return CatalogLoader.parse(table, r, name);
        }
    }
}
