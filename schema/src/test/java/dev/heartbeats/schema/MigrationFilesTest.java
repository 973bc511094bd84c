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
        assertThat(postgres.keySet()).as("versions 1..n without gaps").containsExactlyElementsOf(
                Stream.iterate(1, v -> v + 1).limit(postgres.size()).toList());
        assertThat(((TreeMap<Integer, String>) postgres).lastKey())
                .as("Schema.REQUIRED_VERSION must be the newest migration: the jobs check for it before they start")
                .isEqualTo(Schema.REQUIRED_VERSION);
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
            if (pg.isEmpty()) {
                // No table (roles, grants): nothing differs between the flavours, so the statements are the same.
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
