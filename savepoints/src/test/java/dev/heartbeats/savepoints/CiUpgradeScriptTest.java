package dev.heartbeats.savepoints;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The decisions of scripts/ci-upgrade.sh, against FlinkDeployment status sequences replayed by a fake kubectl
 * (src/test/resources/upgrade-flow/: one directory per scenario, modelled on the status transitions of the Flink
 * Kubernetes Operator 1.15, with the field names of its CRD), plus what the JobManager says (its Deployment's image,
 * REST /jobs/<id>/checkpoints and numRestarts, in the shapes Flink 2.2's REST API answers): success, a failed upgrade
 * savepoint, a failed deployment of the new version, a job that fails after the upgrade, an operator that does not
 * pick up the change, a timeout, an unchanged spec, an upgrade without a savepoint, a new deployment, two jobs of which
 * one fails, a refused apply; and the signals the operator's status does not give: a job that restarts while the
 * operator says RUNNING, a restore from something else than the upgrade savepoint, a JobManager still on the old
 * image, no checkpoint after the restore, and manifests that enable the operator's own rollback.
 */
class CiUpgradeScriptTest {
    static final String NEW_IMAGE = "registry.example.com/heartbeats/flink-jobs:0.1.1-8d41e07";
    static final String OLD_IMAGE = "registry.example.com/heartbeats/flink-jobs:0.1.0-3f2a9c1";
    static final String NEW_SAVEPOINT = "s3://heartbeats-state/savepoints/segments/savepoint-2e9a44-f07c6d13b2a5";

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err, Path state) {
        String all() {
            return out + err;
        }
    }

    @Test
    void aSuccessfulUpgradeAppliesOnlyTheFlinkDeploymentsWithTheNewImageAndWaitsForTheNewSavepoint() throws Exception {
        Run r = run("success", "segments");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).contains("segments: upgraded (generation 4) through savepoint " + NEW_SAVEPOINT
                        + " in ").contains(": restored, checkpointing, no restart, image " + NEW_IMAGE)
                .contains("observed 3").contains("lifecycle UPGRADING").contains("new version RUNNING from " + NEW_SAVEPOINT)
                // The JobManager's word, in order: no checkpoint since the restore yet, then one.
                .contains("segments: waiting: no checkpoint completed since the restore (restored 12, latest completed 12)")
                .contains("segments: JobManager on " + NEW_IMAGE + ", restored " + NEW_SAVEPOINT + ", checkpoint 13 completed since, no restart");
        assertThat(r.out().indexOf("waiting: no checkpoint completed")).isLessThan(r.out().indexOf("checkpoint 13 completed since"));
        String calls = Files.readString(r.state().resolve("calls.log"));
        assertThat(calls).contains("get deployment segments -o json")
                .contains("get --raw /api/v1/namespaces/heartbeats/services/segments-rest:8081/proxy/jobs/7c01de59d8e1f2a3b4c5d6e7f8091a2b/checkpoints")
                .contains("proxy/jobs/7c01de59d8e1f2a3b4c5d6e7f8091a2b/metrics?get=numRestarts");
        String applied = Files.readString(r.state().resolve("applied.yaml"));
        assertThat(applied).contains("kind: FlinkDeployment").doesNotContain("kind: ConfigMap")
                .contains("  image: " + NEW_IMAGE).doesNotContain(OLD_IMAGE)
                .contains("- image: yugabytedb/yugabyte:2025.2.2.1-b1"); // only spec.image changes
        String previous = Files.readString(r.state().resolve("rollback/segments.previous.json"));
        assertThat(previous).contains(OLD_IMAGE).doesNotContain("\"status\"").doesNotContain("resourceVersion").doesNotContain("last-applied-configuration");
    }

    @Test
    void aFailedUpgradeSavepointStopsTheUpgradeWithTheOperatorsReason() throws Exception {
        Run r = run("savepoint-failure", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.err()).contains("segments: the upgrade savepoint failed, the job was not upgraded (job RUNNING)")
                .contains("stop-with-savepoint of job 7c01de59d8e1f2a3b4c5d6e7f8091a2b did not complete within 10 min")
                .contains("kubectl apply -f " + r.state().resolve("rollback/segments.previous.json"))
                .contains("no upgrade savepoint was taken");
    }

    @Test
    void aFailedDeploymentOfTheNewVersionFailsAndTellsHowToStartThePreviousImageFromTheUpgradeSavepoint() throws Exception {
        Run r = run("deployment-failed", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.err()).contains("segments: the upgrade failed: lifecycle FAILED")
                .contains("Back-off pulling image")
                .contains("kubectl -n heartbeats patch flinkdeployment segments --type merge -p '{\"spec\":{\"image\":\"" + OLD_IMAGE
                        + "\",\"job\":{\"initialSavepointPath\":\"" + NEW_SAVEPOINT + "\",\"savepointRedeployNonce\":1}}}'");
    }

    @Test
    void aJobThatFailsAfterTheUpgradeFailsTheUpgrade() throws Exception {
        Run r = run("job-fails-after-upgrade", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(5);
        assertThat(r.out()).contains("new version RUNNING from " + NEW_SAVEPOINT);
        assertThat(r.err()).contains("segments: the new job is RESTARTING after restoring the upgrade savepoint " + NEW_SAVEPOINT)
                .contains("initialSavepointPath");
    }

    @Test
    void anOperatorThatDoesNotPickUpTheChangeFailsAfterThePickupTimeout() throws Exception {
        Run r = run("not-picked-up", List.of("--pickup-timeout", "1s"), "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(6);
        assertThat(r.err()).contains("segments: the operator did not pick up generation 4 within 1s (observedGeneration 3)")
                .contains("is the Flink Kubernetes Operator running and watching namespace heartbeats?");
    }

    @Test
    void anUpgradeThatNeverCompletesTimesOutSayingWhatIsMissing() throws Exception {
        Run r = run("timeout", List.of("--timeout", "8s"), "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(7);
        assertThat(r.err()).contains("segments: not upgraded within 8s: lifecycleState DEPLOYED != STABLE; job state RECONCILING != RUNNING")
                .doesNotContain("upgradeSavepointPath unchanged");
    }

    @Test
    void anUnchangedSpecIsNothingToUpgrade() throws Exception {
        Run r = run("unchanged", "segments");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).contains("segments: spec unchanged (generation 3): nothing to upgrade");
    }

    @Test
    void runningTheNewSpecWithoutAnUpgradeSavepointIsAFailure() throws Exception {
        Run r = run("no-upgrade-savepoint", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.err()).contains("generation 4 is STABLE and RUNNING but status.jobStatus.upgradeSavepointPath did not change");
    }

    @Test
    void aNewDeploymentOnlyNeedsToRun() throws Exception {
        Run r = run("new-deployment", "segments");
        assertThat(r.exit()).as(r.all()).isZero();
        assertThat(r.out()).contains("segments: not deployed yet").contains("segments: deployed (generation 1, RUNNING, checkpointing, no restart)")
                .contains("restored nothing (new job), checkpoint 1 completed since");
    }

    @Test
    void everyDeploymentOfTheManifestsIsWaitedForAndTheFailingOneIsNamed() throws Exception {
        Run r = run("two-jobs-one-fails");
        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.out()).contains("segments: upgraded (generation 4)");
        assertThat(r.err()).contains("watch-time: the upgrade savepoint failed").contains("Checkpoint expired before completing");
    }

    @Test
    void aRefusedApplyChangesNothing() throws Exception {
        Run r = run("apply-refused", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(3);
        assertThat(r.err()).contains("kubectl apply was refused (nothing changed)").contains("Job parallelism must be larger than 0");
    }

    @Test
    void aJobThatRestartsWhileTheOperatorSaysRunningFailsTheDeploy() throws Exception {
        Run r = run("restarting-after-upgrade", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(5);
        assertThat(r.out()).contains("checkpoint 13 completed since, no restart; watching it for");
        assertThat(r.err()).contains("segments: the new job keeps restarting: 2 restart(s) since the new job started")
                .contains("kubectl apply -f " + r.state().resolve("rollback/segments.previous.json"));
    }

    @Test
    void aJobThatRestoredSomethingElseThanTheUpgradeSavepointFails() throws Exception {
        Run r = run("wrong-restore", "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(4);
        assertThat(r.err()).contains("segments: the new job restored s3://heartbeats-state/checkpoints/segments/7c01de59d8e1f2a3b4c5d6e7f8091a2b/chk-41,"
                + " not the upgrade savepoint " + NEW_SAVEPOINT);
    }

    @Test
    void aJobManagerOnTheOldImageIsNotAnUpgrade() throws Exception {
        Run r = run("old-jobmanager-image", List.of("--timeout", "8s"), "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(7);
        assertThat(r.out()).contains("segments: waiting: the JobManager runs " + OLD_IMAGE + ", not " + NEW_IMAGE);
        assertThat(r.err()).contains("segments: not upgraded within 8s: the JobManager runs " + OLD_IMAGE + ", not " + NEW_IMAGE);
    }

    @Test
    void noCheckpointAfterTheRestoreIsNotASuccess() throws Exception {
        Run r = run("no-checkpoint-after-restore", List.of("--timeout", "8s"), "segments");
        assertThat(r.exit()).as(r.all()).isEqualTo(7);
        assertThat(r.err()).contains("segments: not upgraded within 8s: no checkpoint completed since the restore (restored 12, latest completed 12)");
    }

    @Test
    void manifestsThatEnableTheOperatorsRollbackAreRefused() throws Exception {
        Path manifest = tmp.resolve("rollback-enabled.yaml");
        Files.writeString(manifest, Files.readString(resource("manifests.yaml"))
                .replace("kubernetes.operator.deployment.rollback.enabled: \"false\"", "kubernetes.operator.deployment.rollback.enabled: \"true\""));
        Path state = Files.createDirectories(tmp.resolve("rollback-state"));
        Run r = script(List.of("--manifest", manifest.toString(), "--image", NEW_IMAGE, "--state-dir", state.resolve("rollback").toString(), "segments"),
                Map.of("KUBECTL", fakeKubectl().toString(), "FAKE_SCENARIO", resource("success").toString(), "FAKE_STATE", state.toString()));
        assertThat(r.exit()).as(r.all()).isEqualTo(2);
        assertThat(r.err()).contains("the manifests enable the operator's rollback");
        assertThat(state.resolve("applied.yaml")).as("nothing applied").doesNotExist();
        // The script's rule and the manifests of k8s/ agree: the shared Flink configuration turns it off.
        assertThat(Files.readString(repo().resolve("k8s/base/flink/every-job.yaml")))
                .contains("kubernetes.operator.deployment.rollback.enabled: \"false\"");
    }

    @Test
    void usageErrorsExitWith2() throws Exception {
        assertThat(script(List.of("--image", NEW_IMAGE), Map.of()).exit()).isEqualTo(2);
        Run unknown = run("success", "no-such-job");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("deployment 'no-such-job' is not among the FlinkDeployments of the manifests (segments watch-time)");
        Run duration = run("success", List.of("--timeout", "soon"), "segments");
        assertThat(duration.exit()).isEqualTo(2);
        assertThat(duration.err()).contains("'soon' is not a duration");
    }

    @Test
    void theDeployWorkflowRunsTheGateThenUpgradesThroughTheScript() throws Exception {
        String workflow = Files.readString(repo().resolve(".github/workflows/deploy.yml"));
        assertThat(workflow).contains("mvn -B -ntp verify -pl savepoints")
                .contains("scripts/k8s-build-image.sh --image \"$IMAGE\" --tag \"${{ steps.tag.outputs.tag }}\" --push")
                .contains("tag=\"${version%-SNAPSHOT}-${GITHUB_SHA::7}\"")
                // The deployed tag is committed to the overlay before the deploy, and the deploy applies what is committed.
                .contains("edit set image \"heartbeats/flink-jobs=${{ needs.image.outputs.image }}\"")
                .contains("git push origin").contains("scripts/ci-upgrade.sh --manifest")
                .doesNotContain("--image \"${{ needs.image.outputs.image }}\"")
                // OIDC, no stored kubeconfig.
                .contains("id-token: write").doesNotContain("KUBECONFIG_B64")
                .contains("needs: test").contains("needs: image");
        assertThat(workflow.indexOf("edit set image")).isLessThan(workflow.indexOf("scripts/ci-upgrade.sh"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripts/ci-upgrade.sh", "scripts/upgrade-rehearsal.sh", "scripts/savepoints-regenerate.sh", "savepoints/run-main.sh",
            "savepoints/src/test/resources/upgrade-flow/fake-kubectl"})
    void shellcheckIsClean(String script) throws Exception {
        Path shellcheck = onPath("shellcheck");
        Assumptions.assumeTrue(shellcheck != null, "shellcheck not installed: skipped");
        Process p = new ProcessBuilder(shellcheck.toString(), repo().resolve(script).toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
    }

    // --- running the script against a scenario ---

    Run run(String scenario, String... deployments) throws Exception {
        return run(scenario, List.of(), deployments);
    }

    Run run(String scenario, List<String> extra, String... deployments) throws Exception {
        Path state = Files.createDirectories(tmp.resolve(scenario + "-state-" + System.nanoTime()));
        List<String> args = new ArrayList<>(List.of("--manifest", resource("manifests.yaml").toString(), "--image", NEW_IMAGE,
                // Generous limits (a loaded CI machine), except where a scenario is about them.
                "--poll", "20ms", "--pickup-timeout", "20s", "--timeout", "60s", "--stable-for", "200ms",
                "--state-dir", state.resolve("rollback").toString()));
        args.addAll(extra);
        args.addAll(List.of(deployments));
        Run r = script(args, Map.of("KUBECTL", fakeKubectl().toString(), "FAKE_SCENARIO", resource(scenario).toString(), "FAKE_STATE", state.toString()));
        return new Run(r.exit(), r.out(), r.err(), state);
    }

    Run script(List<String> args, Map<String, String> env) throws IOException, InterruptedException {
        Assumptions.assumeTrue(onPath("jq") != null, "jq not installed (the script needs it; apt-get install jq): skipped");
        List<String> cmd = new ArrayList<>(List.of("bash", repo().resolve("scripts/ci-upgrade.sh").toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().putAll(env);
        Path out = tmp.resolve("stdout-" + System.nanoTime()), err = tmp.resolve("stderr-" + System.nanoTime());
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err), null);
    }

    private Path fakeKubectl() throws Exception {
        Path fake = tmp.resolve("kubectl");
        if (!Files.exists(fake)) {
            Files.copy(resource("fake-kubectl"), fake);
            assertThat(fake.toFile().setExecutable(true)).isTrue();
        }
        return fake;
    }

    static Path onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(d -> Path.of(d, tool)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    static Path resource(String name) throws URISyntaxException {
        return Path.of(CiUpgradeScriptTest.class.getResource("/upgrade-flow/" + name).toURI());
    }

    static Path repo() {
        return Path.of(System.getProperty("savepoints.repo.root", "..")).toAbsolutePath().normalize();
    }
}
