package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.kafka.TopicRetention;
import dev.heartbeats.common.jdbc.Change;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.table.api.Table;
import org.apache.flink.table.api.TableDescriptor;
import org.apache.flink.table.connector.ChangelogMode;
import org.apache.flink.types.Row;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.table.api.config.AggregatePhaseStrategy;
import org.apache.flink.table.api.config.ExecutionConfigOptions;
import org.apache.flink.table.api.config.OptimizerConfigOptions;
import org.apache.flink.util.TimeUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/** What the Table API jobs share: their aggregation settings and how their table environment is set up. */
public final class TableJobs {
    private static final Logger LOG = LoggerFactory.getLogger(TableJobs.class);

    private TableJobs() {}

    public static final Option<Duration> AGGREGATE_STATE_TTL = Option.duration("aggregate-state-ttl", "8d",
            "how long the SQL aggregation keeps an hourly total after its last change (table.exec.state.ttl; wall-clock time); "
                    + "must exceed the input topic's retention.ms plus the time an hour can still change (checked at start), "
                    + "since a job resumed after a long stop replays heartbeats that old");
    public static final Option<Duration> MINI_BATCH_LATENCY = Option.duration("mini-batch-latency", "1s",
            "the SQL aggregation buffers changes this long (or mini-batch-size rows) and applies them per group at once, "
                    + "pre-aggregated before the shuffle; 0 applies every change on its own");
    public static final Option<Integer> MINI_BATCH_SIZE = Option.integer("mini-batch-size", 5_000,
            "rows buffered per subtask before a mini-batch is applied");

    /** A Table API job whose SQL aggregation keeps hourly totals under the wall-clock state TTL. */
    public interface HourlyTotalsJob extends JobLauncher.Job {
        /** How long after an hour starts its total can still change. */
        long changeWindowMs(JobConfig cfg);

        /** The same in the settings' words, for messages (e.g. "1h + allowed-lateness"). */
        String changeWindow();

        @Override
        default JobConfig parse(String... args) {
            JobConfig cfg = JobLauncher.Job.super.parse(args);
            requireStateTtlAbove(this, cfg);
            return cfg;
        }

        @Override
        default void preflight(JobConfig cfg) {
            requireStateTtlCoversRetention(this, cfg);
        }
    }

    /**
     * Refuses a state TTL that could expire an hourly total while a change can still arrive (the retraction would
     * find nothing, and the total would restart from zero).
     */
    static void requireStateTtlAbove(HourlyTotalsJob job, JobConfig cfg) {
        long minTtlMs = job.changeWindowMs(cfg);
        if (cfg.get(AGGREGATE_STATE_TTL).toMillis() <= minTtlMs) {
            throw new ConfigException("--" + AGGREGATE_STATE_TTL.name + ": must exceed " + job.changeWindow() + " (" + human(Duration.ofMillis(minTtlMs))
                    + "): an hour's total can change that long after it starts, and an expired total would restart from zero");
        }
    }

    /**
     * Refuses a state TTL that a replay could outlive. The TTL counts wall-clock time, the totals are per event-time
     * hour: a job stopped (or failing, or lagging) for a while resumes with heartbeats of hours whose totals it last
     * changed that long ago, up to the input topic's retention. A total expired in between would restart from zero and
     * overwrite its row with a partial sum, so the TTL must exceed the retention plus the time an hour can still
     * change. Asks the broker; if it cannot tell, or the topic keeps records forever, the job starts with a warning.
     */
    public static void requireStateTtlCoversRetention(HourlyTotalsJob job, JobConfig cfg) {
        Duration ttl = cfg.get(AGGREGATE_STATE_TTL);
        OptionalLong retention = TopicRetention.of(cfg.kafka, cfg.inputTopic, Duration.ofSeconds(10));
        if (retention.isEmpty()) {
            LOG.warn("Could not read retention.ms of input topic '{}'; make sure --{} ({}) exceeds it plus {}: a total expired by the TTL "
                    + "before a replay reaches its hour would restart from zero", cfg.inputTopic, AGGREGATE_STATE_TTL.name, human(ttl), job.changeWindow());
        } else if (retention.getAsLong() == TopicRetention.UNLIMITED) {
            LOG.warn("Input topic '{}' keeps records forever (retention.ms = -1): a replay of heartbeats older than --{} ({}) would restart "
                    + "their hours' totals from zero", cfg.inputTopic, AGGREGATE_STATE_TTL.name, human(ttl));
        } else {
            String problem = stateTtlProblem(job, cfg, retention.getAsLong());
            if (problem != null) throw new ConfigException(problem);
        }
    }

