package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.embedded.EmbeddedPostgresServer;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database fails. Stopped for 30 s in the middle of the stream, it comes back and the tables end exactly right
 * (the sinks retry with back-off while the jobs back-pressure, or a job restarts from its checkpoint). A write the
 * database rejects for good (a CHECK constraint, a dropped table) fails the job at once, loudly, naming the table
 * and the error, without looping through restarts.
 */
class DatabaseFailuresIT extends FaultTestBase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = cluster(1, 6);

    static final Duration OUTAGE = Duration.ofSeconds(30);

    /** Whatever happened in a test, the next one finds the database up and the schema as shipped. */
    @AfterEach
    void restoreDatabase() throws Exception {
        EmbeddedPostgresServer pg = bed.stack.postgres;
        if (!pg.isRunning()) pg.startAgain();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE watch_segments DROP CONSTRAINT IF EXISTS reliability_rejects_every_row");
            st.execute("ALTER TABLE content_watch_hourly DROP CONSTRAINT IF EXISTS reliability_rejects_every_row");
            st.execute("ALTER TABLE IF EXISTS reliability_hidden_ad_impressions_hourly RENAME TO ad_impressions_hourly");
        }
        bed.recreateDroppedTables();
    }

    @Test
    void postgresStoppedFor30sMidStream(@InjectMiniCluster MiniCluster cluster) throws Exception {
        long testStart = System.currentTimeMillis();
        Scenario s = bed.scenario("pg-outage");
        Map<String, String> licensors = licensors();
        FlinkRest rest = new FlinkRest(cluster.getRestAddress().get());
        Feed feed = new Feed(Feed.generated(stream(21)));
        EmbeddedPostgresServer pg = bed.stack.postgres;
        try (JobSet jobs = JobSet.start(s, "--parallelism", "2")) {
            jobs.awaitRunning(rest, 60_000);
            feed.start(s, FEED_DURATION);
            feed.awaitFraction(0.3, Duration.ofSeconds(60));
            long faultAt = System.currentTimeMillis();
            long back;
            try {
                pg.stop();
                Thread.sleep(OUTAGE.toMillis());
            } finally {
                pg.startAgain();
                back = System.currentTimeMillis();
            }
            System.out.printf("PostgreSQL was down for %.1f s%n", (back - faultAt) / 1000.0);
            feed.awaitDone(Duration.ofSeconds(120));

            Expect e = Expect.of(feed, licensors);
            Verify.Outcome o = Verify.await(s, e, JobSet.NAMES, SETTLE);
            Map<String, Long> restarts = restarts(rest, jobs);
            long segmentRetries = rest.settledMetricSum(jobs.client(SegmentsJob.NAME).getJobID(), "watch_segments.retries", METRIC_SETTLE)
                    + rest.settledMetricSum(jobs.client(SegmentsJob.NAME).getJobID(), "video_progress.retries", METRIC_SETTLE);
            long adRetries = rest.settledMetricSum(jobs.client(AdImpressionsJob.NAME).getJobID(), "ad_impressions_hourly.retries", METRIC_SETTLE);
            System.out.println("failures around the outage:\n" + failures(rest, jobs));
            System.out.printf("sink retries during the outage: segments %d, ad-impressions %d%n", segmentRetries, adRetries);
            Report.row("DatabaseFailuresIT.postgresStoppedFor30sMidStream", String.format("PostgreSQL stopped at 30%% of the stream for %.0f s", (back - faultAt) / 1000.0),
                    "1", e, o, restarts, faultAt, feed.doneAt(), testStart);
            System.out.printf("tables correct %.1f s after PostgreSQL came back%n", (o.tablesCorrectAt - back) / 1000.0);
            // The jobs whose only database access is their sink back-pressure through the outage: the sink retries
            // with back-off (transient errors), no restart. The watch-time job also looks the licensor up in the
            // catalog table through Flink's JDBC lookup source, which cannot open without the database: it restarts
            // from its checkpoint (exponential delay) until the database is back. Either way the tables end right.
            assertThat(restarts.get(SegmentsJob.NAME)).as("restarts of segments").isZero();
            assertThat(restarts.get(AdImpressionsJob.NAME)).as("restarts of ad-impressions").isZero();
            assertThat(segmentRetries).as("segments sink retries").isPositive();
            assertThat(adRetries).as("ad-impressions sink retries").isPositive();
        }
    }

    @Test
    void aWriteTheDatabaseRejectsForGoodFailsTheJobAtOnce(@InjectMiniCluster MiniCluster cluster) throws Exception {
        Scenario s = bed.scenario("pg-permanent");
        licensors();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE watch_segments ADD CONSTRAINT reliability_rejects_every_row CHECK (heartbeats < 0) NOT VALID");
            st.execute("ALTER TABLE content_watch_hourly ADD CONSTRAINT reliability_rejects_every_row CHECK (viewers < 0) NOT VALID");
            // Missing for the job, as if dropped; renamed rather than dropped, since the readers' views (V11) depend on it.
            st.execute("ALTER TABLE ad_impressions_hourly RENAME TO reliability_hidden_ad_impressions_hourly");
        }
        Feed feed = new Feed(Feed.generated(GeneratorConfig.of(31).toBuilder().viewers(10).maxRecords(2_000).build()));
        feed.start(s, Duration.ZERO).awaitDone(Duration.ofSeconds(60));
        // What each job's failure must name: the table and the database's error (SQLState and message).
        Map<String, List<String>> mustName = new LinkedHashMap<>();
        mustName.put(SegmentsJob.NAME, List.of("permanent database error", "watch_segments", "23514", "reliability_rejects_every_row"));
        mustName.put(WatchTimeJob.NAME, List.of("permanent database error", "content_watch_hourly", "23514", "reliability_rejects_every_row"));
        mustName.put(AdImpressionsJob.NAME, List.of("permanent database error", "ad_impressions_hourly", "42P01"));

        long submitted = System.currentTimeMillis();
        try (JobSet jobs = JobSet.start(s, "--parallelism", "1")) {
            for (Map.Entry<String, List<String>> en : mustName.entrySet()) {
                JobClient c = jobs.client(en.getKey());
                String failure;
                try {
                    c.getJobExecutionResult().get(60, TimeUnit.SECONDS);
                    throw new AssertionError(en.getKey() + " finished instead of failing");
                } catch (java.util.concurrent.ExecutionException ex) {
                    failure = ExceptionUtils.stringifyException(ex);
                }
                long failedAfter = System.currentTimeMillis() - submitted;
                JobID id = c.getJobID();
                var graph = cluster.getArchivedExecutionGraph(id).get(30, TimeUnit.SECONDS);
                assertThat(graph.getState()).isEqualTo(JobStatus.FAILED);
                long failedAt = graph.getStatusTimestamp(JobStatus.FAILED);
                long runningAt = graph.getStatusTimestamp(JobStatus.RUNNING);
                assertThat(graph.getStatusTimestamp(JobStatus.RESTARTING)).as("%s went through RESTARTING", en.getKey()).isZero();
                assertThat(failure).as("failure of %s", en.getKey()).contains(en.getValue());
                assertThat(failure).contains("SuppressRestartsException");
                String firstLine = failure.lines().filter(l -> l.contains("permanent database error")).findFirst().orElse("").trim();
                Report.write(String.format("| DatabaseFailuresIT.aWriteTheDatabaseRejectsForGood | %s | 1 | %d | – | – | – | 0 (FAILED, never RESTARTING) | FAILED %.1f s after RUNNING (%.1f s after submission) | – | %s |",
                        en.getKey() + ": " + (en.getKey().equals(AdImpressionsJob.NAME) ? "table dropped" : "CHECK constraint rejecting every row"),
                        feed.items.size(), (failedAt - runningAt) / 1000.0, failedAfter / 1000.0, firstLine.length() > 220 ? firstLine.substring(0, 220) + "…" : firstLine));
                assertThat(failedAt - runningAt).as("%s: RUNNING to FAILED, ms", en.getKey()).isLessThan(20_000);
            }
        }
    }
}
