package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import dev.heartbeats.k8s.support.Yaml;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.heartbeats.k8s.support.Manifests.at;
import static dev.heartbeats.k8s.support.Manifests.map;
import static dev.heartbeats.k8s.support.Manifests.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The YugabyteDB Helm values of each overlay (overlays/<env>/yugabyte-values.yaml) against the chart's own values.yaml
 * (k8s/charts/yugabyte-2026.1.0): every key must exist there (Helm would silently ignore a misspelt one) with the same
 * shape, except below maps the chart leaves open ({}); and the sizing each overlay promises.
 */
class YugabyteValuesTest {
    static final String CHART_VERSION = "2026.1.0";
    static final Path CHART = Repo.k8s().resolve("charts/yugabyte-" + CHART_VERSION);

    static List<String> overlays() {
        return Repo.overlays();
    }

    static Map<String, Object> chartValues() {
        return Yaml.load(Repo.read(CHART.resolve("values.yaml")));
    }

    static Map<String, Object> values(String overlay) {
        return Yaml.load(Repo.read(Repo.overlay(overlay).resolve("yugabyte-values.yaml")));
    }

    /** The chart's values with the overlay's on top, as Helm merges them (maps deeply, everything else replaced). */
    static Map<String, Object> effectiveValues(String overlay) {
        Map<String, Object> out = chartValues();
        merge(out, values(overlay));
        return out;
    }

    private static void merge(Map<String, Object> base, Map<String, Object> over) {
        over.forEach((k, v) -> {
            if (base.get(k) instanceof Map<?, ?> b && v instanceof Map<?, ?> o) merge(map(b), map(o));
            else base.put(k, v);
        });
    }

    /** Every key of {@code values} that the chart's values.yaml does not have, or has with another shape. */
    static List<String> unknownKeys(Map<String, Object> values, Map<String, Object> chart) {
        List<String> out = new ArrayList<>();
        walk("", values, chart, out);
        return out;
    }

    private static void walk(String path, Map<String, Object> values, Map<String, Object> chart, List<String> out) {
        for (Map.Entry<String, Object> e : values.entrySet()) {
            String key = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
            if (!chart.containsKey(e.getKey())) {
                out.add(key + ": not a value of the chart (k8s/charts/yugabyte-" + CHART_VERSION + "/values.yaml)");
                continue;
            }
            Object c = chart.get(e.getKey()), v = e.getValue();
            if (c instanceof Map<?, ?> cm) {
                if (!(v instanceof Map<?, ?> vm)) out.add(key + ": the chart has a map here, got " + v);
                else if (!cm.isEmpty()) walk(key, map(vm), map(cm), out); // an empty map in the chart is free-form
            } else if (c instanceof List<?> && !(v instanceof List<?>)) {
                out.add(key + ": the chart has a list here, got " + v);
            } else if (!(c instanceof Map<?, ?>) && !(c instanceof List<?>) && (v instanceof Map<?, ?> || v instanceof List<?>)) {
                out.add(key + ": the chart has a single value here, got " + v);
            }
        }
    }

    @Test
    void theChartCopyIsTheVersionTheDeployScriptInstalls() {
        assertThat(Repo.read(CHART.resolve("Chart.yaml"))).contains("name: yugabyte\n", "version: " + CHART_VERSION + "\n");
        String deploy = Repo.read(Repo.root().resolve("scripts/k8s-deploy.sh"));
        assertThat(deploy).contains("yugabyte_chart_version=\"" + CHART_VERSION + "\"",
                "run helm upgrade --install yugabyte yugabyte --repo \"$yugabyte_repo\" --version \"$yugabyte_chart_version\"",
                "-f \"$overlay/yugabyte-values.yaml\"", "yugabyte_repo=\"https://charts.yugabyte.com\"");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyKeyIsAKeyOfTheChart(String overlay) {
        assertThat(unknownKeys(values(overlay), chartValues())).isEmpty();
    }

    @Test
    void misspeltOrMisshapenKeysAreFound() {
        Map<String, Object> broken = Yaml.load("""
                replicas: {masters: 1}
                resource: {tserver: {requests: {cpu: 1}}}
                storage: 5Gi
                gflags: {tserver: {anything_goes_here: true}}
                tserver: {affinity: {podAntiAffinity: {}}}
                Services: {name: yb-tservers}
                """);
        assertThat(unknownKeys(broken, chartValues())).containsExactly(
                "replicas.masters: not a value of the chart (k8s/charts/yugabyte-" + CHART_VERSION + "/values.yaml)",
                "storage: the chart has a map here, got 5Gi",
                "Services: the chart has a list here, got {name=yb-tservers}");
    }

    @Test
    void localIsOneMasterAndOneTserver() {
        Map<String, Object> v = effectiveValues("local");
        assertThat(at(v, "replicas.master")).isEqualTo(1);
        assertThat(at(v, "replicas.tserver")).isEqualTo(1);
        assertThat(at(v, "replicas.totalMasters")).isEqualTo(1);
        assertThat(at(v, "enableLoadBalancer")).isEqualTo(false);
    }

    @Test
    void prodIsReplicationFactorThreeWithResourcesAntiAffinityAndStorage() {
        Map<String, Object> v = effectiveValues("prod");
        assertThat(at(v, "replicas.master")).as("RF = masters (not multi-AZ)").isEqualTo(3);
        assertThat(at(v, "isMultiAz")).isEqualTo(false);
        assertThat((Integer) at(v, "replicas.tserver")).isGreaterThanOrEqualTo(3);
        assertThat(str(v, "resource.tserver.requests.cpu")).isEqualTo("8");
        assertThat(str(v, "storage.tserver.size")).isEqualTo("500Gi");
        for (String role : List.of("master", "tserver")) {
            Object term = Manifests.list(at(v, role + ".affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution")).get(0);
            assertThat(str(term, "topologyKey")).isEqualTo("kubernetes.io/hostname");
            assertThat(Manifests.list(at(term, "labelSelector.matchExpressions"))).extracting(e -> str(e, "values"))
                    .containsExactly("[yb-" + role + "]");
        }
        assertThat(at(v, "enableLoadBalancer")).isEqualTo(false);
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void authenticationIsOnWithThePasswordFromASecret(String overlay) {
        Map<String, Object> v = effectiveValues(overlay);
        assertThat(at(v, "gflags.tserver.ysql_enable_auth")).isEqualTo(true);
        assertThat(str(v, "authCredentials.ysql.passwordSecretName")).isEqualTo("yugabytedb-admin");
        assertThat(str(v, "authCredentials.ysql.password")).as("no password in the values file").isEmpty();
        // The chart turns the memory limit into a flag and needs whole Gi (see its values.yaml).
        for (String role : List.of("master", "tserver")) {
            assertThat(str(v, "resource." + role + ".limits.memory")).matches("\\d+Gi");
        }
        assertThat(new LinkedHashMap<>(map(v.get("commonLabels")))).containsEntry("app.kubernetes.io/part-of", "heartbeat-sessions");
    }
}
