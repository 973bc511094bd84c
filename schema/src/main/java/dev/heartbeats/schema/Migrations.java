package dev.heartbeats.schema;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.Schema;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.MigrateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

    /**
     * Sets the password of each job's role (migration V3) to the content of its file, as a SCRAM (or MD5, as the
     * server's {@code password_encryption} says) verifier the driver computes: the password itself never goes to the
     * server, so no statement log can show it.
     *
     * @param files job name (segments, watch-time, ad-impressions) -> file holding its role's password
     */
    public static void setRolePasswords(JdbcConfig jdbc, Map<String, String> files) throws SQLException {
        if (files.isEmpty()) return;
        try (Connection c = jdbc.connect()) {
            String encryption;
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW password_encryption")) {
                rs.next();
                encryption = rs.getString(1);
            }
            for (Map.Entry<String, String> e : files.entrySet()) {
                char[] password;
                try {
                    password = dev.heartbeats.common.config.DbPassword.read(e.getValue());
                } catch (java.io.IOException io) {
                    throw new SQLException("cannot read the password file of role " + Schema.jobRole(e.getKey()) + ": " + io, "28000", io);
                }
                if (password == null || password.length == 0) throw new SQLException("the password file of role " + Schema.jobRole(e.getKey()) + " is empty", "28000");
                try {
                    if (jdbc.isYugabyteDriver()) c.unwrap(com.yugabyte.PGConnection.class).alterUserPassword(Schema.jobRole(e.getKey()), password, encryption);
                    else c.unwrap(org.postgresql.PGConnection.class).alterUserPassword(Schema.jobRole(e.getKey()), password, encryption);
                } finally {
                    java.util.Arrays.fill(password, '\0');
                }
            }
        }
    }

    /** Creates the database of {@code jdbc}'s URL if it does not exist, connected to the server's {@code postgres} database. */
    public static boolean createDatabase(JdbcConfig jdbc) throws SQLException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(jdbc:[a-z]+://[^/]+/)([^?]+)(\\?.*)?").matcher(jdbc.url);
        if (!m.matches()) throw new SQLException("cannot tell the database of " + jdbc.url);
        String db = m.group(2);
        if (!db.matches("[a-z_][a-z0-9_]*")) throw new SQLException("database name '" + db + "': lower-case letters, digits and _ only");
        try (Connection c = jdbc.withUrl(m.group(1) + "postgres" + (m.group(3) == null ? "" : m.group(3))).connect(); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + db + "'")) {
                if (rs.next()) return false;
            }
            st.execute("CREATE DATABASE " + db);
            return true;
        }
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
        FluentConfiguration configuration = Flyway.configure()
                .schemas(schema == null ? new String[0] : new String[] {schema})
                .dataSource(new ConnectingDataSource(jdbc))
                .locations(location(f))
                .table(Schema.HISTORY_TABLE)
                .baselineVersion("1")
                .baselineDescription("schema of release 0.1.0, created before migrations")
                .failOnMissingLocations(true);
        // A session advisory lock, not a transactional one: CREATE INDEX CONCURRENTLY (V10) waits for every
        // transaction open in the database, and would wait forever for the one holding Flyway's lock.
        configuration.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(false);
        Flyway flyway = configuration.load();
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
            // The migrations grant the jobs' roles the public schema (V3, V12); another schema, the same way.
            if (schema != null) {
                try (Statement st = c.createStatement()) {
                    for (String job : SchemaTool.JOBS) {
                        st.execute("DO $$ BEGIN IF EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = '" + Schema.jobRole(job) + "') THEN "
                                + "GRANT USAGE ON SCHEMA \"" + schema.replace("\"", "\"\"") + "\" TO " + Schema.jobRole(job) + "; END IF; END $$");
                    }
                }
            }
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
