package dev.heartbeats.k8s.support;

import org.apache.flink.annotation.docs.Documentation;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.FallbackKey;

import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;

/**
 * Which keys may appear in a FlinkDeployment's {@code spec.flinkConfiguration}, and whether their values parse:
 * <ul>
 *   <li>every {@code public static ConfigOption} field of the {@code *Options} classes in Flink's own jars on the test
 *       classpath (flink-core, -runtime, -clients, -streaming-java, -statebackend-rocksdb, -kubernetes,
 *       -metrics-*, -table-api-java; {@value #FLINK_VERSION_HINT}), with their fallback keys; deprecated keys are
 *       rejected with their replacement; keys with placeholders ({@code <name>}) become patterns;</li>
 *   <li>metric reporter keys {@code metrics.reporter.<name>.<suffix>}: the suffix options of MetricOptions, plus the
 *       parameters of the configured reporter factory ({@link #REPORTER_PARAMETERS}); the factory class must exist;</li>
 *   <li>{@link #OPERATOR_OPTIONS}: the Flink Kubernetes Operator's own keys that the manifests use (the operator jar is
 *       not on Maven Central in a usable form, so they are listed here with their types: add one here when a manifest
 *       starts to use it);</li>
 *   <li>{@link #FILESYSTEM_OPTIONS}: keys the S3 filesystem plugin reads and forwards (not ConfigOptions of Flink's
 *       core jars).</li>
 * </ul>
 * A value must be a YAML string (the operator hands the map on as strings) and must parse as its option's type.
 */
public final class FlinkConfigKeys {
    static final String FLINK_VERSION_HINT = "the version the root pom's flink.version names";

    /** The Flink Kubernetes Operator 1.15 keys the manifests use (KubernetesOperatorConfigOptions), with their types. */
    public static final List<ConfigOption<?>> OPERATOR_OPTIONS = List.of(
            ConfigOptions.key("kubernetes.operator.job.upgrade.last-state-fallback.enabled").booleanType().defaultValue(true),
            ConfigOptions.key("kubernetes.operator.periodic.savepoint.interval").durationType().defaultValue(Duration.ZERO),
            ConfigOptions.key("kubernetes.operator.savepoint.history.max.count").intType().defaultValue(10),
            ConfigOptions.key("kubernetes.operator.savepoint.history.max.age").durationType().defaultValue(Duration.ofHours(24)),
            ConfigOptions.key("kubernetes.operator.savepoint.dispose-on-delete").booleanType().defaultValue(false),
            ConfigOptions.key("kubernetes.operator.deployment.rollback.enabled").booleanType().defaultValue(false),
            // The autoscaler's (flink-autoscaler: AutoScalerOptions, prefix job.autoscaler.), as of operator 1.15.
            ConfigOptions.key("job.autoscaler.enabled").booleanType().defaultValue(false),
            ConfigOptions.key("job.autoscaler.scaling.enabled").booleanType().defaultValue(true),
            ConfigOptions.key("job.autoscaler.metrics.window").durationType().defaultValue(Duration.ofMinutes(15)),
            ConfigOptions.key("job.autoscaler.stabilization.interval").durationType().defaultValue(Duration.ofMinutes(5)),
            ConfigOptions.key("job.autoscaler.utilization.target").doubleType().defaultValue(0.7),
            ConfigOptions.key("job.autoscaler.utilization.max").doubleType().noDefaultValue(),
            ConfigOptions.key("job.autoscaler.utilization.min").doubleType().noDefaultValue(),
            ConfigOptions.key("job.autoscaler.scale-down.interval").durationType().defaultValue(Duration.ofHours(1)),
            ConfigOptions.key("job.autoscaler.vertex.min-parallelism").intType().defaultValue(1),
            ConfigOptions.key("job.autoscaler.vertex.max-parallelism").intType().defaultValue(200),
            ConfigOptions.key("job.autoscaler.scale-down.max-factor").doubleType().defaultValue(0.6),
            ConfigOptions.key("job.autoscaler.scale-up.max-factor").doubleType().defaultValue(100000.),
            ConfigOptions.key("job.autoscaler.catch-up.duration").durationType().defaultValue(Duration.ofMinutes(30)),
            ConfigOptions.key("job.autoscaler.restart.time").durationType().defaultValue(Duration.ofMinutes(5)),
            ConfigOptions.key("job.autoscaler.restart.time-tracking.enabled").booleanType().defaultValue(false),
            ConfigOptions.key("job.autoscaler.restart.time-tracking.limit").durationType().defaultValue(Duration.ofMinutes(15)),
            ConfigOptions.key("job.autoscaler.scaling.key-group.partitions.adjust.mode").enumType(AdjustMode.class).defaultValue(AdjustMode.EVENLY_SPREAD));

    /** The values of {@code job.autoscaler.scaling.key-group.partitions.adjust.mode} (JobVertexScaler.KeyGroupOrPartitionsAdjustMode). */
    public enum AdjustMode { EVENLY_SPREAD, MAXIMIZE_UTILISATION }

