package dev.heartbeats.bench;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The Flink REST API of the benchmark's MiniCluster: job status and checkpoint statistics. */
final class Rest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final URI base;

    Rest(URI base) {
        this.base = base;
    }

    JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(10)).GET().build();
        HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
        if (resp.statusCode() != 200) throw new IOException("GET " + path + ": HTTP " + resp.statusCode() + " " + resp.body());
        return JSON.readTree(resp.body());
    }

    /** Whether every vertex of the job has all its subtasks running (or already finished). */
    boolean allRunning(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        JsonNode vertices = job.path("vertices");
        if (!vertices.isArray() || vertices.size() == 0) return false;
        for (JsonNode v : vertices) {
            String s = v.path("status").asText();
            if (!s.equals("RUNNING") && !s.equals("FINISHED")) return false;
        }
        return true;
    }

    /**
     * When the last subtask of the job switched to RUNNING and when the job finished, by the JobManager's own clock
     * (per-subtask state timestamps), so no polling delay and no REST cache interval enters the measurement.
     *
     * @return {all tasks running, job finished} in epoch ms (0 where unknown)
     */
    long[] runningWindow(String jobId) throws IOException, InterruptedException {
        JsonNode job = get("/jobs/" + jobId);
        long allRunning = 0;
        for (JsonNode v : job.path("vertices")) {
            JsonNode times = get("/jobs/" + jobId + "/vertices/" + v.path("id").asText() + "/subtasktimes");
            for (JsonNode st : times.path("subtasks")) allRunning = Math.max(allRunning, st.path("timestamps").path("RUNNING").asLong());
        }
        long finished = job.path("timestamps").path("FINISHED").asLong();
        if (finished == 0) finished = job.path("end-time").asLong();
        return new long[] {allRunning, finished};
    }

    /** Checkpoint statistics of a job, as far as the REST API reports them. */
    static final class Checkpoints {
        int completed;
        int failed;
        /** End-to-end durations of the completed checkpoints the history keeps (ms). */
        final java.util.List<Long> durationsMs = new java.util.ArrayList<>();
        /** Full state size of the largest / latest completed checkpoint (bytes). */
        long maxFullSize;
        long latestFullSize;
        /** What the latest checkpoint uploaded (incremental), bytes. */
        long latestCheckpointedSize;
    }

    Checkpoints checkpoints(String jobId) throws IOException, InterruptedException {
        JsonNode n = get("/jobs/" + jobId + "/checkpoints");
        Checkpoints c = new Checkpoints();
        c.completed = n.path("counts").path("completed").asInt();
        c.failed = n.path("counts").path("failed").asInt();
        for (JsonNode h : n.path("history")) {
            if (!h.path("status").asText().equals("COMPLETED")) continue;
            c.durationsMs.add(h.path("end_to_end_duration").asLong());
            c.maxFullSize = Math.max(c.maxFullSize, h.path("state_size").asLong());
        }
        JsonNode latest = n.path("latest").path("completed");
        if (!latest.isMissingNode() && !latest.isNull()) {
            c.latestFullSize = latest.path("state_size").asLong();
            c.latestCheckpointedSize = latest.path("checkpointed_size").asLong();
            c.maxFullSize = Math.max(c.maxFullSize, c.latestFullSize);
        }
        return c;
    }
}
