package dev.heartbeats.schema;

import dev.heartbeats.common.tables.Schema;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The migration files themselves: both flavours have the same versions, the newest is the version the jobs require,
 * version 1 is exactly the 0.1.0 schema, and the YugabyteDB flavour has the same tables, columns and keys as the
 * PostgreSQL one, with hash-sharded keys.
 */
class MigrationFilesTest {
    static final Path MIGRATIONS = Path.of("src/main/resources/db/migration");
    static final Pattern FILE = Pattern.compile("V(\\d+)__[A-Za-z0-9_]+\\.sql");

    @Test
    void bothFlavoursHaveTheSameVersionsAndTheNewestIsTheOneTheJobsRequire() throws IOException {
        Map<Integer, String> postgres = versions("postgres");
        Map<Integer, String> yugabyte = versions("yugabyte");
        assertThat(postgres).isNotEmpty().isEqualTo(yugabyte);
        // Gaps are allowed: work developed in parallel takes its own range of numbers (the readers' migrations start
        // at 10), so that two branches never pick the same one.
        assertThat(postgres.keySet()).as("versions start at 1 (the 0.1.0 schema) and 2").startsWith(1, 2);
        assertThat(((TreeMap<Integer, String>) postgres).lastKey())
                .as("Schema.REQUIRED_VERSION must be the newest migration: the jobs check for it before they start")
                .isEqualTo(Schema.REQUIRED_VERSION);
    }

    /** Indexes and views: the same names in both flavours, the views word for word, the indexes built online. */
    @Test
    void indexesAndViewsAreTheSameInBothFlavoursAndYugabyteIndexesAreShardedOnPurpose() throws IOException {
        for (String file : versions("postgres").values()) {
            List<String> pg = statements(Files.readString(MIGRATIONS.resolve("postgres").resolve(file)));
            List<String> yb = statements(Files.readString(MIGRATIONS.resolve("yugabyte").resolve(file)));
            assertThat(views(yb)).as("views of %s", file).isEqualTo(views(pg));
            Map<String, String> pgIndexes = indexes(pg);
            Map<String, String> ybIndexes = indexes(yb);
            // video_progress's primary key already serves the per-user reads on PostgreSQL, not on YugabyteDB
            // (hashed per (user, video)): the one index only the YugabyteDB flavour has.
            Map<String, String> ybOnly = new TreeMap<>(ybIndexes);
            ybOnly.keySet().removeAll(pgIndexes.keySet());
            assertThat(ybOnly.keySet()).as("indexes of yugabyte/%s missing from postgres/%s", file, file).isSubsetOf("video_progress_by_user");
            assertThat(ybIndexes.keySet()).as("every index of postgres/%s is in yugabyte/%s", file, file).containsAll(pgIndexes.keySet());
            for (Map.Entry<String, String> e : ybIndexes.entrySet()) {
                assertThat(e.getValue()).as("YugabyteDB index %s says how its first column is sharded (HASH, or ASC/DESC for a range)", e.getKey())
                        .containsPattern("^\\(\\(*[^,]*?\\)* (HASH|ASC|DESC)[,)]");
            }
            boolean anyIndex = !pgIndexes.isEmpty();
            for (String st : pg) {
                if (anyIndex) {
                    // Flyway runs a script outside a transaction only when all of its statements must be: mixing
                    // CREATE INDEX CONCURRENTLY with transactional statements fails the migration.
                    assertThat(st).as("%s: a script with indexes builds all of them online and does nothing else", file)
                            .matches("(?i)CREATE INDEX CONCURRENTLY IF NOT EXISTS .*");
                }
            }
        }
        assertThat(indexes(statements(Files.readString(MIGRATIONS.resolve("yugabyte").resolve("V10__read_indexes.sql")))))
                .as("the readers' indexes").containsKeys("watch_segments_by_user", "video_progress_by_user",
                        "content_watch_hourly_by_licensor_day", "content_watch_hourly_by_licensor_month", "content_watch_hourly_unattributed");
    }

