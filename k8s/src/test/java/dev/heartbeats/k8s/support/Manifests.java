package dev.heartbeats.k8s.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** The resources of one rendered overlay (or of one manifest file), with a few navigation helpers. */
public final class Manifests {
    /** Where they come from, for messages: "overlays/local", "broken/unknown-field.yaml", ... */
    public final String source;
    public final List<Map<String, Object>> resources;

    private Manifests(String source, List<Map<String, Object>> resources) {
        this.source = source;
        this.resources = List.copyOf(resources);
    }

    public static Manifests parse(String source, String yaml) {
        return new Manifests(source, Yaml.loadAll(yaml));
    }

    public List<Map<String, Object>> ofKind(String kind) {
        return resources.stream().filter(r -> kind.equals(r.get("kind"))).toList();
    }

    public Map<String, Object> get(String kind, String name) {
        return resources.stream().filter(r -> kind.equals(r.get("kind")) && name.equals(name(r))).findFirst()
                .orElseThrow(() -> new AssertionError(source + ": no " + kind + " named " + name));
    }

    public boolean has(String kind, String name) {
        return resources.stream().anyMatch(r -> kind.equals(r.get("kind")) && name.equals(name(r)));
    }

    /** The resources of the Flink operator's API group (FlinkDeployment, FlinkSessionJob, FlinkStateSnapshot, ...). */
    public List<Map<String, Object>> flinkResources() {
        return resources.stream().filter(r -> String.valueOf(r.get("apiVersion")).startsWith("flink.apache.org/")).toList();
    }

    // ---- navigation on the generic YAML tree ----

    public static String kind(Map<String, Object> r) {
        return String.valueOf(r.get("kind"));
    }

    public static String name(Map<String, Object> r) {
        Object n = map(r.get("metadata")).get("name");
        return n == null ? "<no name>" : n.toString();
    }

    public static String id(Map<String, Object> r) {
        return kind(r) + "/" + name(r);
    }

    /** The value at a dotted path ("spec.job.args"); null when any step is missing. */
    public static Object at(Object root, String path) {
        Object cur = root;
        for (String key : path.split("\\.")) {
            if (cur instanceof Map<?, ?> m) cur = m.get(key);
            else if (cur instanceof List<?> l && key.matches("\\d+") && Integer.parseInt(key) < l.size()) cur = l.get(Integer.parseInt(key));
            else return null;
        }
        return cur;
    }

    public static String str(Object root, String path) {
        Object v = at(root, path);
        return v == null ? null : v.toString();
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> map(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : new LinkedHashMap<>();
    }

    @SuppressWarnings("unchecked")
    public static List<Object> list(Object o) {
        return o instanceof List ? (List<Object>) o : new ArrayList<>();
    }

    /** Every mapping anywhere in the tree (depth first), for searches such as "every secretKeyRef". */
    public static void walk(Object node, Consumer<Map<String, Object>> visitor) {
        if (node instanceof Map<?, ?> m) {
            visitor.accept(map(m));
            for (Object v : m.values()) walk(v, visitor);
        } else if (node instanceof List<?> l) {
            for (Object v : l) walk(v, visitor);
        }
    }

    /** Every container (containers and initContainers) of a resource, wherever its pod templates are. */
    public static List<Map<String, Object>> containers(Map<String, Object> resource) {
        List<Map<String, Object>> out = new ArrayList<>();
        walk(resource, m -> {
            for (String k : List.of("containers", "initContainers")) {
                if (m.get(k) instanceof List<?> l) l.forEach(c -> out.add(map(c)));
            }
        });
        return out;
    }
}
