package dev.heartbeats.savepoints;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.TableJobs;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.ContractReference;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobmaster.JobResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The state-compatibility gate for one golden savepoint and one job of the current code: restore it with
 * allowNonRestoredState=false and no restarts, let the job read the rest of the golden input (the topic holds the
 * whole input, so the savepoint's offsets point at the second part), end event time (stop with drain), and compare
 * the job's tables with the contract over the whole input; dead letters and too-late records of the second part must
 * be routed exactly once. Any failure is a {@link GateFailure} that says which golden, which operator and why.
 */
public final class RestoreCheck {
    private RestoreCheck() {}

    /** A failed gate: the message is meant to be read by whoever broke compatibility. */
    public static final class GateFailure extends AssertionError {
        private static final long serialVersionUID = 1L;

        GateFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What a passing check measured. */
    public record Result(String golden, Duration restore, Duration total, long recordsAfterRestore, Map<String, Integer> rows,
                         int lateRouted, int invalidRouted) {
        @Override
        public String toString() {
            return golden + ": restored in " + restore.toMillis() + " ms, " + recordsAfterRestore + " records after the savepoint, done in "
                    + total.toMillis() + " ms; rows " + rows + ", too late " + lateRouted + ", invalid " + invalidRouted;
        }
    }

    public static Result run(GateEnvironment env, Path goldenJobDir, JobLauncher.Job job) throws Exception {
        return run(env, goldenJobDir, job, null);
    }

    /** @param change applied to the job's environment before its graph is built (tests: break it on purpose) */
    public static Result run(GateEnvironment env, Path goldenJobDir, JobLauncher.Job job, Consumer<StreamExecutionEnvironment> change) throws Exception {
        long started = System.currentTimeMillis();
        GoldenManifest m = GoldenManifest.read(goldenJobDir);
        String golden = "golden savepoint " + m.label() + " (" + goldenJobDir + ")";
        if (!m.job.equals(job.name())) throw new IllegalArgumentException(golden + " is of job " + m.job + ", not " + job.name());

        List<InputRecords.Record> records = InputRecords.read(goldenJobDir.resolve(m.input.file));
        check(records.size() == m.input.records && InputRecords.sha256(records, 0, records.size()).equals(m.input.allSha256),
                golden + ": its input file does not match the manifest (records or checksum)");
        List<InputRecords.Sent> sent = env.inputTopic(m.input.topic, m.input.partitions, records);
        Map<Integer, Long> firstPartEnd = InputRecords.endOffsets(sent.subList(0, m.input.firstPart));
        check(firstPartEnd.equals(m.input.firstPartEndOffsets), golden + ": the first part of the input landed at " + firstPartEnd
                + " in the recreated topic, but the savepoint's Kafka offsets are " + m.input.firstPartEndOffsets + "; the restored source would skip or re-read records");

        TableSnapshot.truncateOutputs(env.stack.jdbc());
        JobTables.load(env.stack.jdbc(), m.job, goldenJobDir.resolve(GoldenManifest.TABLES_DIR));

        Path savepoint = goldenJobDir.resolve(m.savepoint.dir);
        SavepointInventory inventory = SavepointInventory.read(savepoint, Thread.currentThread().getContextClassLoader());
        String group = env.fresh("gate-" + m.job);
        String dlq = env.fresh("gate-dlq");
        String late = env.fresh("gate-late");
        env.stack.kafka.createDeadLetterTopic(dlq, 1);
        env.stack.kafka.createDeadLetterTopic(late, 1);
        List<String> args = new ArrayList<>(m.jobArgs);
        args.addAll(env.stack.jobArgs());
        args.addAll(List.of("--group-id", group, "--dlq-topic", dlq, "--late-topic", late,
                "--checkpoint-dir", env.workDir(group).resolve("checkpoints").toUri().toString()));
        args.addAll(stateTtlAsIfRestoredAtOnce(job, m, args.toArray(new String[0])));
        String[] jobArgs = args.toArray(new String[0]);
        JobConfig cfg = job.parse(jobArgs);

        JobGraph graph = JobGraphs.withoutRestarts(JobGraphs.restoring(JobGraphs.fromCode(job, jobArgs, change), savepoint.toUri().toString()));
        List<String> structural = RestoreDiagnosis.structuralProblems(inventory, graph);

        LocalCluster.Job running;
        try {
            running = env.cluster.submit(graph);
        } catch (Exception e) {
            throw failure(golden, job, e, inventory, graph, structural);
        }
        Duration restore;
        try {
            restore = running.awaitAllRunning(Duration.ofMinutes(2));
            Map<Integer, Long> end = InputRecords.endOffsets(sent);
            running.await(() -> env.kafka.reached(group, m.input.topic, end), Duration.ofMinutes(3), "the rest of the input to be consumed and checkpointed");
            running.stopWithSavepoint(env.workDir(group).resolve("drained"), true, SavepointFormatType.CANONICAL);
            JobResult r = running.awaitResult(Duration.ofMinutes(1));
            if (!r.isSuccess()) throw running.failure(running.status());
        } catch (LocalCluster.JobFailedException e) {
            throw failure(golden, job, e, inventory, graph, structural);
        } finally {
            running.cancel();
        }

        Expectation expected = Expectation.of(sent, cfg.params, cfg.outOfOrdernessMs);
        ContractReference.Expected tables = expected.tables(cfg.params, env.licensorByVideo);
        TableSnapshot actual = TableSnapshot.read(env.stack.jdbc());
        String diff = JobTables.diff(actual, tables, m.job);
        check(diff.isEmpty(), golden + ": after restoring it into the current " + m.job + " job and reading the rest of the input, the tables differ from the contract"
                + " over the whole input (lost or doubled across the restore?):\n" + diff);

        Set<String> lateExpected = Expectation.from(expected.tooLate, m.input.firstPartEndOffsets);
        Set<String> invalidExpected = Expectation.from(expected.invalid, m.input.firstPartEndOffsets);
        Set<String> lateRouted = env.kafka.routedPositions(late, job.name());
        Set<String> invalidRouted = env.kafka.routedPositions(dlq, job.name());
        check(lateRouted.equals(lateExpected), golden + ": too-late records of the second part routed by the restored job differ: expected "
                + lateExpected.size() + " " + sample(lateExpected) + ", routed " + lateRouted.size() + " " + sample(lateRouted));
        check(invalidRouted.equals(invalidExpected), golden + ": invalid records of the second part routed by the restored job differ: expected "
                + invalidExpected.size() + ", routed " + invalidRouted.size());

        return new Result(m.label(), restore, Duration.ofMillis(System.currentTimeMillis() - started), m.input.records - m.input.firstPart,
                JobTables.rowCounts(actual, m.job), lateRouted.size(), invalidRouted.size());
    }

    /**
     * The SQL aggregates' state TTL ({@code --aggregate-state-ttl}, {@code table.exec.state.ttl}) counts wall-clock
     * time from a group's last change, which for a golden is the day it was written. The gate restores a golden as if
     * right after its savepoint: the job's own TTL plus the golden's age, so that the state expires no earlier than it
     * would have in a restore at once. (In production no restore meets data older than the input topic's retention,
     * which the TTL must cover: see {@code TableJobs.requireStateTtlCoversRetention}.)
     */
    static List<String> stateTtlAsIfRestoredAtOnce(JobLauncher.Job job, GoldenManifest m, String[] args) {
        if (!(job instanceof TableJobs.HourlyTotalsJob)) return List.of();
        Duration ttl = job.parse(args).get(TableJobs.AGGREGATE_STATE_TTL);
        Duration age = Duration.between(Instant.parse(m.createdAt), Instant.now());
        return List.of("--" + TableJobs.AGGREGATE_STATE_TTL.name, ttl.plus(age.isNegative() ? Duration.ZERO : age).toSeconds() + "s");
    }

    private static GateFailure failure(String golden, JobLauncher.Job job, Exception e, SavepointInventory inventory, JobGraph graph, List<String> structural) {
        StringBuilder sb = new StringBuilder();
        sb.append("the current ").append(job.name()).append(" job cannot restore ").append(golden).append(":\n");
        String explanation = RestoreDiagnosis.explain(e, inventory, graph);
        sb.append(explanation);
        // Flink names only the first operator it cannot map; the structural check lists every one.
        for (String s : structural) if (!explanation.contains(s)) sb.append("  - ").append(s).append('\n');
        sb.append("  The savepoint holds:\n").append(inventory.describe());
        return new GateFailure(sb.toString(), e);
    }

    private static void check(boolean ok, String message) {
        if (!ok) throw new GateFailure(message, null);
    }

    private static String sample(Set<String> s) {
        return s.stream().sorted().limit(10).toList() + (s.size() > 10 ? "..." : "");
    }
}
