package dev.heartbeats.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What one invocation of the benchmark measured, for the report. */
final class Results {
    String startedAt;
    String machine;
    String loadAtStart;
    String loadAtEnd;
    String commit;
    String label;
    final Map<String, String> settings = new LinkedHashMap<>();
    long topicRecords;
    double preloadSeconds;

    final List<Double> ceilingRead = new ArrayList<>();
    final List<Double> ceilingParse = new ArrayList<>();
    final List<BoundedRun> bounded = new ArrayList<>();
    final List<LiveRun> live = new ArrayList<>();
    /** The cost curve ({@code scripts/bench curve}): one bounded run per audience size, and the rescaled restore. */
    final List<CurvePoint> curve = new ArrayList<>();
    Restore restore;

    static final String MINICLUSTER = "MiniCluster (this JVM)";

    /** The bounded runs on a real application cluster (part cluster), beside the MiniCluster ones. */
    final List<BoundedRun> cluster = new ArrayList<>();

    double ceilingParseMedian() {
        return Stats.median(ceilingParse);
    }

    /** One bounded run of one job at one parallelism. */
    static final class BoundedRun {
        /** Where the job ran: {@link #MINICLUSTER}, or {@link ClusterBench#WHERE}. */
        String where = MINICLUSTER;
        String job;
        int parallelism;
        int run;
        long records;
        /** Submit -> all tasks running; all tasks running -> job finished (last result committed); first row -> finished. */
        double startupMs;
        double runningToEndMs;
        double firstRowToEndMs = Double.NaN;
        double jvmCpuSeconds;
        double dbCpuSeconds;
        double machineBusy;
        /** The most heap in use during the run (see {@link Machine#heapInUse}), bytes. */
        long heapInUseMax;
        String loadBefore;
        String loadAfter;
        CheckpointStats checkpoints;
        DbStats.Delta db;
        long sinkRows;
        long sinkStatements;
        long sinkTransactions;
        long invalid;
        long tooLate;
        /** The segments job's state cache: pairs read from RocksDB, and pairs written back and dropped to make room. */
        long cacheMisses;
        long cacheEvictions;
        /** Records read when the run's extra checkpoint was triggered (0: none was). */
        long checkpointTriggeredAtRecords;
        Map<String, Long> rowCounts = new LinkedHashMap<>();

        double throughput() {
            return records * 1000.0 / runningToEndMs;
        }

        double throughputFromFirstRow() {
            return records * 1000.0 / firstRowToEndMs;
        }

        double jvmCpuPerMillion() {
            return jvmCpuSeconds / records * 1e6;
        }

        double dbCpuPerMillion() {
            return dbCpuSeconds / records * 1e6;
        }
    }

    /** One live run of one job at one rate. */
    static final class LiveRun {
        String job;
        double rate;
        double achievedRate;
        long sent;
        double measuredSeconds;
        final List<Double> progressLatencyMs = new ArrayList<>();
        final List<Double> stopLatencyMs = new ArrayList<>();
        int progressMissing;
        int stopMissing;
        double jvmCpuSeconds;
        double dbCpuSeconds;
        double machineBusy;
        DbStats.Delta db;
        long sinkStatements;
        long sinkTransactions;
        CheckpointStats checkpoints;
        long viewers;
        String loadBefore;
        String loadAfter;

        double jvmCpuPerMillion() {
            return jvmCpuSeconds / sent * 1e6;
        }

        double dbCpuPerMillion() {
            return dbCpuSeconds / sent * 1e6;
        }
    }

    /** One audience size of the cost curve: the bounded run of the segments job over its topic. */
    static final class CurvePoint {
        long viewers;
        double preloadSeconds;
        BoundedRun run;

        double cacheMissesPerHeartbeat() {
            return run.cacheMisses / (double) run.records;
        }
    }

    /** The largest audience's state taken at one parallelism with a savepoint and restored at another. */
    static final class Restore {
        long viewers;
        int fromParallelism;
        int toParallelism;
        String savepointFormat;
        /** Job start -> every record of the topic read (the state built), and the stop-with-savepoint. */
        double buildSeconds;
        double savepointSeconds;
        long savepointBytes;
        /** Submit -> every task running (restored); the slowest subtask's INITIALIZING -> RUNNING. */
        double submitToRunningSeconds;
        double slowestSubtaskRestoreSeconds;
        /** State of the restored job's first checkpoint (full size), when it completed one. */
        long restoredStateBytes;
        String loadBefore;
        String loadAfter;
    }
}
