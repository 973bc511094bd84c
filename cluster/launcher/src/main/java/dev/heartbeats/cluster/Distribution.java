package dev.heartbeats.cluster;

import dev.heartbeats.common.config.ConfigException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The Flink distribution built by cluster-dist, and the repository's manifests the clusters are configured from. */
public final class Distribution {
    public static final String JOB_JAR = "heartbeat-jobs.jar";

    public final Path dir;

    private Distribution(Path dir) {
        this.dir = dir;
    }

    /** The distribution in {@code dir}, checked to be complete. */
    public static Distribution at(Path dir) {
        for (String part : List.of("lib", "plugins/metrics-prometheus", "conf/config.yaml", "usrlib/" + JOB_JAR)) {
            if (!Files.exists(dir.resolve(part))) {
                throw new ConfigException("the Flink distribution at " + dir + " has no " + part
                        + ": build it with `mvn -pl cluster/dist -am package -DskipTests`");
            }
        }
        return new Distribution(dir);
    }

    /** The distribution of a checkout: {@code cluster/dist/target/flink-<version>}. */
    public static Distribution ofRepository(Path root, String flinkVersion) {
        return at(root.resolve("cluster/dist/target/flink-" + flinkVersion));
    }

    public Path jobJar() {
        return dir.resolve("usrlib").resolve(JOB_JAR);
    }

    /** conf/config.yaml, flattened: the configuration every cluster starts from. */
    public Map<String, String> defaults() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(dir.resolve("conf/config.yaml")));
        FlinkDeployment.map(doc).forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /** {@code kubectl kustomize k8s/overlays/<overlay>}: the manifests a {@code kubectl apply -k} would send. */
    public static String render(Path repoRoot, String overlay) throws IOException, InterruptedException {
        Path dir = repoRoot.resolve("k8s/overlays").resolve(overlay);
        if (!Files.isDirectory(dir)) throw new ConfigException("--overlay: no overlay " + overlay + " in " + dir.getParent());
        String kubectl = kubectl();
        Process p = new ProcessBuilder(kubectl, "kustomize", dir.toString()).redirectErrorStream(false).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) throw new IOException("kubectl kustomize " + dir + " failed: " + err);
        return new String(out, StandardCharsets.UTF_8);
    }

    private static String kubectl() {
        String set = System.getenv("KUBECTL");
        if (set != null && !set.isBlank()) return set;
        List<String> path = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        for (String d : path) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "kubectl"))) return Path.of(d, "kubectl").toString();
        }
        throw new ConfigException("kubectl not found: the FlinkDeployment is rendered with `kubectl kustomize` (install kubectl or set KUBECTL), "
                + "or give already rendered manifests with --manifests");
    }
}
