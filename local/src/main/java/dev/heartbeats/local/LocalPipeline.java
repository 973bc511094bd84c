package dev.heartbeats.local;

import dev.heartbeats.archive.ArchiveJob;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Restatement;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.kafka.KafkaClientConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import dev.heartbeats.embedded.LocalStack;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The whole pipeline on this machine: a Kafka broker and a PostgreSQL server in this JVM (or existing ones), a
 * Flink MiniCluster with its web UI, the schema and sample catalog, a live heartbeat generator, and the jobs.
 * Prints what is going on every few seconds; Ctrl-C stops everything and leaves nothing running.
 */
public final class LocalPipeline {
    static final Option<String> JOBS = Option.string("jobs", "all", "comma-separated jobs to run (all = " + String.join(",", Jobs.withArchive().keySet()) + ")");
    static final Option<String> ARCHIVE_DIR = Option.string("archive-dir", null,
            "where the archive job writes (default: with --bootstrap-servers " + RestateCommand.defaultArchive() + ", which hb restate reads; "
                    + "with embedded services a new temporary folder, since their Kafka starts empty)").optional();
    static final Option<Double> RATE = Option.decimal("rate", 2000, "heartbeats per second the generator sends (live, event time = wall clock)");
    static final Option<Integer> VIEWERS = Option.integer("viewers", 1, "concurrent viewers to simulate instead of a rate (each sends a heartbeat every ~5 s)").optional();
    static final Option<Long> SEED = Option.longValue("seed", 1, "generator seed");
    static final Option<Boolean> CLEAN = Option.flag("clean-input", "send only clean heartbeats (default: a few % out of order, duplicated, late, too late and invalid)");
    static final Option<String> BOOTSTRAP = Option.string("bootstrap-servers", null, "use this Kafka instead of starting one (then --jdbc-url too)").optional();
    static final Option<String> JDBC_URL = Option.string("jdbc-url", null, "use this database instead of starting PostgreSQL (then --bootstrap-servers too)").optional();
    static final Option<String> JDBC_USER = JobOptions.JDBC_USER;
    static final Option<List<String>> ROLE_PASSWORD_FILE = Option.repeatable("role-password-file",
            "with --jdbc-url: <job>=<file>, the password of the job's role (heartbeats_<job>): set by the schema step and used by the job");
    static final Option<Integer> PG_PORT = Option.integer("pg-port", 55432, "port of the embedded PostgreSQL");
    static final Option<String> PG_DATA = Option.string("pg-data", null, "keep the embedded PostgreSQL's data in this directory (default: temporary)").optional();
    static final Option<Integer> WEB_PORT = Option.port("web-port", 8081, "port of the Flink web UI");
    static final Option<Integer> PARTITIONS = Option.integer("partitions", 4, "partitions of the heartbeats topic (embedded Kafka)");
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", 1, "parallelism of each job");
    static final Option<Duration> CHECKPOINT_INTERVAL = Option.duration("checkpoint-interval", "30s", "checkpoint interval of each job");
    static final Option<Duration> STATUS_INTERVAL = Option.duration("status-interval", "5s", "how often to print the status line");
    static final Option<Duration> DURATION = Option.duration("duration", "0s", "stop after this long (0 = run until Ctrl-C)");
    static final Option<String> STATE_DIR = Option.string("state-dir", null,
            "with --bootstrap-servers: where each job keeps its savepoints and checkpoints, in <state-dir>/<job>-<group-id> (default: ~/.hb/state, "
                    + "shared with hb job); a stop takes a savepoint of each job there and the next start resumes from it. Embedded services start "
                    + "empty every run, so their jobs start fresh and are cancelled at the stop").optional();

    static final List<Option<?>> OPTIONS = JobOptions.concat(List.of(JOBS, RATE, VIEWERS, SEED, CLEAN), JobOptions.concat(JobOptions.kafkaClient(BOOTSTRAP),
            List.of(JDBC_URL, JDBC_USER, JobOptions.JDBC_PASSWORD_FILE, JobOptions.JDBC_SSL_MODE, JobOptions.JDBC_SSL_ROOT_CERT, ROLE_PASSWORD_FILE, PG_PORT, PG_DATA,
                    WEB_PORT, PARTITIONS, PARALLELISM, CHECKPOINT_INTERVAL, STATUS_INTERVAL, DURATION, STATE_DIR, ARCHIVE_DIR)));