    /** Why the job's state TTL does not cover an input topic retention of {@code retentionMs}, or null if it does. */
    public static String stateTtlProblem(HourlyTotalsJob job, JobConfig cfg, long retentionMs) {
        Duration ttl = cfg.get(AGGREGATE_STATE_TTL);
        long neededMs = retentionMs + job.changeWindowMs(cfg);
        if (ttl.toMillis() > neededMs) return null;
        return "--" + AGGREGATE_STATE_TTL.name + " (" + human(ttl) + ") must exceed the retention of input topic '" + cfg.inputTopic
                + "' (retention.ms " + human(Duration.ofMillis(retentionMs)) + ") plus " + job.changeWindow() + ", i.e. " + human(Duration.ofMillis(neededMs))
                + ": a job resumed after a long stop replays heartbeats that old, and a total the TTL expired meanwhile would restart from zero";
    }

    private static String human(Duration d) {
        return TimeUtils.formatWithHighestUnit(d);
    }

    /**
     * What a Table API job's hourly totals are: the keyed step's changelog as a view, an SQL aggregation over it (and
     * any tables it joins), and how its result rows become changes of the output table; with the uids of each part.
     */
    public record HourlyTotals<T>(String view, RowLayout layout, String sql, String table, String sqlUidPrefix, String aggregateUid,
                                  String toChangesUid, String sinkUid, FlatMapFunction<Row, Change<T>> toChanges, TypeInformation<Change<T>> changes) {}

    /**
     * The hourly-totals pipeline both Table API jobs run: the keyed step's changelog ({@code keyed}) as the view
     * {@code totals.view()}, aggregated by {@code totals.sql()} with {@code tables} registered beside it (e.g. a
     * lookup of the catalog), turned into upserts and deletes of {@code totals.table()} and written by {@code sink}.
     * The planner's operators get their uids from {@link TableUids}.
     */
    public static <T> DataStream<Change<T>> hourlyTotals(SingleOutputStreamOperator<Row> keyed, JobConfig cfg, HourlyTotals<T> totals,
                                                         Map<String, TableDescriptor> tables, Sink<Change<T>> sink) {
        StreamTableEnvironment tEnv = tableEnvironment(keyed, cfg);
        tEnv.createTemporaryView(totals.view(), tEnv.fromChangelogStream(keyed, totals.layout().schema(), ChangelogMode.all()));
        tables.forEach(tEnv::createTemporaryTable);
        Table hourly = tEnv.sqlQuery(totals.sql());
        // Upsert mode: the planner sends no -U rows (the sink would skip them; a lookup join would look them up).
        DataStream<Row> rows = tEnv.toChangelogStream(hourly, org.apache.flink.table.api.Schema.derived(), ChangelogMode.upsert());
        TableUids.assign(rows.getTransformation(), keyed.getTransformation(), totals.sqlUidPrefix(),
                Map.of("GroupAggregate", totals.aggregateUid(), "GlobalGroupAggregate", totals.aggregateUid()), Set.of(totals.aggregateUid()));
        SingleOutputStreamOperator<Change<T>> changes = rows
                .flatMap(totals.toChanges(), totals.changes())
                .uid(totals.toChangesUid())
                .name(totals.table() + " changes");
        changes.sinkTo(sink).uid(totals.sinkUid()).name("YSQL: " + totals.table());
        return changes;
    }

    /** A streaming table environment on {@code stream}'s environment, set up the same way for every Table API job. */
    public static StreamTableEnvironment tableEnvironment(DataStream<?> stream, JobConfig cfg) {
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(stream.getExecutionEnvironment(),
                EnvironmentSettings.newInstance().inStreamingMode().build());
        var conf = tEnv.getConfig();
        conf.setLocalTimeZone(ZoneOffset.UTC);
        conf.set(ExecutionConfigOptions.IDLE_STATE_RETENTION, cfg.get(AGGREGATE_STATE_TTL));
        // Uids of the planner's operators are set by TableUids from the plan's shape (see there why not the planner's).
        conf.set(ExecutionConfigOptions.TABLE_EXEC_UID_GENERATION, ExecutionConfigOptions.UidGeneration.PLAN_ONLY);
        conf.set(ExecutionConfigOptions.TABLE_EXEC_SIMPLIFY_OPERATOR_NAME_ENABLED, true);
        // Our sink is a DataStream sink keyed like the aggregation: no SinkUpsertMaterializer (and its state) wanted.
        conf.set(ExecutionConfigOptions.TABLE_EXEC_SINK_UPSERT_MATERIALIZE, ExecutionConfigOptions.UpsertMaterialize.NONE);
        Duration latency = cfg.get(MINI_BATCH_LATENCY);
        if (!latency.isZero()) {
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_ENABLED, true);
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_ALLOW_LATENCY, latency);
            conf.set(ExecutionConfigOptions.TABLE_EXEC_MINIBATCH_SIZE, (long) cfg.get(MINI_BATCH_SIZE));
            conf.set(OptimizerConfigOptions.TABLE_OPTIMIZER_AGG_PHASE_STRATEGY, AggregatePhaseStrategy.TWO_PHASE);
        }
        return tEnv;
    }
}
