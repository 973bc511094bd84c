package dev.heartbeats.watchtime;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.DataWatermarkOperator;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.TableSinks;
import dev.heartbeats.common.pipeline.TableJobs;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.OutputTables;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The watch-time job: heartbeats from Kafka to {@code content_watch_hourly}.
 *
 * <pre>Kafka → parse/validate (invalid → DLQ) → too-late check (→ late topic) → keyBy(user, video)
 *   → {@link PairHoursFunction}: changelog of (video, user, hour, watched_ms), one row per pair and hour
 *   → Table API: GROUP BY video_id, hour: SUM(watched_ms), COUNT(*) = viewers
 *   → lookup join on the catalog table videos (JDBC, cached) for licensor_id
 *   → upserts (and deletes) of content_watch_hourly through {@link JdbcUpsertSink}</pre>
 */
public final class WatchTimeJob implements TableJobs.HourlyTotalsJob {
    public static final String NAME = "watch-time";
    // Operator uids: part of the savepoint format. Never rename them.
    public static final String PAIR_HOURS_UID = "watch-time-pair-hours";
    public static final String BEHIND_FRONTIER_SINK_UID = "watch-time-behind-frontier-sink";
    /** The SQL aggregation per (video, hour): the only stateful operator of the Table API part. */
    public static final String AGGREGATE_UID = "content-watch-hourly-aggregate";
    /** Prefix of the stateless operators the planner creates (conversions, calc, lookup join, mini-batch). */
    public static final String SQL_UID_PREFIX = "content-watch-hourly-sql";
    public static final String TO_CHANGES_UID = "content-watch-hourly-changes";
    public static final String SINK_UID = "content-watch-hourly-sink";

    public static final Option<Duration> AGGREGATE_STATE_TTL = TableJobs.AGGREGATE_STATE_TTL;
    public static final Option<Duration> CATALOG_CACHE_TTL = Option.duration("catalog-cache-ttl", "1min",
            "how long a licensor looked up in the videos table (or its absence) is cached; 0 disables the cache");
    public static final Option<Integer> CATALOG_CACHE_ROWS = Option.integer("catalog-cache-rows", 100_000,
            "videos kept in the lookup cache of each subtask");
    public static final Option<Duration> MINI_BATCH_LATENCY = TableJobs.MINI_BATCH_LATENCY;
    public static final Option<Integer> MINI_BATCH_SIZE = TableJobs.MINI_BATCH_SIZE;

    public static final String CATALOG_TABLE = "videos";

    public static final TypeInformation<Change<ContentWatchHourly>> HOURLY_CHANGES = TypeInformation.of(new TypeHint<>() {});

    public static void main(String[] args) throws Exception {
        JobLauncher.main(new WatchTimeJob(), args);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Sums watched time and counts viewers per (video, UTC hour), with the licensor from the catalog table videos, "
                + "and keeps the table content_watch_hourly.";
    }

    @Override
    public List<Option<?>> options() {
        return List.of(AGGREGATE_STATE_TTL, CATALOG_CACHE_TTL, CATALOG_CACHE_ROWS, MINI_BATCH_LATENCY, MINI_BATCH_SIZE);
    }

    /** How long after an hour starts its total can still change: the hour itself, then L of late heartbeats. */
    @Override
    public long changeWindowMs(JobConfig cfg) {
        return 3_600_000L + cfg.params.allowedLatenessMs;
    }

    @Override
    public String changeWindow() {
        return "1h + allowed-lateness";
    }

    @Override
    public JobLauncher.Workflow workflow() {
        return (env, cfg) -> {
            DataStream<Heartbeat> heartbeats = HeartbeatIngest.validHeartbeats(env, cfg);
            wire(heartbeats, cfg, TableSinks.of(cfg, OutputTables.CONTENT_WATCH_HOURLY));
        };
    }

