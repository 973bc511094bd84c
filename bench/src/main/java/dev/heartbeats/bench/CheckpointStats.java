package dev.heartbeats.bench;

import com.fasterxml.jackson.databind.JsonNode;
import dev.heartbeats.cluster.FlinkRest;
import org.apache.flink.api.common.JobID;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A job's checkpoint statistics, as far as the REST API reports them. */
final class CheckpointStats {
    int completed;
    int failed;
    /** End-to-end durations of the completed checkpoints the history keeps (ms). */
    final List<Long> durationsMs = new ArrayList<>();
    /** Full state size of the largest / latest completed checkpoint (bytes). */
    long maxFullSize;
    long latestFullSize;
    /** What the latest checkpoint uploaded (incremental), bytes. */
    long latestCheckpointedSize;

    static CheckpointStats of(FlinkRest rest, JobID job) throws IOException, InterruptedException {
        JsonNode n = rest.checkpoints(job);
        CheckpointStats c = new CheckpointStats();
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

    /**
     * When the last subtask of the job switched to RUNNING and when the job finished, by the JobManager's own clock
     * (per-subtask state timestamps), so no polling delay and no REST cache interval enters the measurement.
     *
     * @return {all tasks running, job finished} in epoch ms (0 where unknown)
     */
    static long[] runningWindow(FlinkRest rest, JobID job) throws IOException, InterruptedException {
        JsonNode j = rest.get("jobs/" + job);
        long allRunning = 0;
        for (JsonNode v : j.path("vertices")) {
            JsonNode times = rest.get("jobs/" + job + "/vertices/" + v.path("id").asText() + "/subtasktimes");
            for (JsonNode st : times.path("subtasks")) allRunning = Math.max(allRunning, st.path("timestamps").path("RUNNING").asLong());
        }
        long finished = j.path("timestamps").path("FINISHED").asLong();
        if (finished == 0) finished = j.path("end-time").asLong();
        return new long[] {allRunning, finished};
    }

    /**
     * How a restored job came up, by the JobManager's per-subtask timestamps: when the first subtask started
     * restoring its state (INITIALIZING), when the last one was RUNNING, and the longest INITIALIZING -> RUNNING of
     * one subtask (its state restore).
     *
     * @return {first INITIALIZING, last RUNNING, slowest subtask's restore} in epoch ms / ms (0 where unknown)
     */
    static long[] restoreWindow(FlinkRest rest, JobID job) throws IOException, InterruptedException {
        JsonNode j = rest.get("jobs/" + job);
        long first = Long.MAX_VALUE, last = 0, slowest = 0;
        for (JsonNode v : j.path("vertices")) {
            JsonNode times = rest.get("jobs/" + job + "/vertices/" + v.path("id").asText() + "/subtasktimes");
            for (JsonNode st : times.path("subtasks")) {
                long init = st.path("timestamps").path("INITIALIZING").asLong();
                long running = st.path("timestamps").path("RUNNING").asLong();
                if (init > 0) first = Math.min(first, init);
                last = Math.max(last, running);
                if (init > 0 && running >= init) slowest = Math.max(slowest, running - init);
            }
        }
        return new long[] {first == Long.MAX_VALUE ? 0 : first, last, slowest};
    }
}
