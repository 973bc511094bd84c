package dev.heartbeats.common.tables;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.OptionalInt;

/**
 * What the jobs need of the database's schema, and how they check it. The schema itself is kept by versioned
 * migrations (module {@code schema}, applied by {@code scripts/hb schema}); the jobs only read the migration
 * history, with plain JDBC, so that the job jars carry no migration library.
 */
public final class Schema {
    public enum Flavor { AUTO, POSTGRES, YUGABYTE }

    /**
     * The schema version this release's jobs need: the newest migration (a test checks it against the migration
     * files). 1 is the schema of release 0.1.0; 2 adds {@code writer_fence}; 3 the jobs' own roles ({@link #jobRole});
     * 10 and 11 add the readers' indexes and views (the jobs do not use them, but a database without them is not this
     * release's); 12 the archive job's role.
     */
    public static final int REQUIRED_VERSION = 12;

    /** Flyway's history table, where the migrations record what they applied. */
    public static final String HISTORY_TABLE = "flyway_schema_history";

    private Schema() {}

    /** The database role a job runs as (migrations V3 and V12 create it with only the rights the job needs). */
    public static String jobRole(String jobName) {
        return "heartbeats_" + jobName.replace('-', '_');
    }

    /**
     * Refuses to run a job as a database superuser (who could read and change everything, whatever the job's code
     * does): each job has its own role. {@code --jdbc-allow-superuser} lets it, knowingly.
     *
     * @throws ConfigException naming {@code --jdbc-user}
     */
    public static void requireNotSuperuser(JdbcConfig jdbc) {
        boolean superuser;
        try (Connection c = jdbc.connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user")) {
            superuser = rs.next() && rs.getBoolean(1);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the database role of " + jdbc + ": [" + e.getSQLState() + "] " + e.getMessage(), e);
        }
        if (superuser) {
            throw new ConfigException("--" + JobOptions.JDBC_USER.name + ": '" + jdbc.user + "' is a superuser of " + jdbc.url
                    + "; a job runs as its own role (default heartbeats_<job>, created by the schema migrations with only the rights it needs), "
                    + "or as a superuser only with --" + JobOptions.JDBC_ALLOW_SUPERUSER.name);
        }
    }

    /** The flavour of the database at hand: YugabyteDB by its driver or by the server's version string. */
    public static Flavor detect(JdbcConfig jdbc, Connection c) throws SQLException {
        if (jdbc.isYugabyteDriver()) return Flavor.YUGABYTE;
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT version()")) {
            rs.next();
            return rs.getString(1).contains("-YB-") ? Flavor.YUGABYTE : Flavor.POSTGRES;
        }
    }

    /** The newest schema version the migrations applied (or baselined) in this database; empty if none did. */
    public static OptionalInt installedVersion(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('" + HISTORY_TABLE + "') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) return OptionalInt.empty();
            }
            // Versions are text in the history; ours are whole numbers, compared as such (so that 10 > 9).
            OptionalInt newest = OptionalInt.empty();
            try (ResultSet rs = st.executeQuery("SELECT version FROM " + HISTORY_TABLE + " WHERE success AND version IS NOT NULL")) {
                while (rs.next()) {
                    String v = rs.getString(1).trim();
                    if (!v.matches("\\d+")) continue; // not one of ours
                    int n = Integer.parseInt(v);
                    if (newest.isEmpty() || n > newest.getAsInt()) newest = OptionalInt.of(n);
                }
            }
            return newest;
        }
    }

    /**
     * Fails fast, before a job starts, when the database's schema is older than {@link #REQUIRED_VERSION}: the job
     * would otherwise fail with a permanent error at its first write. The message says what to run.
     *
     * @throws ConfigException naming {@code --jdbc-url} and the command that migrates it
     * @throws IllegalStateException when the database cannot be asked
     */
    public static void requireVersion(JdbcConfig jdbc) {
        OptionalInt installed;
        try (Connection c = jdbc.connect()) {
            installed = installedVersion(c);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot check the schema version of " + jdbc + ": [" + e.getSQLState() + "] " + e.getMessage(), e);
        }
        if (installed.isPresent() && installed.getAsInt() >= REQUIRED_VERSION) return;
        String found = installed.isEmpty() ? "no migrated schema (no " + HISTORY_TABLE + " table: a database from before 0.2.0, or an empty one)"
                : "schema version " + installed.getAsInt();
        throw new ConfigException("--" + JobOptions.JDBC_URL.name + ": " + jdbc.url + " has " + found + "; this release needs schema version "
                + REQUIRED_VERSION + ". Migrate it first: scripts/hb schema --jdbc-url " + jdbc.url + " --jdbc-user <an administrator, who may create roles>"
                + " (password from " + JobOptions.JDBC_PASSWORD_ENV + " or --" + JobOptions.JDBC_PASSWORD_FILE.name + ")");
    }
}
