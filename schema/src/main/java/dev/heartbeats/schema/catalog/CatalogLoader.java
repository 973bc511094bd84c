package dev.heartbeats.schema.catalog;

import dev.heartbeats.common.config.JdbcConfig;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads the catalog tables {@code videos} and {@code ads} (contract section 4) from CSV files with a header row.
 * Idempotent: rows are upserted by primary key, so loading a file again, or a corrected one, is safe. A file is
 * parsed and checked completely before anything is written, and written in one transaction.
 */
public final class CatalogLoader {
    /** The sample catalog matching the generator's default ids, bundled as resources. */
    public static final String BUNDLED_VIDEOS = "/catalog/videos.csv";
    public static final String BUNDLED_ADS = "/catalog/ads.csv";

    private static final int BATCH_SIZE = 500;

    /** A catalog table: its CSV header is its column list; the first column is the key, {@code duration_ms} a bigint. */
    enum Table {
        VIDEOS("videos", "video_id", "licensor_id", "title", "duration_ms"),
        ADS("ads", "ad_id", "advertiser_id", "campaign_id", "duration_ms");

        final String name;
        final List<String> columns;

        Table(String name, String... columns) {
            this.name = name;
            this.columns = List.of(columns);
        }

        boolean isNumeric(int column) {
            return columns.get(column).equals("duration_ms");
        }

        String upsertSql() {
            StringBuilder sb = new StringBuilder("INSERT INTO ").append(name).append(" (").append(String.join(", ", columns))
                    .append(") VALUES (").append("?, ".repeat(columns.size() - 1)).append("?) ON CONFLICT (").append(columns.get(0))
                    .append(") DO UPDATE SET ");
            for (int i = 1; i < columns.size(); i++) {
                if (i > 1) sb.append(", ");
                sb.append(columns.get(i)).append(" = EXCLUDED.").append(columns.get(i));
            }
            return sb.toString();
        }
    }

    /** A malformed catalog file; the message names the file and line. */
    public static final class MalformedCsvException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        MalformedCsvException(String source, int line, String problem) {
            super(source + " line " + line + ": " + problem);
        }

