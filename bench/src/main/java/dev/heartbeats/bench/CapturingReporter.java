package dev.heartbeats.bench;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A metric reporter that keeps every counter of the benchmark's MiniCluster (same JVM) and remembers its final value
 * when a finished job unregisters it, so that the harness can read the sinks' rows, statements and transactions and
 * the validation counters of a job after it ended. Registered in the cluster configuration by {@link BenchCluster}.
 */
public final class CapturingReporter implements MetricReporter {
    /** job id -> metric identifier -> counter (live) or final value (Long, after removal). */
    private static final Map<String, Map<String, Object>> BY_JOB = new ConcurrentHashMap<>();

    @Override
    public void open(MetricConfig config) {}

    @Override
    public void close() {}

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (!(metric instanceof Counter)) return;
        String job = group.getAllVariables().get("<job_id>");
        if (job == null) return;
        BY_JOB.computeIfAbsent(job, k -> new ConcurrentHashMap<>()).put(group.getMetricIdentifier(name), metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        if (!(metric instanceof Counter)) return;
        String job = group.getAllVariables().get("<job_id>");
        if (job == null) return;
        Map<String, Object> m = BY_JOB.get(job);
        if (m != null) m.put(group.getMetricIdentifier(name), ((Counter) metric).getCount());
    }

    /** Sum over all subtasks of the counters of a job whose identifier ends with {@code "." + suffix}. */
    static long sum(String jobId, String suffix) {
        Map<String, Object> m = BY_JOB.get(jobId);
        if (m == null) return 0;
        long total = 0;
        for (Map.Entry<String, Object> e : m.entrySet()) {
            if (!e.getKey().endsWith("." + suffix)) continue;
            Object v = e.getValue();
            total += v instanceof Counter ? ((Counter) v).getCount() : (Long) v;
        }
        return total;
    }

    /** Every captured identifier of a job with its value (for checking metric names: BENCH_DEBUG_METRICS=1). */
    static void dump(String jobId) {
        Map<String, Object> m = BY_JOB.get(jobId);
        if (m == null) {
            System.out.println("no metrics for job " + jobId + "; jobs: " + BY_JOB.keySet());
            return;
        }
        new java.util.TreeMap<>(m).forEach((k, v) -> System.out.println(k + " = " + (v instanceof Counter ? ((Counter) v).getCount() : v)));
    }

    static void forget(String jobId) {
        BY_JOB.remove(jobId);
    }

    /** Instantiated by Flink from {@code metrics.reporter.bench.factory.class}. */
    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new CapturingReporter();
        }
    }
}
