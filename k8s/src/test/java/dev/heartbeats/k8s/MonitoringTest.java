package dev.heartbeats.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard shows the metrics that matter, under the names the Prometheus reporter gives them, and the
 * suite's own metrics it uses are the ones the code registers (a renamed counter fails here, not on a blank panel).
 */
class DashboardTest {
    static final Path DASHBOARD = Repo.k8s().resolve("components/monitoring/dashboards/heartbeat-sessions.json");
    static final String OPERATOR = "flink_taskmanager_job_task_operator_";
    /** The JDBC sink registers its metrics in a key/value group "table": the reporter puts "table_" before the name. */
    static final String SINK = OPERATOR + "table_";
    /** Flink's built-in metrics the dashboard uses (Flink 2.2 names, as the Prometheus reporter exports them). */
    static final Set<String> BUILT_IN = Set.of(OPERATOR + "numRecordsInPerSecond", OPERATOR + "pendingRecords",
            OPERATOR + "currentInputWatermark", OPERATOR + "KafkaSourceReader_KafkaConsumer_records_lag_max",
            "flink_jobmanager_job_lastCheckpointDuration", "flink_jobmanager_job_lastCheckpointSize",
            "flink_jobmanager_job_numRestarts", "flink_jobmanager_job_numberOfFailedCheckpoints");

    static List<String> expressions() throws IOException {
        JsonNode dash = new ObjectMapper().readTree(Files.readString(DASHBOARD));
        List<String> exprs = new ArrayList<>();
        dash.get("panels").forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
        return exprs;
    }

    static Set<String> metricNames(List<String> exprs) {
        Set<String> names = new TreeSet<>();
        Matcher m = Pattern.compile("\\bflink_[A-Za-z0-9_]+").matcher(String.join("\n", exprs));
        while (m.find()) names.add(m.group());
        return names;
    }

    /** Metric names the suite registers: group.counter("x"), .gauge("x", ...), .meter("x", ...) in common/. */
    static Set<String> registeredInCode() throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern p = Pattern.compile("\\.(?:counter|gauge|meter|histogram)\\(\"([A-Za-z0-9_]+)\"");
        try (Stream<Path> files = Files.walk(Repo.root().resolve("common/src/main/java"))) {
            for (Path f : files.filter(x -> x.toString().endsWith(".java")).toList()) {
                Matcher m = p.matcher(Files.readString(f));
                while (m.find()) names.add(m.group(1));
            }
        }
        return names;
    }

    @Test
    void everyPanelQueriesMetricsThatExist() throws IOException {
        Set<String> code = registeredInCode();
        assertThat(Repo.read(Repo.root().resolve("common/src/main/java/dev/heartbeats/common/jdbc/JdbcUpsertSink.java")))
                .as("the sink's metric group, which gives the table_ prefix and the table label").contains("addGroup(\"table\", ");
        for (String name : metricNames(expressions())) {
            if (BUILT_IN.contains(name)) continue;
            String own = name.startsWith(SINK) ? name.substring(SINK.length()) : name.startsWith(OPERATOR) ? name.substring(OPERATOR.length()) : null;
            assertThat(own).as(name + " is neither a known Flink metric nor an operator metric of the suite").isNotNull();
            assertThat(code).as(name + ": the suite registers a metric named " + own).contains(own);
        }
    }

    @Test
    void theMetricsThatMatterAreOnTheDashboard() throws IOException {
        assertThat(metricNames(expressions())).contains(
                OPERATOR + "heartbeatsValidPerSecond", OPERATOR + "numRecordsInPerSecond",          // events in
                OPERATOR + "KafkaSourceReader_KafkaConsumer_records_lag_max", OPERATOR + "pendingRecords", // consumer lag
                OPERATOR + "currentInputWatermark",                                                 // watermark lag
                OPERATOR + "heartbeatsTooLate", OPERATOR + "heartbeatsInvalid",                     // late and invalid
                "flink_jobmanager_job_lastCheckpointDuration", "flink_jobmanager_job_lastCheckpointSize",
                SINK + "rowsUpserted", SINK + "rowsDeleted", SINK + "retries", SINK + "lastFlushMillis", SINK + "bufferedRows");
        assertThat(String.join("\n", expressions())).contains("time() * 1000 - min by (job_name) (" + OPERATOR + "currentInputWatermark");
    }

    @Test
    void theDashboardIsShippedByTheMonitoringComponent() {
        assertThat(Repo.read(Repo.k8s().resolve("components/monitoring/kustomization.yaml")))
                .contains("dashboards/heartbeat-sessions.json", "grafana_dashboard: \"1\"");
    }
}
