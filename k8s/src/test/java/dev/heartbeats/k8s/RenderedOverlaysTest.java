package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.CrdSchemas;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.ManifestChecks;
import dev.heartbeats.k8s.support.ObjectSchemas;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every overlay renders with kustomize, and holds exactly the resources k8s/README.md lists for it ("Resources per
 * overlay"), all in namespace heartbeats, all labelled part-of heartbeat-sessions, none twice, with valid metadata.
 */
class RenderedOverlaysTest {
    static final Set<String> COMMON = Set.of(
            "Namespace/heartbeats", "ServiceAccount/heartbeats-flink", "Role/heartbeats-flink", "RoleBinding/heartbeats-flink",
            "Role/heartbeats-deployer", "RoleBinding/heartbeats-deployer",
            "FlinkDeployment/segments", "FlinkDeployment/watch-time", "FlinkDeployment/ad-impressions", "FlinkDeployment/archive",
            "Kafka/heartbeats", "KafkaNodePool/kafka",
            "KafkaTopic/heartbeats", "KafkaTopic/heartbeats-dlq", "KafkaTopic/heartbeats-late",
            "KafkaUser/heartbeats-segments", "KafkaUser/heartbeats-watch-time", "KafkaUser/heartbeats-ad-impressions", "KafkaUser/heartbeats-archive",
            "KafkaUser/heartbeats-producer",
            "Job/heartbeats-schema", "NetworkPolicy/yugabytedb", "NetworkPolicy/flink-jobmanagers",
            "PodMonitor/heartbeat-sessions-flink", "PrometheusRule/heartbeat-sessions", "ConfigMap/heartbeat-sessions-dashboard",
            "CronJob/heartbeats-reattribute", "CronJob/heartbeats-retention",
            "ConfigMap/heartbeat-sessions-business-dashboard", "ConfigMap/heartbeat-sessions-datasource");
    /** How many objects of each kind every overlay holds, all of them validated against their schema (k8s/README.md). */
    static final Map<String, Map<String, Integer>> COUNT_PER_KIND = Map.of(
            "local", new TreeMap<>(Map.ofEntries(Map.entry("Namespace", 1), Map.entry("ServiceAccount", 1), Map.entry("Role", 2),
                    Map.entry("RoleBinding", 2), Map.entry("ConfigMap", 3), Map.entry("Job", 2), Map.entry("CronJob", 2),
                    Map.entry("Deployment", 1), Map.entry("Service", 1), Map.entry("PersistentVolumeClaim", 1), Map.entry("FlinkDeployment", 4),
                    Map.entry("Kafka", 1), Map.entry("KafkaNodePool", 1), Map.entry("KafkaTopic", 3), Map.entry("KafkaUser", 5),
                    Map.entry("NetworkPolicy", 2), Map.entry("PodMonitor", 1), Map.entry("PrometheusRule", 1))),
            "prod", new TreeMap<>(Map.ofEntries(Map.entry("Namespace", 1), Map.entry("ServiceAccount", 1), Map.entry("Role", 2),
                    Map.entry("RoleBinding", 2), Map.entry("ConfigMap", 3), Map.entry("Job", 1), Map.entry("CronJob", 2), Map.entry("FlinkDeployment", 4),
                    Map.entry("Kafka", 1), Map.entry("KafkaNodePool", 1), Map.entry("KafkaTopic", 3), Map.entry("KafkaUser", 5),
                    Map.entry("NetworkPolicy", 2), Map.entry("PodMonitor", 1), Map.entry("PrometheusRule", 1))));
    static final Map<String, Set<String>> ONLY_IN = Map.of(
            "local", Set.of("Deployment/minio", "Service/minio", "PersistentVolumeClaim/minio", "Job/minio-bucket"),
            "prod", Set.of());

    static List<String> overlays() {
        return Repo.overlays();
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void theOverlayHoldsTheDocumentedResources(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Set<String> expected = new TreeSet<>(COMMON);
        assertThat(ONLY_IN).as("an inventory for overlays/" + overlay + " in this test and in k8s/README.md").containsKey(overlay);
        expected.addAll(ONLY_IN.get(overlay));
        List<String> ids = m.resources.stream().map(Manifests::id).toList();
        assertThat(ids).doesNotHaveDuplicates();
        assertThat(new TreeSet<>(ids)).isEqualTo(expected);
    }

    /**
     * Every object, strictly against its schema from the repository alone (as kubectl apply --validate=strict would):
     * custom resources against k8s/crds, core objects against k8s/schemas. Nothing is left out and nothing skipped.
     */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyObjectValidatesStrictlyAgainstItsSchema(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(ManifestChecks.SCHEMA.run(m)).as("schema errors in " + m.source).isEmpty();
        Map<String, Integer> counts = new TreeMap<>();
        ObjectSchemas schemas = ObjectSchemas.get();
        for (Map<String, Object> r : m.resources) {
            assertThat(schemas.validate(r)).as(Manifests.id(r)).isEmpty();
            counts.merge(Manifests.kind(r), 1, Integer::sum);
        }
        System.out.println("[overlays/" + overlay + "] validated " + m.resources.size() + " objects: " + counts);
        assertThat(counts).isEqualTo(COUNT_PER_KIND.get(overlay));
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyResourceIsInTheNamespaceLabelledAndHasValidMetadata(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> r : m.resources) {
            String id = Manifests.id(r);
            Map<String, Object> meta = Manifests.map(r.get("metadata"));
            if (!r.get("kind").equals("Namespace") && !"heartbeats".equals(meta.get("namespace"))) problems.add(id + " is not in namespace heartbeats");
            if (!"heartbeat-sessions".equals(Manifests.map(meta.get("labels")).get("app.kubernetes.io/part-of"))) problems.add(id + " lacks part-of");
            List<String> metaErrors = new ArrayList<>();
            CrdSchemas.stringMap(meta.get("labels"), id + " metadata.labels", metaErrors, true);
            CrdSchemas.stringMap(meta.get("annotations"), id + " metadata.annotations", metaErrors, false);
            problems.addAll(metaErrors);
            for (Map<String, Object> c : Manifests.containers(r)) {
                if (c.get("image") == null && !"flink-main-container".equals(c.get("name"))) problems.add(id + " container " + c.get("name") + " has no image");
                String image = String.valueOf(c.get("image"));
                if (c.get("image") != null && (!image.contains(":") || image.endsWith(":latest"))) problems.add(id + ": image " + image + " has no pinned tag");
                if (c.get("image") != null && c.get("resources") == null) problems.add(id + " container " + c.get("name") + " has no resources");
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void theBaseRendersOnItsOwnAndEveryOverlayIsDifferent() {
        Manifests base = Manifests.parse("base", Kustomize.render(Repo.k8s().resolve("base")));
        assertThat(base.ofKind("FlinkDeployment")).hasSize(4);
        Set<String> seen = new HashSet<>();
        for (String overlay : overlays()) assertThat(seen.add(Kustomize.render(Repo.overlay(overlay)))).as(overlay).isTrue();
    }
}
