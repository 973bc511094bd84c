package dev.heartbeats.k8s.support;

import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * YAML as kubectl reads it: YAML 1.1 scalars (so an unquoted {@code on} or {@code 2} is not a string, as for kubectl),
 * but timestamps stay strings (kubectl converts YAML to JSON, which has no timestamps) and duplicate keys are errors.
 */
public final class Yaml {
    private Yaml() {}

    private static final class NoTimestamps extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.BOOL, BOOL, "yYnNtTfFoO");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.INT, INT, "-+0123456789");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.FLOAT, FLOAT, "-+0123456789.");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.MERGE, MERGE, "<");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.NULL, NULL, "~nN\0");
            addImplicitResolver(org.yaml.snakeyaml.nodes.Tag.NULL, EMPTY, null);
        }
    }

    private static org.yaml.snakeyaml.Yaml yaml() {
        LoaderOptions lo = new LoaderOptions();
        lo.setAllowDuplicateKeys(false);
        lo.setCodePointLimit(64 * 1024 * 1024);
        DumperOptions dopt = new DumperOptions();
        return new org.yaml.snakeyaml.Yaml(new SafeConstructor(lo), new Representer(dopt), dopt, lo, new NoTimestamps());
    }

    /** Every document of a multi-document stream that is a mapping (empty documents are skipped). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> loadAll(String text) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object doc : yaml().loadAll(text)) {
            if (doc == null) continue;
            if (!(doc instanceof Map)) throw new IllegalArgumentException("a YAML document is not a mapping: " + doc);
            out.add((Map<String, Object>) doc);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> load(String text) {
        return (Map<String, Object>) yaml().load(text);
    }

    public static String dump(Object o) {
        DumperOptions d = new DumperOptions();
        d.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new org.yaml.snakeyaml.Yaml(d).dump(o);
    }
}