    static final Pattern INDEX = Pattern.compile("CREATE INDEX CONCURRENTLY IF NOT EXISTS (\\w+) ON (\\w+) (\\(.*\\))( WHERE .*)?", Pattern.CASE_INSENSITIVE);
    static final Pattern VIEW = Pattern.compile("CREATE VIEW (\\w+) AS (.*)", Pattern.CASE_INSENSITIVE);

    /** Index name -> its column list (from the opening parenthesis). */
    static Map<String, String> indexes(List<String> statements) {
        Map<String, String> out = new TreeMap<>();
        for (String st : statements) {
            Matcher m = INDEX.matcher(st);
            if (m.matches()) out.put(m.group(1), m.group(3));
        }
        return out;
    }

    static Map<String, String> views(List<String> statements) {
        Map<String, String> out = new TreeMap<>();
        for (String st : statements) {
            Matcher m = VIEW.matcher(st);
            if (m.matches()) out.put(m.group(1), m.group(2));
        }
        return out;
    }

    @Test
    void version1IsTheSchemaOfRelease010StatementForStatement() throws IOException {
        for (String flavour : List.of("postgres", "yugabyte")) {
            List<String> v1 = statements(Files.readString(MIGRATIONS.resolve(flavour).resolve("V1__contract_tables.sql")));
            List<String> old = statements(Files.readString(Path.of("../testing/src/main/resources/release-0.1.0/" + flavour + ".sql")));
            assertThat(v1).as(flavour).hasSize(6).isEqualTo(old);
        }
    }

    @Test
    void yugabyteMigrationsHaveTheSameTablesColumnsAndKeysWithHashShardedKeys() throws IOException {
        for (Map.Entry<Integer, String> e : versions("postgres").entrySet()) {
            String file = e.getValue();
            Map<String, Table> pg = tables(Files.readString(MIGRATIONS.resolve("postgres").resolve(file)));
            Map<String, Table> yb = tables(Files.readString(MIGRATIONS.resolve("yugabyte").resolve(file)));
            boolean rolesOnly = statements(Files.readString(MIGRATIONS.resolve("postgres").resolve(file))).stream()
                    .noneMatch(st -> st.toUpperCase(Locale.ROOT).matches("CREATE (UNIQUE )?(TABLE|INDEX|VIEW|OR REPLACE VIEW)\\b.*"));
            if (rolesOnly) {
                // Roles and grants only: nothing differs between the flavours, so the statements are the same.
                assertThat(statements(Files.readString(MIGRATIONS.resolve("yugabyte").resolve(file))))
                        .as("yugabyte/%s has the statements of postgres/%s", file, file).isNotEmpty()
                        .isEqualTo(statements(Files.readString(MIGRATIONS.resolve("postgres").resolve(file))));
                continue;
            }
            assertThat(yb).as("yugabyte/%s has the same tables, columns, types, nullability and keys as postgres/%s", file, file).isEqualTo(pg);
            for (String yugabyteSql : statements(Files.readString(MIGRATIONS.resolve("yugabyte").resolve(file)))) {
                if (yugabyteSql.toUpperCase(Locale.ROOT).startsWith("CREATE TABLE")) {
                    assertThat(yugabyteSql).as("a YugabyteDB table's primary key is hash-sharded").containsPattern("PRIMARY KEY \\(\\(?[a-z_, ]+\\)? HASH");
                }
            }
        }
    }

    /** The parser below reads what it should: a key declared inline and one declared apart are the same. */
    @Test
    void theStructureParserSeesKeysNullabilityAndTypes() {
        Map<String, Table> inline = tables("CREATE TABLE t (a text PRIMARY KEY, b bigint);");
        Map<String, Table> apart = tables("CREATE TABLE IF NOT EXISTS t (a text NOT NULL, b bigint, PRIMARY KEY (a HASH));");
        Map<String, Table> other = tables("CREATE TABLE t (a text NOT NULL, b bigint NOT NULL, PRIMARY KEY (a));");
        assertThat(inline).isEqualTo(apart).isNotEqualTo(other);
        assertThat(tables("CREATE TABLE t (a text NOT NULL, b int NOT NULL, PRIMARY KEY ((a) HASH, b ASC));").get("t").key).containsExactly("a", "b");
    }

