package dev.heartbeats.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessSpec;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessSpec;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.apache.flink.runtime.util.config.memory.ProcessMemoryUtils;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One application cluster of the distribution: a JobManager process that runs the job's {@code main} (application
 * mode) and TaskManager processes, started from the same files a pod starts from (lib/, plugins/, usrlib/, a
 * config.yaml and log4j-console.properties), with the JVM settings Flink's start scripts derive from the
 * configuration (heap, direct and metaspace sizes from the memory model, {@code env.java.*opts*}).
 */
public final class ApplicationCluster implements AutoCloseable {
    public static final String ENTRY_POINT = "dev.heartbeats.cluster.entrypoint.LocalApplicationClusterEntryPoint";
    public static final String TASK_MANAGER = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";

    public final ClusterPlan plan;
    /** The cluster's folder: flink/ (its Flink home), conf/, log/, tmp/. */
    public final Path dir;
    private final Path home;
    private final Path distConf;
    private final Path conf;
    private final Map<String, Object> config;
    private final Process jobManager;
    private final int jobManagerMetricsPort;
    private final List<Process> taskManagers = new ArrayList<>();
    private final List<Integer> taskManagerMetricsPorts = new ArrayList<>();
    public final FlinkRest rest;
    public final long startedAt = System.currentTimeMillis();

    private ApplicationCluster(ClusterPlan plan, Path dist, Path jar) throws IOException {
        this.plan = plan;
        this.home = plan.home;
        this.distConf = dist.resolve("conf");
        this.dir = home.getParent();
        this.conf = dir.resolve("conf");
        Files.createDirectories(conf);
        // The image's /opt/flink: the distribution's lib/ and plugins/, and usrlib/ with exactly the job jar.
        Files.createDirectories(home.resolve("usrlib"));
        Files.createSymbolicLink(home.resolve("lib"), dist.resolve("lib").toAbsolutePath());
        Files.createSymbolicLink(home.resolve("plugins"), dist.resolve("plugins").toAbsolutePath());
        Files.copy(jar, home.resolve("usrlib").resolve(plan.jarName()));
        Files.createDirectories(dir.resolve("log"));
        Files.createDirectories(dir.resolve("tmp"));
        config = new LinkedHashMap<>(plan.config);
        int restPort = freePort();
        config.put("rest.port", Integer.toString(restPort));
        config.put("jobmanager.rpc.port", Integer.toString(freePort()));
        config.put("blob.server.port", Integer.toString(freePort()));
        config.put("io.tmp.dirs", dir.resolve("tmp").toString());
        writeConf();
        rest = new FlinkRest(URI.create("http://localhost:" + restPort + "/"));
        jobManagerMetricsPort = freePort();
        jobManager = start("jobmanager", ENTRY_POINT, jobManagerLaunch(), jobManagerMetricsPort, List.of());
    }

    /**
     * Starts the JobManager and as many TaskManagers as the deployment's parallelism and slots need.
     *
     * @param dist the distribution whose lib/ and plugins/ the processes use
     * @param jar  the job jar for usrlib/ (the image's: dist/usrlib/heartbeat-jobs.jar)
     */
    public static ApplicationCluster start(ClusterPlan plan, Path dist, Path jar) throws IOException {
        ApplicationCluster c = new ApplicationCluster(plan, dist, jar);
        try {
            for (int i = 0; i < plan.taskManagers; i++) c.startTaskManager();
        } catch (IOException | RuntimeException e) {
            c.close();
            throw e;
        }
        return c;
    }

    /** Starts one more TaskManager process (as Kubernetes starts a new pod after one was lost); its index. */
    public synchronized int startTaskManager() throws IOException {
        int i = taskManagers.size();
        int port = freePort();
        taskManagerMetricsPorts.add(port);
        taskManagers.add(start("taskmanager-" + i, TASK_MANAGER, taskManagerLaunch(), port,
                List.of("-D", "taskmanager.resource-id=" + plan.deployment.name + "-taskmanager-" + i)));
        return i;
    }

