package dev.heartbeats.reliability;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MetricOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** What the fault tests share: the stream, its pace, the MiniCluster settings, the catalog. */
abstract class FaultTestBase {
    /** About 40 min of event time from 40 viewers: enough for too-late records (25+ min) and every invalid kind. */
    static final int RECORDS = 16_000;
    /** The stream is sent over this long, so that faults land in the middle of it. */
    static final Duration FEED_DURATION = Duration.ofSeconds(16);
    static final Duration SETTLE = Duration.ofSeconds(150);
    /** How long a metric read through REST may take to settle (see {@link FlinkRest#settledMetricSum}). */
    static final Duration METRIC_SETTLE = Duration.ofSeconds(20);

    private static Map<String, String> licensors;

    final TestBed bed = TestBed.shared();

    static GeneratorConfig stream(long seed) {
        return GeneratorConfig.allAdversities(seed).toBuilder().viewers(40).maxRecords(RECORDS).build();
    }

    /** A MiniCluster whose REST metrics are fresh (0.5 s) and whose slots are spread over the TaskManagers. */
    static MiniClusterExtension cluster(int taskManagers, int slotsEach) {
        Configuration conf = new Configuration();
        conf.set(MetricOptions.METRIC_FETCHER_UPDATE_INTERVAL, Duration.ofMillis(500));
        conf.set(TaskManagerOptions.TASK_MANAGER_LOAD_BALANCE_MODE, TaskManagerOptions.TaskManagerLoadBalanceMode.SLOTS);
        return new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder().setConfiguration(conf)
                .setNumberTaskManagers(taskManagers).setNumberSlotsPerTaskManager(slotsEach).build());
    }

    /** The sample catalog, loaded once per JVM; the licensor per video. */
    synchronized Map<String, String> licensors() throws Exception {
        if (licensors == null) licensors = Expect.loadCatalog(bed.jdbc());
        return licensors;
    }

    /**
     * Failovers per job, from the job's exception history (REST {@code /jobs/:id/exceptions}): one entry per failure
     * that made the job restart (concurrent task failures are one entry). Read from the JobManager directly, unlike the
     * {@code numRestarts} gauge, whose REST value comes from an asynchronously refreshed metric store.
     */
    static Map<String, Long> restarts(FlinkRest rest, JobSet jobs) throws Exception {
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, org.apache.flink.core.execution.JobClient> e : jobs.clients.entrySet()) {
            out.put(e.getKey(), (long) rest.failures(e.getValue().getJobID()).size());
        }
        return out;
    }

    static String failures(FlinkRest rest, JobSet jobs) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, org.apache.flink.core.execution.JobClient> e : jobs.clients.entrySet()) {
            for (String f : rest.failures(e.getValue().getJobID())) sb.append("  ").append(e.getKey()).append(": ").append(f).append('\n');
        }
        return sb.toString();
    }
}