    static Map<Integer, String> versions(String flavour) throws IOException {
        Map<Integer, String> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(MIGRATIONS.resolve(flavour))) {
            for (Path p : files.toList()) {
                Matcher m = FILE.matcher(p.getFileName().toString());
                assertThat(m.matches()).as("%s is named V<n>__<description>.sql", p).isTrue();
                assertThat(out.put(Integer.parseInt(m.group(1)), p.getFileName().toString())).as("one file per version").isNull();
            }
        }
        return out;
    }

    /** Every role the migrations create is granted rights on tables that exist, and each job's role exists. */
    @Test
    void theJobRolesAreCreatedAndGrantedOnTheirTables() throws IOException {
        String v3 = String.join(";\n", statements(Files.readString(MIGRATIONS.resolve("postgres").resolve("V3__job_roles.sql")))) + ";";
        for (String job : List.of("segments", "watch-time", "ad-impressions")) {
            assertThat(v3).contains("CREATE ROLE " + Schema.jobRole(job) + " LOGIN").containsPattern("GRANT [A-Z, ]+ ON [a-z_, ]+ TO [a-z_, ]*" + Schema.jobRole(job));
        }
        assertThat(v3).doesNotContainIgnoringCase("PASSWORD").doesNotContainIgnoringCase("SUPERUSER").doesNotContainIgnoringCase("ALL PRIVILEGES");
    }

    /** The statements of a script, comments dropped and whitespace collapsed. */
    static List<String> statements(String sql) {
        StringBuilder sb = new StringBuilder();
        for (String line : sql.split("\n")) {
            int comment = line.indexOf("--");
            sb.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
        }
        List<String> out = new ArrayList<>();
        for (String s : sb.toString().split(";")) if (!s.isBlank()) out.add(s.trim().replaceAll("\\s+", " "));
        return out;
    }

    record Column(String type, boolean notNull) {}

    record Table(Map<String, Column> columns, List<String> key) {}

    static final Pattern CREATE = Pattern.compile("CREATE TABLE (?:IF NOT EXISTS )?(\\w+) \\((.*)\\)", Pattern.CASE_INSENSITIVE);

    /** Tables by name: columns (type, NOT NULL, key columns counted as NOT NULL) and the key's columns in order. */
    static Map<String, Table> tables(String sql) {
        Map<String, Table> out = new LinkedHashMap<>();
        for (String st : statements(sql)) {
            Matcher m = CREATE.matcher(st);
            if (!m.matches()) continue;
            Map<String, Column> columns = new LinkedHashMap<>();
            List<String> key = new ArrayList<>();
            for (String part : splitTopLevel(m.group(2))) {
                String p = part.trim();
                if (p.toUpperCase(Locale.ROOT).startsWith("PRIMARY KEY")) {
                    for (String k : p.substring(p.indexOf('(') + 1, p.lastIndexOf(')')).replaceAll("[()]", "").split(",")) {
                        key.add(k.trim().split("\\s+")[0]);
                    }
                } else {
                    String[] w = p.split("\\s+");
                    String rest = p.toUpperCase(Locale.ROOT);
                    if (rest.contains("PRIMARY KEY")) key.add(w[0]);
                    columns.put(w[0], new Column(w[1].toLowerCase(Locale.ROOT), rest.contains("NOT NULL") || rest.contains("PRIMARY KEY")));
                }
            }
            for (String k : key) columns.computeIfPresent(k, (n, c) -> new Column(c.type(), true));
            out.put(m.group(1), new Table(columns, key));
        }
        return out;
    }

    private static List<String> splitTopLevel(String body) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        StringBuilder cur = new StringBuilder();
        for (char ch : body.toCharArray()) {
            if (ch == '(') depth++;
            if (ch == ')') depth--;
            if (ch == ',' && depth == 0) {
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(ch);
            }
        }
        parts.add(cur.toString());
        return parts;
    }
}