        MalformedCsvException(String source, String problem) {
            super(source + ": " + problem);
        }
    }

    /** How many rows each table received. */
    public record Loaded(int videos, int ads) {}

    private CatalogLoader() {}

    /** @return the number of rows upserted */
    public static int loadVideos(JdbcConfig jdbc, Reader csv) throws IOException, SQLException {
        return loadVideos(jdbc, csv, "videos.csv");
    }

    /** @param source the file name used in error messages */
    public static int loadVideos(JdbcConfig jdbc, Reader csv, String source) throws IOException, SQLException {
        return load(jdbc, Table.VIDEOS, csv, source);
    }

    public static int loadAds(JdbcConfig jdbc, Reader csv) throws IOException, SQLException {
        return loadAds(jdbc, csv, "ads.csv");
    }

    public static int loadAds(JdbcConfig jdbc, Reader csv, String source) throws IOException, SQLException {
        return load(jdbc, Table.ADS, csv, source);
    }

    /** Loads the bundled sample catalog. */
    public static Loaded loadDefaults(JdbcConfig jdbc) throws IOException, SQLException {
        try (Reader videos = bundled(BUNDLED_VIDEOS); Reader ads = bundled(BUNDLED_ADS)) {
            return new Loaded(loadVideos(jdbc, videos, BUNDLED_VIDEOS), loadAds(jdbc, ads, BUNDLED_ADS));
        }
    }

    /** A bundled catalog resource, e.g. {@link #BUNDLED_VIDEOS}. */
    public static Reader bundled(String resource) {
        InputStream in = CatalogLoader.class.getResourceAsStream(resource);
        if (in == null) throw new IllegalStateException("catalog resource " + resource + " missing from the classpath");
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }

    private static int load(JdbcConfig jdbc, Table table, Reader csv, String source) throws IOException, SQLException {
        List<Object[]> rows = parse(table, csv, source);
        try (Connection c = jdbc.connect()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(table.upsertSql())) {
                int pending = 0;
                for (Object[] row : rows) {
                    for (int i = 0; i < row.length; i++) {
                        if (row[i] == null) {
                            ps.setNull(i + 1, table.isNumeric(i) ? Types.BIGINT : Types.VARCHAR);
                        } else {
                            ps.setObject(i + 1, row[i]);
                        }
                    }
                    ps.addBatch();
                    if (++pending == BATCH_SIZE) {
                        ps.executeBatch();
                        pending = 0;
                    }
                }
                if (pending > 0) ps.executeBatch();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        return rows.size();
    }

    /**
     * Parses and checks a catalog CSV: the header must be the table's columns; the key must be non-empty and unique
     * (a repeated key would make one multi-row upsert touch a row twice, which PostgreSQL rejects); an empty field
     * is NULL; {@code duration_ms} is a non-negative integer.
     *
     * @return one array per row, {@code String} and {@code Long} values in column order
     * @throws MalformedCsvException naming the file line
     */
    static List<Object[]> parse(Table table, Reader csv, String source) throws IOException {
        List<CsvRow> rows = readCsv(csv, source);
        if (rows.isEmpty()) throw new MalformedCsvException(source, 1, "empty file, expected the header " + String.join(",", table.columns));
        CsvRow header = rows.get(0);
        if (!header.fields().equals(table.columns)) {
            throw new MalformedCsvException(source, header.line(), "expected the header " + String.join(",", table.columns)
                    + ", got " + String.join(",", header.fields()));
        }
        int n = table.columns.size();
        List<Object[]> out = new ArrayList<>(rows.size() - 1);
        Map<String, Integer> keyLines = new HashMap<>();
        for (CsvRow row : rows.subList(1, rows.size())) {
            List<String> f = row.fields();
            if (f.size() != n) throw new MalformedCsvException(source, row.line(), "expected " + n + " fields, got " + f.size());
            Object[] values = new Object[n];
            for (int i = 0; i < n; i++) {
                String v = f.get(i);
                if (v.indexOf('\0') >= 0) throw new MalformedCsvException(source, row.line(), table.columns.get(i) + " contains U+0000");
                if (v.isEmpty()) continue;
                values[i] = table.isNumeric(i) ? parseNonNegative(v, table.columns.get(i), source, row.line()) : v;
            }
            if (values[0] == null) throw new MalformedCsvException(source, row.line(), table.columns.get(0) + " is empty");
            Integer earlier = keyLines.putIfAbsent((String) values[0], row.line());
            if (earlier != null) {
                throw new MalformedCsvException(source, row.line(), table.columns.get(0) + " '" + values[0] + "' repeats line " + earlier);
            }
            out.add(values);
        }
        return out;
    }

    private static Long parseNonNegative(String v, String column, String source, int line) {
        try {
            long n = Long.parseLong(v.trim());
            if (n >= 0) return n;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new MalformedCsvException(source, line, column + " must be a whole number >= 0, got '" + v + "'");
    }

    /** One record of a CSV file and the line it starts on. */
    record CsvRow(int line, List<String> fields) {}

    /** RFC 4180 (Apache Commons CSV), blank lines skipped. */
    private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).build();

    /**
     * Reads RFC 4180 CSV: comma-separated, fields optionally in double quotes (then holding commas, line breaks and
     * {@code ""} for a quote), CRLF or LF line ends. Blank lines and a leading byte-order mark are skipped.
     */
    static List<CsvRow> readCsv(Reader in, String source) throws IOException {
        StringWriter all = new StringWriter();
        in.transferTo(all);
        String text = all.toString();
        if (text.startsWith("\uFEFF")) text = text.substring(1);
        List<CsvRow> rows = new ArrayList<>();
        Lines lines = new Lines(text);
        try (CSVParser parser = CSVParser.parse(text, CSV)) {
            for (CSVRecord r : parser) rows.add(new CsvRow(lines.recordAt((int) r.getCharacterPosition()), r.toList()));
        } catch (UncheckedIOException e) {
            // The parser's message names the line, e.g. "(startline 2) EOF reached before encapsulated token finished".
            throw new MalformedCsvException(source, e.getCause().getMessage());
        }
        return rows;
    }

    /** Line numbers of positions in a text, read forward once. */
    private static final class Lines {
        private final String text;
        private int position;
        private int line = 1;

        Lines(String text) {
            this.text = text;
        }

        /** The line a record starts on: the parser reports its position before the blank lines it skipped. */
        int recordAt(int recordPosition) {
            int end = recordPosition;
            while (end < text.length() && (text.charAt(end) == '\r' || text.charAt(end) == '\n')) end++;
            for (; position < end; position++) {
                char c = text.charAt(position);
                if (c == '\n' || (c == '\r' && (position + 1 == text.length() || text.charAt(position + 1) != '\n'))) line++;
            }
            return line;
        }
    }

    /** Loads the videos ({@code videos}) or ads table from {@code file}, or from the bundled sample catalog when it is null. */
    public static int loadFile(JdbcConfig jdbc, boolean videos, String file) throws IOException, SQLException {
        String source = file != null ? file : videos ? BUNDLED_VIDEOS : BUNDLED_ADS;
        try (Reader r = file != null ? Files.newBufferedReader(Path.of(file), StandardCharsets.UTF_8) : bundled(source)) {
            return videos ? loadVideos(jdbc, r, source) : loadAds(jdbc, r, source);
        }
    }
}
