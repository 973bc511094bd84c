package dev.heartbeats.local;

import dev.heartbeats.cluster.ApplicationCluster;
import dev.heartbeats.cluster.ClusterPlan;
import dev.heartbeats.cluster.Distribution;
import dev.heartbeats.cluster.FlinkDeployment;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.embedded.LocalStack;
import org.apache.flink.runtime.util.EnvironmentInformation;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code hb cluster <job>}: a job's FlinkDeployment run as the Flink Kubernetes Operator runs it, on a real Flink
 * cluster of this machine (an application-mode JobManager process and TaskManager processes of the distribution
 * that cluster-dist assembles, with the image's job jar in usrlib), against existing Kafka and database or embedded
 * ones with a live generator. Prints what it maps from Kubernetes to this machine; Ctrl-C stops the job with a
 * savepoint (as the operator's savepoint upgrade does) and prints it, so the same command with
 * {@code --from-savepoint} continues; {@code --upgrade-after} rehearses the whole upgrade in one run.
 */
final class ClusterCommand {
    static final Option<String> OVERLAY = Option.string("overlay", "local", "the kustomize overlay (k8s/overlays/<name>) whose FlinkDeployment runs");
    static final Option<String> MANIFESTS = Option.string("manifests", null, "already rendered manifests to take the FlinkDeployment from (default: kubectl kustomize the overlay)").optional();
    static final Option<String> BOOTSTRAP = Option.string("bootstrap-servers", null, "use this Kafka (then --jdbc-url too); default: an embedded broker with a live generator").optional();
    static final Option<String> JDBC_URL = Option.string("jdbc-url", null, "use this database (then --bootstrap-servers too); default: an embedded PostgreSQL").optional();
    static final Option<String> JDBC_USER = JobOptions.JDBC_USER;
    static final Option<Double> RATE = Option.decimal("rate", 1000, "embedded services only: heartbeats per second the generator sends");
    static final Option<String> FROM_SAVEPOINT = Option.string("from-savepoint", null, "start the job from this savepoint (execution.savepoint.path), as the operator does on an upgrade").optional();
    static final Option<String> JAR = Option.string("jar", null, "the job jar for usrlib (default: the distribution's " + Distribution.JOB_JAR + ", the image's)").optional();
    static final Option<Duration> UPGRADE_AFTER = Option.duration("upgrade-after", "0s",
            "rehearse the operator's savepoint upgrade after this long: stop with a savepoint, start a fresh cluster from it (0s: never)");
    static final Option<String> UPGRADE_JAR = Option.string("upgrade-jar", null, "the job jar of the upgraded cluster (default: --jar)").optional();
    static final Option<String> JOB_ARGS = Option.string("job-args", null, "settings appended to the FlinkDeployment's job.args, space-separated (a later setting wins)").optional();
    static final Option<String> WORK_DIR = Option.string("work-dir", null, "where the clusters' configuration, logs and object storage go (default: a new temporary directory)").optional();
    static final Option<Duration> DURATION = Option.duration("duration", "0s", "stop after this long (0s: run until Ctrl-C)");
    static final Option<Duration> STATUS_INTERVAL = Option.duration("status-interval", "5s", "how often to print the status line");

    static final List<Option<?>> OPTIONS = List.of(OVERLAY, MANIFESTS, BOOTSTRAP, JDBC_URL, JDBC_USER, RATE, FROM_SAVEPOINT, JAR, UPGRADE_AFTER,
            UPGRADE_JAR, JOB_ARGS, WORK_DIR, DURATION, STATUS_INTERVAL);

    static String help() {
        return Settings.help("Usage: hb cluster <" + String.join("|", Jobs.withArchive().keySet()) + "> [settings]\n"
                + "Runs the job's FlinkDeployment as the Flink Kubernetes Operator does, on JobManager and TaskManager processes of this machine.", OPTIONS);
    }

    private final String job;
    private final Settings s;
    private final Path root;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private volatile ApplicationCluster cluster;
    private LiveProducer producer;

    private ClusterCommand(String job, Settings s, Path root) {
        this.job = job;
        this.s = s;
        this.root = root;
    }

    static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        if (args.length == 0 || args[0].startsWith("--")) throw new ConfigException("cluster: name the job: hb cluster <" + String.join("|", Jobs.withArchive().keySet()) + "> [settings]");
        String job = args[0];
        Jobs.byName(job);
        Settings s = Settings.parse(Arrays.copyOfRange(args, 1, args.length), OPTIONS);
        if ((s.get(BOOTSTRAP) == null) != (s.get(JDBC_URL) == null)) {
            throw new ConfigException("--bootstrap-servers and --jdbc-url: give both to use existing services, or neither to start embedded ones");
        }
        String rootProperty = System.getProperty("hb.root");
        if (rootProperty == null) throw new ConfigException("hb.root: run this command through scripts/hb");
        ClusterCommand c = new ClusterCommand(job, s, Path.of(rootProperty));
        Thread hook = new Thread(c::shutdown, "hb-cluster-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            c.run();
        } finally {
            c.shutdown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // Ctrl-C: the hook is running the shutdown
            }
        }
    }

    private void run() throws Exception {
        Distribution dist = Distribution.ofRepository(root, EnvironmentInformation.getVersion());
        String manifests = s.get(MANIFESTS) != null ? Files.readString(Path.of(s.get(MANIFESTS))) : Distribution.render(root, s.get(OVERLAY));
        FlinkDeployment deployment = FlinkDeployment.find(manifests, job);
        Path work = s.get(WORK_DIR) != null ? Files.createDirectories(Path.of(s.get(WORK_DIR)).toAbsolutePath()) : Files.createTempDirectory("hb-cluster-" + job);

        ClusterPlan.Services services;
        if (s.get(BOOTSTRAP) == null) {
            say("starting Kafka (KRaft) and PostgreSQL in this JVM ...");
            LocalStack stack = LocalPipeline.quietly(() -> LocalStack.start(4));
            resources.add(stack);
            JdbcConfig jdbc = stack.jdbc();
            services = new ClusterPlan.Services(stack.kafka.bootstrapServers(), jdbc.url, jdbc.user, stack.postgres.password());
            say("catalog: " + CatalogLoader.loadDefaults(jdbc) + " rows loaded from the sample catalog");
            GeneratorConfig live = LiveProducer.liveConfig(GeneratorConfig.allAdversities(1), s.get(RATE), System.currentTimeMillis());
            producer = new LiveProducer(stack.kafka.bootstrapServers(), LocalStack.INPUT_TOPIC);
            Thread generator = new Thread(() -> producer.sendLive(new HeartbeatGenerator(live)), "generator");
            generator.setDaemon(true);
            generator.start();
            say("generator: " + Math.round(s.get(RATE)) + " heartbeats/s; psql -h localhost -p " + LocalPipeline.portOf(jdbc.url) + " -U " + jdbc.user + " heartbeats");
        } else {
            services = new ClusterPlan.Services(s.get(BOOTSTRAP), s.get(JDBC_URL), s.get(JDBC_USER), Settings.env(JobOptions.JDBC_PASSWORD_ENV, ""));
        }

        Path jar = s.get(JAR) != null ? Path.of(s.get(JAR)) : dist.jobJar();
        cluster = startCluster(deployment, dist, work, services, s.get(FROM_SAVEPOINT), jar, 1);
        long upgradeAt = s.get(UPGRADE_AFTER).isZero() ? Long.MAX_VALUE : System.currentTimeMillis() + s.get(UPGRADE_AFTER).toMillis();
        long endAt = s.get(DURATION).isZero() ? Long.MAX_VALUE : System.currentTimeMillis() + s.get(DURATION).toMillis();
        while (!stopped.await(s.get(STATUS_INTERVAL).toMillis(), TimeUnit.MILLISECONDS) && System.currentTimeMillis() < endAt) {
            say(status());
            if (System.currentTimeMillis() >= upgradeAt) {
                upgradeAt = Long.MAX_VALUE;
                String savepoint = stopWithSavepoint(work);
                Path next = s.get(UPGRADE_JAR) != null ? Path.of(s.get(UPGRADE_JAR)) : jar;
                cluster = startCluster(deployment, dist, work, services, savepoint, next, 2);
                long t0 = System.currentTimeMillis();
                cluster.awaitCheckpointAfterRestore(savepoint, Duration.ofMinutes(5));
                say("upgraded: restored from " + savepoint + " and completed a checkpoint " + (System.currentTimeMillis() - t0) + " ms after it ran");
            }
        }
    }

    private ApplicationCluster startCluster(FlinkDeployment d, Distribution dist, Path work, ClusterPlan.Services services, String savepoint,
                                            Path jar, int generation) throws Exception {
        List<String> extra = s.get(JOB_ARGS) == null ? List.of() : List.of(s.get(JOB_ARGS).trim().split("\\s+"));
        Path home = work.resolve(job + "-" + generation).resolve("flink");
        ClusterPlan plan = new ClusterPlan(d, dist.defaults(), home, work.resolve("object-storage"), services, savepoint, extra);
        say("FlinkDeployment " + d.name + " (" + s.get(OVERLAY) + "): " + plan.taskManagers + " TaskManager(s), parallelism " + d.parallelism
                + ", jar " + jar + (savepoint != null ? ", from savepoint " + savepoint : ""));
        say("mapped from Kubernetes to this machine:");
        for (String m : plan.mappings) say("  " + m);
        long t0 = System.currentTimeMillis();
        ApplicationCluster c = ApplicationCluster.start(plan, dist.dir, jar);
        say("processes started: JobManager + " + plan.taskManagers + " TaskManager(s); logs in " + c.dir.resolve("log") + "; web UI " + c.rest.base());
        c.awaitRunning(Duration.ofMinutes(5));
        say(String.format("job %s running %,d ms after the processes were started", plan.jobId, System.currentTimeMillis() - t0));
        return c;
    }

    private String stopWithSavepoint(Path work) throws Exception {
        say("stopping the job with a savepoint ...");
        String savepoint = cluster.stopWithSavepoint(work.resolve("object-storage/savepoints").toUri(), Duration.ofMinutes(5));
        cluster.close();
        say("savepoint: " + savepoint);
        return savepoint;
    }

    private String status() {
        ApplicationCluster c = cluster;
        try {
            var checkpoints = c.rest.checkpoints(c.plan.jobId).path("counts");
            return String.format("[%s] job %s | %s | checkpoints completed %d, failed %d | restarts %d", job, c.rest.state(c.plan.jobId),
                    new JobProgress(c.rest, c.plan.jobId, -1).line(), checkpoints.path("completed").asLong(), checkpoints.path("failed").asLong(),
                    c.rest.get("jobs/" + c.plan.jobId + "/exceptions").path("exceptionHistory").path("entries").size());
        } catch (Exception e) {
            return "[" + job + "] (REST: " + e.getMessage() + ")";
        }
    }

    private synchronized void shutdown() {
        if (stopped.getCount() == 0) return;
        stopped.countDown();
        if (producer != null) producer.stop();
        ApplicationCluster c = cluster;
        if (c != null) {
            try {
                if ("RUNNING".equals(c.rest.state(c.plan.jobId))) {
                    say("stopping the job with a savepoint ...");
                    say("savepoint: " + c.stopWithSavepoint(c.dir.getParent().resolve("object-storage/savepoints").toUri(), Duration.ofMinutes(5))
                            + "  (continue with --from-savepoint)");
                }
            } catch (Exception e) {
                say("stop-with-savepoint failed: " + e.getMessage() + "; the last checkpoint is under " + c.dir.getParent().resolve("object-storage"));
            }
            c.close();
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

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
