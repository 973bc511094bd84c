package dev.heartbeats.k8s.support;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Renders kustomizations with {@code kubectl kustomize} (setting {@code kubectl}: -Dkubectl=PATH or $KUBECTL, else
 * kubectl on the PATH; the machine image has kubectl 1.32). Without it the tests that render fail, naming the setting:
 * every check runs in every build, none is skipped.
 */
public final class Kustomize {
    private Kustomize() {}

    public static final String KUBECTL_PROPERTY = "kubectl";
    private static final Map<Path, String> CACHE = new ConcurrentHashMap<>();

    /** The kubectl binary, or null. */
    public static Path kubectl() {
        String s = System.getProperty(KUBECTL_PROPERTY);
        if (s == null || s.isBlank()) s = System.getenv("KUBECTL");
        if (s != null && !s.isBlank()) {
            Path p = Path.of(s);
            return Files.isExecutable(p) ? p : null;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, "kubectl");
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    public static void requireKubectl() {
        if (kubectl() == null) {
            throw new IllegalStateException("kubectl not found: rendering the overlays needs 'kubectl kustomize' (kubectl 1.27 or later; "
                    + "set -Dkubectl=/path/to/kubectl or $KUBECTL)");
        }
    }

    /** The rendered manifests of a kustomization directory (cached). */
    public static String render(Path dir) {
        requireKubectl();
        return CACHE.computeIfAbsent(dir.toAbsolutePath().normalize(), d -> run(List.of(kubectl().toString(), "kustomize", d.toString())));
    }

    public static Manifests renderOverlay(String overlay) {
        return Manifests.parse("overlays/" + overlay, render(Repo.overlay(overlay)));
    }

    static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": timed out");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + p.exitValue() + "): "
                        + new String(err, StandardCharsets.UTF_8));
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