    /** Keys of the S3 filesystem plugins (flink-s3-fs-hadoop/-presto), forwarded to the S3 client (fs.s3a.*). */
    public static final List<ConfigOption<?>> FILESYSTEM_OPTIONS = List.of(
            ConfigOptions.key("s3.endpoint").stringType().noDefaultValue(),
            ConfigOptions.key("s3.endpoint.region").stringType().noDefaultValue(),
            ConfigOptions.key("s3.path.style.access").booleanType().defaultValue(false));

    /** Keys that parse but do not belong in a manifest, with the reason. */
    public static final Map<String, String> REJECTED = Map.of(
            "s3.access-key", "credentials do not belong in flinkConfiguration (the operator writes it into a ConfigMap): "
                    + "use the Secret heartbeats-object-storage (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
            "s3.secret-key", "credentials do not belong in flinkConfiguration (the operator writes it into a ConfigMap): "
                    + "use the Secret heartbeats-object-storage (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)");

    /** Reporter-specific parameters (metrics.reporter.<name>.<parameter>) per factory class. */
    public static final Map<String, Set<String>> REPORTER_PARAMETERS = Map.of(
            "org.apache.flink.metrics.prometheus.PrometheusReporterFactory", Set.of("port"));

    private static final List<String> JAR_PREFIXES = List.of("flink-core-", "flink-runtime-", "flink-clients-", "flink-streaming-java-",
            "flink-statebackend-rocksdb-", "flink-statebackend-common-", "flink-kubernetes-", "flink-metrics-", "flink-table-api-java-",
            "flink-rpc-core-", "flink-dstl-dfs-", "flink-statebackend-changelog-");
    private static final Pattern REPORTER_KEY = Pattern.compile("metrics\\.reporter\\.([^.]+)\\.(.+)");

    /** key -> option, for every exact key (current and fallback). */
    private final Map<String, ConfigOption<?>> options = new TreeMap<>();
    /** deprecated key -> its option. */
    private final Map<String, ConfigOption<?>> deprecated = new TreeMap<>();
    /** keys with placeholders, as patterns. */
    private final Map<Pattern, ConfigOption<?>> patterns = new LinkedHashMap<>();
    /** Generic reporter suffixes (factory.class, interval, ...). */
    private final Map<String, ConfigOption<?>> reporterSuffixes = new TreeMap<>();
    public final List<String> scannedClasses = new ArrayList<>();

    private static FlinkConfigKeys instance;

    public static synchronized FlinkConfigKeys get() {
        if (instance == null) instance = new FlinkConfigKeys();
        return instance;
    }

