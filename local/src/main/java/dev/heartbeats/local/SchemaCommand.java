package dev.heartbeats.local;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.tables.Schema;

import java.util.List;

/** {@code hb schema}: creates the contract's tables, in the flavour of the database (idempotent). */
final class SchemaCommand {
    static final Option<Schema.Flavor> FLAVOR = Option.choice("flavor", Schema.Flavor.AUTO, Schema.Flavor.class,
            "schema flavour; auto asks the database (YugabyteDB gets hash-sharded keys)");
    static final List<Option<?>> OPTIONS = List.of(JobOptions.JDBC_URL, JobOptions.JDBC_USER, JobOptions.JDBC_PASSWORD_FILE, FLAVOR);

    private SchemaCommand() {}

    static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: hb schema [settings]   (password from env " + JobOptions.JDBC_PASSWORD_ENV
                    + " or --" + JobOptions.JDBC_PASSWORD_FILE.name + ")", OPTIONS));
            return;
        }
        Settings s = Settings.parse(args, OPTIONS);
        JdbcConfig jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
        Schema.Flavor applied = Schema.apply(jdbc, s.get(FLAVOR));
        System.out.println("schema applied (" + applied.name().toLowerCase() + " flavour) to " + jdbc);
    }
}
