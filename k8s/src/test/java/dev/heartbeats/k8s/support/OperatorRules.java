package dev.heartbeats.k8s.support;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HighAvailabilityOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.kubernetes.configuration.KubernetesConfigOptions;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import static dev.heartbeats.k8s.support.Manifests.at;
import static dev.heartbeats.k8s.support.Manifests.map;
import static dev.heartbeats.k8s.support.Manifests.str;

/**
 * The Flink Kubernetes Operator's admission rules that a CRD schema cannot express (its webhook's DefaultValidator,
 * release 1.15), checked offline on FlinkDeployment, FlinkSessionJob and FlinkStateSnapshot resources. The
 * configuration is read through Flink's own ConfigOptions, so a deprecated key counts as its successor, as in the
 * operator. The operator's default configuration (its own config map) is taken as empty: stricter, never laxer.
 */
public final class OperatorRules {
    private OperatorRules() {}

    /** The operator's FlinkDeployment name rule: DNS-1035 and at most 45 characters (its services get suffixes). */
    public static final Pattern DEPLOYMENT_NAME = Pattern.compile("[a-z]([-a-z\\d]{0,43}[a-z\\d])?");
    /** Keys the operator sets itself and rejects in spec.flinkConfiguration. */
    public static final List<ConfigOption<?>> FORBIDDEN = List.of(
            KubernetesConfigOptions.NAMESPACE, KubernetesConfigOptions.CLUSTER_ID, HighAvailabilityOptions.HA_CLUSTER_ID);
    private static final Set<String> LOG_CONFIG_KEYS = Set.of("log4j-console.properties", "logback-console.xml");
    private static final Pattern QUANTITY = Pattern.compile("^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$");

    public static List<String> validate(Map<String, Object> r) {
        return switch (Manifests.kind(r)) {
            case "FlinkDeployment" -> deployment(r);
            case "FlinkSessionJob" -> sessionJob(r);
            case "FlinkStateSnapshot" -> snapshot(r);
            default -> List.of();
        };
    }

