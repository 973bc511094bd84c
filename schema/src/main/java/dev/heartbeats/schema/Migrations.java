package dev.heartbeats.schema;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.logging.Logger;

/**
 * Brings a database's schema to the newest version with Flyway's versioned migrations
 * ({@code db/migration/postgres/V*} or {@code db/migration/yugabyte/V*}: the same tables, YugabyteDB's hash-sharded
 * keys in the second). Flyway's PostgreSQL module handles YSQL too (it speaks PostgreSQL's SQL and protocol).
 *
 * <p>Version 1 is the schema of release 0.1.0, which created its tables without keeping a history. A database that
 * has all of them and no history is baselined at 1 (recorded as applied, not run again) and migrated from there; an
 * empty one gets every version; one with only some of them is refused, since it is neither.
 */
public final class Migrations {
    /** The tables of version 1 (release 0.1.0). */
    public static final List<String> V1_TABLES = List.of("watch_segments", "video_progress", "content_watch_hourly",
            "ad_impressions_hourly", "videos", "ads");

    /** What {@link #apply} did. */
    public record Result(Schema.Flavor flavor, OptionalInt before, int after, boolean baselined, int migrationsRun) {
        @Override
        public String toString() {
            return flavor.name().toLowerCase() + " flavour, version " + (before.isPresent() ? before.getAsInt() : "none")
                    + (baselined ? " (0.1.0 tables found: baselined at 1)" : "") + " -> " + after + ", " + migrationsRun + " migration(s) run";
        }
    }

    private Migrations() {}

    /** The classpath location of a flavour's migrations. */
    public static String location(Schema.Flavor flavor) {
        return "classpath:db/migration/" + (flavor == Schema.Flavor.YUGABYTE ? "yugabyte" : "postgres");
    }

    /** Migrates the database of {@code jdbc} to the newest version ({@code flavor} AUTO asks the database which). */
    public static Result apply(JdbcConfig jdbc, Schema.Flavor flavor) throws SQLException {
        Schema.Flavor f;
        OptionalInt before;
        List<String> present = new ArrayList<>();
        try (Connection c = jdbc.connect()) {
            f = flavor == Schema.Flavor.AUTO ? Schema.detect(jdbc, c) : flavor;
            before = Schema.installedVersion(c);
            try (Statement st = c.createStatement()) {
                for (String t : V1_TABLES) {
                    try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + t + "') IS NOT NULL")) {
                        rs.next();
                        if (rs.getBoolean(1)) present.add(t);
                    }
                }
            }
        }
        // A URL that names a schema (currentSchema=..., e.g. a restatement's scratch schema) gets the same migrations
        // in that schema, created if missing, with its own history.
        String schema = currentSchema(jdbc.url);
        Flyway flyway = Flyway.configure()
                .schemas(schema == null ? new String[0] : new String[] {schema})
                .dataSource(new ConnectingDataSource(jdbc))
                .locations(location(f))
                .table(Schema.HISTORY_TABLE)
                .baselineVersion("1")
                .baselineDescription("schema of release 0.1.0, created before migrations")
                .failOnMissingLocations(true)
                .load();
        boolean baselined = false;
        if (before.isEmpty() && !present.isEmpty()) {
            if (present.size() < V1_TABLES.size()) {
                List<String> missing = new ArrayList<>(V1_TABLES);
                missing.removeAll(present);
                throw new IllegalStateException(jdbc.url + " has some of the tables of schema version 1 (" + String.join(", ", present)
                        + ") but not all (missing: " + String.join(", ", missing) + ") and no " + Schema.HISTORY_TABLE
                        + ": it is neither a 0.1.0 database nor an empty one; create the missing tables with the statements of "
                        + location(f) + "/V1__contract_tables.sql, then run hb schema again");
            }
            flyway.baseline();
            baselined = true;
        }
        MigrateResult result = flyway.migrate();
        int after;
        try (Connection c = jdbc.connect()) {
            after = Schema.installedVersion(c).orElseThrow(() -> new IllegalStateException("no schema version after migrating " + jdbc.url));
        }
        return new Result(f, before, after, baselined, result.migrationsExecuted);
    }

    /** The first schema a JDBC URL's {@code currentSchema} parameter names, or {@code null}. */
    public static String currentSchema(String url) {
        int q = url.indexOf('?');
        if (q < 0) return null;
        for (String param : url.substring(q + 1).split("&")) {
            if (param.startsWith("currentSchema=")) {
                String v = java.net.URLDecoder.decode(param.substring("currentSchema=".length()), java.nio.charset.StandardCharsets.UTF_8);
                return v.split(",")[0].trim();
            }
        }
        return null;
    }

    /** Flyway's connections, each opened like the sinks' (the password read at connect time, never held). */
    private static final class ConnectingDataSource implements DataSource {
        private final JdbcConfig jdbc;

        ConnectingDataSource(JdbcConfig jdbc) {
            this.jdbc = jdbc;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return jdbc.connect();
        }

        @Override
        public Connection getConnection(String username, String password) throws SQLException {
            throw new SQLFeatureNotSupportedException("credentials come from the settings, not from the caller");
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {}

        @Override
        public void setLoginTimeout(int seconds) {}

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }
}
