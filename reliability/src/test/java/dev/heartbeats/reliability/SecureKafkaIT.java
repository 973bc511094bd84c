package dev.heartbeats.reliability;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GenerateCommand;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.kafka.KafkaClientConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.embedded.EmbeddedKafka;
import dev.heartbeats.local.DlqCommand;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import dev.heartbeats.testing.TestCertificates;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Kafka client security end to end (issue 16, item 1), on an embedded broker whose only listener is SASL_SSL
 * (certificates made now) with SCRAM-SHA-512 and PLAIN users and ACLs (no ACL: denied): the three jobs, each as its
 * own SCRAM user with only the ACLs its Strimzi KafkaUser has (read the input with its group, write the dead-letter
 * and late topics), route and write exactly what the contract says; the generator and the dead-letter export connect
 * the same way; a wrong password, a user without ACLs and an untrusted certificate fail at start, naming the setting.
 */
class SecureKafkaIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    static Path dir;
    static TestCertificates certs;
    static EmbeddedKafka kafka;
    static final String HARNESS = "test-harness";
    static final String HARNESS_PASSWORD = "plain-" + UUID.randomUUID();

    final TestBed bed = TestBed.shared();

    @BeforeAll
    static void startBroker() throws Exception {
        dir = Files.createTempDirectory("secure-kafka-it");
        certs = TestCertificates.create(dir.resolve("certs"));
        TestCertificates.Issued broker = certs.server("broker");
        kafka = EmbeddedKafka.startSaslSsl(new EmbeddedKafka.SaslSsl(broker.keystore(), broker.keystorePassword(), certs.caCertificate(),
                Map.of(HARNESS, HARNESS_PASSWORD)));
        // The test's own clients (send, read back, export) log in with PLAIN.
        kafka.allow(HARNESS, ResourceType.TOPIC, "*", AclOperation.ALL);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.close();
    }

    static Path secret(String name, String content) throws Exception {
        return Files.writeString(dir.resolve(name), content + "\n");
    }

    /** The harness's connection: SASL_SSL with PLAIN, trusting the CA. */
    static KafkaClientConfig harness() throws Exception {
        return clientConfig("plain", HARNESS, secret("harness-password", HARNESS_PASSWORD));
    }

    static List<String> securityArgs(String mechanism, String user, Path passwordFile) {
        return List.of("--bootstrap-servers", kafka.bootstrapServers(), "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-mechanism", mechanism,
                "--kafka-sasl-user", user, "--kafka-sasl-password-file", passwordFile.toString(), "--kafka-truststore", certs.caCertificate().toString());
    }

    static KafkaClientConfig clientConfig(String mechanism, String user, Path passwordFile) {
        return KafkaClientConfig.fromSettings(Settings.parse(securityArgs(mechanism, user, passwordFile).toArray(new String[0]),
                JobOptions.kafkaClient(JobOptions.BOOTSTRAP_SERVERS)), JobOptions.BOOTSTRAP_SERVERS);
    }

    /** A job's SCRAM user with the ACLs of its KafkaUser (k8s/base/kafka/users.yaml): its group and its topics only. */
    static Path jobUser(Scenario s, String job) throws Exception {
        String password = "scram-" + UUID.randomUUID();
        kafka.addScramUser(job, password);
        kafka.allow(job, ResourceType.TOPIC, s.inputTopic, AclOperation.READ);
        kafka.allow(job, ResourceType.TOPIC, s.inputTopic, AclOperation.DESCRIBE);
        kafka.allow(job, ResourceType.TOPIC, s.inputTopic, AclOperation.DESCRIBE_CONFIGS);
        kafka.allow(job, ResourceType.GROUP, s.groupId + "-" + job, AclOperation.READ);
        for (String t : List.of(s.dlqTopic, s.lateTopic)) {
            kafka.allow(job, ResourceType.TOPIC, t, AclOperation.WRITE);
            kafka.allow(job, ResourceType.TOPIC, t, AclOperation.DESCRIBE);
        }
        return secret(job + "-password", password);
    }

    static String[] jobArgs(Scenario s, JobLauncher.Job job, Path passwordFile, String... extra) {
        List<String> a = new ArrayList<>(securityArgs("SCRAM-SHA-512", job.name(), passwordFile));
        a.addAll(List.of("--group-id", s.groupId + "-" + job.name(), "--parallelism", "2"));
        a.addAll(List.of(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void everyJobAndToolRunsOverSaslSslAsItsOwnUserWithItsAclsOnly() throws Exception {
        CatalogLoader.loadDefaults(bed.jdbc());
        Scenario s = bed.scenario("secure-kafka", kafka, harness());
        DifferentialRun run = DifferentialRun.send(s, GeneratorConfig.allAdversities(16).toBuilder().viewers(40).maxRecords(6_000).build());

        for (JobLauncher.Job job : JobSet.ALL) s.runBounded(job, jobArgs(s, job, jobUser(s, job.name())));

        Routing routing = run.routing(ContractParams.DEFAULTS, 5_000);
        assertThat(routing.invalid).isNotEmpty();
        for (JobLauncher.Job job : JobSet.ALL) {
            assertThat(DifferentialRun.routed(s, s.dlqTopic, job.name())).as("invalid, as routed by " + job.name()).isEqualTo(routing.invalid);
            assertThat(DifferentialRun.routed(s, s.lateTopic, job.name())).as("too late, as routed by " + job.name()).isEqualTo(routing.tooLate);
        }
        var tables = s.tables();
        assertThat(tables.watchSegments).isNotEmpty();
        assertThat(tables.videoProgress).isNotEmpty();
        assertThat(tables.contentWatchHourly).isNotEmpty();
        assertThat(tables.adImpressionsHourly).isNotEmpty();

        // The dead-letter export reads them back over SASL_SSL (PLAIN): one line per invalid source record.
        Path out = dir.resolve("dlq.jsonl");
        List<String> export = new ArrayList<>(List.of("export", "--topic", s.dlqTopic, "--out", out.toString()));
        export.addAll(securityArgs("PLAIN", HARNESS, secret("harness-password", HARNESS_PASSWORD)));
        DlqCommand.main(export.toArray(new String[0]));
        assertThat(Files.readAllLines(out)).hasSize(routing.invalid.size());

        // The generator, as a SCRAM user that may only write the input topic.
        String generatorPassword = "scram-" + UUID.randomUUID();
        kafka.addScramUser("generator", generatorPassword);
        kafka.allow("generator", ResourceType.TOPIC, s.inputTopic, AclOperation.WRITE);
        kafka.allow("generator", ResourceType.TOPIC, s.inputTopic, AclOperation.DESCRIBE);
        int before = s.readAll(s.inputTopic).size();
        List<String> generate = new ArrayList<>(List.of("--topic", s.inputTopic, "--records", "300", "--progress-interval", "1h"));
        generate.addAll(securityArgs("SCRAM-SHA-512", "generator", secret("generator-password", generatorPassword)));
        GenerateCommand.main(generate.toArray(new String[0]));
        assertThat(s.readAll(s.inputTopic)).hasSize(before + 300);
    }

    @Test
    void aWrongPasswordAUserWithoutAclsAndAnUntrustedCertificateFailAtStartNamingTheSetting() throws Exception {
        Scenario s = bed.scenario("secure-kafka-refused", kafka, harness());
        JobLauncher.Job job = JobSet.ALL.get(0);
        jobUser(s, job.name());
        Path wrong = secret("wrong-password", "not-the-password");
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> s.start(job, jobArgs(s, job, wrong))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--kafka-sasl-user: " + kafka.bootstrapServers() + " refused the SCRAM-SHA-512 credentials of user '" + job.name() + "'")
                .hasMessageContaining("--kafka-sasl-password-file " + wrong)
                .hasMessageNotContaining("not-the-password");
        assertThat((System.nanoTime() - t0) / 1_000_000_000).as("seconds to fail").isLessThan(30);

        String password = "scram-" + UUID.randomUUID();
        kafka.addScramUser("intruder", password);
        Path intruder = secret("intruder-password", password);
        List<String> args = new ArrayList<>(securityArgs("SCRAM-SHA-512", "intruder", intruder));
        assertThatThrownBy(() -> s.start(job, args.toArray(new String[0]))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--kafka-sasl-user: user 'intruder' may not describe the topics");

        // A truststore of another CA: the broker's certificate is not accepted.
        TestCertificates other = TestCertificates.create(dir.resolve("other-ca"));
        List<String> untrusted = new ArrayList<>(securityArgs("SCRAM-SHA-512", job.name(), intruder));
        untrusted.set(untrusted.indexOf("--kafka-truststore") + 1, other.caCertificate().toString());
        assertThatThrownBy(() -> s.start(job, untrusted.toArray(new String[0]))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--kafka-truststore: the TLS handshake with " + kafka.bootstrapServers() + " failed");
    }
}
