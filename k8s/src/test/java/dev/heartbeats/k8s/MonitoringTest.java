package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.MonitoredMetrics;
import dev.heartbeats.k8s.support.Repo;
import dev.heartbeats.k8s.support.Yaml;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard and the alerts query metrics under the names Flink 2.2's Prometheus reporter gives them, the suite's
 * own metrics are the ones the code registers, the metrics that matter are on the dashboard, every alert has its
 * runbook section, and {@link MonitoredMetrics} (the list a real scrape is checked against) finds them all.
 */
class MonitoringTest {
    static final String OPERATOR = "flink_taskmanager_job_task_operator_";
    /** The JDBC sink registers its metrics in a key/value group "table": the reporter puts "table_" before the name. */
    static final String SINK = OPERATOR + "table_";
    static final String KAFKA = OPERATOR + "KafkaSourceReader_KafkaConsumer_";
    static final String JOB = "flink_jobmanager_job_";
    static final String TM_JVM = "flink_taskmanager_Status_JVM_";
    /** Flink's built-in metrics the monitoring uses (Flink 2.2 names, as the Prometheus reporter exports them). */
    static final Set<String> BUILT_IN = Set.of(OPERATOR + "numRecordsInPerSecond", OPERATOR + "pendingRecords", OPERATOR + "currentInputWatermark",
            KAFKA + "records_lag_max", KAFKA + "records_consumed_rate", KAFKA + "bytes_consumed_rate", KAFKA + "fetch_latency_avg", KAFKA + "fetch_rate",
            JOB + "lastCheckpointDuration", JOB + "lastCheckpointSize", JOB + "numRestarts", JOB + "numberOfFailedCheckpoints",
            JOB + "numberOfCompletedCheckpoints",
            TM_JVM + "Memory_Heap_Used", TM_JVM + "Memory_Heap_Max", TM_JVM + "CPU_Load", "flink_jobmanager_Status_JVM_CPU_Load",
            TM_JVM + "GarbageCollector_PS_Scavenge_TimeMsPerSecond", TM_JVM + "GarbageCollector_PS_MarkSweep_TimeMsPerSecond");
    static final Path README = Repo.k8s().resolve("README.md");

    static SortedSet<String> names() {
        return MonitoredMetrics.names(Repo.root());
    }

