package dev.heartbeats.local;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;

import java.util.List;

/**
 * {@code hb schema}: migrates the database to the schema version this release needs, in the database's flavour
 * (versioned migrations; a database created by 0.1.0 is recognised and migrated on). Safe to run again.
 */
final class SchemaCommand {
    static final Option<Schema.Flavor> FLAVOR = Option.choice("flavor", Schema.Flavor.AUTO, Schema.Flavor.class,
            "schema flavour; auto asks the database (YugabyteDB gets hash-sharded keys)");
    static final List<Option<?>> OPTIONS = List.of(JobOptions.JDBC_URL, JobOptions.JDBC_USER, JobOptions.JDBC_PASSWORD_FILE, FLAVOR);

    private SchemaCommand() {}

    static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: hb schema [settings]   (password from env " + JobOptions.JDBC_PASSWORD_ENV
                    + " or --" + JobOptions.JDBC_PASSWORD_FILE.name + ")\nMigrates the database to schema version " + Schema.REQUIRED_VERSION
                    + " (the version this release's jobs need); a database created by release 0.1.0 is baselined at version 1 first.", OPTIONS));
            return;
        }
        Settings s = Settings.parse(args, OPTIONS);
        JdbcConfig jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
        Migrations.Result result = Migrations.apply(jdbc, s.get(FLAVOR));
        System.out.println("schema migrated at " + jdbc + ": " + result);
    }
}
