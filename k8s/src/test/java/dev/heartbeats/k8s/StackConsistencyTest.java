package dev.heartbeats.k8s;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.common.kafka.TopicLimits;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.pipeline.TableJobs;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.heartbeats.k8s.support.Manifests.at;
import static dev.heartbeats.k8s.support.Manifests.list;
import static dev.heartbeats.k8s.support.Manifests.map;
import static dev.heartbeats.k8s.support.Manifests.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The pieces of each overlay fit together: what the jobs connect to exists with those names and ports, every
 * Secret/ConfigMap/ServiceAccount reference resolves, object-storage paths agree, the PodMonitor finds the Flink
 * pods' metrics port, and the inline shell scripts parse.
 */
class StackConsistencyTest {
    static final String NAMESPACE = "heartbeats";
    /**
     * Secrets the overlays expect to exist (none is in the manifests): created by hand for prod, with random passwords
     * by k8s-deploy.sh for local; k8s-deploy.sh checks them. The pull secret is prod's only.
     */
    static final Set<String> EXTERNAL_SECRETS = Set.of("heartbeats-db-segments", "heartbeats-db-watch-time", "heartbeats-db-ad-impressions", "heartbeats-db-archive",
            "yugabytedb-admin", "heartbeats-object-storage", "heartbeats-registry", "heartbeats-grafana-db");

    /** Secrets the operators create: Strimzi one per KafkaUser and the cluster CA's certificate, cert-manager the YugabyteDB CA (the chart's). */
    static Set<String> operatorSecrets(Manifests m, String overlay) {
        Set<String> out = new TreeSet<>();
        m.ofKind("KafkaUser").forEach(u -> out.add(Manifests.name(u)));
        m.ofKind("Kafka").forEach(k -> out.add(Manifests.name(k) + "-cluster-ca-cert"));
        Map<String, Object> values = YugabyteValuesTest.effectiveValues(overlay);
        if (Boolean.TRUE.equals(at(values, "tls.enabled")) && Boolean.TRUE.equals(at(values, "tls.certManager.enabled"))
                && Boolean.TRUE.equals(values.get("oldNamingStyle"))) {
            out.add("yugabyte-ca");
        }
        return out;
    }

    static List<String> overlays() {
        return Repo.overlays();
    }

    /** --name value pairs of a FlinkDeployment's args. */
    static Map<String, String> args(Map<String, Object> fd) {
        Map<String, String> out = new LinkedHashMap<>();
        List<Object> a = list(at(fd, "spec.job.args"));
        for (int i = 0; i < a.size(); i++) {
            String s = a.get(i).toString();
            if (s.contains("=")) out.put(s.substring(0, s.indexOf('=')), s.substring(s.indexOf('=') + 1));
            else if (i + 1 < a.size() && !a.get(i + 1).toString().startsWith("--")) out.put(s, a.get(++i).toString());
            else out.put(s, "true");
        }
        return out;
    }

