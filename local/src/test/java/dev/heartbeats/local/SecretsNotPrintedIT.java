package dev.heartbeats.local;

import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.embedded.EmbeddedKafka;
import dev.heartbeats.embedded.EmbeddedPostgresServer;
import dev.heartbeats.embedded.LocalStack;
import dev.heartbeats.testing.TestCertificates;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 16, item 5: {@code hb pipeline} against a SASL_SSL broker (SCRAM, a client certificate) and a PostgreSQL server
 * that demands TLS and passwords, with every secret set (the database administrator's and each job role's password,
 * the SASL password, the truststore's and the keystore's passwords; from the environment and from files), all
 * framework logging at INFO (so Kafka's and Flink's configuration dumps are in): the pipeline runs, and not one line
 * it printed or logged holds a secret (nor its base64 form).
 */
class SecretsNotPrintedIT {
    @Test
    void thePipelineRunsWithEverySecretSetAndPrintsNoneOfThem(@TempDir Path dir) throws Exception {
        TestCertificates certs = TestCertificates.create(dir.resolve("certs"));
        Map<String, String> secrets = new LinkedHashMap<>();
        String saslPassword = secret(secrets, "sasl");
        String adminPassword = secret(secrets, "db-admin");
        String truststorePassword = secret(secrets, "truststore");
        TestCertificates.Issued broker = certs.server("broker");
        TestCertificates.Issued client = certs.client("pipeline");
        TestCertificates.Issued db = certs.server("db");
        secrets.put("broker-keystore", broker.keystorePassword());
        secrets.put("client-keystore", client.keystorePassword());
        Path truststore = certs.truststore("client-truststore", truststorePassword);
        Path keystorePasswordFile = Files.writeString(dir.resolve("keystore-password"), client.keystorePassword() + "\n");
        Map<String, Path> rolePasswords = new LinkedHashMap<>();
        for (String job : Jobs.all().keySet()) rolePasswords.put(job, Files.writeString(dir.resolve(job + "-password"), secret(secrets, job) + "\n"));

        try (EmbeddedKafka kafka = EmbeddedKafka.startSaslSsl(new EmbeddedKafka.SaslSsl(broker.keystore(), broker.keystorePassword(),
                certs.caCertificate(), Map.of()));
             EmbeddedPostgresServer pg = EmbeddedPostgresServer.startWithTls(new EmbeddedPostgresServer.Tls(db.certificate(), db.key()))) {
            kafka.addScramUser("pipeline", saslPassword);
            kafka.allow("pipeline", ResourceType.TOPIC, "*", AclOperation.ALL);
            kafka.allow("pipeline", ResourceType.GROUP, "*", AclOperation.ALL);
            LocalStack.createTopics(kafka, 2, LocalStack.INPUT_TOPIC, LocalStack.DLQ_TOPIC, LocalStack.LATE_TOPIC);
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl(), pg.user(), pg.password()); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE hb_admin LOGIN SUPERUSER PASSWORD '" + adminPassword + "'");
            }
            for (String role : List.of("hb_admin", Schema.jobRole("segments"), Schema.jobRole("watch-time"), Schema.jobRole("ad-impressions"))) {
                pg.requirePassword(role, true);
            }

            List<String> command = new ArrayList<>();
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) if (a.startsWith("--add-opens")) command.add(a);
            Path logConfig = Files.writeString(dir.resolve("log4j2.properties"), String.join("\n",
                    "rootLogger.level = INFO", "rootLogger.appenderRef.file.ref = file", "appender.file.type = File", "appender.file.name = file",
                    "appender.file.fileName = " + dir.resolve("framework.log"), "appender.file.layout.type = PatternLayout",
                    "appender.file.layout.pattern = %d %-5p [%t] %c - %m%n%throwable", ""));
            command.addAll(List.of("-Xmx1500m", "-Dlog4j2.configurationFile=" + logConfig.toUri(), "-Djava.io.tmpdir=" + Files.createDirectories(dir.resolve("tmp")),
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(), "pipeline",
                    "--bootstrap-servers", kafka.bootstrapServers(), "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-mechanism", "SCRAM-SHA-512",
                    "--kafka-sasl-user", "pipeline", "--kafka-truststore", truststore.toString(),
                    "--kafka-keystore", client.keystore().toString(), "--kafka-keystore-password-file", keystorePasswordFile.toString(),
                    "--jdbc-url", pg.jdbcUrl(), "--jdbc-user", "hb_admin", "--jdbc-ssl-mode", "verify-full", "--jdbc-ssl-root-cert", certs.caCertificate().toString(),
                    "--web-port", Integer.toString(freePort()), "--rate", "300", "--checkpoint-interval", "3s", "--status-interval", "3s", "--duration", "50s",
                    // The jobs' state of this run only (the default, ~/.hb/state, would outlive the test and refuse the next run's broker).
                    "--state-dir", dir.resolve("state").toString()));
            for (Map.Entry<String, Path> e : rolePasswords.entrySet()) command.addAll(List.of("--role-password-file", e.getKey() + "=" + e.getValue()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
            pb.environment().put(JobOptions.KAFKA_SASL_PASSWORD_ENV, saslPassword);
            pb.environment().put(JobOptions.KAFKA_TRUSTSTORE_PASSWORD_ENV, truststorePassword);
            pb.environment().put(JobOptions.JDBC_PASSWORD_ENV, adminPassword);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
            String logs = Files.readString(dir.resolve("framework.log"));
            assertThat(p.exitValue()).as("hb pipeline output:\n%s", out).isZero();

            // It ran: every job wrote rows over TLS as its own role, and the status line counted them.
            List<String> status = out.lines().filter(l -> l.matches("\\[\\d\\d:\\d\\d] in: .*")).toList();
            assertThat(status).as(out).isNotEmpty();
            String last = status.get(status.size() - 1);
            assertThat(last).as(out).contains("(RUNNING)").doesNotContain("kafka:").doesNotContain("db:")
                    .containsPattern("watch_segments [1-9]").containsPattern("video_progress [1-9]").containsPattern("content_watch_hourly [1-9]");
            assertThat(out).contains("Kafka: " + kafka.bootstrapServers() + " (sasl-ssl SCRAM-SHA-512 as pipeline)").contains("stopped.");
            // The logs were at INFO: Kafka's client configuration dumps are among them, with their passwords hidden.
            assertThat(logs).contains("sasl.jaas.config = [hidden]").contains("ssl.keystore.password = [hidden]").contains("ssl.truststore.password = [hidden]");
            assertThat(logs.lines().count()).isGreaterThan(500);

            List<String> lines = Stream.concat(out.lines(), logs.lines()).toList();
            for (Map.Entry<String, String> s : secrets.entrySet()) {
                for (String form : List.of(s.getValue(), Base64.getEncoder().encodeToString(s.getValue().getBytes(StandardCharsets.UTF_8)))) {
                    assertThat(lines.stream().filter(l -> l.contains(form)).toList()).as("lines with the %s secret", s.getKey()).isEmpty();
                }
            }
        }
    }

    private static String secret(Map<String, String> secrets, String name) {
        String v = name + "-" + UUID.randomUUID();
        secrets.put(name, v);
        return v;
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