    /** kill -9 of a TaskManager process, as a node failure or an OOM kill would end its pod. */
    public synchronized void killTaskManager(int i) throws InterruptedException {
        Process p = taskManagers.get(i);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** The process ids of the JobManager and the TaskManagers started so far (for CPU accounting). */
    public synchronized List<Long> pids() {
        List<Long> out = new ArrayList<>();
        out.add(jobManager.pid());
        for (Process p : taskManagers) out.add(p.pid());
        return out;
    }

    public List<URI> metricsEndpoints() {
        List<URI> out = new ArrayList<>();
        out.add(URI.create("http://localhost:" + jobManagerMetricsPort + "/metrics"));
        for (int i = 0; i < taskManagers.size(); i++) {
            if (taskManagers.get(i).isAlive()) out.add(URI.create("http://localhost:" + taskManagerMetricsPorts.get(i) + "/metrics"));
        }
        return out;
    }

    /** Waits until the job runs with all its tasks; fails with the JobManager's log tail if it cannot. */
    public void awaitRunning(Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            assertJobManagerAlive();
            String state = rest.state(plan.jobId);
            if ("FAILED".equals(state) || "CANCELED".equals(state) || "FINISHED".equals(state)) {
                throw new IllegalStateException("job " + plan.jobId + " of " + plan.deployment.name + " is " + state + "\n" + logTail("jobmanager", 60));
            }
            if (state != null && rest.allTasksRunning(plan.jobId)) return;
            Thread.sleep(200);
        }
        throw new IllegalStateException(plan.deployment.name + ": job not running within " + timeout + "\n" + logTails(40));
    }

    /** Waits until the job reaches a terminal state; that state. */
    public String awaitTerminal(Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (System.currentTimeMillis() < deadline) {
            assertJobManagerAlive();
            String state = rest.state(plan.jobId);
            if ("FINISHED".equals(state) || "FAILED".equals(state) || "CANCELED".equals(state)) return state;
            Thread.sleep(250);
        }
        throw new IllegalStateException(plan.deployment.name + ": job not finished within " + timeout + "\n" + logTails(40));
    }

