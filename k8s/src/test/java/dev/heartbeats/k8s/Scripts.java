package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Repo;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the scripts/k8s-*.sh commands with bash, for the tests that check what they print. */
final class Scripts {
    private Scripts() {}

    record Result(int exit, String stdout, String stderr) {}

    static Result run(String script, String... args) {
        return runWithEnv(Map.of(), script, args);
    }

    static Result runWithEnv(Map<String, String> env, String script, String... args) {
        List<String> cmd = new ArrayList<>(List.of("bash", Repo.root().resolve("scripts").resolve(script).toString()));
        cmd.addAll(List.of(args));
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(Repo.root().toFile());
            // The scripts call kubectl from the PATH: put the one the tests use (-Dkubectl) first.
            Path kubectl = Kustomize.kubectl();
            if (kubectl != null) pb.environment().merge("PATH", kubectl.getParent().toString(), (old, dir) -> dir + File.pathSeparator + old);
            pb.environment().putAll(env);
            Process p = pb.start();
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            byte[] err = p.getErrorStream().readAllBytes();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(cmd + ": timed out");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(cmd + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