    public static List<String> deployment(Map<String, Object> r) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(r);
        String name = Manifests.name(r);
        if (!DEPLOYMENT_NAME.matcher(name).matches()) {
            errors.add(id + ": the FlinkDeployment name \"" + name + "\" is invalid: it must consist of lower case alphanumeric "
                    + "characters or '-', start with a letter, end with an alphanumeric character, and be at most 45 characters long ("
                    + name.length() + ")");
        }
        Map<String, Object> spec = map(r.get("spec"));
        if (spec.get("flinkVersion") == null) errors.add(id + ": spec.flinkVersion must be defined");
        Configuration conf = configuration(spec.get("flinkConfiguration"));
        for (ConfigOption<?> forbidden : FORBIDDEN) {
            if (conf.contains(forbidden)) errors.add(id + ": forbidden Flink config key " + forbidden.key() + " (the operator sets it)");
        }
        for (String key : map(spec.get("logConfiguration")).keySet()) {
            if (!LOG_CONFIG_KEYS.contains(key)) errors.add(id + ": invalid log config key " + key + ", allowed: " + LOG_CONFIG_KEYS);
        }
        boolean ha = !"NONE".equalsIgnoreCase(conf.get(HighAvailabilityOptions.HA_MODE));
        Map<String, Object> job = map(spec.get("job"));
        if (spec.get("job") != null) {
            String upgradeMode = String.valueOf(job.getOrDefault("upgradeMode", "stateless"));
            if (!upgradeMode.equals("stateless") && blank(conf.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY))) {
                errors.add(id + ": the checkpoint directory [" + CheckpointingOptions.CHECKPOINTS_DIRECTORY.key()
                        + "] must be set in spec.flinkConfiguration for upgradeMode " + upgradeMode);
            }
            if (blank(conf.get(CheckpointingOptions.SAVEPOINT_DIRECTORY))) {
                String key = CheckpointingOptions.SAVEPOINT_DIRECTORY.key();
                if (upgradeMode.equals("savepoint")) {
                    errors.add(id + ": upgradeMode savepoint needs the savepoint directory [" + key + "] in spec.flinkConfiguration");
                } else if (job.get("savepointTriggerNonce") != null) {
                    errors.add(id + ": savepointTriggerNonce needs the savepoint directory [" + key + "]");
                } else if (conf.toMap().containsKey("kubernetes.operator.periodic.savepoint.interval")) {
                    errors.add(id + ": periodic savepoints need the savepoint directory [" + key + "]");
                }
            }
            if (upgradeMode.equals("last-state") && !ha) {
                errors.add(id + ": upgradeMode last-state needs high availability (high-availability.type: kubernetes)");
            }
            Object jar = job.get("jarURI");
            if (jar == null) {
                errors.add(id + ": spec.job.jarURI must be defined for an application deployment");
            } else {
                jarUri(id, jar.toString(), errors);
            }
            boolean tmReplicas = at(spec, "taskManager.replicas") != null;
            Object parallelism = job.get("parallelism");
            if (tmReplicas && ((Number) at(spec, "taskManager.replicas")).intValue() < 1) {
                errors.add(id + ": spec.taskManager.replicas must be larger than 0");
            } else if (!tmReplicas && !(parallelism instanceof Number p && p.longValue() > 0)) {
                errors.add(id + ": spec.job.parallelism must be larger than 0, got " + parallelism);
            }
            Object state = job.get("state");
            if (state != null && !"running".equals(state)) {
                errors.add(id + ": spec.job.state must be running for a new deployment (got " + state + ")");
            }
        }
        Object jmReplicas = at(spec, "jobManager.replicas");
        if (jmReplicas instanceof Number n) {
            if (n.intValue() < 1) errors.add(id + ": spec.jobManager.replicas must not be less than one");
            else if (n.intValue() > 1 && !ha) errors.add(id + ": standby JobManagers (spec.jobManager.replicas > 1) need high availability");
        }
        resource(id, "JobManager", map(at(spec, "jobManager.resource")), conf, "jobmanager.memory.process.size", errors);
        resource(id, "TaskManager", map(at(spec, "taskManager.resource")), conf, "taskmanager.memory.process.size", errors);
        if (Boolean.parseBoolean(conf.toMap().getOrDefault("kubernetes.operator.deployment.rollback.enabled", "false")) && !ha) {
            errors.add(id + ": kubernetes.operator.deployment.rollback.enabled needs high availability");
        }
        return errors;
    }

    public static List<String> sessionJob(Map<String, Object> r) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(r);
        if (at(r, "spec.job") == null) errors.add(id + ": spec.job must be defined");
        if (str(r, "spec.deploymentName") == null) errors.add(id + ": spec.deploymentName (the session cluster) must be defined");
        if (str(r, "spec.job.jarURI") != null) jarUri(id, str(r, "spec.job.jarURI"), errors);
        Object p = at(r, "spec.job.parallelism");
        if (p != null && !(p instanceof Number n && n.longValue() > 0)) errors.add(id + ": spec.job.parallelism must be larger than 0");
        return errors;
    }

    public static List<String> snapshot(Map<String, Object> r) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(r);
        boolean savepoint = at(r, "spec.savepoint") != null;
        boolean checkpoint = at(r, "spec.checkpoint") != null;
        if (savepoint == checkpoint) errors.add(id + ": exactly one of spec.savepoint and spec.checkpoint must be set");
        if (Boolean.TRUE.equals(at(r, "spec.savepoint.alreadyExists")) && blank(str(r, "spec.savepoint.path"))) {
            errors.add(id + ": spec.savepoint.path is required when spec.savepoint.alreadyExists is true");
        }
        if (!Boolean.TRUE.equals(at(r, "spec.savepoint.alreadyExists"))) {
            if (blank(str(r, "spec.jobReference.name")) || blank(str(r, "spec.jobReference.kind"))) {
                errors.add(id + ": spec.jobReference (kind and name of the FlinkDeployment or FlinkSessionJob) must be set");
            }
        }
        return errors;
    }

    /** The flinkConfiguration map as a Flink Configuration (values as strings, as the operator hands them on). */
    public static Configuration configuration(Object flinkConfiguration) {
        Map<String, String> m = new LinkedHashMap<>();
        map(flinkConfiguration).forEach((k, v) -> m.put(k, v == null ? null : String.valueOf(v)));
        return Configuration.fromMap(m);
    }

    private static void jarUri(String id, String jar, List<String> errors) {
        try {
            URI uri = new URI(jar);
            if (uri.getScheme() == null) {
                errors.add(id + ": spec.job.jarURI \"" + jar + "\" has no scheme (local:///opt/flink/usrlib/..., https://, s3://, ...)");
            }
        } catch (URISyntaxException e) {
            errors.add(id + ": spec.job.jarURI \"" + jar + "\" is not a URI: " + e.getMessage());
        }
    }

    private static void resource(String id, String component, Map<String, Object> res, Configuration conf, String memoryKey, List<String> errors) {
        Object memory = res.get("memory");
        if (memory == null) {
            if (!conf.toMap().containsKey(memoryKey)) {
                errors.add(id + ": " + component + " resource memory must be defined (spec." + lower(component) + ".resource.memory)");
            }
        } else if (!memoryParses(memory.toString())) {
            errors.add(id + ": " + component + " resource memory \"" + memory + "\" is neither a Flink memory size (2048m, 2g) nor a Kubernetes quantity (2Gi)");
        }
        Object storage = res.get("ephemeralStorage");
        if (storage != null && !QUANTITY.matcher(storage.toString()).matches()) {
            errors.add(id + ": " + component + " resource ephemeralStorage \"" + storage + "\" is not a Kubernetes quantity");
        }
        Object cpu = res.get("cpu");
        if (cpu instanceof Number n && n.doubleValue() <= 0) errors.add(id + ": " + component + " resource cpu must be > 0");
    }

    /** As the operator parses resource memory: Flink's MemorySize first, then a Kubernetes quantity. */
    static boolean memoryParses(String memory) {
        try {
            MemorySize.parse(memory);
            return true;
        } catch (IllegalArgumentException e) {
            return QUANTITY.matcher(memory.trim()).matches();
        }
    }

    private static String lower(String component) {
        return component.equals("JobManager") ? "jobManager" : "taskManager";
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
