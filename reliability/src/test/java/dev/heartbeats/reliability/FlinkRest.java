package dev.heartbeats.reliability;

import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The MiniCluster's REST API, as an operator would read it: restarts, failure history, task states, metrics. */
final class FlinkRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final URI base;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    FlinkRest(MiniCluster cluster) throws Exception {
        URI u = cluster.getRestAddress().get(30, TimeUnit.SECONDS);
        this.base = URI.create(u.toString().endsWith("/") ? u.toString() : u + "/");
    }

    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("GET " + path + ": HTTP " + r.statusCode() + " " + r.body());
        return JSON.readTree(r.body());
    }

    /** One line per failure in the job's exception history (newest first): the exception and its first line. */
    List<String> failures(JobID job) throws Exception {
        List<String> out = new ArrayList<>();
        JsonNode entries = get("jobs/" + job + "/exceptions").path("exceptionHistory").path("entries");
        for (JsonNode e : entries) {
            String trace = e.path("stacktrace").asText("");
            out.add(e.path("exceptionName").asText() + ": " + firstLines(trace));
        }
        return out;
    }

    private static String firstLines(String trace) {
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

    /** Waits until the job is RUNNING with every task running. */
    void awaitAllTasksRunning(JobID job, long timeoutMs) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMs;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            JsonNode j = get("jobs/" + job);
            last = j.path("state").asText();
            if ("RUNNING".equals(last)) {
                boolean all = true;
                for (JsonNode v : j.path("vertices")) {
                    String st = v.path("status").asText();
                    if (!"RUNNING".equals(st) && !"FINISHED".equals(st)) all = false;
                }
                if (all) return;
            } else if ("FAILED".equals(last) || "CANCELED".equals(last) || "FINISHED".equals(last)) {
                throw new AssertionError("job " + job + " is " + last);
            }
            Thread.sleep(100);
        }
        throw new AssertionError("job " + job + " not running with all tasks within " + timeoutMs + " ms (state " + last + ")");
    }

    /**
     * The sum over all subtasks of an operator metric whose name ends with {@code suffix}, e.g. "heartbeatsInvalid".
     * The REST metric store is refreshed asynchronously after a request (at most every fetcher interval, 0.5 s here),
     * so a single read can be stale: read until two reads a fetch interval apart agree.
     */
    long operatorMetricSum(JobID job, String suffix) throws Exception {
        long deadline = System.currentTimeMillis() + 20_000;
        Long previous = null;
        while (true) {
            Long now = readOperatorMetricSum(job, suffix);
            if (now != null && now.equals(previous)) return now;
            if (System.currentTimeMillis() > deadline) {
                if (now != null) return now;
                throw new IllegalStateException("no metric *." + suffix + " in job " + job);
            }
            previous = now;
            Thread.sleep(700);
        }
    }

    private Long readOperatorMetricSum(JobID job, String suffix) throws Exception {
        Long total = null;
        for (JsonNode v : get("jobs/" + job).path("vertices")) {
            String vid = v.path("id").asText();
            for (JsonNode m : get("jobs/" + job + "/vertices/" + vid + "/subtasks/metrics")) {
                String id = m.path("id").asText();
                if (id.endsWith("." + suffix)) {
                    JsonNode agg = get("jobs/" + job + "/vertices/" + vid + "/subtasks/metrics?get="
                            + URLEncoder.encode(id, StandardCharsets.UTF_8) + "&agg=sum");
                    if (agg.size() > 0) total = (total == null ? 0 : total) + (long) agg.get(0).get("sum").asDouble();
                }
            }
        }
        return total;
    }
}
