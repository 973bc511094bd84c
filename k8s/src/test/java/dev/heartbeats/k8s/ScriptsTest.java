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
        assertThat(job.stderr()).contains("unknown job 'sessions' (one of: segments watch-time ad-impressions archive)");
        assertThat(Scripts.run("k8s-savepoint.sh", "segments", "--dry-run", "--format", "native").exit()).isEqualTo(2);
    }

    @Test
    void deployRendersExactlyTheOverlayAndMovesEveryObjectStoragePathToAnotherBucket() {
        Kustomize.requireKubectl();
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
    void buildImageStagesTheBundleJarAndTheJsonLayoutUnderTheProjectVersionOrTheGivenTag() {
        String version = Repo.projectVersion();
        Path jar = Repo.root().resolve("jobs/bundle/target/heartbeat-jobs-" + version + ".jar");
        Scripts.Result r = Scripts.runWithEnv(Map.of(), "k8s-build-image.sh", "--skip-maven", "--dry-run", "--tool", "docker",
                "--image", "registry.example.com/heartbeats/flink-jobs", "--tag", version.replace("-SNAPSHOT", "") + "-1a2b3c4");
        if (!Files.isRegularFile(jar)) {
            // Without the bundle jar the script stops and says how to build it (jobs/bundle: issue 13).
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.stderr()).contains(jar + " is missing (build it: mvn -DskipTests package -pl jobs/bundle -am");
            return;
        }
        assertThat(r.exit()).as(r.stderr()).isZero();
        assertThat(r.stdout()).contains("./jars/heartbeat-jobs.jar", "./Dockerfile",
                "dependency:copy -Dartifact=org.apache.logging.log4j:log4j-layout-template-json:" + Repo.rootPomProperty("log4j.version"),
                "docker build --build-arg VERSION=" + version + " -t registry.example.com/heartbeats/flink-jobs:" + version.replace("-SNAPSHOT", "") + "-1a2b3c4 ");
        assertThat(Scripts.run("k8s-build-image.sh", "--skip-maven", "--dry-run", "--tag", "bad tag").exit()).isEqualTo(2);
    }

    /** The deploy script installs exactly the operator and chart versions whose CRDs and values the tests use. */
    @Test
    void deployInstallsThePinnedOperatorsAndTheYugabyteChart() throws IOException {
        Scripts.Result r = Scripts.run("k8s-deploy.sh", "prod", "--install-operators", "--dry-run");
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> crdDirs;
        try (Stream<Path> s = Files.list(Repo.k8s().resolve("crds"))) {
            crdDirs = s.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertThat(crdDirs).containsExactly("flink-kubernetes-operator-1.15.0", "prometheus-operator-v0.93.0", "strimzi-1.2.0");
        assertThat(r.stdout()).contains(
                "helm upgrade --install flink-kubernetes-operator flink-kubernetes-operator --repo https://downloads.apache.org/flink/flink-kubernetes-operator-1.15.0/ --version 1.15.0 ",
                "helm upgrade --install strimzi-cluster-operator oci://quay.io/strimzi-helm/strimzi-kafka-operator --version 1.2.0 ",
                "prometheus-operator/releases/download/v0.93.0/bundle.yaml",
                "cert-manager/releases/download/v1.16.2/cert-manager.yaml",
                "helm upgrade --install yugabyte yugabyte --repo https://charts.yugabyte.com --version 2026.1.0 -n heartbeats -f "
                        + Repo.overlay("prod").resolve("yugabyte-values.yaml"));
        // Operators first, then the manifests, then YugabyteDB (its password Secret comes with the manifests in local).
        String out = r.stdout();
        assertThat(out.indexOf("strimzi-kafka-operator")).isLessThan(out.lastIndexOf("kubectl apply -f - <<manifests"));
        assertThat(out.lastIndexOf("kubectl apply -f - <<manifests")).isLessThan(out.indexOf("--install yugabyte"));
        Scripts.Result plain = Scripts.run("k8s-deploy.sh", "local", "--dry-run");
        assertThat(plain.stdout()).doesNotContain("strimzi-kafka-operator", "cert-manager.yaml").contains("--install yugabyte");
    }
}
