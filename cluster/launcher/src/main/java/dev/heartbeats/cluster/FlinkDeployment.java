package dev.heartbeats.cluster;

import dev.heartbeats.common.config.ConfigException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a rendered {@code FlinkDeployment} (flink.apache.org/v1beta1) that decide how its cluster runs: what
 * the Flink Kubernetes Operator reads to configure and start an application cluster.
 */
public final class FlinkDeployment {
    public final String name;
    /** spec.flinkConfiguration, nested maps flattened to dotted keys, every value as a string. */
    public final Map<String, String> flinkConfiguration;
    /** spec.logConfiguration: file name (log4j-console.properties) to content. */
    public final Map<String, String> logConfiguration;
    public final String jarUri;
    public final String entryClass;
    public final List<String> args;
    public final int parallelism;
    public final String upgradeMode;
    public final Boolean allowNonRestoredState;
    public final String jobManagerMemory;
    public final String taskManagerMemory;
    /** The main container's environment: a plain value, or "secret NAME/KEY" for a secretKeyRef. */
    public final Map<String, String> env;
    /** What the pods have that a process started here does not (init containers, envFrom, cpu), for the mapping list. */
    public final List<String> kubernetesOnly;

    private FlinkDeployment(Map<String, Object> r) {
        name = str(at(r, "metadata.name"));
        Map<String, String> conf = new LinkedHashMap<>();
        flatten("", map(at(r, "spec.flinkConfiguration")), conf);
        flinkConfiguration = conf;
        Map<String, String> logs = new LinkedHashMap<>();
        map(at(r, "spec.logConfiguration")).forEach((k, v) -> logs.put(k, str(v)));
        logConfiguration = logs;
        jarUri = str(at(r, "spec.job.jarURI"));
        entryClass = str(at(r, "spec.job.entryClass"));
        List<String> a = new ArrayList<>();
        for (Object o : list(at(r, "spec.job.args"))) a.add(str(o));
        args = List.copyOf(a);
        Object p = at(r, "spec.job.parallelism");
        parallelism = p == null ? 1 : ((Number) p).intValue();
        upgradeMode = str(at(r, "spec.job.upgradeMode"));
        Object anrs = at(r, "spec.job.allowNonRestoredState");
        allowNonRestoredState = anrs == null ? null : (Boolean) anrs;
        jobManagerMemory = str(at(r, "spec.jobManager.resource.memory"));
        taskManagerMemory = str(at(r, "spec.taskManager.resource.memory"));
        if (jarUri == null || entryClass == null) throw new ConfigException("FlinkDeployment " + name + ": spec.job.jarURI and spec.job.entryClass are required");

        Map<String, String> e = new LinkedHashMap<>();
        List<String> only = new ArrayList<>();
        for (String template : List.of("spec.podTemplate", "spec.jobManager.podTemplate", "spec.taskManager.podTemplate")) {
            for (Object c : list(at(r, template + ".spec.containers"))) {
                Map<String, Object> container = map(c);
                if (!"flink-main-container".equals(container.get("name"))) continue;
                for (Object v : list(container.get("env"))) {
                    Map<String, Object> var = map(v);
                    Object secret = at(var, "valueFrom.secretKeyRef");
                    e.put(str(var.get("name")), secret != null
                            ? "secret " + str(map(secret).get("name")) + "/" + str(map(secret).get("key")) : str(var.get("value")));
                }
                for (Object f : list(container.get("envFrom"))) only.add(template + ": envFrom " + map(f));
            }
            for (Object c : list(at(r, template + ".spec.initContainers"))) only.add(template + ": init container " + map(c).get("name"));
        }
        for (String cpu : List.of("spec.jobManager.resource.cpu", "spec.taskManager.resource.cpu")) {
            if (at(r, cpu) != null) only.add(cpu + ": " + at(r, cpu));
        }
        env = e;
        kubernetesOnly = only;
    }

    /** The FlinkDeployment named {@code name} among rendered manifests (a multi-document YAML). */
    /** A copy with another spec.job.parallelism: what the operator's autoscaler (or an edit of the manifest) sets. */
    public FlinkDeployment withParallelism(int newParallelism) {
        if (newParallelism < 1) throw new ConfigException("FlinkDeployment " + name + ": spec.job.parallelism must be >= 1, got " + newParallelism);
        return new FlinkDeployment(this, newParallelism);
    }

    private FlinkDeployment(FlinkDeployment d, int newParallelism) {
        name = d.name;
        flinkConfiguration = new LinkedHashMap<>(d.flinkConfiguration);
        logConfiguration = d.logConfiguration;
        jarUri = d.jarUri;
        entryClass = d.entryClass;
        args = d.args;
        parallelism = newParallelism;
        upgradeMode = d.upgradeMode;
        allowNonRestoredState = d.allowNonRestoredState;
        jobManagerMemory = d.jobManagerMemory;
        taskManagerMemory = d.taskManagerMemory;
        env = d.env;
        kubernetesOnly = d.kubernetesOnly;
    }

    public static FlinkDeployment find(String renderedYaml, String name) {
        List<String> seen = new ArrayList<>();
        for (Object doc : new Yaml(new SafeConstructor(new LoaderOptions())).loadAll(renderedYaml)) {
            Map<String, Object> r = map(doc);
            if (!"FlinkDeployment".equals(r.get("kind"))) continue;
            String n = str(at(r, "metadata.name"));
            if (name.equals(n)) return new FlinkDeployment(r);
            seen.add(n);
        }
        throw new ConfigException("no FlinkDeployment named '" + name + "' in the manifests (found " + seen + ")");
    }

    private static void flatten(String prefix, Map<String, Object> m, Map<String, String> out) {
        m.forEach((k, v) -> {
            if (v instanceof Map<?, ?>) flatten(prefix + k + ".", map(v), out);
            else out.put(prefix + k, str(v));
        });
    }

    static Object at(Object root, String path) {
        Object cur = root;
        for (String key : path.split("\\.")) {
            if (!(cur instanceof Map<?, ?> m)) return null;
            cur = m.get(key);
        }
        return cur;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return o instanceof Map<?, ?> ? (Map<String, Object>) o : Map.of();
    }

    static List<?> list(Object o) {
        return o instanceof List<?> l ? l : List.of();
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }
}
