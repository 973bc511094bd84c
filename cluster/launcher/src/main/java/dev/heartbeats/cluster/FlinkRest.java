package dev.heartbeats.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.JobID;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The JobManager's REST API, the way the operator and its users read it: job state, task states, failure history,
 * metrics, checkpoints, stop-with-savepoint. One client for the real cluster, the local MiniCluster, the benchmark
 * and the fault tests.
 */
public final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** @param base the REST address, e.g. {@code http://localhost:8081} (paths resolve below it) */
    public FlinkRest(URI base) {
        this.base = base.toString().endsWith("/") ? base : URI.create(base + "/");
    }

    public URI base() {
        return base;
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(resolve(path)).GET());
    }

    public JsonNode post(String path, JsonNode body) throws IOException, InterruptedException {
        return send(HttpRequest.newBuilder(resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    }

    private URI resolve(String path) {
        return base.resolve(path.startsWith("/") ? path.substring(1) : path);
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

    /** Waits until the job is RUNNING with every task running; fails at once if the job ended. */
    public void awaitAllTasksRunning(JobID job, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        String last = null;
        while (System.currentTimeMillis() < deadline) {
            last = state(job);
            if ("FAILED".equals(last) || "CANCELED".equals(last) || "FINISHED".equals(last)) {
                throw new IllegalStateException("job " + job + " is " + last + ": " + failures(job));
            }
            if (last != null && allTasksRunning(job)) return;
            Thread.sleep(100);
        }
        throw new IllegalStateException("job " + job + " not running with all its tasks within " + timeout + " (state " + last + ")");
    }

    /** One line per failure in the job's exception history, newest first: the exception and its message lines. */
    public List<String> failures(JobID job) throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        for (JsonNode e : get("jobs/" + job + "/exceptions").path("exceptionHistory").path("entries")) {
            out.add(e.path("exceptionName").asText() + ": " + messageLines(e.path("stacktrace").asText("")));
        }
        return out;
    }

    private static String messageLines(String trace) {
        StringBuilder sb = new StringBuilder();
        for (String line : trace.split("\n")) {
            String l = line.trim();
            if (l.startsWith("at ") || l.startsWith("...")) continue;
            if (sb.length() > 0) sb.append(" | ");
            sb.append(l.length() > 300 ? l.substring(0, 300) + "…" : l);
            if (sb.length() > 900) break;
        }
        return sb.toString();
    }

    /**
     * {@link #metricSum} once it has settled: the REST API refreshes its metric store asynchronously (at most every
     * {@code metrics.fetcher.update-interval}), so one read can be stale; this reads until two reads a little apart
     * agree, or returns the last read after {@code timeout}.
     *
     * @throws IllegalStateException if the job reports no such metric within {@code timeout}
     */
    public long settledMetricSum(JobID job, String name, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        long previous = -2;
        while (true) {
            long now = metricSum(job, name);
            if (now >= 0 && now == previous) return now;
            if (System.currentTimeMillis() > deadline) {
                if (now >= 0) return now;
                throw new IllegalStateException("job " + job + " reports no metric " + name);
            }
            previous = now;
            Thread.sleep(700);
        }
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
            for (JsonNode m : get(path + "?agg=sum&get=" + URLEncoder.encode(ids.toString(), StandardCharsets.UTF_8))) {
                sum += (long) m.path("sum").asDouble();
                found = true;
            }
        }
        return found ? sum : -1;
    }

    public JsonNode checkpoints(JobID job) throws IOException, InterruptedException {
        return get("jobs/" + job + "/checkpoints");
    }

    /**
     * Triggers a checkpoint of the job's configured type now (besides the periodic ones); its request id. Read its
     * outcome with {@link #checkpointTriggered}: the REST server keeps an operation's result until it is read (a
     * MiniCluster waits minutes for that when it shuts down).
     */
    public String triggerCheckpoint(JobID job) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("checkpointType", "CONFIGURED");
        return post("jobs/" + job + "/checkpoints", body).path("request-id").asText();
    }

    /**
     * Whether a triggered checkpoint has completed or failed. Ask while the job runs: the JobManager keeps the answer
     * for {@code rest.async.store-duration} (5 minutes by default) and then no longer knows the request.
     */
    public boolean checkpointFinished(JobID job, String requestId) throws IOException, InterruptedException {
        return "COMPLETED".equals(get("jobs/" + job + "/checkpoints/" + requestId).path("status").path("id").asText());
    }

    /**
     * The outcome of a triggered checkpoint, waiting for it up to {@code timeout}: its id, or -1 if it failed (a job
     * that finished first) or did not complete in time.
     */
    public long checkpointTriggered(JobID job, String requestId, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        do {
            JsonNode s = get("jobs/" + job + "/checkpoints/" + requestId);
            if ("COMPLETED".equals(s.path("status").path("id").asText())) {
                JsonNode op = s.path("operation");
                return op.has("failure-cause") ? -1 : op.path("checkpointId").asLong(-1);
            }
            Thread.sleep(200);
        } while (System.currentTimeMillis() < deadline);
        return -1;
    }

    /** Stop-with-savepoint (no drain, canonical format), as the operator's savepoint upgrade does; the savepoint's path. */
    public String stopWithSavepoint(JobID job, String targetDirectory, Duration timeout) throws IOException, InterruptedException {
        return stopWithSavepoint(job, targetDirectory, "CANONICAL", timeout);
    }

    /** Stop-with-savepoint (no drain) in the given format ({@code CANONICAL} or {@code NATIVE}); the savepoint's path. */
    public String stopWithSavepoint(JobID job, String targetDirectory, String formatType, Duration timeout) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("targetDirectory", targetDirectory);
        body.put("drain", false);
        body.put("formatType", formatType);
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
