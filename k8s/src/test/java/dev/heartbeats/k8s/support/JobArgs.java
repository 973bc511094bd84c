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
 * suite's jobs, and its own command-line parser ({@link JobLauncher.Job#parse}) accepts spec.job.args. The password is
 * never an argument: the JobManager's main container must get {@value JobOptions#JDBC_PASSWORD_ENV} from a Secret.
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
            job.parse(args.toArray(String[]::new));
        } catch (ConfigException e) {
            errors.add(id + ": spec.job.args rejected by " + c.getSimpleName() + ": " + e.getMessage());
        } catch (RuntimeException e) {
            errors.add(id + ": spec.job.args: " + c.getSimpleName() + " failed to parse them: " + e);
        }
        if (!passwordFromSecret(deployment)) {
            errors.add(id + ": the main container (flink-main-container in spec.podTemplate or spec.jobManager.podTemplate) must set "
                    + JobOptions.JDBC_PASSWORD_ENV + " from a Secret (env[].valueFrom.secretKeyRef), the job reads its DB password there");
        }
        return errors;
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
