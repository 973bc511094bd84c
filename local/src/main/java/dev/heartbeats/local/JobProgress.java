package dev.heartbeats.local;

import dev.heartbeats.cluster.FlinkRest;
import dev.heartbeats.common.pipeline.RouteInvalidAndLate;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;

/**
 * What a running job has done, read from its JobManager's REST API: records still to read from Kafka (the source's
 * {@code pendingRecords}: the live consumer lag), and the records it routed to the dead-letter and late topics. For a
 * bounded run, the records read of the input it started with, the rate, and the time left.
 */
final class JobProgress {
    private final FlinkRest rest;
    private final JobID job;
    private final long total;
    private final long startedAt = System.currentTimeMillis();
    private long lastRead;
    private long lastAt = startedAt;

    /** @param total records of the input the run reads to its end (bounded), or -1 for a live run */
    JobProgress(FlinkRest rest, JobID job, long total) {
        this.rest = rest;
        this.job = job;
        this.total = total;
    }

    /** One status line of the job, e.g. {@code 1,234,567 of 5,000,000 read (24.7%), 105,302/s, ~36 s left | dlq 1,234 late 56}. */
    String line() {
        try {
            long pending = rest.metricSum(job, "pendingRecords");
            long invalid = rest.metricSum(job, "heartbeatsInvalid");
            long late = rest.metricSum(job, "heartbeatsTooLate");
            StringBuilder sb = new StringBuilder();
            if (total >= 0) {
                long read = pending < 0 ? 0 : Math.max(0, total - pending);
                long now = System.currentTimeMillis();
                double rate = (read - lastRead) * 1000.0 / Math.max(1, now - lastAt);
                lastRead = read;
                lastAt = now;
                sb.append(String.format("%,d of %,d read (%.1f%%), %,.0f/s", read, total, total == 0 ? 100.0 : 100.0 * read / total, rate));
                if (rate > 0 && read < total) sb.append(String.format(", ~%,.0f s left", (total - read) / rate));
            } else {
                sb.append("lag ").append(pending < 0 ? "n/a" : String.format("%,d", pending));
            }
            sb.append(String.format(" | dlq %s late %s", count(invalid), count(late)));
            return sb.toString();
        } catch (Exception e) {
            return "(REST: " + e.getMessage() + ")";
        }
    }

    /** The line of a bounded run that read its input to the end: from the job's result, whose counts are final. */
    String summary(JobExecutionResult result) {
        long ms = System.currentTimeMillis() - startedAt;
        Object invalid = result.getAccumulatorResult(RouteInvalidAndLate.INVALID_ACCUMULATOR);
        Object late = result.getAccumulatorResult(RouteInvalidAndLate.LATE_ACCUMULATOR);
        return String.format("%,d of %,d read (100.0%%), %,.0f/s | dlq %s late %s in %,.1f s", total, total, total * 1000.0 / Math.max(1, ms),
                count(invalid == null ? -1 : ((Number) invalid).longValue()), count(late == null ? -1 : ((Number) late).longValue()), ms / 1000.0);
    }

    private static String count(long n) {
        return n < 0 ? "n/a" : String.format("%,d", n);
    }
}