    /**
     * Waits until a checkpoint has completed after the job was restored from {@code savepoint}, as the operator's
     * upgrade waits for a healthy job: restored from exactly that savepoint, and a checkpoint done since.
     */
    public void awaitCheckpointAfterRestore(String savepoint, Duration timeout) throws Exception {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        String restored = null;
        while (System.currentTimeMillis() < deadline) {
            assertJobManagerAlive();
            if ("RUNNING".equals(rest.state(plan.jobId))) {
                JsonNode c = rest.checkpoints(plan.jobId);
                restored = c.path("latest").path("restored").path("external_path").asText(null);
                if (savepoint.equals(restored) && c.path("counts").path("completed").asLong() > 0) return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(plan.deployment.name + ": no checkpoint after a restore from " + savepoint + " within " + timeout
                + " (restored from " + restored + ")\n" + logTail("jobmanager", 40));
    }

    public String stopWithSavepoint(URI targetDirectory, Duration timeout) throws Exception {
        return rest.stopWithSavepoint(plan.jobId, targetDirectory.toString(), timeout);
    }

    /** The log tails of every process, for a failure message. */
    public String logTails(int lines) {
        StringBuilder sb = new StringBuilder("--- jobmanager ---\n").append(logTail("jobmanager", lines));
        for (int i = 0; i < taskManagers.size(); i++) {
            sb.append("\n--- taskmanager-").append(i).append(taskManagers.get(i).isAlive() ? "" : " (exited)").append(" ---\n")
                    .append(logTail("taskmanager-" + i, lines));
        }
        return sb.toString();
    }

    private void assertJobManagerAlive() {
        if (!jobManager.isAlive()) {
            throw new IllegalStateException(plan.deployment.name + ": the JobManager process exited with " + jobManager.exitValue() + "\n" + logTail("jobmanager", 60));
        }
    }

    /** The last lines of a process's log file. */
    public String logTail(String process, int lines) {
        Path log = dir.resolve("log").resolve(process + ".log");
        if (!Files.exists(log)) log = dir.resolve("log").resolve(process + ".out");
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }

    private Process start(String name, String mainClass, Launch launch, int metricsPort, List<String> extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(launch.jvm());
        cmd.add("-Dlog.file=" + dir.resolve("log").resolve(name + ".log"));
        cmd.add("-Dlog4j.configurationFile=" + conf.resolve("log4j-console.properties").toUri());
        cmd.add("-classpath");
        cmd.add(home.resolve("lib") + "/*");
        cmd.add(mainClass);
        cmd.add("--configDir");
        cmd.add(conf.toString());
        cmd.add("-D");
        cmd.add("metrics.reporter.prom.port=" + metricsPort);
        cmd.addAll(launch.args());
        cmd.addAll(extraArgs);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").resolve(name + ".out").toFile());
        Map<String, String> env = pb.environment();
        env.put("FLINK_CONF_DIR", conf.toString());
        env.put("FLINK_LIB_DIR", home.resolve("lib").toString());
        env.put("FLINK_PLUGINS_DIR", home.resolve("plugins").toString());
        env.put("FLINK_HOME", home.toString());
        env.putAll(plan.env);
        return pb.start();
    }

    /** What a start script derives from the configuration: JVM flags, and the memory sizes as -D arguments. */
    private record Launch(List<String> jvm, List<String> args) {}

    /** As bin/jobmanager.sh: the memory model's JVM flags, default and user options, the derived sizes. */
    private Launch jobManagerLaunch() {
        Configuration c = flinkConfiguration();
        JobManagerProcessSpec spec = JobManagerProcessUtils.processSpecFromConfig(c);
        List<String> jvm = words(JobManagerProcessUtils.generateJvmParametersStr(spec, c));
        jvm.addAll(javaOpts("jobmanager"));
        return new Launch(jvm, words(JobManagerProcessUtils.generateDynamicConfigsStr(spec)));
    }

    /** As bin/taskmanager.sh. */
    private Launch taskManagerLaunch() {
        Configuration c = flinkConfiguration();
        TaskExecutorProcessSpec spec = TaskExecutorProcessUtils.processSpecFromConfig(c);
        List<String> jvm = words(ProcessMemoryUtils.generateJvmParametersStr(spec));
        jvm.addAll(javaOpts("taskmanager"));
        return new Launch(jvm, words(TaskExecutorProcessUtils.generateDynamicConfigsStr(spec)));
    }

    private List<String> javaOpts(String role) {
        List<String> out = new ArrayList<>();
        for (String key : List.of("env.java.default-opts.all", "env.java.default-opts." + role, "env.java.opts.all", "env.java.opts." + role)) {
            Object v = config.get(key);
            if (v != null) out.addAll(words(v.toString()));
        }
        return out;
    }

    private Configuration flinkConfiguration() {
        Map<String, String> flat = new LinkedHashMap<>();
        config.forEach((k, v) -> {
            if (v instanceof String s) flat.put(k, s);
        });
        return Configuration.fromMap(flat);
    }

    private void writeConf() throws IOException {
        DumperOptions o = new DumperOptions();
        o.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        o.setWidth(Integer.MAX_VALUE);
        Files.writeString(conf.resolve("config.yaml"), new Yaml(o).dump(config));
        String log4j = plan.deployment.logConfiguration.get("log4j-console.properties");
        if (log4j != null) {
            Files.writeString(conf.resolve("log4j-console.properties"), log4j);
        } else {
            Files.copy(distConf.resolve("log4j-console.properties"), conf.resolve("log4j-console.properties"));
        }
    }

    private static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        for (String w : s.trim().split("\\s+")) if (!w.isEmpty()) out.add(w);
        return out;
    }

    /**
     * A port that is free now, below Linux's ephemeral range (32768 and up): a port the kernel handed out for a listen
     * on port 0 is one it may also hand to the next outgoing connection (a Kafka client's, say) before the process we
     * start here binds it; the processes would then fail with "could not start rest endpoint".
     */
    static int freePort() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = random.nextInt(FIXED_PORTS_FROM, FIXED_PORTS_TO);
            try (ServerSocket s = new ServerSocket(port)) {
                s.setReuseAddress(true);
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new UncheckedIOException(new IOException("no free port between " + FIXED_PORTS_FROM + " and " + FIXED_PORTS_TO));
    }

    private static final int FIXED_PORTS_FROM = 20_000;
    private static final int FIXED_PORTS_TO = 32_000;

    /** Stops every process (SIGTERM, then SIGKILL after a grace period), as deleting the deployment would. */
    @Override
    public void close() {
        List<Process> all = new ArrayList<>(taskManagers);
        all.add(jobManager);
        for (Process p : all) p.destroy();
        for (Process p : all) {
            try {
                if (!p.waitFor(20, TimeUnit.SECONDS)) p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
