package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.CrdSchemas;
import dev.heartbeats.k8s.support.FlinkConfigKeys;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.ManifestChecks;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every Flink resource of every overlay, rendered by kustomize, as the operator would see it: strict CRD schema,
 * admission rules, Flink config keys and values, and the job's own argument parser.
 */
class FlinkResourcesTest {

    static List<String> overlays() {
        return Repo.overlays();
    }

    @Test
    void thereAreOverlaysForLocalAndProd() {
        assertThat(overlays()).contains("local", "prod");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyOverlayHasTheFourJobs(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(m.ofKind("FlinkDeployment")).extracting(Manifests::name)
                .containsExactlyInAnyOrder("segments", "watch-time", "ad-impressions", "archive");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void flinkResourcesValidateStrictlyAgainstTheOperatorCrds(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(m.flinkResources()).isNotEmpty();
        CrdSchemas crds = CrdSchemas.load();
        for (Map<String, Object> r : m.flinkResources()) assertThat(crds.validate(r)).as(Manifests.id(r)).isEmpty();
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void flinkResourcesPassTheOperatorsAdmissionRules(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(ManifestChecks.ADMISSION.run(m)).as("admission errors in " + m.source).isEmpty();
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyFlinkConfigurationKeyIsARealOptionWithAValueThatParses(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(ManifestChecks.CONFIG.run(m)).as("flinkConfiguration errors in " + m.source).isEmpty();
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void entryClassesAndArgumentsAreAcceptedByTheJobsOwnParsers(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(ManifestChecks.ARGS.run(m)).as("job argument errors in " + m.source).isEmpty();
    }

    @Test
    void theSavepointScriptCreatesAValidFlinkStateSnapshotForEveryJob() {
        CrdSchemas crds = CrdSchemas.load();
        for (String job : List.of("segments", "watch-time", "ad-impressions", "archive")) {
            String yaml = Scripts.run("k8s-savepoint.sh", job, "--dry-run").stdout();
            Manifests m = Manifests.parse("k8s-savepoint.sh " + job, yaml);
            assertThat(m.ofKind("FlinkStateSnapshot")).hasSize(1);
            assertThat(crds.validate(m.resources.get(0))).as(yaml).isEmpty();
            assertThat(ManifestChecks.ADMISSION.run(m)).as(yaml).isEmpty();
            assertThat(Manifests.str(m.resources.get(0), "spec.jobReference.name")).isEqualTo(job);
        }
    }

    @Test
    void theOptionIndexKnowsFlinkAndRejectsNearMisses() {
        FlinkConfigKeys keys = FlinkConfigKeys.get();
        assertThat(keys.size()).isGreaterThan(600);
        assertThat(keys.isKnown("execution.checkpointing.savepoint-dir")).isTrue();
        assertThat(keys.isKnown("high-availability.type")).isTrue();
        assertThat(keys.isKnown("kubernetes.operator.job.upgrade.last-state-fallback.enabled")).isTrue();
        assertThat(keys.isKnown("execution.checkpointing.savepoint-directory")).isFalse();
        assertThat(keys.scannedClasses).contains("org.apache.flink.configuration.CheckpointingOptions",
                "org.apache.flink.kubernetes.configuration.KubernetesConfigOptions", "org.apache.flink.state.rocksdb.RocksDBOptions",
                "org.apache.flink.configuration.MetricOptions");
    }
}
