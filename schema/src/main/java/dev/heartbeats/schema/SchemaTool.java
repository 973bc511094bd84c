package dev.heartbeats.schema;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.tables.Schema;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The schema's command line: {@code migrate} (what {@code hb schema} runs, and the Kubernetes schema Job as the
 * database's administrator) and {@code check} (the JobManagers' init container: waits until the database has the
 * schema version the jobs need, with the very check the jobs make at start). In the image as
 * {@code /opt/heartbeats/heartbeat-schema.jar}, outside the jobs' class path; Flink's own jars come from
 * {@code /opt/flink/lib}.
 */
public final class SchemaTool {
    static final Option<Schema.Flavor> FLAVOR = Option.choice("flavor", Schema.Flavor.AUTO, Schema.Flavor.class,
            "schema flavour; auto asks the database (YugabyteDB gets hash-sharded keys)");
    static final Option<List<String>> ROLE_PASSWORD_FILE = Option.repeatable("role-password-file",
            "<job>=<file>: set the password of the job's role (heartbeats_<job>) to the content of the file, e.g. a mounted Secret");
    static final Option<Boolean> CREATE_DATABASE = Option.flag("create-database",
            "create the database of --jdbc-url first if it does not exist (connected to the server's postgres database)");
    static final Option<Duration> WAIT = Option.duration("wait", "0s",
            "check: wait this long for the schema (retrying every 5 s while the database is unreachable, refuses the role or is older)");

    static final List<Option<?>> MIGRATE_OPTIONS = JobOptions.concat(JobOptions.JDBC_CONNECTION, List.of(FLAVOR, ROLE_PASSWORD_FILE, CREATE_DATABASE));
    static final List<Option<?>> CHECK_OPTIONS = JobOptions.concat(JobOptions.JDBC_CONNECTION, List.of(WAIT));

    static final List<String> JOBS = List.of("segments", "watch-time", "ad-impressions", "archive");

    static final String USAGE = String.join("\n",
            "Usage: heartbeat-schema migrate [settings]   migrate the database to schema version " + Schema.REQUIRED_VERSION + " (what this release's jobs need)",
            "       heartbeat-schema check [settings]     fail (exit 3) unless the database has that version; --wait retries",
            "Passwords from env " + JobOptions.JDBC_PASSWORD_ENV + " or --" + JobOptions.JDBC_PASSWORD_FILE.name + "; the roles' from --role-password-file.");

    private SchemaTool() {}

    public static void main(String[] args) throws Exception {
        try {
            System.exit(run(args));
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** Runs a command; returns the exit code. */
    public static int run(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h")) {
            System.out.println(USAGE);
            return 0;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "migrate":
                if (Settings.wantsHelp(rest)) {
                    System.out.println(Settings.help(USAGE, MIGRATE_OPTIONS));
                    return 0;
                }
                migrate(Settings.parse(rest, MIGRATE_OPTIONS));
                return 0;
            case "check":
                if (Settings.wantsHelp(rest)) {
                    System.out.println(Settings.help(USAGE, CHECK_OPTIONS));
                    return 0;
                }
                return check(Settings.parse(rest, CHECK_OPTIONS));
            default:
                throw new ConfigException("unknown command '" + args[0] + "' (migrate or check)\n\n" + USAGE);
        }
    }

    /** {@code migrate}: create the database if told to, migrate, then set the roles' passwords. */
    public static Migrations.Result migrate(Settings s) throws SQLException {
        JdbcConfig jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
        Map<String, String> passwords = rolePasswordFiles(s);
        if (s.get(CREATE_DATABASE) && Migrations.createDatabase(jdbc)) System.out.println("created the database of " + jdbc.url);
        Migrations.Result result = Migrations.apply(jdbc, s.get(FLAVOR));
        System.out.println("schema migrated at " + jdbc + ": " + result);
        Migrations.setRolePasswords(jdbc, passwords);
        if (!passwords.isEmpty()) System.out.println("passwords set for the roles of " + String.join(", ", passwords.keySet()));
        return result;
    }

    /** {@code check}: 0 when the database has the schema version the jobs need, else 3 (after --wait). */
    static int check(Settings s) throws InterruptedException {
        JdbcConfig jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
        long deadline = System.nanoTime() + s.get(WAIT).toNanos();
        while (true) {
            try {
                Schema.requireVersion(jdbc);
                System.out.println("schema version " + Schema.REQUIRED_VERSION + " (or newer) at " + jdbc);
                return 0;
            } catch (RuntimeException e) {
                if (System.nanoTime() >= deadline) {
                    System.err.println("error: " + e.getMessage());
                    return 3;
                }
                System.out.println("waiting for the schema: " + e.getMessage());
                Thread.sleep(5_000);
            }
        }
    }

    static Map<String, String> rolePasswordFiles(Settings s) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String v : s.get(ROLE_PASSWORD_FILE)) {
            int eq = v.indexOf('=');
            String job = eq > 0 ? v.substring(0, eq) : "";
            if (!JOBS.contains(job)) throw new ConfigException("--" + ROLE_PASSWORD_FILE.name + ": '" + v + "' must be <job>=<file> with a job of " + JOBS);
            String file = v.substring(eq + 1);
            if (!Files.isRegularFile(Path.of(file)) || !Files.isReadable(Path.of(file))) {
                throw new ConfigException("--" + ROLE_PASSWORD_FILE.name + ": '" + file + "' (" + job + ") is not a readable file");
            }
            out.put(job, file);
        }
        return out;
    }
}