    static String help() {
        return Settings.help("Usage: hb pipeline [settings]\nRuns the whole pipeline locally: Kafka, PostgreSQL, Flink with web UI, generator, jobs.\n"
                + "With existing services (--bootstrap-servers, --jdbc-url), Ctrl-C or SIGTERM stops each job with a savepoint into --state-dir and\n"
                + "the next start resumes from it; a job whose consumer group has committed offsets but no known state refuses to start.", OPTIONS);
    }

    private final Settings s;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final Map<String, JobClient> jobs = new LinkedHashMap<>();
    private final Map<String, String> groups = new LinkedHashMap<>();
    private final Map<String, JobState> states = new LinkedHashMap<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private LiveProducer producer;
    private LocalFlink flink;

    private LocalPipeline(Settings s) {
        this.s = s;
    }

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        Settings s = Settings.parse(args, OPTIONS);
        if (s.isSet(RATE) && s.isSet(VIEWERS)) throw new ConfigException("--rate and --viewers: give one of them (viewers × 0.2 = heartbeats/s)");
        if ((s.get(BOOTSTRAP) == null) != (s.get(JDBC_URL) == null)) {
            throw new ConfigException("--bootstrap-servers and --jdbc-url: give both to use existing services, or neither to start embedded ones");
        }
        LocalPipeline pipeline = new LocalPipeline(s);
        Thread hook = new Thread(pipeline::shutdown, "local-pipeline-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            pipeline.run();
        } finally {
            pipeline.shutdown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // Ctrl-C: the hook is running the shutdown
            }
        }
    }

    private void run() throws Exception {
        long started = System.currentTimeMillis();
        Map<String, String> rolePasswords = new LinkedHashMap<>();
        for (String v : s.get(ROLE_PASSWORD_FILE)) {
            int eq = v.indexOf('=');
            if (eq <= 0 || !Files.isReadable(Path.of(v.substring(eq + 1)))) {
                throw new ConfigException("--" + ROLE_PASSWORD_FILE.name + ": '" + v + "' must be <job>=<readable file>");
            }
            rolePasswords.put(Jobs.byName(v.substring(0, eq)).name(), v.substring(eq + 1));
        }

        String bootstrap = s.get(BOOTSTRAP);
        JdbcConfig jdbc;
        if (bootstrap == null) {
            for (Option<?> o : JobOptions.KAFKA_CLIENT) {
                if (s.isSet(o)) throw new ConfigException("--" + o.name + ": only with --bootstrap-servers (the embedded broker is plaintext)");
            }
            say("starting Kafka (KRaft) and PostgreSQL in this JVM ...");
            String data = s.get(PG_DATA);
            LocalStack stack = quietly(() -> LocalStack.start(s.get(PARTITIONS), s.get(PG_PORT), data == null ? null : Path.of(data)));
            resources.add(stack);
            bootstrap = stack.kafka.bootstrapServers();
            jdbc = stack.jdbc();
        } else {
            jdbc = JdbcConfig.fromSettings(s, 2000, 500, 120_000); // password from JDBC_PASSWORD or --jdbc-password-file at connect
            say("schema: " + Migrations.apply(jdbc, Schema.Flavor.AUTO));
            Migrations.setRolePasswords(jdbc, rolePasswords);
        }
        KafkaClientConfig kafka = KafkaClientConfig.fromSettings(s, BOOTSTRAP).withBootstrapServers(bootstrap);
        if (kafka.isSecured()) kafka.check(List.of(LocalStack.INPUT_TOPIC, LocalStack.DLQ_TOPIC, LocalStack.LATE_TOPIC), Duration.ofSeconds(30));
        say("Kafka: " + kafka + "   database: " + jdbc.url);
        say("catalog: " + CatalogLoader.loadDefaults(jdbc) + " rows loaded from the sample catalog");

        List<JobLauncher.Job> selected = selectedJobs();
        int parallelism = s.get(PARALLELISM);
        // With existing services a job's consumer group outlives this run: each job resumes from the state its last
        // stop recorded, or refuses to start from committed offsets without it (JobState). Every job is checked first.
        boolean resumable = s.get(BOOTSTRAP) != null;
        Path stateRoot = s.get(STATE_DIR) != null ? Path.of(s.get(STATE_DIR)) : JobState.defaultRoot();
        Path checkpoints = resumable ? null : Files.createTempDirectory("hb-checkpoints");
        Map<String, JobConfig> configs = new LinkedHashMap<>();
        Map<String, JobState.Plan> plans = new LinkedHashMap<>();
        String archive = s.get(ARCHIVE_DIR) != null ? s.get(ARCHIVE_DIR)
                : resumable ? RestateCommand.defaultArchive() : Files.createTempDirectory("hb-archive").toString();
        for (JobLauncher.Job job : selected) {
            // Each job as its own role (heartbeats_<job>), with its password file if one was given; --jdbc-user is for the setup.
            List<String> args = new ArrayList<>(List.of("--bootstrap-servers", bootstrap, "--jdbc-url", jdbc.url,
                    "--parallelism", Integer.toString(parallelism), "--checkpoint-interval", s.get(CHECKPOINT_INTERVAL).toMillis() + "ms"));
            args.addAll(s.toArgs(JobOptions.KAFKA_CLIENT)); // the same Kafka client settings as the generator's and the status line's
            args.addAll(s.toArgs(List.of(JobOptions.JDBC_SSL_MODE, JobOptions.JDBC_SSL_ROOT_CERT)));
            String rolePassword = rolePasswords.get(job.name());
            if (rolePassword != null) args.addAll(List.of("--jdbc-password-file", rolePassword));
            if (job instanceof ArchiveJob) {
                args.addAll(List.of("--" + Restatement.ARCHIVE_DIR.name, archive));
                say("archive: every heartbeat record to " + archive + " (Parquet by UTC date and hour; hb restate --archive " + archive + ")");
            }
            JobConfig cfg = job.parse(args.toArray(new String[0]));
            Path stateDir = JobState.dirUnder(stateRoot, job.name(), cfg);
            Path checkpointDir = resumable ? new JobState(stateDir, job.name(), cfg).defaultCheckpoints() : checkpoints.resolve(job.name());
            args.addAll(List.of("--checkpoint-dir", checkpointDir.toUri().toString()));
            cfg = job.parse(args.toArray(new String[0]));
            configs.put(job.name(), cfg);
            if (resumable) {
                JobState state = new JobState(stateDir, job.name(), cfg);
                states.put(job.name(), state);
                say(job.name() + ": state directory " + state.dir + " (--state-dir), consumer group " + cfg.groupId);
                plans.put(job.name(), state.plan(null, "hb job " + job.name()));
            }
        }
        flink = LocalFlink.start(s.get(WEB_PORT), Math.max(4, selected.size() * parallelism));
        resources.add(0, flink);
        say("Flink web UI: " + flink.webUi());
        for (JobLauncher.Job job : selected) {
            JobConfig cfg = configs.get(job.name());
            JobState.Plan plan = plans.getOrDefault(job.name(), new JobState.Plan(null, "fresh (embedded services)"));
            Configuration conf = new Configuration();
            plan.applyTo(conf);
            JobClient client = job.start(flink.environment(conf), cfg);
            jobs.put(job.name(), client);
            groups.put(job.name(), cfg.groupId);
            JobState state = states.get(job.name());
            if (state != null) state.started(client.getJobID(), cfg.checkpointDir, plan);
            say("started job " + job.name() + " (" + client.getJobID() + ") " + (plan.path() != null ? "resuming " : "") + plan.why()
                    + (state != null ? "; state in " + state.dir : ""));
        }

        GeneratorConfig base = s.get(CLEAN) ? GeneratorConfig.of(s.get(SEED)) : GeneratorConfig.allAdversities(s.get(SEED));
        double rate = s.get(VIEWERS) != null ? s.get(VIEWERS) * LiveProducer.RECORDS_PER_VIEWER_SECOND : s.get(RATE);
        GeneratorConfig live = LiveProducer.liveConfig(base, rate, System.currentTimeMillis());
        producer = new LiveProducer(kafka, LocalStack.INPUT_TOPIC);
        Thread generator = new Thread(() -> producer.sendLive(new HeartbeatGenerator(live)), "generator");
        generator.setDaemon(true);
        generator.start();
        say("generator: " + Math.round(rate) + " heartbeats/s from about " + live.viewers() + " concurrent viewers");
        say("psql:  psql -h localhost -p " + portOf(jdbc.url) + " -U " + jdbc.user + " heartbeats    (Ctrl-C stops everything)");

        long durationMs = s.get(DURATION).toMillis();
        try (KafkaStats stats = new KafkaStats(kafka)) {
            long lastSent = 0;
            long lastAt = System.currentTimeMillis();
            while (!stopped.await(s.get(STATUS_INTERVAL).toMillis(), TimeUnit.MILLISECONDS)) {
                long now = System.currentTimeMillis();
                long sent = producer.sent();
                printStatus(stats, jdbc, now - started, sent, (sent - lastSent) * 1000.0 / Math.max(1, now - lastAt));
                lastSent = sent;
                lastAt = now;
                if (durationMs > 0 && now - started >= durationMs) break;
            }
        }
    }

    private List<JobLauncher.Job> selectedJobs() {
        String names = s.get(JOBS);
        if (names.equals("all")) return new ArrayList<>(Jobs.withArchive().values());
        List<JobLauncher.Job> out = new ArrayList<>();
        for (String n : names.split(",")) out.add(Jobs.byName(n.trim()));
        return out;
    }

    private void printStatus(KafkaStats stats, JdbcConfig jdbc, long elapsedMs, long sent, double rate) {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format("[%02d:%02d] in: %,d sent (%,.0f/s)", elapsedMs / 60000, elapsedMs / 1000 % 60, sent, rate));
        sb.append(" | consumer lag:"); // the sources' pendingRecords: records in Kafka not read yet
        for (Map.Entry<String, JobClient> e : jobs.entrySet()) {
            String state;
            try {
                state = e.getValue().getJobStatus().get(5, TimeUnit.SECONDS).toString();
            } catch (Exception unknown) {
                state = "?";
            }
            sb.append(' ').append(e.getKey()).append('=').append(lag(e.getValue())).append(" (").append(state).append(')');
        }
        try {
            sb.append(String.format(" | dlq %,d late %,d", stats.size(LocalStack.DLQ_TOPIC), stats.size(LocalStack.LATE_TOPIC)));
        } catch (Exception e) {
            sb.append(" (kafka: ").append(e.getMessage()).append(')');
        }
        sb.append(" | rows: ").append(TableCounts.line(jdbc));
        say(sb.toString());
    }

    private String lag(JobClient job) {
        try {
            long pending = flink.rest().metricSum(job.getJobID(), "pendingRecords");
            return pending < 0 ? "n/a" : String.format("%,d", pending);
        } catch (Exception e) {
            return "n/a";
        }
    }

    private synchronized void shutdown() {
        if (stopped.getCount() == 0) return;
        stopped.countDown();
        say("stopping ...");
        if (producer != null) producer.stop();
        for (Map.Entry<String, JobClient> e : jobs.entrySet()) {
            JobState state = states.get(e.getKey());
            try {
                if (state != null) {
                    say("stopping " + e.getKey() + " with a savepoint into " + state.savepoints() + " ...");
                    say("stopped " + e.getKey() + " with savepoint " + state.stopWithSavepoint(e.getValue(), Duration.ofMinutes(5))
                            + "; the same command resumes from it");
                } else {
                    e.getValue().cancel().get(30, TimeUnit.SECONDS);
                }
            } catch (Exception ex) {
                if (state != null) say("stop with a savepoint of " + e.getKey() + " failed (" + ex + "); the next start resumes from its last checkpoint");
                // else: the cluster is closed next anyway
            }
        }
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                say("while stopping: " + e);
            }
        }
        if (producer != null) producer.close();
        say("stopped.");
    }

    /** Runs {@code start} with stdout muted: Kafka's storage formatter prints to it. */
    static <T> T quietly(java.util.concurrent.Callable<T> start) throws Exception {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            return start.call();
        } finally {
            System.setOut(out);
        }
    }

    static String portOf(String jdbcUrl) {
        String rest = jdbcUrl.substring(jdbcUrl.indexOf("//") + 2);
        int colon = rest.indexOf(':');
        int slash = rest.indexOf('/');
        return colon >= 0 && colon < slash ? rest.substring(colon + 1, slash) : "5432";
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
