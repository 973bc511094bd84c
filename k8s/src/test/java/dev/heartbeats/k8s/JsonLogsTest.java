package dev.heartbeats.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.properties.PropertiesConfigurationFactory;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The FlinkDeployments' logConfiguration, run through log4j itself (the version Flink 2.2 ships, with the JSON layout
 * the image adds): every line on stdout is one JSON object with timestamp, level, logger and message, as Loki or
 * Elasticsearch parse it, and a stack trace stays inside its line.
 */
class JsonLogsTest {

    @Test
    void everyJobLogsOneJsonObjectPerLine() throws Exception {
        for (String overlay : Repo.overlays()) {
            for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                String props = String.valueOf(Manifests.map(Manifests.at(fd, "spec.logConfiguration")).get("log4j-console.properties"));
                List<JsonNode> lines = logWith(props);
                assertThat(lines).as(overlay + " " + Manifests.id(fd)).hasSize(3);
                JsonNode info = lines.get(0);
                assertThat(info.path("message").asText()).isEqualTo("job segments started with 4 subtasks");
                assertThat(info.path("log.level").asText()).isEqualTo("INFO");
                assertThat(info.path("log.logger").asText()).isEqualTo("dev.heartbeats.segments.SegmentsJob");
                assertThat(info.path("@timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*");
                assertThat(lines.get(1).path("log.level").asText()).isEqualTo("ERROR");
                assertThat(lines.get(1).path("error.stack_trace").asText()).contains("IllegalStateException: boom", "\n\tat ");
                assertThat(lines.get(2).path("log.logger").asText()).isEqualTo("org.apache.kafka.clients.Metadata");
            }
        }
    }

    /** Configures a log4j context from the properties, logs through it, and parses what it printed to stdout. */
    static List<JsonNode> logWith(String properties) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        LoggerContext ctx = new LoggerContext("json-logs-test");
        try {
            Configuration conf = new PropertiesConfigurationFactory().getConfiguration(ctx,
                    new ConfigurationSource(new ByteArrayInputStream(properties.getBytes(StandardCharsets.UTF_8))));
            ctx.start(conf);
            ctx.getLogger("dev.heartbeats.segments.SegmentsJob").info("job {} started with {} subtasks", "segments", 4);
            ctx.getLogger("dev.heartbeats.segments.SegmentsJob").error("failed", new IllegalStateException("boom"));
            ctx.getLogger("org.apache.kafka.clients.Metadata").info("below the WARN level of org.apache.kafka: not printed");
            ctx.getLogger("org.apache.kafka.clients.Metadata").warn("partition leader changed");
        } finally {
            ctx.stop();
            System.setOut(original);
        }
        ObjectMapper json = new ObjectMapper();
        return out.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).map(l -> {
            try {
                return json.readTree(l);
            } catch (Exception e) {
                throw new AssertionError("not a JSON line: " + l, e);
            }
        }).toList();
    }
}