    static Map<String, Object> conf(Map<String, Object> fd) {
        return map(at(fd, "spec.flinkConfiguration"));
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void secretAndConfigMapReferencesResolve(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Set<String>> secrets = new LinkedHashMap<>();
        m.ofKind("Secret").forEach(s -> {
            Set<String> keys = new TreeSet<>(map(s.get("data")).keySet());
            keys.addAll(map(s.get("stringData")).keySet());
            secrets.put(Manifests.name(s), keys);
        });
        Set<String> configMaps = new HashSet<>();
        m.ofKind("ConfigMap").forEach(c -> configMaps.add(Manifests.name(c)));
        List<String> problems = new ArrayList<>();
        Set<String> fromOperators = operatorSecrets(m, overlay);
        for (Map<String, Object> r : m.resources) {
            Manifests.walk(r, node -> {
                if (node.get("secret") instanceof Map<?, ?> ref && ref.get("name") != null && !fromOperators.contains(str(ref, "name"))) {
                    secretRef(overlay, Manifests.id(r), str(ref, "name"), null, secrets, problems); // a projected volume's source
                }
                if (node.get("secretKeyRef") instanceof Map<?, ?> ref) secretRef(overlay, Manifests.id(r), str(ref, "name"), str(ref, "key"), secrets, problems);
                if (node.get("secretRef") instanceof Map<?, ?> ref) secretRef(overlay, Manifests.id(r), str(ref, "name"), null, secrets, problems);
                if (node.get("secret") instanceof Map<?, ?> ref && ref.get("secretName") != null && !fromOperators.contains(str(ref, "secretName"))) {
                    secretRef(overlay, Manifests.id(r), str(ref, "secretName"), null, secrets, problems);
                }
                for (Object ref : list(node.get("imagePullSecrets"))) secretRef(overlay, Manifests.id(r), str(ref, "name"), null, secrets, problems);
                for (String k : List.of("configMapKeyRef", "configMapRef", "configMap")) {
                    if (node.get(k) instanceof Map<?, ?> ref && ref.get("name") != null && !configMaps.contains(str(ref, "name"))) {
                        problems.add(Manifests.id(r) + " uses ConfigMap " + str(ref, "name") + ", which the overlay does not create");
                    }
                }
            });
        }
        // The YugabyteDB release reads the superuser's password from a Secret of the overlay (chart key ysqlPassword).
        Map<String, Object> values = YugabyteValuesTest.values(overlay);
        secretRef(overlay, "yugabyte-values.yaml", str(values, "authCredentials.ysql.passwordSecretName"), "ysqlPassword", secrets, problems);
        assertThat(problems).isEmpty();
        assertThat(secrets).as("no Secret (and so no password) in the manifests of overlays/" + overlay).isEmpty();
        // The overlays rely on the Secrets k8s-deploy.sh checks for (and creates for local): the same list.
        Matcher list = Pattern.compile("(?m)^secrets=\\(([^)]+)\\)").matcher(Repo.read(Repo.root().resolve("scripts/k8s-deploy.sh")));
        assertThat(list.find()).isTrue();
        Set<String> checked = new TreeSet<>(List.of(list.group(1).trim().split("\\s+")));
        checked.add("heartbeats-registry");
        assertThat(checked).isEqualTo(new TreeSet<>(EXTERNAL_SECRETS));
    }

    private static void secretRef(String overlay, String who, String name, String key, Map<String, Set<String>> secrets, List<String> problems) {
        if (secrets.containsKey(name)) {
            if (key != null && !secrets.get(name).contains(key)) problems.add(who + " uses key " + key + " of Secret " + name + ", which has " + secrets.get(name));
        } else if (!secrets.isEmpty() || !EXTERNAL_SECRETS.contains(name)) {
            problems.add(who + " uses Secret " + name + ", which overlays/" + overlay + " neither creates nor lists as external");
        }
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void flinkServiceAccountAndRbac(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            String sa = str(fd, "spec.serviceAccount");
            assertThat(m.has("ServiceAccount", sa)).as(Manifests.id(fd) + " runs as " + sa).isTrue();
            Map<String, Object> binding = m.ofKind("RoleBinding").stream()
                    .filter(b -> list(b.get("subjects")).stream().anyMatch(s -> sa.equals(str(s, "name")))).findFirst()
                    .orElseThrow(() -> new AssertionError("no RoleBinding for " + sa));
            for (Object s : list(binding.get("subjects"))) {
                assertThat(str(s, "namespace")).as("RoleBinding subject namespace").isEqualTo(str(fd, "metadata.namespace"));
            }
            assertThat(m.has("Role", str(binding, "roleRef.name"))).isTrue();
        }
    }

    /**
     * The deploy identity's Role: what scripts/ci-upgrade.sh calls (apply and read FlinkDeployments, read each
     * JobManager Deployment by name, the service proxy to their REST API) and nothing that reads Secrets or deletes.
     */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void theDeployerRoleIsLeastPrivilege(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Object> role = m.get("Role", "heartbeats-deployer");
        Map<String, Set<String>> verbsByResource = new LinkedHashMap<>();
        for (Object rule : list(role.get("rules"))) {
            for (Object res : list(at(rule, "resources"))) {
                verbsByResource.computeIfAbsent(res.toString(), k -> new TreeSet<>()).addAll(list(at(rule, "verbs")).stream().map(Object::toString).toList());
                if (res.toString().equals("deployments")) {
                    assertThat(list(at(rule, "resourceNames"))).as("only the JobManager Deployments, by name")
                            .containsExactlyInAnyOrderElementsOf(m.ofKind("FlinkDeployment").stream().map(Manifests::name).toList());
                }
            }
        }
        assertThat(verbsByResource.keySet()).containsExactlyInAnyOrder("flinkdeployments", "flinkstatesnapshots", "deployments", "services/proxy", "events");
        assertThat(verbsByResource.get("flinkdeployments")).containsExactlyInAnyOrder("get", "list", "watch", "create", "patch", "update");
        assertThat(verbsByResource.get("deployments")).containsExactly("get");
        assertThat(verbsByResource.get("services/proxy")).containsExactly("get");
        verbsByResource.values().forEach(v -> assertThat(v).doesNotContain("delete", "deletecollection", "*"));
        Map<String, Object> binding = m.get("RoleBinding", "heartbeats-deployer");
        assertThat(str(binding, "roleRef.name")).isEqualTo("heartbeats-deployer");
        assertThat(list(binding.get("subjects"))).extracting(x -> str(x, "kind") + "/" + str(x, "name")).containsExactly("Group/heartbeats-deployers");
        // What the script does with kubectl is what the Role allows.
        String script = Repo.read(Repo.root().resolve("scripts/ci-upgrade.sh"));
        assertThat(script).contains("get flinkdeployment \"$1\" -o json", "k get deployment \"$d\" -o json", "k apply -f -",
                "get --raw \"/api/v1/namespaces/$namespace/services/$1-rest:8081/proxy$2\"").doesNotContain("get secret", "k delete ", "KUBECTL\" delete");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void jobsReachKafkaAndItsTopics(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        List<Map<String, Object>> kafkas = m.ofKind("Kafka");
        assertThat(kafkas).hasSize(1);
        Map<String, Object> kafka = kafkas.get(0);
        String cluster = Manifests.name(kafka);
        // One listener, TLS with SCRAM logins: nothing reaches Kafka in plain text or without credentials.
        List<Object> listeners = list(at(kafka, "spec.kafka.listeners"));
        assertThat(listeners).hasSize(1);
        assertThat(at(listeners.get(0), "tls")).isEqualTo(true);
        assertThat(str(listeners.get(0), "authentication.type")).isEqualTo("scram-sha-512");
        assertThat(str(kafka, "spec.kafka.authorization.type")).isEqualTo("simple");
        Object tlsPort = at(listeners.get(0), "port");
        for (Map<String, Object> pool : m.ofKind("KafkaNodePool")) {
            assertThat(map(at(pool, "metadata.labels")).get("strimzi.io/cluster")).isEqualTo(cluster);
        }
        Map<String, Object> topicsByName = new LinkedHashMap<>();
        for (Map<String, Object> t : m.ofKind("KafkaTopic")) {
            assertThat(map(at(t, "metadata.labels")).get("strimzi.io/cluster")).as(Manifests.id(t)).isEqualTo(cluster);
            String topic = str(t, "spec.topicName") != null ? str(t, "spec.topicName") : Manifests.name(t);
            topicsByName.put(topic, t);
            assertThat(((Number) at(t, "spec.replicas")).intValue()).as(Manifests.id(t) + " replicas vs nodes")
                    .isLessThanOrEqualTo(m.ofKind("KafkaNodePool").stream().mapToInt(p -> ((Number) at(p, "spec.replicas")).intValue()).sum());
            assertThat(map(at(t, "spec.config"))).containsKey("retention.ms");
        }
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, String> a = args(fd);
            assertThat(a.get("--bootstrap-servers")).as(Manifests.id(fd)).isEqualTo(cluster + "-kafka-bootstrap:" + tlsPort);
            for (String topicArg : List.of("--input-topic", "--dlq-topic", "--late-topic")) {
                assertThat(topicsByName).as(Manifests.id(fd) + " " + topicArg).containsKey(a.get(topicArg));
            }
        }
        assertThat(map(at(kafka, "spec.kafka.config")).get("auto.create.topics.enable")).isEqualTo(false);
    }

    /**
     * The topics' size limits are the ones the embedded broker of the local run and the tests gives its topics
     * ({@link TopicLimits}, which EmbeddedKafkaTest checks on a running broker), and each job's dead letters
     * ({@code --dead-letter-max-bytes} with their headers) fit its dead-letter and late topics: one that does not
     * would fail the job in a loop.
     */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void topicSizeLimitsAreTheEmbeddedOnesAndDeadLettersFit(String overlay) throws Exception {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Map<String, Object>> topics = new LinkedHashMap<>();
        for (Map<String, Object> t : m.ofKind("KafkaTopic")) topics.put(str(t, "spec.topicName") != null ? str(t, "spec.topicName") : Manifests.name(t), t);
        Object brokerDefault = map(at(m.ofKind("Kafka").get(0), "spec.kafka.config")).get("message.max.bytes");
        assertThat(brokerDefault).as("the brokers keep Kafka's default, as the embedded one").isNull();
        int jobs = 0;
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            JobLauncher.Job job = (JobLauncher.Job) Class.forName(str(fd, "spec.job.entryClass")).getDeclaredConstructor().newInstance();
            JobConfig cfg = job.parse(dev.heartbeats.k8s.support.JobArgs.localArgs(fd,
                    list(at(fd, "spec.job.args")).stream().map(Object::toString).toList()).toArray(String[]::new));
            assertThat(topicConfig(topics, cfg.inputTopic, fd)).as(Manifests.id(fd) + " input topic " + cfg.inputTopic)
                    .containsAllEntriesOf(TopicLimits.inputTopicConfig());
            for (String topic : List.of(cfg.dlqTopic, cfg.lateTopic)) {
                Map<String, String> conf = topicConfig(topics, topic, fd);
                assertThat(conf).as(Manifests.id(fd) + " topic " + topic).containsAllEntriesOf(TopicLimits.deadLetterTopicConfig());
                assertThat(DeadLetterSerializer.messageBytesNeeded(cfg.deadLetterMaxBytes))
                        .as(Manifests.id(fd) + ": dead letters of --dead-letter-max-bytes " + cfg.deadLetterMaxBytes + " fit " + topic)
                        .isLessThanOrEqualTo(Integer.parseInt(conf.get("max.message.bytes")));
            }
            jobs++;
        }
        assertThat(jobs).as("FlinkDeployments in overlays/" + overlay).isEqualTo(4);
    }

