package dev.heartbeats.k8s.support;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Strict validation of core Kubernetes objects (Namespace, Deployment, Job, Service, Secret, Role, ...) against
 * k8s/schemas/kubernetes-core.yaml: the kind must have a schema there (by apiVersion and kind), metadata must be a
 * valid ObjectMeta, and the rest must pass the kind's structural schema through {@link SchemaValidator} (unknown
 * fields, types, required fields, enums), as {@code kubectl apply --validate=strict} would reject them.
 * The file's {@code $ref}, {@code $fromCrd} and {@code $merge} are resolved when it is loaded (see its header).
 */
public final class CoreSchemas {
    public static final String FILE = "schemas/kubernetes-core.yaml";

    private final Map<String, Object> definitions;
    private final Map<String, String> kinds;
    private final CrdSchemas crds;
    private final Map<String, Map<String, Object>> resolved = new HashMap<>();

    private CoreSchemas(Map<String, Object> file, CrdSchemas crds) {
        this.definitions = Manifests.map(file.get("definitions"));
        this.kinds = new LinkedHashMap<>();
        Manifests.map(file.get("kinds")).forEach((k, v) -> kinds.put(k, String.valueOf(v)));
        this.crds = crds;
        for (String def : kinds.values()) {
            if (!definitions.containsKey(def)) throw new IllegalStateException(FILE + ": kind maps to a missing definition " + def);
        }
    }

    public static CoreSchemas load() {
        return load(Repo.read(Repo.k8s().resolve(FILE)), CrdSchemas.load());
    }

    public static CoreSchemas load(String yaml, CrdSchemas crds) {
        return new CoreSchemas(Yaml.load(yaml), crds);
    }

    /** "apps/v1/Deployment", ... */
    public Set<String> kinds() {
        return kinds.keySet();
    }

    /** Whether an apiVersion belongs to core Kubernetes (no dot in the group: "v1", "apps/v1", "rbac.authorization.k8s.io/v1"). */
    public static boolean isCore(String apiVersion) {
        if (apiVersion == null) return false;
        if (!apiVersion.contains("/")) return true;
        String group = apiVersion.substring(0, apiVersion.indexOf('/'));
        return !group.contains(".") || group.endsWith(".k8s.io");
    }

    /** The resolved schema of a kind (e.g. "apps/v1/Deployment"), or null. */
    public Map<String, Object> schema(String apiVersionAndKind) {
        String def = kinds.get(apiVersionAndKind);
        return def == null ? null : definition(def);
    }

