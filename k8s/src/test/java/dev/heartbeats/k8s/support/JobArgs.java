package dev.heartbeats.k8s.support;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.pipeline.JobLauncher;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.heartbeats.k8s.support.Manifests.at;
import static dev.heartbeats.k8s.support.Manifests.list;
import static dev.heartbeats.k8s.support.Manifests.map;
import static dev.heartbeats.k8s.support.Manifests.str;

/**
 * A FlinkDeployment's job as the job itself would see it: the entry class exists with a {@code main}, is one of the
 * suite's jobs, and its own command-line parser ({@link JobLauncher.Job#parse}) accepts spec.job.args (the files they
 * name in the pod's Secret volumes stand in as empty files here). A password is never an argument: the main
 * container gets it from a Secret, as an environment variable or as a file of a mounted Secret volume.
 */
public final class JobArgs {
    private JobArgs() {}

    public static final List<String> SUITE_JOBS = List.of(
            "dev.heartbeats.segments.SegmentsJob", "dev.heartbeats.watchtime.WatchTimeJob", "dev.heartbeats.adimpressions.AdImpressionsJob",
            "dev.heartbeats.archive.ArchiveJob");

    public static List<String> check(Map<String, Object> deployment) {
        List<String> errors = new ArrayList<>();
        String id = Manifests.id(deployment);
        String entryClass = str(deployment, "spec.job.entryClass");
        if (entryClass == null) {
            errors.add(id + ": spec.job.entryClass must name the job's main class (one of " + SUITE_JOBS + ")");
            return errors;
        }
        Class<?> c;
        try {
            c = Class.forName(entryClass, false, JobArgs.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            String hint = Levenshtein.closest(entryClass, SUITE_JOBS, 6);
            errors.add(id + ": spec.job.entryClass " + entryClass + " does not exist" + (hint != null ? " (did you mean " + hint + "?)" : ""));
            return errors;
        }
        try {
            Method main = c.getMethod("main", String[].class);
            if (!Modifier.isStatic(main.getModifiers()) || main.getReturnType() != void.class) {
                errors.add(id + ": " + entryClass + ".main(String[]) must be public static void");
            }
        } catch (NoSuchMethodException e) {
            errors.add(id + ": " + entryClass + " has no public main(String[])");
        }
        if (!JobLauncher.Job.class.isAssignableFrom(c)) {
            errors.add(id + ": " + entryClass + " is not a JobLauncher.Job of the suite, its arguments cannot be checked");
            return errors;
        }
        JobLauncher.Job job;
        try {
            job = (JobLauncher.Job) c.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            errors.add(id + ": cannot instantiate " + entryClass + ": " + e);
            return errors;
        }
        if (!job.name().equals(Manifests.name(deployment))) {
            errors.add(id + ": the FlinkDeployment of job '" + job.name() + "' should be named " + job.name()
                    + " (the job name is also its Flink job name, metrics label and default consumer group)");
        }
        List<String> args = new ArrayList<>();
        for (Object a : list(at(deployment, "spec.job.args"))) {
            if (!(a instanceof String s)) {
                errors.add(id + ": spec.job.args: every argument must be a string, got " + a + " (quote it)");
                continue;
            }
            args.add(s);
        }
        if (args.contains("--help") || args.contains("-h")) {
            errors.add(id + ": spec.job.args contains --help: the job would print its settings and exit");
        }
        try {
            job.parse(localArgs(deployment, args).toArray(String[]::new));
        } catch (ConfigException e) {
            errors.add(id + ": spec.job.args rejected by " + c.getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            errors.add(id + ": spec.job.args: " + c.getSimpleName() + " failed to parse them: " + e);
        }
        if (!passwordFromSecret(deployment) && !inSecretVolume(deployment, value(args, "--" + JobOptions.JDBC_PASSWORD_FILE.name))) {
            errors.add(id + ": the main container (flink-main-container in spec.podTemplate or spec.jobManager.podTemplate) must set "
                    + JobOptions.JDBC_PASSWORD_ENV + " from a Secret (env[].valueFrom.secretKeyRef) or --" + JobOptions.JDBC_PASSWORD_FILE.name
                    + " to a file of a mounted Secret volume: the job reads its DB password there");
        }
        String kafkaPassword = value(args, "--" + JobOptions.KAFKA_SASL_PASSWORD_FILE.name);
        if (kafkaPassword != null && !inSecretVolume(deployment, kafkaPassword)) {
            errors.add(id + ": --" + JobOptions.KAFKA_SASL_PASSWORD_FILE.name + " " + kafkaPassword + " is not a file of a Secret volume the main container mounts");
        }
        return errors;
    }

    static String value(List<String> args, String name) {
        String v = null;
        for (int i = 0; i + 1 < args.size(); i++) if (args.get(i).equals(name)) v = args.get(i + 1);
        return v;
    }

    /** The main container's volume mounts, mount path -> the volume (from the pod templates' volumes). */
    static Map<String, Map<String, Object>> mounts(Map<String, Object> deployment) {
        Map<String, Map<String, Object>> volumes = new java.util.HashMap<>();
        Map<String, Map<String, Object>> out = new java.util.LinkedHashMap<>();
        for (String template : List.of("spec.podTemplate", "spec.jobManager.podTemplate")) {
            for (Object v : list(at(deployment, template + ".spec.volumes"))) volumes.put(str(v, "name"), map(v));
        }
        for (String template : List.of("spec.podTemplate", "spec.jobManager.podTemplate")) {
            for (Object c : list(at(deployment, template + ".spec.containers"))) {
                if (!"flink-main-container".equals(map(c).get("name"))) continue;
                for (Object vm : list(map(c).get("volumeMounts"))) {
                    Map<String, Object> volume = volumes.get(str(vm, "name"));
                    if (volume != null) out.put(str(vm, "mountPath"), volume);
                }
            }
        }
        return out;
    }

    static boolean inSecretVolume(Map<String, Object> deployment, String file) {
        if (file == null) return false;
        for (Map.Entry<String, Map<String, Object>> m : mounts(deployment).entrySet()) {
            if (file.startsWith(m.getKey() + "/") && (m.getValue().get("secret") != null || m.getValue().get("projected") != null)) return true;
        }
        return false;
    }

    /** The arguments with every file of the pod's volumes replaced by an empty file of the same name here. */
    public static List<String> localArgs(Map<String, Object> deployment, List<String> args) {
        List<String> out = new ArrayList<>();
        Map<String, Map<String, Object>> mounts = mounts(deployment);
        for (String a : args) {
            String mapped = a;
            for (String mountPath : mounts.keySet()) {
                if (a.startsWith(mountPath + "/")) {
                    try {
                        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("pod-files");
                        mapped = java.nio.file.Files.createFile(dir.resolve(a.substring(a.lastIndexOf('/') + 1))).toString();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }
            }
            out.add(mapped);
        }
        return out;
    }

    static boolean passwordFromSecret(Map<String, Object> deployment) {
        for (String template : List.of("spec.podTemplate", "spec.jobManager.podTemplate")) {
            for (Object c : list(at(deployment, template + ".spec.containers"))) {
                Map<String, Object> container = map(c);
                if (!"flink-main-container".equals(container.get("name"))) continue;
                for (Object e : list(container.get("env"))) {
                    Map<String, Object> env = map(e);
                    if (JobOptions.JDBC_PASSWORD_ENV.equals(env.get("name")) && at(env, "valueFrom.secretKeyRef.name") != null
                            && at(env, "valueFrom.secretKeyRef.key") != null) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
