package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** scripts/k8s-*.sh: strict mode, usage text, argument checks, and what they render or would run (no cluster needed). */
class ScriptsTest {

    static List<String> scripts() throws IOException {
        try (Stream<Path> s = Files.list(Repo.root().resolve("scripts"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("k8s-") && n.endsWith(".sh")).sorted().toList();
        }
    }

    @Test
    void theFiveCommandsExist() throws IOException {
        assertThat(scripts()).containsExactlyInAnyOrder("k8s-build-image.sh", "k8s-deploy.sh", "k8s-savepoint.sh", "k8s-status.sh", "k8s-teardown.sh");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void strictModeUsageAndSyntax(String script) throws Exception {
        Path file = Repo.root().resolve("scripts").resolve(script);
        String text = Files.readString(file);
        assertThat(text).startsWith("#!/usr/bin/env bash\n").contains("\nset -euo pipefail\n");
        assertThat(Files.isExecutable(file)).as(script + " is executable").isTrue();
        assertThat(new ProcessBuilder("bash", "-n", file.toString()).start().waitFor()).as("bash -n " + script).isZero();
        Scripts.Result help = Scripts.run(script, "--help");
        assertThat(help.exit()).isZero();
        assertThat(help.stdout()).startsWith("Usage: scripts/" + script).contains("Options:");
        Scripts.Result bad = Scripts.run(script, "--no-such-option");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.stderr()).contains("unknown option '--no-such-option'", "Usage:");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scripts")
    void shellcheckIsClean(String script) throws Exception {
        Path shellcheck = Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, "shellcheck")).filter(Files::isExecutable).findFirst().orElse(null);
        Assumptions.assumeTrue(shellcheck != null, "shellcheck not installed (apt-get install shellcheck): skipped");
        Process p = new ProcessBuilder(shellcheck.toString(), Repo.root().resolve("scripts").resolve(script).toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(out).isZero();
    }

    @Test
    void environmentCommandsNeedAKnownEnvironment() {
        for (String script : List.of("k8s-deploy.sh", "k8s-status.sh", "k8s-teardown.sh")) {
            Scripts.Result none = Scripts.run(script);
            assertThat(none.exit()).as(script + " without an environment").isEqualTo(2);
            assertThat(none.stderr()).startsWith("Usage: scripts/" + script);
            Scripts.Result unknown = Scripts.run(script, "staging");
            assertThat(unknown.exit()).isEqualTo(2);
            assertThat(unknown.stderr()).contains("unknown environment 'staging' (one of: local prod");
        }
        Scripts.Result job = Scripts.run("k8s-savepoint.sh", "sessions", "--dry-run");
        assertThat(job.exit()).isEqualTo(2);
        assertThat(job.stderr()).contains("unknown job 'sessions' (one of: segments watch-time ad-impressions)");
        assertThat(Scripts.run("k8s-savepoint.sh", "segments", "--dry-run", "--format", "native").exit()).isEqualTo(2);
    }

    @Test
    void deployRendersExactlyTheOverlayAndMovesEveryObjectStoragePathToAnotherBucket() {
        Kustomize.assumeKubectl();
        for (String overlay : Repo.overlays()) {
            Scripts.Result r = Scripts.run("k8s-deploy.sh", overlay, "--render");
            assertThat(r.exit()).as(r.stderr()).isZero();
            assertThat(r.stdout().strip()).isEqualTo(Kustomize.render(Repo.overlay(overlay)).strip());
            Scripts.Result moved = Scripts.run("k8s-deploy.sh", overlay, "--render", "--bucket", "acme-flink-state");
            assertThat(moved.exit()).isZero();
            assertThat(moved.stdout()).doesNotContain("s3://heartbeats-state/", "local/heartbeats-state").contains("s3://acme-flink-state/");
            assertThat(Kustomize.render(Repo.overlay(overlay))).contains("s3://heartbeats-state/");
        }
        assertThat(Scripts.run("k8s-deploy.sh", "local", "--render", "--bucket", "Bad_Bucket").exit()).isEqualTo(2);
    }

    @Test
    void savepointNonceModePatchesTheDeployment() {
        Scripts.Result r = Scripts.run("k8s-savepoint.sh", "watch-time", "--nonce", "--dry-run");
        assertThat(r.exit()).isZero();
        assertThat(r.stdout()).matches("(?s)kubectl -n heartbeats patch flinkdeployment watch-time --type merge -p '\\{\"spec\":\\{\"job\":\\{\"savepointTriggerNonce\":\\d+}}}'\\s*");
    }

    @Test
    void buildImageTagsWithTheProjectVersionAndStagesTheJobJars() {
        String version = Repo.projectVersion();
        boolean jarsBuilt = Stream.of("segments", "watch-time", "ad-impressions")
                .allMatch(m -> Files.isRegularFile(Repo.root().resolve("jobs/" + m + "/target/" + m + "-job-" + version + "-job.jar")));
        Assumptions.assumeTrue(jarsBuilt, "shaded job jars not built (mvn -DskipTests package): skipped");
        Scripts.Result r = Scripts.runWithEnv(Map.of(), "k8s-build-image.sh", "--skip-maven", "--dry-run", "--tool", "docker");
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("docker build --build-arg VERSION=" + version + " -t heartbeats/flink-jobs:" + version + " ",
                "./jars/segments-job.jar", "./jars/watch-time-job.jar", "./jars/ad-impressions-job.jar", "./Dockerfile");
    }
}