    /** Metric names the suite registers: group.counter("x"), .gauge("x", ...), .meter("x", ...) in common/ and jobs/. */
    static Set<String> registeredInCode() throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern p = Pattern.compile("\\.(?:counter|gauge|meter|histogram)\\(\"([A-Za-z0-9_]+)\"");
        for (Path dir : List.of(Repo.root().resolve("common/src/main/java"), Repo.root().resolve("jobs"))) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(x -> x.toString().endsWith(".java") && x.toString().contains("/src/main/java/")).toList()) {
                    Matcher m = p.matcher(Files.readString(f));
                    while (m.find()) names.add(m.group(1));
                }
            }
        }
        return names;
    }

    @Test
    void theExtractorFindsMetricNamesAndNothingElse() {
        assertThat(MonitoredMetrics.namesIn("""
                time() * 1000 - min by (job_name) (flink_a_watermark{namespace="x", job_name=~"a|b"} > 0)
                and on (job_name) rate(flink_b_total{le="0.5"}[5m] offset 1h) / ignoring(table) flink_c
                or deriv(sum(flink_d)[15m:1m]) > bool 1e3 unless label_replace(flink_e, "dst", "$1", "src", "(.*)")
                """)).containsExactly("flink_a_watermark", "flink_b_total", "flink_c", "flink_d", "flink_e");
        assertThat(MonitoredMetrics.namesIn("sum(rate(x_seconds_count{a=\"b{c}\"}[1m]))")).containsExactly("x_seconds_count");
    }

    @Test
    void everyMonitoredNameIsAWellFormedFlinkReporterName() {
        SortedSet<String> names = names();
        assertThat(names).hasSizeGreaterThan(20);
        for (String n : names) {
            assertThat(n).as("a Prometheus metric name").matches(MonitoredMetrics.METRIC_NAME);
            assertThat(Stream.of(OPERATOR, JOB, TM_JVM, "flink_jobmanager_Status_JVM_").anyMatch(n::startsWith))
                    .as(n + ": a scope of Flink's Prometheus reporter (operator, job, JVM)").isTrue();
        }
        assertThat(MonitoredMetrics.dashboardExpressions(Repo.root())).hasSizeGreaterThan(15);
        assertThat(MonitoredMetrics.ruleExpressions(Repo.root())).hasSize(alerts().size());
    }

    @Test
    void everyMetricIsAFlinkMetricOrOneTheSuiteRegisters() throws IOException {
        Set<String> code = registeredInCode();
        assertThat(Repo.read(Repo.root().resolve("common/src/main/java/dev/heartbeats/common/jdbc/JdbcUpsertSink.java")))
                .as("the sink's metric group, which gives the table_ prefix and the table label").contains("addGroup(\"table\", ");
        List<String> unknown = new ArrayList<>();
        for (String name : names()) {
            if (BUILT_IN.contains(name)) continue;
            String own = name.startsWith(SINK) ? name.substring(SINK.length()) : name.startsWith(OPERATOR) ? name.substring(OPERATOR.length()) : null;
            if (own == null || !code.contains(own)) unknown.add(name);
        }
        assertThat(unknown).as("neither a known Flink 2.2 metric nor one the suite registers (" + code + ")").isEmpty();
    }

    @Test
    void theMetricsThatMatterAreOnTheDashboard() {
        Set<String> dashboard = new TreeSet<>();
        MonitoredMetrics.dashboardExpressions(Repo.root()).forEach(e -> dashboard.addAll(MonitoredMetrics.namesIn(e)));
        assertThat(dashboard).contains(
                OPERATOR + "heartbeatsValidPerSecond", OPERATOR + "numRecordsInPerSecond",          // events in
                KAFKA + "records_lag_max", OPERATOR + "pendingRecords",                              // consumer lag
                KAFKA + "records_consumed_rate", KAFKA + "fetch_latency_avg",                        // Kafka client
                OPERATOR + "currentInputWatermark",                                                  // watermark lag
                OPERATOR + "heartbeatsTooLate", OPERATOR + "heartbeatsInvalid",                      // late and invalid
                JOB + "lastCheckpointDuration", JOB + "lastCheckpointSize", JOB + "numberOfCompletedCheckpoints",
                SINK + "rowsUpserted", SINK + "rowsDeleted", SINK + "retries", SINK + "lastFlushMillis", SINK + "bufferedRows",
                SINK + "batchesExecuted",                                                            // sink
                TM_JVM + "Memory_Heap_Used", TM_JVM + "GarbageCollector_PS_MarkSweep_TimeMsPerSecond"); // JVM
        assertThat(String.join("\n", MonitoredMetrics.dashboardExpressions(Repo.root())))
                .contains("time() * 1000 - min by (job_name) (" + OPERATOR + "currentInputWatermark");
    }

    static List<Map<String, Object>> alerts() {
        List<Map<String, Object>> out = new ArrayList<>();
        Map<String, Object> rule = Yaml.load(Repo.read(Repo.root().resolve(MonitoredMetrics.RULES)));
        for (Object g : Manifests.list(Manifests.at(rule, "spec.groups"))) {
            for (Object r : Manifests.list(Manifests.at(g, "rules"))) out.add(Manifests.map(r));
        }
        return out;
    }

    @Test
    void theAlertsCoverWhatThePlatformTeamWatches() {
        Map<String, String> exprByAlert = new java.util.LinkedHashMap<>();
        alerts().forEach(a -> exprByAlert.put(String.valueOf(a.get("alert")), String.valueOf(a.get("expr"))));
        assertThat(exprByAlert.get("HeartbeatsConsumerLagGrowing")).contains(OPERATOR + "pendingRecords", "deriv(");
        assertThat(exprByAlert.get("HeartbeatsNoCompletedCheckpoint")).contains(JOB + "numberOfCompletedCheckpoints");
        assertThat(exprByAlert.get("HeartbeatsJobRestarting")).contains(JOB + "numRestarts");
        assertThat(exprByAlert.get("HeartbeatsDeadLettersHigh")).contains(OPERATOR + "heartbeatsInvalid");
        assertThat(exprByAlert.get("HeartbeatsTooLateHigh")).contains(OPERATOR + "heartbeatsTooLate");
        assertThat(exprByAlert.get("HeartbeatsSinkRetrying")).contains(SINK + "retries");
        assertThat(exprByAlert.get("HeartbeatsWatermarkBehind")).contains(OPERATOR + "currentInputWatermark");
        assertThat(exprByAlert.get("HeartbeatsTaskManagerHeapHigh")).contains(TM_JVM + "Memory_Heap_Used");
        assertThat(exprByAlert.get("HeartbeatsTaskManagerGcPressure")).contains(TM_JVM + "GarbageCollector_");
        for (Map<String, Object> a : alerts()) {
            assertThat(Manifests.map(a.get("labels")).get("severity")).as(a.get("alert") + " severity").isIn("warning", "critical");
            assertThat(Manifests.map(a.get("annotations"))).as(a.get("alert") + " annotations").containsKeys("summary", "runbook");
        }
    }

    /** The alert's runbook section in k8s/README.md: a heading with its name, then what it means, what to check, what to do. */
    @Test
    void everyAlertHasARunbookSection() {
        String readme = Repo.read(README);
        for (Map<String, Object> a : alerts()) {
            String name = String.valueOf(a.get("alert"));
            assertThat(Manifests.map(a.get("annotations")).get("runbook")).isEqualTo("k8s/README.md#" + name.toLowerCase());
            Matcher m = Pattern.compile("(?ms)^#### " + Pattern.quote(name) + "\\s*$(.*?)(?=^#{2,4} |\\z)").matcher(readme);
            assertThat(m.find()).as("k8s/README.md has a section '#### " + name + "'").isTrue();
            assertThat(m.group(1)).as(name + "'s runbook").contains("**What it means**", "**What to check**", "**What to do**");
        }
    }

    /** The GC alert and panel name the collectors the TaskManagers run (ParallelGC: PS Scavenge, PS MarkSweep). */
    @Test
    void theGcMetricsAreThoseOfTheConfiguredCollector() {
        for (String overlay : Repo.overlays()) {
            for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                assertThat(Manifests.map(Manifests.at(fd, "spec.flinkConfiguration")).get("env.java.opts.taskmanager"))
                        .as(overlay + " " + Manifests.id(fd)).asString().contains("-XX:+UseParallelGC");
            }
        }
        for (String n : names()) {
            if (n.contains("GarbageCollector_")) assertThat(n).matches(".*GarbageCollector_PS_(Scavenge|MarkSweep)_.*");
        }
    }

    @Test
    void theMonitoringComponentShipsTheDashboardTheRulesAndThePodMonitor() {
        assertThat(Repo.read(Repo.k8s().resolve("components/monitoring/kustomization.yaml")))
                .contains("dashboards/heartbeat-sessions.json", "grafana_dashboard: \"1\"", "prometheusrule.yaml", "podmonitor.yaml");
        for (String overlay : Repo.overlays()) {
            Manifests m = Kustomize.renderOverlay(overlay);
            assertThat(m.ofKind("PrometheusRule")).hasSize(1);
            assertThat(m.ofKind("PodMonitor")).hasSize(1);
        }
    }
}
