package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.heartbeats.k8s.support.Manifests.at;
import static dev.heartbeats.k8s.support.Manifests.list;
import static dev.heartbeats.k8s.support.Manifests.map;
import static dev.heartbeats.k8s.support.Manifests.str;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16 on Kubernetes: every pod of the suite meets Pod Security "restricted" and the namespace holds it to that
 * (enforcing the closest level its third-party pods allow); Flink's REST API runs no uploaded code; each job logs in
 * to Kafka as its own KafkaUser whose ACLs are exactly what the job's settings need; the NetworkPolicies let only
 * the jobs and the schema Job reach the database and only the operator reach Flink's REST port.
 */
class SecurityManifestsTest {
    static List<String> overlays() {
        return Repo.overlays();
    }

    /** Every pod template of the suite's own workloads (FlinkDeployments, Jobs, Deployments) with where it is. */
    static Map<String, Map<String, Object>> podSpecs(Manifests m) {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) out.put(Manifests.id(fd), map(at(fd, "spec.podTemplate.spec")));
        for (String kind : List.of("Job", "Deployment")) {
            for (Map<String, Object> r : m.ofKind(kind)) out.put(Manifests.id(r), map(at(r, "spec.template.spec")));
        }
        return out;
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void everyPodMeetsPodSecurityRestricted(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> pod : podSpecs(m).entrySet()) {
            Map<String, Object> spec = pod.getValue();
            String id = pod.getKey();
            if (!Boolean.TRUE.equals(at(spec, "securityContext.runAsNonRoot"))) problems.add(id + ": securityContext.runAsNonRoot is not true");
            if (!"RuntimeDefault".equals(str(spec, "securityContext.seccompProfile.type"))) problems.add(id + ": no RuntimeDefault seccomp profile");
            for (String k : List.of("hostNetwork", "hostPID", "hostIPC")) if (Boolean.TRUE.equals(spec.get(k))) problems.add(id + ": " + k);
            for (Object v : list(spec.get("volumes"))) if (map(v).containsKey("hostPath")) problems.add(id + ": hostPath volume " + str(v, "name"));
        }
        for (Map<String, Object> r : m.resources) {
            if (!Set.of("FlinkDeployment", "Job", "Deployment").contains(Manifests.kind(r))) continue;
            for (Map<String, Object> c : Manifests.containers(r)) {
                String id = Manifests.id(r) + " container " + c.get("name");
                if (!Boolean.FALSE.equals(at(c, "securityContext.allowPrivilegeEscalation"))) problems.add(id + ": allowPrivilegeEscalation is not false");
                if (!list(at(c, "securityContext.capabilities.drop")).contains("ALL")) problems.add(id + ": capabilities not dropped (ALL)");
                if (!list(at(c, "securityContext.capabilities.add")).isEmpty()) problems.add(id + ": adds capabilities");
                if (!Boolean.TRUE.equals(at(c, "securityContext.readOnlyRootFilesystem"))) problems.add(id + ": root file system not read-only");
                if (Boolean.TRUE.equals(at(c, "securityContext.privileged"))) problems.add(id + ": privileged");
            }
        }
        // The Flink containers write only to their empty directories: /tmp (RocksDB, blobs) and the log directory.
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, String> mounts = new LinkedHashMap<>();
            for (Object vm : list(at(fd, "spec.podTemplate.spec.containers.0.volumeMounts"))) mounts.put(str(vm, "mountPath"), str(vm, "name"));
            Set<String> emptyDirs = new HashSet<>();
            for (Object v : list(at(fd, "spec.podTemplate.spec.volumes"))) if (map(v).containsKey("emptyDir")) emptyDirs.add(str(v, "name"));
            for (String path : List.of("/tmp", "/opt/flink/log")) {
                if (!emptyDirs.contains(mounts.get(path))) problems.add(Manifests.id(fd) + ": " + path + " is not an emptyDir (the root file system is read-only)");
            }
            if (!Integer.valueOf(9999).equals(at(fd, "spec.podTemplate.spec.securityContext.runAsUser"))) problems.add(Manifests.id(fd) + ": not Flink's user 9999");
        }
        assertThat(problems).isEmpty();

        Map<String, Object> labels = map(at(m.get("Namespace", "heartbeats"), "metadata.labels"));
        assertThat(labels).containsEntry("pod-security.kubernetes.io/warn", "restricted").containsEntry("pod-security.kubernetes.io/audit", "restricted")
                .as("the chart's YugabyteDB pods and Strimzi's Kafka pods allow baseline only").containsEntry("pod-security.kubernetes.io/enforce", "baseline");
    }

    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void flinksRestApiRunsNoUploadedCodeAndOnlyTheOperatorReachesIt(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, Object> conf = map(at(fd, "spec.flinkConfiguration"));
            assertThat(conf).as(Manifests.id(fd)).containsEntry("web.submit.enable", "false").containsEntry("web.cancel.enable", "false");
        }
        Map<String, Object> jm = m.get("NetworkPolicy", "flink-jobmanagers");
        assertThat(map(at(jm, "spec.podSelector.matchLabels"))).containsEntry("app.kubernetes.io/component", "jobmanager");
        List<String> restPeers = new ArrayList<>();
        for (Object rule : list(at(jm, "spec.ingress"))) {
            boolean rest = list(map(rule).get("ports")).stream().anyMatch(p -> Integer.valueOf(8081).equals(map(p).get("port")));
            if (!rest) continue;
            for (Object peer : list(map(rule).get("from"))) restPeers.add(String.valueOf(at(peer, "podSelector.matchLabels")));
            assertThat(list(map(rule).get("from"))).as("8081 from a named peer only").isNotEmpty();
            for (Object peer : list(map(rule).get("from"))) {
                assertThat(map(at(peer, "podSelector.matchLabels"))).containsEntry("app.kubernetes.io/name", "flink-kubernetes-operator");
                assertThat(map(at(peer, "namespaceSelector.matchLabels"))).containsEntry("kubernetes.io/metadata.name", "flink-operator");
            }
        }
        assertThat(restPeers).hasSize(1);
        // No other rule opens 8081 (a rule without ports opens every port).
        for (Object rule : list(at(jm, "spec.ingress"))) assertThat(list(map(rule).get("ports"))).as("every rule names its ports").isNotEmpty();
        assertThat(Repo.read(Repo.root().resolve("scripts/k8s-deploy.sh"))).as("where the operator is installed").contains("-n flink-operator");

        Map<String, Object> db = m.get("NetworkPolicy", "yugabytedb");
        List<Object> ysqlFrom = new ArrayList<>();
        for (Object rule : list(at(db, "spec.ingress"))) {
            if (list(map(rule).get("ports")).isEmpty()) {
                // the chart's own pods among themselves
                assertThat(list(map(rule).get("from"))).singleElement().satisfies(p -> assertThat(map(at(p, "podSelector.matchLabels"))).isEqualTo(Map.of("release", "yugabyte")));
            } else {
                assertThat(list(map(rule).get("ports"))).singleElement().satisfies(p -> assertThat(map(p).get("port")).isEqualTo(5433));
                ysqlFrom.addAll(list(map(rule).get("from")));
            }
        }
        assertThat(ysqlFrom.stream().map(p -> map(at(p, "podSelector.matchLabels"))).toList()).containsExactlyInAnyOrder(
                Map.of("app.kubernetes.io/part-of", "heartbeat-sessions", "app.kubernetes.io/component", "jobmanager"),
                Map.of("app.kubernetes.io/part-of", "heartbeat-sessions", "app.kubernetes.io/component", "taskmanager"),
                Map.of("app.kubernetes.io/name", "heartbeats-schema"),
                Map.of("app.kubernetes.io/part-of", "heartbeat-sessions", "app.kubernetes.io/component", "maintenance"),
                Map.of("app.kubernetes.io/name", "grafana"));
        assertThat(map(at(m.get("Job", "heartbeats-schema"), "spec.template.metadata.labels"))).containsEntry("app.kubernetes.io/name", "heartbeats-schema");
        for (String cronJob : List.of("heartbeats-reattribute", "heartbeats-retention")) {
            assertThat(map(at(m.get("CronJob", cronJob), "spec.jobTemplate.spec.template.metadata.labels"))).as(cronJob)
                    .containsEntry("app.kubernetes.io/part-of", "heartbeat-sessions").containsEntry("app.kubernetes.io/component", "maintenance");
        }
    }

    /** Each job's KafkaUser allows exactly what its settings use: read the input with its group, write its two topics. */
    @ParameterizedTest(name = "overlays/{0}")
    @MethodSource("overlays")
    void eachJobIsAKafkaUserWithOnlyTheAclsItsSettingsNeed(String overlay) {
        Manifests m = Kustomize.renderOverlay(overlay);
        Map<String, Map<String, Object>> users = new LinkedHashMap<>();
        m.ofKind("KafkaUser").forEach(u -> users.put(Manifests.name(u), u));
        Map<String, Object> kafka = m.ofKind("Kafka").get(0);
        for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
            Map<String, String> a = StackConsistencyTest.args(fd);
            String job = Manifests.name(fd);
            assertThat(a.get("--kafka-security-protocol")).isEqualTo("SASL_SSL");
            assertThat(a.get("--kafka-sasl-mechanism")).isEqualTo("SCRAM-SHA-512");
            String user = a.get("--kafka-sasl-user");
            assertThat(users).as(job + " logs in as " + user).containsKey(user);
            Map<String, Object> u = users.get(user);
            assertThat(map(at(u, "metadata.labels"))).containsEntry("strimzi.io/cluster", Manifests.name(kafka));
            assertThat(str(u, "spec.authentication.type")).isEqualTo("scram-sha-512");
            // The password file is the user's Secret (Strimzi names it after the user), the truststore the cluster CA.
            assertThat(a.get("--kafka-sasl-password-file")).isEqualTo("/etc/heartbeats/kafka-user/password");
            assertThat(StackConsistencyTest.volume(fd, "kafka-user")).isEqualTo(user);
            assertThat(a.get("--kafka-truststore")).isEqualTo("/etc/heartbeats/kafka-ca/ca.crt");
            assertThat(StackConsistencyTest.volume(fd, "kafka-ca")).isEqualTo(Manifests.name(kafka) + "-cluster-ca-cert");
            String group = a.getOrDefault("--group-id", "heartbeat-" + job);
            Set<String> expected = new java.util.HashSet<>(Set.of(
                    "topic " + a.get("--input-topic") + " [Read, Describe, DescribeConfigs]",
                    "group " + group + " [Read]"));
            // The archive writes files only; every other job writes its dead letters and too-late records.
            if (!job.equals(dev.heartbeats.archive.ArchiveJob.NAME)) {
                expected.add("topic " + a.get("--dlq-topic") + " [Write, Describe]");
                expected.add("topic " + a.get("--late-topic") + " [Write, Describe]");
            }
            assertThat(acls(u)).as(user).isEqualTo(expected);
        }
        assertThat(acls(users.get("heartbeats-producer"))).isEqualTo(Set.of("topic heartbeats [Write, Describe]"));
        assertThat(users).hasSize(5);
    }

    static Set<String> acls(Map<String, Object> user) {
        assertThat(str(user, "spec.authorization.type")).isEqualTo("simple");
        Set<String> out = new HashSet<>();
        for (Object acl : list(at(user, "spec.authorization.acls"))) {
            assertThat(str(acl, "type")).as("allow rules only").isIn(null, "allow");
            assertThat(str(acl, "resource.patternType")).as("literal names, no prefixes").isEqualTo("literal");
            out.add(str(acl, "resource.type") + " " + str(acl, "resource.name") + " " + list(map(acl).get("operations")));
        }
        return out;
    }
}
