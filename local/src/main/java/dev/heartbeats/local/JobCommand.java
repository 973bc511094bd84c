package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.pipeline.JobLauncher;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * {@code hb job <name> [settings]}: one job on a local Flink (a MiniCluster in this JVM) against existing Kafka and a
 * database, which can be stopped and started again without corrupting its tables. SIGTERM or Ctrl-C stops the job
 * with a savepoint into its state directory, and the same command resumes from it ({@link JobState}); a start that
 * would read from committed offsets without the state that belongs to them refuses. The job's own {@code main}
 * ({@link JobLauncher#main}, the FlinkDeployment entry point) is not involved: there the operator restores state.
 */
public final class JobCommand {
    private JobCommand() {}

    static final Option<String> STATE_DIR = Option.string("state-dir", null,
            "where this job keeps its savepoints, checkpoints and the record of which belongs to which job and consumer group; "
                    + "a stop takes a savepoint here and the next start resumes from it (default: ~/.hb/state/<job>-<group-id>)").optional();
    static final Option<String> FROM_SAVEPOINT = Option.string("from-savepoint", null,
            "start from this savepoint or retained checkpoint (a path or file:// URI) instead of what --state-dir recorded").optional();
    static final Option<java.time.Duration> STOP_TIMEOUT = Option.duration("stop-timeout", "5min",
            "how long a stop waits for its savepoint before it gives up (the next start then takes the last checkpoint)");
    static final Option<Integer> WEB_PORT = Option.port("web-port", 0, "port of the local Flink's web UI and REST API (0: a free one)");
    static final Option<java.time.Duration> STATUS_INTERVAL = Option.duration("status-interval", "5s",
            "how often to print progress: records read of the input (bounded) or the consumer lag (live), dead letters and late records");
    static final List<Option<?>> OPTIONS = List.of(STATE_DIR, FROM_SAVEPOINT, STOP_TIMEOUT, WEB_PORT, STATUS_INTERVAL);

    static String help(JobLauncher.Job job) {
        return job.help() + "\n" + Settings.help("Settings of hb job (stopping and resuming; see local/README.md):\n  SIGTERM or Ctrl-C stops the job with a savepoint into --state-dir; the same command resumes from it.\n"
                + "  A consumer group with committed offsets but no known state refuses to start, naming how to resume or start over.", OPTIONS)
                .replaceFirst("\n\nSettings:\n", "\n");
    }

    /** Runs {@code hb job <name> [settings]} until the job ends or the process is told to stop. */
    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].startsWith("--")) {
            throw new ConfigException("job: name the job: hb job <" + String.join("|", Jobs.withArchive().keySet()) + "> [settings]");
        }
        JobLauncher.Job job = Jobs.byName(args[0]);
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        if (Settings.wantsHelp(rest)) {
            System.out.println(help(job));
            return;
        }
        Running running = start(job, rest);
        Thread hook = new Thread(running::stop, "hb-job-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            var result = running.client.getJobExecutionResult();
            while (!result.isDone()) {
                try {
                    result.get(running.statusIntervalMs, java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.TimeoutException stillRunning) {
                    if (!running.stopping()) say(job.name() + ": " + running.progress.line());
                }
            }
            var done = result.get();
            if (!running.stopping()) say(job.name() + ": the job finished (bounded input read to its end): " + running.summary(done));
        } catch (Exception e) {
            if (!running.stopping()) throw e;
        } finally {
            running.awaitStopped();
            running.flink.close();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is stopping the job
            }
        }
    }

    /** A started job and what it needs to stop with a savepoint. */
    static final class Running {
        final JobClient client;
        final JobState state;
        final Duration stopTimeout;
        final LocalFlink flink;
        final JobProgress progress;
        final long statusIntervalMs;
        final JobConfig cfg;
        private final CountDownLatch stopped = new CountDownLatch(1);
        private volatile boolean stopping;

        Running(JobClient client, JobState state, Duration stopTimeout, LocalFlink flink, JobProgress progress, long statusIntervalMs, JobConfig cfg) {
            this.client = client;
            this.state = state;
            this.stopTimeout = stopTimeout;
            this.flink = flink;
            this.progress = progress;
            this.statusIntervalMs = statusIntervalMs;
            this.cfg = cfg;
        }

        /** What a bounded run did: its records, dead letters, late records, time and rate, and the rows in the tables. */
        String summary(org.apache.flink.api.common.JobExecutionResult result) {
            return progress.summary(result) + "; rows in the tables: " + TableCounts.line(cfg.jdbc);
        }

        boolean stopping() {
            return stopping;
        }

        /** What SIGTERM and Ctrl-C do: stop with a savepoint and record it; on failure say where the last checkpoint is. */
        void stop() {
            synchronized (this) {
                if (stopping) return;
                stopping = true;
            }
            try {
                if (client.getJobStatus().get().isGloballyTerminalState()) return;
                say(state.job + ": stopping with a savepoint into " + state.savepoints() + " ...");
                String path = state.stopWithSavepoint(client, stopTimeout);
                say(state.job + ": stopped with savepoint " + path + "; the same command resumes from it");
            } catch (Exception e) {
                say(state.job + ": stop with a savepoint failed (" + e + "); the next start resumes from the last checkpoint recorded in " + state.dir);
            } finally {
                stopped.countDown();
            }
        }

        void awaitStopped() throws InterruptedException {
            if (stopping) stopped.await();
        }
    }

    /**
     * Parses the settings, decides where to start from ({@link JobState#plan}), prints it, and starts the job on a
     * local MiniCluster; the caller stops it with {@link Running#stop()}.
     */
    static Running start(JobLauncher.Job job, String[] rawArgs) throws Exception {
        List<String> jobArgs = new ArrayList<>();
        List<String> ownArgs = new ArrayList<>();
        split(rawArgs, jobArgs, ownArgs);
        Settings own = Settings.parse(ownArgs.toArray(new String[0]), OPTIONS);
        JobConfig cfg = job.parse(jobArgs.toArray(new String[0]));
        JobState state = new JobState(own.get(STATE_DIR) != null ? Path.of(own.get(STATE_DIR)) : JobState.dirUnder(JobState.defaultRoot(), job.name(), cfg), job.name(), cfg);
        if (cfg.checkpointDir == null) {
            // Checkpoints go next to the savepoints, so a run that could not stop cleanly leaves its last one for the next start.
            jobArgs.add("--" + JobOptions.CHECKPOINT_DIR.name);
            jobArgs.add(state.defaultCheckpoints().toUri().toString());
            cfg = job.parse(jobArgs.toArray(new String[0]));
            state = new JobState(state.dir, job.name(), cfg);
        }
        say(job.name() + ": state directory " + state.dir + " (--state-dir), consumer group " + cfg.groupId + ", input topic " + cfg.inputTopic);
        JobState.Plan plan = state.plan(own.get(FROM_SAVEPOINT), "hb job " + job.name());
        say(job.name() + ": starting " + (plan.path() != null ? "(resuming) " : "") + plan.why());
        Configuration conf = new Configuration();
        plan.applyTo(conf);
        LocalFlink flink = LocalFlink.start(own.get(WEB_PORT), cfg.parallelism == null ? 1 : cfg.parallelism);
        long total = -1;
        if (cfg.bounded) {
            try (KafkaStats stats = new KafkaStats(cfg.kafka)) {
                total = cfg.startingOffsets == JobOptions.StartingOffsets.EARLIEST ? stats.size(cfg.inputTopic) : stats.lag(cfg.groupId, cfg.inputTopic);
            }
        }
        JobClient client = job.start(flink.environment(conf), cfg);
        state.started(client.getJobID(), cfg.checkpointDir, plan);
        say(job.name() + ": running as Flink job " + client.getJobID() + " (web UI " + flink.webUi() + "); SIGTERM or Ctrl-C stops it with a savepoint");
        return new Running(client, state, own.get(STOP_TIMEOUT), flink, new JobProgress(flink.rest(), client.getJobID(), total),
                own.get(STATUS_INTERVAL).toMillis(), cfg);
    }

    /** Separates this command's own settings from the job's (which the job's parser checks). */
    static void split(String[] args, List<String> jobArgs, List<String> ownArgs) {
        split(args, OPTIONS, jobArgs, ownArgs);
    }

    /** Separates a command's own settings ({@code options}) from the job's, which go to the job's parser. */
    static void split(String[] args, List<Option<?>> options, List<String> jobArgs, List<String> ownArgs) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String name = a.startsWith("--") ? a.substring(2).split("=", 2)[0] : null;
            boolean own = name != null && options.stream().anyMatch(o -> o.name.equals(name));
            List<String> to = own ? ownArgs : jobArgs;
            to.add(a);
            if (own && !a.contains("=") && i + 1 < args.length) to.add(args[++i]);
        }
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
