package dev.heartbeats.k8s.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The CustomResourceDefinitions of a directory tree (k8s/crds: the Flink operator's, Strimzi's and the Prometheus
 * operator's), and strict validation of custom resources against them: apiVersion and kind must be a served
 * version of a CRD there, metadata must be a valid ObjectMeta, and the rest must pass the version's
 * {@code openAPIV3Schema} through {@link SchemaValidator}.
 */
public final class CrdSchemas {
    private static final Set<String> OBJECT_META_FIELDS = Set.of("name", "generateName", "namespace", "labels", "annotations",
            "finalizers", "ownerReferences", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
            "deletionGracePeriodSeconds", "managedFields", "selfLink");
    private static final Pattern DNS1123_SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern DNS1123_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern LABEL_NAME = Pattern.compile("([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]");
    private static final Pattern LABEL_VALUE = Pattern.compile("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");

    public final Path dir;
    private final List<Map<String, Object>> crds;

    private CrdSchemas(Path dir, List<Map<String, Object>> crds) {
        this.dir = dir;
        this.crds = crds;
    }

    /** The CRDs of {@link Repo#crdsDir()} (k8s/crds, part of the repository: nothing to skip). */
    public static CrdSchemas load() {
        return load(Repo.crdsDir());
    }

    public static CrdSchemas load(Path dir) {
        List<Map<String, Object>> crds = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).sorted().toList()) {
                String text = Files.readString(f);
                if (!text.contains("kind: CustomResourceDefinition")) continue; // e.g. Strimzi's kafka-versions.yaml
                for (Map<String, Object> doc : Yaml.loadAll(text)) {
                    if ("CustomResourceDefinition".equals(doc.get("kind"))) crds.add(doc);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (crds.isEmpty()) throw new IllegalStateException("no CustomResourceDefinition in " + dir);
        return new CrdSchemas(dir, crds);
    }

    public List<String> kinds() {
        return crds.stream().map(c -> Manifests.str(c, "spec.group") + "/" + Manifests.str(c, "spec.names.kind")).toList();
    }

    /** The openAPIV3Schema of a served version, or null. */
    public Map<String, Object> schema(String group, String version, String kind) {
        for (Map<String, Object> crd : crds) {
            if (!group.equals(Manifests.str(crd, "spec.group")) || !kind.equals(Manifests.str(crd, "spec.names.kind"))) continue;
            for (Object v : Manifests.list(Manifests.at(crd, "spec.versions"))) {
                Map<String, Object> ver = Manifests.map(v);
                if (version.equals(ver.get("name")) && Boolean.TRUE.equals(ver.get("served"))) {
                    return Manifests.map(Manifests.at(ver, "schema.openAPIV3Schema"));
                }
            }
        }
        return null;
    }

    /** Every problem of one custom resource, each prefixed with "Kind/name: ". */
    public List<String> validate(Map<String, Object> resource) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(resource);
        Object apiVersion = resource.get("apiVersion");
        Object kind = resource.get("kind");
        if (!(apiVersion instanceof String av) || !av.contains("/")) {
            errors.add(id + ": apiVersion must be group/version, got " + apiVersion);
            return errors;
        }
        if (!(kind instanceof String k)) {
            errors.add(id + ": kind is missing");
            return errors;
        }
        String group = av.substring(0, av.indexOf('/'));
        String version = av.substring(av.indexOf('/') + 1);
        Map<String, Object> schema = schema(group, version, k);
        if (schema == null) {
            errors.add(id + ": no served CRD version for " + av + " " + k + " in " + dir + " (there: " + kinds() + ")");
            return errors;
        }
        List<String> found = new ArrayList<>();
        validateMetadata(resource.get("metadata"), found);
        Map<String, Object> rest = new LinkedHashMap<>(resource);
        rest.remove("apiVersion");
        rest.remove("kind");
        rest.remove("metadata");
        Map<String, Object> rootSchema = new LinkedHashMap<>(schema);
        Map<String, Object> props = new LinkedHashMap<>(Manifests.map(schema.get("properties")));
        props.remove("apiVersion");
        props.remove("kind");
        props.remove("metadata");
        rootSchema.put("properties", props);
        SchemaValidator.validate(rest, rootSchema, "", found);
        found.forEach(e -> errors.add(id + ": " + e));
        return errors;
    }

    static void validateMetadata(Object metadata, List<String> errors) {
        if (!(metadata instanceof Map<?, ?> mm)) {
            errors.add("metadata: required object is missing");
            return;
        }
        Map<String, Object> m = Manifests.map(mm);
        for (String key : m.keySet()) {
            if (!OBJECT_META_FIELDS.contains(key)) errors.add("unknown field \"metadata." + key + "\"" + SchemaValidator.suggestion(key, OBJECT_META_FIELDS));
        }
        Object name = m.get("name");
        if (name == null && m.get("generateName") == null) errors.add("metadata.name: required value");
        if (name != null && (!(name instanceof String n) || n.length() > 253 || !DNS1123_SUBDOMAIN.matcher(n).matches())) {
            errors.add("metadata.name: \"" + name + "\" is not a DNS-1123 subdomain (lower case alphanumerics, '-' and '.', at most 253)");
        }
        Object ns = m.get("namespace");
        if (ns != null && (!(ns instanceof String n) || n.length() > 63 || !DNS1123_LABEL.matcher(n).matches())) {
            errors.add("metadata.namespace: \"" + ns + "\" is not a DNS-1123 label");
        }
        stringMap(m.get("labels"), "metadata.labels", errors, true);
        stringMap(m.get("annotations"), "metadata.annotations", errors, false);
    }

    /** Labels and annotations: string values; label keys ([prefix/]name) and values in Kubernetes syntax. */
    public static void stringMap(Object o, String path, List<String> errors, boolean labels) {
        if (o == null) return;
        if (!(o instanceof Map<?, ?> m)) {
            errors.add(path + ": must be an object");
            return;
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            String key = String.valueOf(e.getKey());
            if (!(e.getValue() instanceof String v)) {
                errors.add(path + "." + key + ": must be a string, got " + e.getValue() + " (quote it)");
                continue;
            }
            String name = key.contains("/") ? key.substring(key.indexOf('/') + 1) : key;
            String prefix = key.contains("/") ? key.substring(0, key.indexOf('/')) : null;
            if (name.length() > 63 || !LABEL_NAME.matcher(name).matches()
                    || (prefix != null && (prefix.length() > 253 || !DNS1123_SUBDOMAIN.matcher(prefix).matches()))) {
                errors.add(path + ": invalid key \"" + key + "\"");
            }
            if (labels && (v.length() > 63 || !LABEL_VALUE.matcher(v).matches())) {
                errors.add(path + "." + key + ": invalid label value \"" + v + "\" (at most 63 alphanumerics, '-', '_' or '.', "
                        + "starting and ending with an alphanumeric)");
            }
        }
    }
}
