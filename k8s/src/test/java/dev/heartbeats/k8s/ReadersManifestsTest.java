package dev.heartbeats.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import dev.heartbeats.k8s.support.Yaml;
import dev.heartbeats.schema.maintenance.CatalogCommand;
import dev.heartbeats.schema.maintenance.Retention;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.heartbeats.k8s.support.Manifests.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the readers' work adds to the overlays: the maintenance CronJobs run an existing main class of the tool jar
 * with arguments its own parser accepts and the password from the Secret; the business dashboard's panels all read
 * the provisioned PostgreSQL data source, whose password is read from a mounted file, never written inline.
 */
class ReadersManifestsTest {
    static List<String> overlays() {
        return Repo.overlays();
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    @SuppressWarnings("unchecked")
    void theMaintenanceCronJobsRunTheToolWithArgumentsItAccepts(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, List<Option<?>>> byClass = Map.of(
                CatalogCommand.class.getName(), CatalogCommand.OPTIONS,
                Retention.class.getName(), Retention.options());
        for (String name : List.of("heartbeats-reattribute", "heartbeats-retention")) {
            Map<String, Object> cron = m.get("CronJob", name);
            assertThat(at(cron, "spec.concurrencyPolicy")).as(name).isEqualTo("Forbid");
            List<Map<String, Object>> containers = Manifests.containers(cron);
            assertThat(containers).as(name).hasSize(1);
            Map<String, Object> c = containers.get(0);
            List<String> command = new ArrayList<>((List<String>) c.get("command"));
            assertThat(command).as(name).contains("/opt/heartbeats/heartbeat-schema.jar:/opt/flink/lib/*");
            String mainClass = command.get(command.size() - 1);
            assertThat(byClass).as("%s runs a maintenance command's main class", name).containsKey(mainClass);
            List<String> args = (List<String>) c.get("args");
            Settings s = Settings.parse(args.toArray(String[]::new), byClass.get(mainClass)); // throws on a bad argument
            assertThat(s).isNotNull();
            assertThat(String.join(" ", args)).as(name)
                    .contains("--jdbc-url jdbc:yugabytedb://yb-tserver-0.yb-tservers.heartbeats.svc.cluster.local:5433/heartbeats")
                    .contains("--jdbc-ssl-mode verify-full --jdbc-ssl-root-cert /etc/heartbeats/db-ca/ca.crt");
            // The password from a file of a mounted Secret, never in the arguments or the environment.
            assertThat(c.get("env")).as(name).isNull();
            String passwordFile = args.get(args.indexOf("--jdbc-password-file") + 1);
            String secret = null;
            for (Object mount : (List<Object>) c.get("volumeMounts")) {
                if (passwordFile.startsWith(Manifests.str(mount, "mountPath") + "/")) {
                    for (Object v : (List<Object>) at(cron, "spec.jobTemplate.spec.template.spec.volumes")) {
                        if (Manifests.str(v, "name").equals(Manifests.str(mount, "name"))) secret = Manifests.str(v, "secret.secretName");
                    }
                }
            }
            assertThat(secret).as("%s: the Secret mounted at %s", name, passwordFile)
                    .isEqualTo(name.equals("heartbeats-reattribute") ? "heartbeats-db-watch-time" : "yugabytedb-admin");
        }
        List<String> reattribute = (List<String>) Manifests.containers(m.get("CronJob", "heartbeats-reattribute")).get(0).get("args");
        assertThat(reattribute).as("the CronJob never loads the bundled sample catalog").contains("--reattribute-only");
    }

    @Test
    void everyBusinessPanelReadsTheProvisionedDataSourceWhosePasswordIsNeverInline() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(
                Repo.k8s().resolve("components/business-dashboard/dashboards/heartbeat-sessions-business.json")));
        Map<String, Object> datasource = Yaml.load(Files.readString(Repo.k8s().resolve("components/business-dashboard/datasource.yaml")));
        Map<String, Object> ds = ((List<Map<String, Object>>) at(datasource, "datasources")).get(0);
        assertThat(dashboard.get("panels")).hasSizeGreaterThanOrEqualTo(6);
        for (JsonNode panel : dashboard.get("panels")) {
            for (JsonNode target : panel.get("targets")) {
                assertThat(target.at("/datasource/uid").asText()).as(panel.get("title").asText()).isEqualTo(ds.get("uid"));
                assertThat(target.at("/datasource/type").asText()).isEqualTo(ds.get("type"));
                assertThat(target.get("rawSql").asText()).as("SQL of %s", panel.get("title").asText()).isNotBlank();
            }
        }
        assertThat(ds.get("type")).isEqualTo("grafana-postgresql-datasource");
        assertThat(String.valueOf(ds.get("url"))).isEqualTo("yb-tservers.heartbeats.svc:5433");
        assertThat(String.valueOf(at(ds, "secureJsonData.password"))).isEqualTo("$__file{/etc/secrets/heartbeats-grafana-db/password}");
        assertThat(ds).doesNotContainKey("password");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void theOverlaysProvisionTheDashboardAndTheDataSourceForGrafanasSidecars(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        assertThat(at(m.get("ConfigMap", "heartbeat-sessions-business-dashboard"), "metadata.labels.grafana_dashboard")).isEqualTo("1");
        assertThat(at(m.get("ConfigMap", "heartbeat-sessions-datasource"), "metadata.labels.grafana_datasource")).isEqualTo("1");
        assertThat(Yaml.dump(m.get("ConfigMap", "heartbeat-sessions-datasource"))).doesNotContain("heartbeats-local-reader");
    }
}
