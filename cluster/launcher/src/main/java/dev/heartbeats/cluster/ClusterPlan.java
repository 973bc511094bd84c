package dev.heartbeats.cluster;

import dev.heartbeats.common.config.ConfigException;
import org.apache.flink.api.common.JobID;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The configuration of one application cluster, built as the Flink Kubernetes Operator builds it for a
 * {@code FlinkDeployment} in native application mode (its defaults, then {@code flinkConfiguration}, then what it
 * derives from {@code job} and the resources), and then mapped to this machine: every change the mapping makes is
 * recorded in {@link #mappings}, so that a run says exactly how it differs from the pods.
 */
public final class ClusterPlan {
    /** Where the cluster's external services are here. */
    public record Services(String bootstrapServers, String jdbcUrl, String jdbcUser, String jdbcPassword) {}

    public final FlinkDeployment deployment;
    public final Path home;
    /** The flat configuration to write to the cluster's config.yaml (list values as lists). */
    public final Map<String, Object> config = new LinkedHashMap<>();
    /** The job's arguments after the mapping. */
    public final List<String> args = new ArrayList<>();
    /** The environment of the JobManager and TaskManager processes (the pods' env, mapped). */
    public final Map<String, String> env = new LinkedHashMap<>();
    public final List<String> mappings = new ArrayList<>();
    public final JobID jobId = JobID.generate();
    public final int taskManagers;

    private static final Pattern S3 = Pattern.compile("s3a?://([^/]+)(/.*)?");

    /**
     * @param defaults      the distribution's conf/config.yaml (the operator's default configuration)
     * @param home          the cluster's Flink home (lib/, plugins/, usrlib/ as in the image's /opt/flink)
     * @param objectStorage the folder that stands in for object storage (s3://bucket/path -> folder/bucket/path)
     * @param savepoint     restore from this savepoint (the operator's upgrade), or null
     * @param extraArgs     appended to the job's args (a later occurrence of a setting wins)
     */
    public ClusterPlan(FlinkDeployment d, Map<String, String> defaults, Path home, Path objectStorage, Services services,
                       String savepoint, List<String> extraArgs) {
        this.deployment = d;
        this.home = home;
        // 1. The operator: its default configuration, then the deployment's flinkConfiguration on top.
        config.putAll(defaults);
        config.putAll(d.flinkConfiguration);
        defaultTo("web.cancel.enable", "false");
        // 2. What it derives from spec.job (FlinkConfigBuilder.applyJobOrSessionSpec / applyJobConfig).
        defaultTo("pipeline.name", d.name);
        defaultTo("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION");
        if (d.allowNonRestoredState != null) config.put("execution.savepoint.ignore-unclaimed-state", d.allowNonRestoredState.toString());
        config.put("$internal.application.main", d.entryClass);
        config.put("parallelism.default", Integer.toString(d.parallelism));
        config.put("execution.shutdown-on-application-finish", "false");
        defaultTo("execution.submit-failed-job-on-application-error", "true");
        config.put("$internal.pipeline.job-id", jobId.toHexString());
        if (d.jobManagerMemory != null) config.put("jobmanager.memory.process.size", flinkMemory(d.jobManagerMemory));
        if (d.taskManagerMemory != null) config.put("taskmanager.memory.process.size", flinkMemory(d.taskManagerMemory));
        if (savepoint != null) config.put("execution.savepoint.path", savepoint);
        int slots = Integer.parseInt(String.valueOf(config.getOrDefault("taskmanager.numberOfTaskSlots", "1")));
        taskManagers = (d.parallelism + slots - 1) / slots;

        // 3. This machine instead of Kubernetes.
        config.put("pipeline.jars", List.of(localJar(d.jarUri, home)));
        if ("kubernetes".equalsIgnoreCase(String.valueOf(config.get("high-availability.type")))) {
            config.put("high-availability.type", "NONE");
            mappings.add("high-availability.type: kubernetes -> NONE (one JobManager process; its failure is not rehearsed here)");
            for (String key : List.copyOf(config.keySet())) {
                if (key.startsWith("high-availability.") && !key.equals("high-availability.type")) {
                    mappings.add(key + ": dropped with Kubernetes HA (" + config.remove(key) + ")");
                }
            }
        }
        for (String key : List.copyOf(config.keySet())) {
            Object v = config.get(key);
            if (key.startsWith("kubernetes.")) {
                config.remove(key);
                mappings.add(key + ": dropped (read by the operator or the Kubernetes resource manager only)");
            } else if (key.startsWith("s3.") || key.startsWith("fs.s3a.")) {
                config.remove(key);
                mappings.add(key + ": dropped (S3 client setting; object storage is the folder " + objectStorage + ")");
            } else if (v instanceof String s && S3.matcher(s).matches()) {
                String local = objectStorage(s, objectStorage);
                config.put(key, local);
                mappings.add(key + ": " + s + " -> " + local);
            }
        }
        for (String key : List.of("jobmanager.rpc.address", "rest.address", "rest.bind-address", "jobmanager.bind-host", "taskmanager.bind-host", "taskmanager.host")) {
            config.put(key, "localhost");
        }
        mappings.add("jobmanager.rpc.address, rest.address, *.bind-host, taskmanager.host: localhost (pods: their own IPs and the JobManager service)");
        mappings.add("jobmanager.rpc.port, rest.port, blob.server.port, metrics.reporter.prom.port: free ports of this machine, one per process (pods: fixed ports on their own IPs)");
        mappings.add("spec.job.jarURI: " + d.jarUri + " -> " + localJar(d.jarUri, home));

        // The job's arguments: service addresses of the cluster -> this machine's.
        Map<String, String> replace = new LinkedHashMap<>();
        replace.put("--bootstrap-servers", services.bootstrapServers());
        replace.put("--jdbc-url", services.jdbcUrl());
        replace.put("--jdbc-user", services.jdbcUser());
        // The services here are plain: the brokers have no TLS listener nor users, the database no TLS. The pods' secret
        // files (mounted Secrets) do not exist here either: the database password goes to the processes' environment.
        replace.put("--kafka-security-protocol", "PLAINTEXT");
        for (int i = 0; i < d.args.size(); i++) {
            String a = d.args.get(i);
            String local = replace.get(a);
            if (DROPPED.containsKey(a) && i + 1 < d.args.size()) {
                mappings.add("job.args " + a + " " + d.args.get(++i) + ": dropped (" + DROPPED.get(a) + ")");
                if (a.equals("--jdbc-password-file")) {
                    env.put("JDBC_PASSWORD", services.jdbcPassword());
                    mappings.add("env JDBC_PASSWORD: the local database's password, instead of the pods' password file");
                }
            } else if (local != null && i + 1 < d.args.size()) {
                String was = d.args.get(++i);
                args.add(a);
                args.add(local);
                if (!was.equals(local)) mappings.add("job.args " + a + ": " + was + " -> " + local);
            } else if (S3.matcher(a).matches()) {
                args.add(objectStorage(a, objectStorage));
                mappings.add("job.args: " + a + " -> " + args.get(args.size() - 1));
            } else {
                args.add(a);
            }
        }
        if (!extraArgs.isEmpty()) {
            args.addAll(extraArgs);
            mappings.add("job.args: appended " + String.join(" ", extraArgs));
        }
        config.put("$internal.application.program-args", List.copyOf(args));

        // The pods' environment: secrets from this machine.
        d.env.forEach((name, value) -> {
            if (value != null && value.startsWith("secret ")) {
                if (!name.equals("JDBC_PASSWORD")) {
                    throw new ConfigException("FlinkDeployment " + d.name + ": env " + name + " comes from " + value + ", which this launcher cannot map");
                }
                env.put(name, services.jdbcPassword());
                mappings.add("env " + name + ": from " + value.substring(7) + " -> the local database's password");
            } else {
                env.put(name, value == null ? "" : value);
            }
        });
        for (String k : d.kubernetesOnly) mappings.add(k + ": not applied (Kubernetes only)");
    }

    /** Arguments that name the pods' secret files and the services' TLS, and why this machine has none of them. */
    private static final Map<String, String> DROPPED = new LinkedHashMap<>();

    static {
        String kafka = "the local broker is plaintext, without users";
        for (String a : List.of("--kafka-sasl-mechanism", "--kafka-sasl-user", "--kafka-sasl-password-file", "--kafka-oauth-token-endpoint",
                "--kafka-oauth-scope", "--kafka-truststore", "--kafka-truststore-password-file", "--kafka-keystore", "--kafka-keystore-password-file")) {
            DROPPED.put(a, kafka);
        }
        DROPPED.put("--jdbc-password-file", "a Secret file of the pods");
        DROPPED.put("--jdbc-ssl-mode", "the local database has no TLS");
        DROPPED.put("--jdbc-ssl-root-cert", "the local database has no TLS");
    }

    private void defaultTo(String key, String value) {
        config.putIfAbsent(key, value);
    }

    /** The jar's name in usrlib/. */
    public String jarName() {
        return deployment.jarUri.substring(deployment.jarUri.lastIndexOf('/') + 1);
    }

    private static String localJar(String jarUri, Path home) {
        String prefix = "local:///opt/flink/usrlib/";
        if (!jarUri.startsWith(prefix)) {
            throw new ConfigException("spec.job.jarURI: " + jarUri + " is not a jar of the image (" + prefix + "...)");
        }
        return "local://" + home.resolve("usrlib").resolve(jarUri.substring(prefix.length())).toAbsolutePath();
    }

    private static String objectStorage(String uri, Path folder) {
        Matcher m = S3.matcher(uri);
        if (!m.matches()) throw new IllegalArgumentException(uri);
        Path p = folder.resolve(m.group(1));
        if (m.group(2) != null && m.group(2).length() > 1) p = p.resolve(m.group(2).substring(1));
        return p.toAbsolutePath().toUri().toString();
    }

    /** A Kubernetes quantity (2Gi, 1536Mi) or a Flink memory size (2048m, 2g) as a Flink memory size. */
    static String flinkMemory(String quantity) {
        Matcher m = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti)").matcher(quantity.trim());
        if (!m.matches()) return quantity.trim();
        return m.group(1) + switch (m.group(2)) {
            case "Ki" -> "k";
            case "Mi" -> "m";
            case "Gi" -> "g";
            default -> "t";
        };
    }
}