    private FlinkConfigKeys() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String file = new File(entry).getName();
            if (!file.endsWith(".jar") || JAR_PREFIXES.stream().noneMatch(file::startsWith)) continue;
            try (JarFile jar = new JarFile(entry)) {
                for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                    String n = e.nextElement().getName();
                    if (n.startsWith("org/apache/flink/") && n.endsWith("Options.class") && !n.contains("$") && !n.contains("/shaded/")) {
                        scan(n.substring(0, n.length() - ".class".length()).replace('/', '.'));
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + entry, e);
            }
        }
        if (options.size() < 500) throw new IllegalStateException("found only " + options.size() + " Flink config keys: is Flink on the test classpath?");
        OPERATOR_OPTIONS.forEach(o -> options.put(o.key(), o));
        FILESYSTEM_OPTIONS.forEach(o -> options.put(o.key(), o));
    }

    private void scan(String className) {
        Class<?> c;
        try {
            c = Class.forName(className, true, FlinkConfigKeys.class.getClassLoader());
        } catch (Throwable t) {
            return; // an options class whose dependencies are not on this classpath: not one the manifests can use
        }
        scannedClasses.add(className);
        for (Field f : c.getFields()) {
            if (!Modifier.isStatic(f.getModifiers()) || !ConfigOption.class.isAssignableFrom(f.getType())) continue;
            ConfigOption<?> o;
            try {
                o = (ConfigOption<?>) f.get(null);
            } catch (IllegalAccessException e) {
                continue;
            }
            if (o == null) continue;
            Documentation.SuffixOption suffix = f.getAnnotation(Documentation.SuffixOption.class);
            if (suffix != null) {
                if (suffix.value().equals("metrics.reporter.<name>")) {
                    if (!o.key().startsWith("<")) reporterSuffixes.put(o.key(), o); // "<parameter>" is reporter-specific
                } else {
                    add(suffix.value() + "." + o.key(), o, false);
                }
                continue;
            }
            add(o.key(), o, false);
            for (FallbackKey k : o.fallbackKeys()) add(k.getKey(), o, k.isDeprecated());
        }
    }

    private void add(String key, ConfigOption<?> o, boolean isDeprecated) {
        if (key.contains("<")) {
            patterns.put(Pattern.compile(Pattern.quote(key).replaceAll("<[^>]+>", "\\\\E[^.]+\\\\Q")), o);
        } else if (isDeprecated) {
            deprecated.putIfAbsent(key, o);
        } else {
            options.putIfAbsent(key, o);
        }
    }

    public int size() {
        return options.size();
    }

    public boolean isKnown(String key) {
        return options.containsKey(key);
    }

    /** Every problem of one flinkConfiguration map, prefixed with {@code prefix}. */
    public List<String> check(String prefix, Map<String, Object> flinkConfiguration) {
        List<String> errors = new ArrayList<>();
        Map<String, String> asStrings = new LinkedHashMap<>();
        flinkConfiguration.forEach((k, v) -> asStrings.put(k, v == null ? null : String.valueOf(v)));
        Configuration conf = Configuration.fromMap(asStrings);
        for (Map.Entry<String, Object> e : flinkConfiguration.entrySet()) {
            String key = e.getKey();
            String where = prefix + "spec.flinkConfiguration." + key + ": ";
            if (!(e.getValue() instanceof String)) {
                errors.add(where + "the value must be a string (quote it in YAML), got " + describe(e.getValue()));
            }
            if (REJECTED.containsKey(key)) {
                errors.add(where + REJECTED.get(key));
                continue;
            }
            ConfigOption<?> option = options.get(key);
            if (option == null && deprecated.containsKey(key)) {
                errors.add(where + "deprecated in Flink " + System.getProperty("flink.version", "2.x") + ": use " + deprecated.get(key).key());
                continue;
            }
            if (option == null) {
                java.util.regex.Matcher reporter = REPORTER_KEY.matcher(key);
                if (reporter.matches()) {
                    checkReporterKey(where, reporter.group(1), reporter.group(2), asStrings, errors);
                    continue;
                }
                for (Map.Entry<Pattern, ConfigOption<?>> p : patterns.entrySet()) {
                    if (p.getKey().matcher(key).matches()) {
                        option = p.getValue();
                        break;
                    }
                }
                if (option == null) {
                    String hint = Levenshtein.closest(key, options.keySet(), Math.max(2, key.length() / 8));
                    errors.add(where + "not a Flink " + System.getProperty("flink.version", "") + " config option"
                            + (key.startsWith("kubernetes.operator.") ? " nor an operator key listed in FlinkConfigKeys.OPERATOR_OPTIONS" : "")
                            + (hint != null ? " (did you mean " + hint + "?)" : ""));
                    continue;
                }
                continue; // pattern keys (placeholders) are not type-checked
            }
            try {
                conf.get(option);
            } catch (RuntimeException ex) {
                errors.add(where + "\"" + e.getValue() + "\" does not parse as " + typeName(option) + ": " + rootMessage(ex));
            }
        }
        return errors;
    }

    private void checkReporterKey(String where, String reporter, String suffix, Map<String, String> conf, List<String> errors) {
        if (reporterSuffixes.containsKey(suffix)) {
            if (suffix.equals("factory.class")) {
                String factory = conf.get("metrics.reporter." + reporter + ".factory.class");
                try {
                    Class.forName(factory, false, FlinkConfigKeys.class.getClassLoader());
                } catch (ClassNotFoundException | RuntimeException ex) {
                    errors.add(where + "the reporter factory class " + factory + " does not exist");
                }
            }
            return;
        }
        String factory = conf.get("metrics.reporter." + reporter + ".factory.class");
        Set<String> params = factory == null ? null : REPORTER_PARAMETERS.get(factory);
        if (params == null) {
            errors.add(where + "reporter '" + reporter + "' has no known factory.class, so its parameter '" + suffix + "' cannot be checked "
                    + "(set metrics.reporter." + reporter + ".factory.class; reporter-wide keys: " + reporterSuffixes.keySet() + ")");
        } else if (!params.contains(suffix)) {
            String hint = Levenshtein.closest(suffix, concat(params, reporterSuffixes.keySet()), 3);
            errors.add(where + "not a key of reporter '" + reporter + "' (" + factory + "): allowed " + concat(params, reporterSuffixes.keySet())
                    + (hint != null ? " (did you mean " + hint + "?)" : ""));
        }
    }

    private static Set<String> concat(Set<String> a, Set<String> b) {
        Set<String> s = new java.util.TreeSet<>(a);
        s.addAll(b);
        return s;
    }

    private static String typeName(ConfigOption<?> o) {
        try {
            Field f = ConfigOption.class.getDeclaredField("clazz");
            f.setAccessible(true);
            return ((Class<?>) f.get(o)).getSimpleName();
        } catch (ReflectiveOperationException | RuntimeException e) {
            return "its type";
        }
    }

    private static String rootMessage(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t.getMessage();
    }

    private static String describe(Object v) {
        return v == null ? "null" : v.getClass().getSimpleName() + " " + v;
    }
}
