package dev.heartbeats.cluster;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.k8s.support.MonitoredMetrics;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image's job jar on a real Flink cluster: the application-mode JobManager and the TaskManagers are separate
 * processes of the distribution assembled from Maven Central, configured from the local overlay's FlinkDeployments
 * as the operator would configure them, against a real Kafka broker and PostgreSQL. Every scenario runs generated
 * input with every adversity and ends with the tables of the contract's reference implementation.
 */
class RealClusterIT {
    static final ContractParams PARAMS = ContractParams.DEFAULTS;
    static final List<String> JOBS = List.of("segments", "watch-time", "ad-impressions");

    static TestBed bed;
    static Distribution dist;
    static String manifests;
    static Path work;
    static final AtomicInteger clusters = new AtomicInteger();
    static final List<ApplicationCluster> running = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        bed = TestBed.shared();
        CatalogLoader.loadDefaults(bed.jdbc());
        dist = Distribution.at(Path.of(System.getProperty("cluster.dist")));
        manifests = Distribution.render(Path.of(System.getProperty("repo.root")), "local");
        // A new folder per run: the clusters' configuration, logs and object storage stay for a look after a failure.
        work = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "real-cluster-");
    }

    @AfterAll
    static void tearDown() {
        for (ApplicationCluster c : running) c.close();
    }

    static ApplicationCluster start(String job, Scenario s, String savepoint, String... extra) throws Exception {
        return start(FlinkDeployment.find(manifests, job), s, savepoint, extra);
    }

    static ApplicationCluster start(FlinkDeployment d, Scenario s, String savepoint, String... extra) throws Exception {
        String job = d.name;
        List<String> args = new ArrayList<>(List.of("--input-topic", s.inputTopic, "--dlq-topic", s.dlqTopic, "--late-topic", s.lateTopic,
                "--group-id", s.groupId + "-" + job));
        args.addAll(List.of(extra));
        ClusterPlan.Services services = new ClusterPlan.Services(bed.stack.kafka.bootstrapServers(), bed.jdbc().url, bed.jdbc().user, bed.stack.postgres.password());
        Path home = work.resolve(job + "-" + clusters.incrementAndGet()).resolve("flink");
        ClusterPlan plan = new ClusterPlan(d, dist.defaults(), home, work.resolve("object-storage"), services, savepoint, args);
        ApplicationCluster c = ApplicationCluster.start(plan, dist.dir, dist.jobJar());
        running.add(c);
        return c;
    }

    @Test
    void allThreeJobsRunABoundedInputToItsEndAndMatchTheReference() throws Exception {
        Scenario s = bed.scenario("real-cluster-bounded");
        DifferentialRun run = DifferentialRun.send(s, GeneratorConfig.allAdversities(11).toBuilder().viewers(100).maxRecords(20_000).build());

        long t0 = System.currentTimeMillis();
        List<ApplicationCluster> cs = new ArrayList<>();
        for (String job : JOBS) cs.add(start(job, s, null, "--bounded"));
        for (ApplicationCluster c : cs) assertThat(c.awaitTerminal(Duration.ofMinutes(3))).as(c.plan.deployment.name).isEqualTo("FINISHED");
        System.out.printf("real cluster: three application clusters ran 20,000 records to their end in %,d ms%n", System.currentTimeMillis() - t0);
        for (ApplicationCluster c : cs) c.close();

        Routing routing = run.routing(PARAMS, 5_000);
        Set<String> tooLate = routing.tooLate;
        for (String job : JOBS) {
            assertThat(DifferentialRun.routed(s, s.lateTopic, job)).as("too late, as routed by " + job).isEqualTo(tooLate);
            assertThat(DifferentialRun.routed(s, s.dlqTopic, job)).as("invalid, as routed by " + job).isEqualTo(routing.invalid);
        }
        ContractReference.Expected expected = routing.tables(PARAMS, catalog());
        TableAssert.assertMatches(s.tables(), expected);
        TableAssert.assertWatchTimeConsistent(s.tables());
    }

    @Test
    void aKilledTaskManagerIsReplacedAndTheJobRecoversFromItsCheckpoint() throws Exception {
        Scenario s = bed.scenario("real-cluster-tm-kill");
        ApplicationCluster c = start("segments", s, null, "--checkpoint-interval", "2s");
        c.awaitRunning(Duration.ofMinutes(2));
        CompletableFuture<DifferentialRun> feed = CompletableFuture.supplyAsync(() -> send(s, 12, Duration.ofSeconds(20)));
        awaitCheckpoints(c, 2);
        c.killTaskManager(0);
        c.startTaskManager();
        DifferentialRun run = feed.get();
        // The JobManager notices the lost TaskManager when its connection drops or its heartbeats stop: wait for that
        // failure in the job's history, then for the job to run again.
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(2).toMillis();
        while (c.rest.get("jobs/" + c.plan.jobId + "/exceptions").path("exceptionHistory").path("entries").isEmpty()) {
            assertThat(System.currentTimeMillis()).as("the TaskManager's loss was a failure of the job").isLessThan(deadline);
            Thread.sleep(500);
        }
        c.awaitRunning(Duration.ofMinutes(2));
        awaitReference(s, run, "segments");
        assertMetricsExist(c);
    }

    /**
     * The operator's savepoint upgrade, which is also what its autoscaler does: stop-with-savepoint, then a fresh
     * cluster from the savepoint, here at another parallelism (one subtask to two, on two TaskManagers: the key groups
     * and the rows the coalescing held back move with their pairs) and with a runtime setting changed in the manifest.
     * Live input keeps coming throughout; the tables end exactly as the reference's: nothing lost, nothing doubled.
     */
    @Test
    void theSegmentsJobIsUpgradedAndRescaledThroughASavepointOnAFreshCluster() throws Exception {
        Scenario s = bed.scenario("real-cluster-upgrade");
        FlinkDeployment one = FlinkDeployment.find(manifests, "segments");
        assertThat(one.parallelism).as("the local overlay's parallelism").isEqualTo(1);
        ApplicationCluster before = start(one, s, null);
        before.awaitRunning(Duration.ofMinutes(2));
        CompletableFuture<DifferentialRun> feed = CompletableFuture.supplyAsync(() -> send(s, 13, Duration.ofSeconds(20)));
        Thread.sleep(6_000);
        String savepoint = before.stopWithSavepoint(work.resolve("object-storage/savepoints").toUri(), Duration.ofMinutes(2));
        before.close();

        // The Flink configuration owns the runtime settings: the job's own default (30 s) must not override it.
        FlinkDeployment two = FlinkDeployment.find(manifests, "segments").withParallelism(2);
        two.flinkConfiguration.put("execution.checkpointing.interval", "3 s");
        ApplicationCluster after = start(two, s, savepoint);
        assertThat(after.plan.taskManagers).as("TaskManagers of one slot each").isEqualTo(2);
        after.awaitCheckpointAfterRestore(savepoint, Duration.ofMinutes(2));
        assertThat(after.rest.get("jobs/" + after.plan.jobId + "/checkpoints/config").path("interval").asLong())
                .as("checkpoint interval set in the manifest").isEqualTo(3_000);
        List<Integer> keyed = new ArrayList<>();
        for (var v : after.rest.get("jobs/" + after.plan.jobId).path("vertices")) {
            if (v.path("name").asText().contains("Sessionize")) keyed.add(v.path("parallelism").asInt());
        }
        assertThat(keyed).as("parallelism of the keyed operator after the restore").containsExactly(2);
        DifferentialRun run = feed.get();
        awaitReference(s, run, "segments");
    }

    private static DifferentialRun send(Scenario s, long seed, Duration over) {
        try {
            return DifferentialRun.send(s, GeneratorConfig.allAdversities(seed).toBuilder().viewers(60).maxRecords(8_000).build(), over);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitCheckpoints(ApplicationCluster c, long n) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (c.rest.checkpoints(c.plan.jobId).path("counts").path("completed").asLong() < n) {
            if (System.currentTimeMillis() > deadline) throw new AssertionError("fewer than " + n + " checkpoints in 60 s");
            Thread.sleep(200);
        }
    }

    /** Live input: the tables reach the reference's rows once every record has been processed. */
    private static void awaitReference(Scenario s, DifferentialRun run, String job) throws Exception {
        Routing routing = run.routing(PARAMS, 5_000);
        ContractReference.Expected expected = routing.tables(PARAMS, Map.of());
        long deadline = System.currentTimeMillis() + 120_000;
        String diff;
        do {
            TableSnapshot t = s.tables();
            diff = TableAssert.diff("watch_segments", t.watchSegments, expected.watchSegments, TableAssert.WATCH_SEGMENT_KEY)
                    + TableAssert.diff("video_progress", t.videoProgress, expected.videoProgress, TableAssert.VIDEO_PROGRESS_KEY);
            if (diff.isEmpty()) break;
            Thread.sleep(500);
        } while (System.currentTimeMillis() < deadline);
        assertThat(diff).as("tables against the reference after 2 minutes").isEmpty();
        assertThat(DifferentialRun.routed(s, s.dlqTopic, job)).as("invalid records in the DLQ").containsAll(routing.invalid);
        assertThat(DifferentialRun.routed(s, s.lateTopic, job)).as("too-late records").isEqualTo(routing.tooLate);
    }

    private static void assertMetricsExist(ApplicationCluster c) throws Exception {
        Set<String> scraped = Prometheus.names(c.metricsEndpoints());
        assertThat(scraped).as("metrics scraped from " + c.metricsEndpoints()).isNotEmpty();
        Set<String> monitored = MonitoredMetrics.names(Path.of(System.getProperty("repo.root")));
        assertThat(monitored).as("metrics the dashboard and the alerts query").hasSizeGreaterThan(20);
        assertThat(scraped).as("the scrape of every process").containsAll(monitored);
    }

    private static Map<String, String> catalog() throws Exception {
        Map<String, String> licensorByVideo = new HashMap<>();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, licensor_id FROM videos")) {
            while (rs.next()) licensorByVideo.put(rs.getString(1), rs.getString(2));
        }
        return licensorByVideo;
    }
}