    /** The job's own part, on any heartbeat stream and any sink (tests plug in theirs). */
    public static DataStream<Change<ContentWatchHourly>> wire(DataStream<Heartbeat> heartbeats, JobConfig cfg,
                                                              Sink<Change<ContentWatchHourly>> sink) {
        SingleOutputStreamOperator<Row> pairHours = heartbeats
                .keyBy(new PairKey())
                .transform("Watched time per (user, video, hour)", PairHoursFunction.ROWS.typeInfo(), new DataWatermarkOperator<>(new PairHoursFunction(cfg.params)))
                .uid(PAIR_HOURS_UID)
                .name("Watched time per (user, video, hour)");
        DataStream<DeadLetter> behind = pairHours.getSideOutput(PairHoursFunction.BEHIND_FRONTIER);
        behind.sinkTo(HeartbeatIngest.deadLetterSink(cfg, cfg.lateTopic)).uid(BEHIND_FRONTIER_SINK_UID).name("Kafka: " + cfg.lateTopic);
        return TableJobs.hourlyTotals(pairHours, cfg, HOURLY, Map.of(CATALOG_TABLE, catalogTable(cfg)), sink);
    }

    static final TableJobs.HourlyTotals<ContentWatchHourly> HOURLY = new TableJobs.HourlyTotals<>("pair_hours", PairHoursFunction.ROWS,
            Sql.HOURLY, "content_watch_hourly", SQL_UID_PREFIX, AGGREGATE_UID, TO_CHANGES_UID, SINK_UID, new ToChanges(), HOURLY_CHANGES);

    /** The job's SQL. */
    static final class Sql {
        private Sql() {}

        /**
         * Per (video, hour): the pairs' watched time summed, and one row per (user, video, hour) counted as one viewer.
         * The licensor is looked up after the aggregation, once per changed total, at processing time: the catalog as
         * it stands when the row is written decides, and a video missing from it gives NULL.
         */
        static final String HOURLY = """
                SELECT a.video_id, a.`hour`, v.licensor_id, a.watched_ms, a.viewers
                FROM (
                  SELECT video_id, `hour`, watched_ms, viewers, PROCTIME() AS looked_up_at
                  FROM (
                    SELECT video_id, `hour`, SUM(watched_ms) AS watched_ms, COUNT(*) AS viewers
                    FROM pair_hours
                    GROUP BY video_id, `hour`
                  )
                ) AS a
                LEFT JOIN videos FOR SYSTEM_TIME AS OF a.looked_up_at AS v ON a.video_id = v.video_id""";
    }

    /** The catalog table {@code videos} as a JDBC lookup source with a partial cache (misses cached too). */
    static TableDescriptor catalogTable(JobConfig cfg) {
        TableDescriptor.Builder b = TableDescriptor.forConnector("jdbc")
                .schema(org.apache.flink.table.api.Schema.newBuilder()
                        .column("video_id", DataTypes.STRING().notNull())
                        .column("licensor_id", DataTypes.STRING())
                        .primaryKey("video_id")
                        .build())
                // No password option (and so no username option either: the connector takes both or neither): the
                // URL names the user and the driver's authentication plugin, which reads the password at every
                // connect, like the sinks' do; none is serialised into the job graph and a rotated one is picked up.
                .option("url", cfg.jdbc.urlWithUserAndPasswordPlugin())
                .option("table-name", CATALOG_TABLE)
                .option("lookup.max-retries", "3");
        Duration ttl = cfg.get(CATALOG_CACHE_TTL);
        if (ttl.isZero()) {
            b.option("lookup.cache", "NONE");
        } else {
            b.option("lookup.cache", "PARTIAL")
                    .option("lookup.partial-cache.max-rows", Integer.toString(cfg.get(CATALOG_CACHE_ROWS)))
                    .option("lookup.partial-cache.expire-after-write", ttl.toMillis() + "ms")
                    .option("lookup.partial-cache.cache-missing-key", "true");
        }
        return b.build();
    }

    /** Rows of the SQL result (upsert changelog keyed by the GROUP BY) to table changes: +I/+U upsert, -D delete. */
    static final class ToChanges implements FlatMapFunction<Row, Change<ContentWatchHourly>> {
        private static final long serialVersionUID = 1L;

        @Override
        public void flatMap(Row r, Collector<Change<ContentWatchHourly>> out) {
            String videoId = r.getFieldAs("video_id");
            long hour = r.<Long>getFieldAs("hour");
            switch (r.getKind()) {
                case INSERT, UPDATE_AFTER -> out.collect(Change.upsert(ContentWatchHourly.of(videoId, hour, r.getFieldAs("licensor_id"),
                        r.<Long>getFieldAs("watched_ms"), r.<Long>getFieldAs("viewers"))));
                case DELETE -> out.collect(Change.delete(ContentWatchHourly.of(videoId, hour, null, 0, 0)));
                default -> {
                }
            }
        }
    }
}
