package dev.heartbeats.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobID;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The JobManager's REST API, the way the operator uses it: job state, checkpoints, stop-with-savepoint. */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public FlinkRest(URI base) {
        this.base = base;
    }

    public URI base() {
        return base;
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET());
    }

    public JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private JsonNode send(HttpRequest.Builder b) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) throw new IOException(r.request().method() + " " + r.request().uri() + ": HTTP " + r.statusCode() + " " + r.body());
        return r.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(r.body());
    }

    /** The job's state (RUNNING, FINISHED, ...), or null while the JobManager does not list it yet. */
    public String state(JobID job) throws InterruptedException {
        try {
            for (JsonNode j : get("jobs/overview").path("jobs")) {
                if (job.toHexString().equals(j.path("jid").asText())) return j.path("state").asText(null);
            }
        } catch (IOException notYet) {
            // the REST endpoint is not up yet
        }
        return null;
    }

    /** RUNNING with every task running (or finished, for a bounded source that is done). */
    public boolean allTasksRunning(JobID job) throws IOException, InterruptedException {
        JsonNode j = get("jobs/" + job);
        if (!"RUNNING".equals(j.path("state").asText())) return false;
        for (JsonNode v : j.path("vertices")) {
            String st = v.path("status").asText();
            if (!"RUNNING".equals(st) && !"FINISHED".equals(st)) return false;
        }
        return true;
    }

    /**
     * The sum, over every task and subtask of the job, of the metrics named {@code name} (task metrics) or ending in
     * {@code "." + name} (operator metrics, which the REST API prefixes with the operator's name); -1 when the job
     * reports none (yet). Metrics reach the REST API every {@code metrics.fetcher.update-interval}.
     */
    public long metricSum(JobID job, String name) throws IOException, InterruptedException {
        long sum = 0;
        boolean found = false;
        for (JsonNode v : get("jobs/" + job).path("vertices")) {
            String path = "jobs/" + job + "/vertices/" + v.path("id").asText() + "/subtasks/metrics";
            StringBuilder ids = new StringBuilder();
            for (JsonNode m : get(path)) {
                String id = m.path("id").asText();
                if (id.equals(name) || id.endsWith("." + name)) ids.append(ids.length() == 0 ? "" : ",").append(id);
            }
            if (ids.length() == 0) continue;
            for (JsonNode m : get(path + "?agg=sum&get=" + java.net.URLEncoder.encode(ids.toString(), java.nio.charset.StandardCharsets.UTF_8))) {
                sum += (long) m.path("sum").asDouble();
                found = true;
            }
        }
        return found ? sum : -1;
    }

    public JsonNode checkpoints(JobID job) throws IOException, InterruptedException {
        return get("jobs/" + job + "/checkpoints");
    }

    /** Stop-with-savepoint (no drain, canonical format), as the operator's savepoint upgrade does; the savepoint's path. */
    public String stopWithSavepoint(JobID job, String targetDirectory, Duration timeout) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("targetDirectory", targetDirectory);
        body.put("drain", false);
        body.put("formatType", "CANONICAL");
        String trigger = post("jobs/" + job + "/stop", body).path("request-id").asText();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            JsonNode s = get("jobs/" + job + "/savepoints/" + trigger);
            if ("COMPLETED".equals(s.path("status").path("id").asText())) {
                JsonNode op = s.path("operation");
                if (op.has("failure-cause")) {
                    throw new IOException("stop-with-savepoint of " + job + " failed: " + op.path("failure-cause").path("stack-trace").asText("").lines().findFirst().orElse(""));
                }
                return op.path("location").asText();
            }
            Thread.sleep(200);
        }
        throw new IOException("stop-with-savepoint of " + job + " did not complete within " + timeout);
    }
}
