package dev.heartbeats.adimpressions;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.kafka.DeadLetter;
import dev.heartbeats.common.pipeline.DataWatermarkOperator;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.TableSinks;
import dev.heartbeats.common.pipeline.TableJobs;
import dev.heartbeats.common.tables.AdImpressionsHourly;
import dev.heartbeats.common.tables.OutputTables;
import org.apache.flink.api.common.functions.FilterFunction;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.types.Row;
import org.apache.flink.util.Collector;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The ad-impressions job: ad heartbeats from Kafka to {@code ad_impressions_hourly}.
 *
 * <pre>Kafka → parse/validate (invalid → DLQ) → too-late check (→ late topic) → ad heartbeats only
 *   → keyBy(user, video, ad_id) → {@link AdViewsFunction}: changelog of per-view rows with 0/1 milestone flags
 *   → Table API: GROUP BY ad_id, hour: SUM of each flag
 *   → upserts, and deletes of hours left without a view, of ad_impressions_hourly through {@link JdbcUpsertSink}</pre>
 */
public final class AdImpressionsJob implements TableJobs.HourlyTotalsJob {
    public static final String NAME = "ad-impressions";
    // Operator uids: part of the savepoint format. Never rename them.
    public static final String AD_FILTER_UID = "ad-heartbeats";
    public static final String AD_VIEWS_UID = "ad-views";
    public static final String BEHIND_WATERMARK_SINK_UID = "ad-views-behind-watermark-sink";
    /** The SQL aggregation per (ad, hour): the only stateful operator of the Table API part. */
    public static final String AGGREGATE_UID = "ad-impressions-hourly-aggregate";
    /** Prefix of the stateless operators the planner creates (conversions, calc, mini-batch). */
    public static final String SQL_UID_PREFIX = "ad-impressions-hourly-sql";
    public static final String TO_CHANGES_UID = "ad-impressions-hourly-changes";
    public static final String SINK_UID = "ad-impressions-hourly-sink";

    public static final Option<Duration> AGGREGATE_STATE_TTL = TableJobs.AGGREGATE_STATE_TTL;
    public static final Option<Duration> MINI_BATCH_LATENCY = TableJobs.MINI_BATCH_LATENCY;
    public static final Option<Integer> MINI_BATCH_SIZE = TableJobs.MINI_BATCH_SIZE;

    public static final TypeInformation<Change<AdImpressionsHourly>> HOURLY_CHANGES = TypeInformation.of(new TypeHint<>() {});

    public static void main(String[] args) throws Exception {
        JobLauncher.main(new AdImpressionsJob(), args);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Splits ad heartbeats into ad views per (user, video, ad), counts impressions, quartiles and completions "
                + "per (ad, UTC hour) and keeps the table ad_impressions_hourly.";
    }

    @Override
    public List<Option<?>> options() {
        return List.of(AGGREGATE_STATE_TTL, MINI_BATCH_LATENCY, MINI_BATCH_SIZE);
    }

    /** How long after an hour starts its total can still change: a view that starts in it lasts until G after its last ad heartbeat, then L. */
    @Override
    public long changeWindowMs(JobConfig cfg) {
        return 3_600_000L + cfg.params.sessionGapMs + cfg.params.allowedLatenessMs;
    }

    @Override
    public String changeWindow() {
        return "1h + session-gap + allowed-lateness";
    }

    @Override
    public JobLauncher.Workflow workflow() {
        return (env, cfg) -> {
            DataStream<Heartbeat> heartbeats = HeartbeatIngest.validHeartbeats(env, cfg);
            wire(heartbeats, cfg, TableSinks.of(cfg, OutputTables.AD_IMPRESSIONS_HOURLY));
        };
    }

    /** The job's own part, on any heartbeat stream and any sink (tests plug in theirs). */
    public static DataStream<Change<AdImpressionsHourly>> wire(DataStream<Heartbeat> heartbeats, JobConfig cfg,
                                                               Sink<Change<AdImpressionsHourly>> sink) {
        SingleOutputStreamOperator<Heartbeat> ads = HeartbeatIngest.inPartitionOrder(heartbeats.filter(new AdsOnly()), heartbeats)
                .uid(AD_FILTER_UID)
                .name("Ad heartbeats");
        SingleOutputStreamOperator<Row> views = ads
                .keyBy(new AdViewKey())
                .transform("Ad views per (user, video, ad)", AdViewsFunction.ROWS.typeInfo(), new DataWatermarkOperator<>(new AdViewsFunction(cfg.params)))
                .uid(AD_VIEWS_UID)
                .name("Ad views per (user, video, ad)");
        DataStream<DeadLetter> behind = views.getSideOutput(AdViewsFunction.BEHIND_WATERMARK);
        behind.sinkTo(HeartbeatIngest.deadLetterSink(cfg, cfg.lateTopic)).uid(BEHIND_WATERMARK_SINK_UID).name("Kafka: " + cfg.lateTopic);
        return TableJobs.hourlyTotals(views, cfg, HOURLY, Map.of(), sink);
    }

    static final TableJobs.HourlyTotals<AdImpressionsHourly> HOURLY = new TableJobs.HourlyTotals<>("ad_views", AdViewsFunction.ROWS,
            Sql.HOURLY, "ad_impressions_hourly", SQL_UID_PREFIX, AGGREGATE_UID, TO_CHANGES_UID, SINK_UID, new ToChanges(), HOURLY_CHANGES);

    /** The job's SQL. */
    static final class Sql {
        private Sql() {}

        /** Counts of ad views per (ad, hour of the view's first heartbeat); the group (and its row) exists while it has a view. */
        static final String HOURLY = """
                SELECT ad_id, `hour`, SUM(impression) AS impressions, SUM(first_quartile) AS first_quartile, SUM(midpoint) AS midpoint,
                       SUM(third_quartile) AS third_quartile, SUM(complete) AS completes
                FROM ad_views
                GROUP BY ad_id, `hour`""";
    }

    static final class AdsOnly implements FilterFunction<Heartbeat> {
        private static final long serialVersionUID = 1L;

        @Override
        public boolean filter(Heartbeat h) {
            return h.event == EventType.AD;
        }
    }

    /** Rows of the SQL result (upsert changelog keyed by the GROUP BY) to table changes: +I/+U upsert, -D delete. */
    static final class ToChanges implements FlatMapFunction<Row, Change<AdImpressionsHourly>> {
        private static final long serialVersionUID = 1L;

        @Override
        public void flatMap(Row r, Collector<Change<AdImpressionsHourly>> out) {
            String adId = r.getFieldAs("ad_id");
            long hour = r.<Long>getFieldAs("hour");
            switch (r.getKind()) {
                case INSERT, UPDATE_AFTER -> out.collect(Change.upsert(AdImpressionsHourly.of(adId, hour, r.<Long>getFieldAs("impressions"),
                        r.<Long>getFieldAs("first_quartile"), r.<Long>getFieldAs("midpoint"), r.<Long>getFieldAs("third_quartile"),
                        r.<Long>getFieldAs("completes"))));
                case DELETE -> out.collect(Change.delete(AdImpressionsHourly.of(adId, hour, 0, 0, 0, 0, 0)));
                default -> {
                }
            }
        }
    }
}