    /** Every problem of one core object, each prefixed with "Kind/name: ". */
    public List<String> validate(Map<String, Object> resource) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(resource);
        String key = resource.get("apiVersion") + "/" + resource.get("kind");
        Map<String, Object> schema = schema(key);
        if (schema == null) {
            errors.add(id + ": no schema for " + key + " in k8s/" + FILE + " (there: " + kinds.keySet() + ")");
            return errors;
        }
        List<String> found = new ArrayList<>();
        CrdSchemas.validateMetadata(resource.get("metadata"), found);
        Map<String, Object> rest = new LinkedHashMap<>(resource);
        rest.remove("apiVersion");
        rest.remove("kind");
        rest.remove("metadata");
        SchemaValidator.validate(rest, schema, "", found);
        found.forEach(e -> errors.add(id + ": " + e));
        return errors;
    }

    // ---- resolving the file's own keywords ----

    private Map<String, Object> definition(String name) {
        Map<String, Object> done = resolved.get(name);
        if (done != null) return done;
        Object raw = definitions.get(name);
        if (!(raw instanceof Map<?, ?>)) throw new IllegalStateException(FILE + ": no definition " + name);
        Map<String, Object> r = resolve(Manifests.map(raw), new LinkedHashSet<>(List.of(name)));
        resolved.put(name, r);
        return r;
    }

    private Map<String, Object> resolve(Map<String, Object> schema, Set<String> path) {
        if (schema.get("$ref") instanceof String ref) {
            if (schema.size() != 1) throw new IllegalStateException(FILE + ": $ref " + ref + " has siblings " + schema.keySet());
            if (!path.add(ref)) throw new IllegalStateException(FILE + ": $ref cycle " + path);
            Object raw = definitions.get(ref);
            if (!(raw instanceof Map<?, ?>)) throw new IllegalStateException(FILE + ": $ref to a missing definition " + ref);
            Map<String, Object> r = resolve(Manifests.map(raw), path);
            path.remove(ref);
            return r;
        }
        Map<String, Object> base;
        if (schema.get("$fromCrd") instanceof Map<?, ?> from) {
            base = fromCrd(Manifests.map(from));
        } else {
            base = new LinkedHashMap<>();
        }
        for (Map.Entry<String, Object> e : schema.entrySet()) {
            String k = e.getKey();
            if (k.equals("$fromCrd") || k.equals("$merge")) continue;
            base.put(k, resolveValue(k, e.getValue(), path));
        }
        if (schema.get("$merge") instanceof Map<?, ?> merge) {
            merge(base, Manifests.map(resolveValue("$merge", merge, path)));
        }
        return base;
    }

    private Object resolveValue(String key, Object v, Set<String> path) {
        if (key.equals("properties") && v instanceof Map<?, ?> props) {
            Map<String, Object> out = new LinkedHashMap<>();
            Manifests.map(props).forEach((name, s) -> out.put(name, resolve(Manifests.map(s), path)));
            return out;
        }
        if ((key.equals("items") || key.equals("additionalProperties") || key.equals("not") || key.equals("$merge")) && v instanceof Map<?, ?> m) {
            return resolve(Manifests.map(m), path);
        }
        if ((key.equals("allOf") || key.equals("anyOf") || key.equals("oneOf")) && v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(s -> out.add(resolve(Manifests.map(s), path)));
            return out;
        }
        return v;
    }

    /** A deep copy of a CRD's schema at a field path (spec.podTemplate), keeping only the listed properties. */
    private Map<String, Object> fromCrd(Map<String, Object> from) {
        String group = (String) from.get("group"), version = (String) from.get("version"), kind = (String) from.get("kind");
        Map<String, Object> schema = crds.schema(group, version, kind);
        if (schema == null) throw new IllegalStateException(FILE + ": $fromCrd " + group + "/" + version + " " + kind + " is not in k8s/crds");
        Object cur = schema;
        for (String step : String.valueOf(from.get("path")).split("\\.")) {
            cur = Manifests.map(Manifests.map(cur).get("properties")).get(step);
            if (cur == null) throw new IllegalStateException(FILE + ": $fromCrd path " + from.get("path") + " not in the " + kind + " CRD");
        }
        Map<String, Object> copy = deepCopy(Manifests.map(cur));
        if (from.get("only") instanceof List<?> only) {
            Map<String, Object> props = Manifests.map(copy.get("properties"));
            props.keySet().retainAll(only.stream().map(String::valueOf).toList());
            if (props.size() != only.size()) throw new IllegalStateException(FILE + ": $fromCrd only " + only + ": some are not in the CRD");
        }
        return copy;
    }

    /** Merges {@code over} into {@code base}: maps recursively, required lists as a union, anything else replaced. */
    static void merge(Map<String, Object> base, Map<String, Object> over) {
        for (Map.Entry<String, Object> e : over.entrySet()) {
            Object cur = base.get(e.getKey());
            if (cur instanceof Map<?, ?> cm && e.getValue() instanceof Map<?, ?> om) {
                merge(Manifests.map(cm), Manifests.map(om));
            } else if (e.getKey().equals("required") && cur instanceof List<?> cl && e.getValue() instanceof List<?> ol) {
                LinkedHashSet<Object> union = new LinkedHashSet<>(cl);
                union.addAll(ol);
                base.put("required", new ArrayList<>(union));
            } else {
                base.put(e.getKey(), e.getValue() instanceof Map<?, ?> om ? deepCopy(Manifests.map(om)) : e.getValue());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T deepCopy(T o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), deepCopy(v)));
            return (T) out;
        }
        if (o instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(deepCopy(v)));
            return (T) out;
        }
        return o;
    }
}
