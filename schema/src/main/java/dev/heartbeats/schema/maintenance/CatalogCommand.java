package dev.heartbeats.schema.maintenance;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.schema.catalog.CatalogLoader;

import java.time.Duration;
import java.util.List;

/**
 * {@code hb catalog}: loads the catalog tables {@code videos} and {@code ads} from CSV files (upserts, idempotent),
 * then re-attributes the watch time written while the catalog did not know its videos ({@link Reattribution}).
 * With {@code --reattribute-only} it loads nothing: what the Kubernetes CronJob runs, from the tool jar
 * ({@code java -cp /opt/flink/lib/*:/opt/heartbeats/heartbeat-schema.jar dev.heartbeats.schema.maintenance.CatalogCommand}).
 */
public final class CatalogCommand {
    static final Option<String> VIDEOS_FILE = Option.string("videos", null, "videos CSV file (default: the bundled sample catalog)");
    static final Option<String> ADS_FILE = Option.string("ads", null, "ads CSV file (default: the bundled sample catalog)");
    static final Option<Boolean> REATTRIBUTE_ONLY = Option.flag("reattribute-only",
            "load nothing, only re-attribute watch time of videos the catalog now knows (what the CronJob runs)");
    static final Option<Integer> BATCH_SIZE = Option.integer("batch-size", 1_000, "rows re-attributed per statement (one short transaction each)");
    static final Option<Duration> BATCH_PAUSE = Option.duration("batch-pause", "20ms", "pause after each batch, to leave the database to the jobs");
    /** The command's settings (the CronJob's arguments are checked against them). */
    public static final List<Option<?>> OPTIONS = JobOptions.concat(JobOptions.JDBC_CONNECTION, List.of(
            VIDEOS_FILE, ADS_FILE, REATTRIBUTE_ONLY, BATCH_SIZE, BATCH_PAUSE));

    private CatalogCommand() {}

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: catalog [settings]   (password from env " + JobOptions.JDBC_PASSWORD_ENV + " or --"
                    + JobOptions.JDBC_PASSWORD_FILE.name + ")\nUpserts the videos and ads catalog tables from CSV files"
                    + " (headers: video_id,licensor_id,title,duration_ms and ad_id,advertiser_id,campaign_id,duration_ms), then gives"
                    + " content_watch_hourly rows written with a NULL licensor the licensor the catalog now has for their video.", OPTIONS));
            return;
        }
        Settings s;
        JdbcConfig jdbc;
        try {
            s = Settings.parse(args, OPTIONS);
            jdbc = JdbcConfig.fromSettings(s, 1, 1, 1);
            if (s.get(REATTRIBUTE_ONLY) && (s.get(VIDEOS_FILE) != null || s.get(ADS_FILE) != null)) {
                throw new ConfigException("--" + REATTRIBUTE_ONLY.name + ": loads nothing; leave out --" + VIDEOS_FILE.name + " and --" + ADS_FILE.name);
            }
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (run with --help for the settings)");
            System.exit(2);
            return;
        }
        if (!s.get(REATTRIBUTE_ONLY)) {
            try {
                int videos = CatalogLoader.loadFile(jdbc, true, s.get(VIDEOS_FILE));
                int ads = CatalogLoader.loadFile(jdbc, false, s.get(ADS_FILE));
                System.out.println("catalog loaded into " + jdbc + ": " + videos + " videos, " + ads + " ads");
            } catch (CatalogLoader.MalformedCsvException e) {
                System.err.println("error: " + e.getMessage());
                System.exit(1);
                return;
            }
        }
        Reattribution.Result r = Reattribution.run(jdbc, s.get(BATCH_SIZE), s.get(BATCH_PAUSE));
        System.out.println("re-attributed at " + jdbc + ": " + r);
    }
}