    private static Map<String, String> topicConfig(Map<String, Map<String, Object>> topics, String topic, Map<String, Object> fd) {
        Map<String, Object> t = topics.get(topic);
        assertThat(t).as(Manifests.id(fd) + ": KafkaTopic " + topic).isNotNull();
        Map<String, String> out = new LinkedHashMap<>();
        map(at(t, "spec.config")).forEach((k, v) -> out.put(k, String.valueOf(v)));
        return out;
    }

    /**
     * The hourly totals of the Table API jobs expire by wall-clock TTL; a job resumed after a long stop replays
     * heartbeats up to the input topic's retention old, so the TTL must outlast that (TableJobs; the job checks it
     * again against the broker at start).
     */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void hourlyTotalsOutliveTheInputTopicsRetention(String overlay) throws Exception {
        Manifests m = Kustomize.renderOverlay(overlay);
        int checked = 0;
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Object job = Class.forName(str(fd, "spec.job.entryClass")).getDeclaredConstructor().newInstance();
            if (!(job instanceof TableJobs.HourlyTotalsJob totals)) continue;
            JobConfig cfg = totals.parse(dev.heartbeats.k8s.support.JobArgs.localArgs(fd,
                    list(at(fd, "spec.job.args")).stream().map(Object::toString).toList()).toArray(String[]::new));
            Map<String, Object> topic = m.ofKind("KafkaTopic").stream()
                    .filter(t -> cfg.inputTopic.equals(str(t, "spec.topicName") != null ? str(t, "spec.topicName") : Manifests.name(t)))
                    .findFirst().orElseThrow(() -> new AssertionError(Manifests.id(fd) + ": no KafkaTopic " + cfg.inputTopic));
            long retentionMs = Long.parseLong(map(at(topic, "spec.config")).get("retention.ms").toString());
            assertThat(TableJobs.stateTtlProblem(totals, cfg, retentionMs)).as(Manifests.id(fd)).isNull();
            checked++;
        }
        assertThat(checked).as("Table API jobs in overlays/" + overlay).isEqualTo(2);
    }

    /**
     * The jobs reach YSQL as their own roles over TLS (verify-full against the chart's CA, by a host name the chart's
     * certificates carry); the schema Job migrates that database with the image's schema tool as the superuser and sets
     * each role's password from the Secret the job mounts; each JobManager waits for the schema as its job's role.
     */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void jobsReachYugabyteDbOverTlsAsTheirRolesTheSchemaJobMigratesIt(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Object> values = YugabyteValuesTest.effectiveValues(overlay);
        assertThat(values.get("oldNamingStyle")).as("services named yb-masters/yb-tservers, without the release name").isEqualTo(true);
        assertThat(at(values, "tls.enabled")).as("TLS on in the chart").isEqualTo(true);
        assertThat(at(values, "tls.clientToServer")).isEqualTo(true);
        assertThat(at(values, "tls.certManager.enabled")).as("cert-manager issues the CA of Secret yugabyte-ca").isEqualTo(true);
        Map<String, Object> tservers = list(values.get("Services")).stream().map(Manifests::map)
                .filter(svc -> "yb-tservers".equals(svc.get("name"))).findFirst().orElseThrow();
        int ysqlPort = Integer.parseInt(str(tservers, "ports.tcp-ysql-port"));
        // A name of the chart's server certificates (one per pod: <pod>.<service>.<namespace>.svc.<domain>).
        String host = "yb-tserver-0.yb-tservers." + NAMESPACE + ".svc." + str(values, "domainName");

        Map<String, Object> schemaJob = m.get("Job", "heartbeats-schema");
        Map<String, Object> migrate = Manifests.containers(schemaJob).get(0);
        List<String> schemaArgs = list(migrate.get("args")).stream().map(Object::toString).toList();
        String image = str(m.ofKind("FlinkDeployment").get(0), "spec.image");
        assertThat(migrate.get("image")).as("the schema tool is the jobs' image's").isEqualTo(image);
        assertThat(list(migrate.get("command")).toString()).contains("/opt/heartbeats/heartbeat-schema.jar", "dev.heartbeats.schema.SchemaTool");
        assertThat(schemaArgs.get(0)).isEqualTo("migrate");
        String schemaUrl = JobArgsValue.of(schemaArgs, "--jdbc-url");
        URI url = URI.create(schemaUrl.substring("jdbc:".length()));
        assertThat(url.getScheme()).isEqualTo("yugabytedb");
        assertThat(url.getHost()).isEqualTo(host);
        assertThat(url.getPort()).isEqualTo(ysqlPort);
        assertThat(url.getPath()).isEqualTo("/heartbeats");
        assertThat(JobArgsValue.of(schemaArgs, "--jdbc-user")).as("the migrations create roles: the superuser runs them").isEqualTo("yugabyte");
        assertThat(JobArgsValue.of(schemaArgs, "--jdbc-ssl-mode")).isEqualTo("verify-full");
        assertThat(schemaArgs).contains("--create-database");
        Map<String, String> roleFiles = new LinkedHashMap<>();
        for (int i = 0; i + 1 < schemaArgs.size(); i++) {
            if (schemaArgs.get(i).equals("--role-password-file")) roleFiles.put(schemaArgs.get(i + 1).split("=")[0], schemaArgs.get(i + 1).split("=")[1]);
        }
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            String job = Manifests.name(fd);
            Map<String, String> a = args(fd);
            assertThat(a.get("--jdbc-url")).as(Manifests.id(fd)).isEqualTo(schemaUrl);
            assertThat(a).as(Manifests.id(fd) + ": the job's own role (the default), never the superuser").doesNotContainKey("--jdbc-user");
            assertThat(a.get("--jdbc-ssl-mode")).isEqualTo("verify-full");
            assertThat(a.get("--jdbc-ssl-root-cert")).isEqualTo("/etc/heartbeats/db-ca/ca.crt");
            assertThat(a.get("--jdbc-password-file")).isEqualTo("/etc/heartbeats/db/password");
            assertThat(volume(fd, "db-password")).as(job).isEqualTo("heartbeats-db-" + job);
            assertThat(volume(fd, "db-ca")).isEqualTo("yugabyte-ca");
            // The schema Job sets that role's password from the same Secret.
            assertThat(roleFiles).as("--role-password-file of the schema Job").containsKey(job);
            assertThat(projectedSource(schemaJob, roleFiles.get(job))).isEqualTo("heartbeats-db-" + job);
            // The JobManager waits for the schema as the job's role, with the schema tool's check.
            Map<String, Object> wait = list(at(fd, "spec.jobManager.podTemplate.spec.initContainers")).stream().map(Manifests::map)
                    .filter(c -> "wait-for-schema".equals(c.get("name"))).findFirst().orElseThrow();
            List<String> waitArgs = list(wait.get("args")).stream().map(Object::toString).toList();
            assertThat(waitArgs.get(0)).isEqualTo("check");
            assertThat(wait.get("image")).isEqualTo(image);
            assertThat(JobArgsValue.of(waitArgs, "--jdbc-url")).isEqualTo(schemaUrl);
            assertThat(JobArgsValue.of(waitArgs, "--jdbc-user")).isEqualTo("$(JOB_ROLE)");
            assertThat(list(wait.get("env")).stream().map(Manifests::map).filter(e -> "JOB_ROLE".equals(e.get("name"))).findFirst().orElseThrow().get("value"))
                    .isEqualTo(dev.heartbeats.common.tables.Schema.jobRole(job));
            assertThat(JobArgsValue.of(waitArgs, "--jdbc-password-file")).isEqualTo(a.get("--jdbc-password-file"));
        }
        assertThat(roleFiles.keySet()).containsExactlyInAnyOrder("segments", "watch-time", "ad-impressions", "archive");
    }

    /** The Secret behind a volume of a FlinkDeployment's pods. */
    static String volume(Map<String, Object> fd, String name) {
        return list(at(fd, "spec.podTemplate.spec.volumes")).stream().map(Manifests::map).filter(v -> name.equals(v.get("name")))
                .map(v -> str(v, "secret.secretName")).findFirst().orElse(null);
    }

    /** The Secret whose key the schema Job's projected volume puts at {@code file}. */
    static String projectedSource(Map<String, Object> job, String file) {
        String name = file.substring(file.lastIndexOf('/') + 1);
        for (Object v : list(at(job, "spec.template.spec.volumes"))) {
            for (Object src : list(at(v, "projected.sources"))) {
                for (Object item : list(at(src, "secret.items"))) if (name.equals(str(item, "path"))) return str(src, "secret.name");
            }
        }
        return null;
    }

    /** The value of the last occurrence of a setting. */
    static final class JobArgsValue {
        static String of(List<String> args, String name) {
            String v = null;
            for (int i = 0; i + 1 < args.size(); i++) if (args.get(i).equals(name)) v = args.get(i + 1);
            return v;
        }
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void theKafkaVersionIsOneStrimziSupports(String overlay) {
        Map<String, Object> kafka = Kustomize.renderOverlay(overlay).ofKind("Kafka").get(0);
        String version = str(kafka, "spec.kafka.version");
        List<Map<String, Object>> supported = new ArrayList<>();
        for (Object v : new org.yaml.snakeyaml.Yaml().loadAs(Repo.read(Repo.k8s().resolve("crds/strimzi-1.2.0/kafka-versions.yaml")), List.class)) {
            if (Boolean.TRUE.equals(map(v).get("supported"))) supported.add(map(v));
        }
        assertThat(supported).extracting(v -> String.valueOf(v.get("version"))).as("Kafka versions Strimzi 1.2.0 supports").contains(version);
        // The brokers run the line of the jobs' kafka-clients (root pom kafka.version).
        String clients = Repo.rootPomProperty("kafka.version");
        assertThat(version.substring(0, version.lastIndexOf('.'))).isEqualTo(clients.substring(0, clients.lastIndexOf('.')));
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void objectStoragePathsAgree(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Set<String> buckets = new TreeSet<>();
        Set<String> prefixes = new HashSet<>();
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, Object> conf = conf(fd);
            // Runtime settings have one owner, the Flink configuration: the job's arguments carry none.
            assertThat(args(fd).keySet()).as(Manifests.id(fd) + ": Flink runtime settings belong in flinkConfiguration, not in job.args")
                    .noneMatch(a -> a.startsWith("--checkpoint") || a.startsWith("--state-backend") || a.startsWith("--parallelism"));
            for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir", "high-availability.storageDir")) {
                URI uri = URI.create((String) conf.get(key));
                assertThat(uri.getScheme()).as(Manifests.id(fd) + " " + key).isEqualTo("s3");
                buckets.add(uri.getHost());
                assertThat(prefixes.add(uri.getPath())).as(Manifests.id(fd) + " " + key + " is not shared with another job or key").isTrue();
                assertThat(uri.getPath()).endsWith("/" + Manifests.name(fd));
            }
        }
        assertThat(buckets).as("one bucket for all jobs (k8s-deploy.sh --bucket rewrites it)").hasSize(1);
        if (m.has("Deployment", "minio")) {
            String bucket = buckets.iterator().next();
            assertThat(Manifests.containers(m.get("Job", "minio-bucket")).get(0).get("args").toString()).contains("local/" + bucket);
            Map<String, Object> svc = m.get("Service", "minio");
            Object apiPort = list(at(svc, "spec.ports")).stream().filter(p -> "api".equals(str(p, "name"))).map(p -> at(p, "port")).findFirst().orElseThrow();
            for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
                assertThat(conf(fd).get("s3.endpoint")).isEqualTo("http://minio:" + apiPort);
                assertThat(conf(fd).get("s3.path.style.access")).isEqualTo("true");
            }
        }
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void thePodMonitorFindsTheMetricsPortOfEveryFlinkPod(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Object> pm = m.ofKind("PodMonitor").get(0);
        Map<String, Object> match = map(at(pm, "spec.selector.matchLabels"));
        String port = str(list(at(pm, "spec.podMetricsEndpoints")).get(0), "port");
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, Object> podLabels = map(at(fd, "spec.podTemplate.metadata.labels"));
            Map<String, Object> main = list(at(fd, "spec.podTemplate.spec.containers")).stream().map(Manifests::map)
                    .filter(c -> "flink-main-container".equals(c.get("name"))).findFirst().orElseThrow();
            Object containerPort = list(main.get("ports")).stream().filter(p -> port.equals(str(p, "name"))).map(p -> at(p, "containerPort"))
                    .findFirst().orElseThrow(() -> new AssertionError(Manifests.id(fd) + " has no container port named " + port));
            assertThat(String.valueOf(containerPort)).isEqualTo(conf(fd).get("metrics.reporter.prom.port"));
            for (String component : List.of("jobManager", "taskManager")) {
                Map<String, Object> labels = new LinkedHashMap<>(podLabels);
                labels.putAll(map(at(fd, "spec." + component + ".podTemplate.metadata.labels")));
                assertThat(labels).as(Manifests.id(fd) + " " + component + " pod labels").containsAllEntriesOf(match)
                        .containsKeys("app.kubernetes.io/name", "app.kubernetes.io/part-of", "app.kubernetes.io/component");
                for (Object expr : list(at(pm, "spec.selector.matchExpressions"))) {
                    assertThat(list(at(expr, "values"))).contains(labels.get(str(expr, "key")));
                }
            }
        }
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void inlineShellScriptsParse(String overlay) throws Exception {
        Manifests m = Kustomize.renderOverlay(overlay);
        int scripts = 0;
        for (Map<String, Object> r : m.resources) {
            for (Map<String, Object> c : Manifests.containers(r)) {
                List<Object> command = list(c.get("command"));
                if (command.size() == 2 && "-c".equals(command.get(1)) && command.get(0).toString().matches("/bin/(ba)?sh")) {
                    String shell = command.get(0).toString().endsWith("bash") ? "bash" : "sh";
                    String script = list(c.get("args")).get(0).toString();
                    Path f = Files.createTempFile("inline", ".sh");
                    Files.writeString(f, script);
                    Process p = new ProcessBuilder(shell, "-n", f.toString()).redirectErrorStream(true).start();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
                    assertThat(p.exitValue()).as(Manifests.id(r) + " container " + c.get("name") + ": " + shell + " -n: " + out).isZero();
                    Files.delete(f);
                    scripts++;
                }
            }
        }
        assertThat(scripts).as("inline scripts (MinIO's bucket Job)").isEqualTo(overlay.equals("local") ? 1 : 0);
    }

}
