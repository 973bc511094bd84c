package dev.heartbeats.common.kafka;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Settings;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigTransformer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kafka client properties every client gets: security from the settings, passwords only as references that the
 * client resolves itself, pass-through properties checked, and every misconfiguration named.
 */
class KafkaClientConfigTest {
    @TempDir
    Path dir;

    KafkaClientConfig parse(String... args) {
        return KafkaClientConfig.fromSettings(Settings.parse(args, JobOptions.kafkaClient(JobOptions.BOOTSTRAP_SERVERS)), JobOptions.BOOTSTRAP_SERVERS);
    }

    Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    @Test
    void plaintextByDefaultWithNothingElse() {
        Properties p = parse("--bootstrap-servers", "b:9092").properties();
        assertThat(p).containsEntry("bootstrap.servers", "b:9092").containsEntry("security.protocol", "PLAINTEXT").hasSize(2);
    }

    @Test
    void saslSslScramWithAPasswordFileHoldsOnlyAReference() throws Exception {
        Path password = file("password", "s3cr\"et\\\n");
        Path ca = file("ca.crt", "-----BEGIN CERTIFICATE-----\n");
        KafkaClientConfig c = parse("--bootstrap-servers", "b:9093", "--kafka-security-protocol", "SASL_SSL", "--kafka-sasl-mechanism", "SCRAM-SHA-512",
                "--kafka-sasl-user", "segments", "--kafka-sasl-password-file", password.toString(), "--kafka-truststore", ca.toString());
        Properties p = c.properties(Map.of("acks", "all"));
        assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", ca.toString()).containsEntry("ssl.truststore.type", "PEM").containsEntry("acks", "all")
                .containsEntry("config.providers", "heartbeats").containsEntry("config.providers.heartbeats.class", SecretConfigProvider.class.getName())
                .doesNotContainKey("ssl.truststore.password");
        String jaas = p.getProperty("sasl.jaas.config");
        assertThat(jaas).isEqualTo("org.apache.kafka.common.security.scram.ScramLoginModule required username=\"segments\" password=\"${heartbeats:jaas-file:"
                + password + "}\";");
        assertThat(p.toString()).doesNotContain("s3cr");
        // What the Kafka client does with the reference when it is created: the password, trailing line break dropped, escaped for JAAS.
        Map<String, String> resolved = resolve(p);
        assertThat(resolved.get("sasl.jaas.config")).contains("password=\"s3cr\\\"et\\\\\";");
    }

    @Test
    void passwordsFromTheEnvironmentAreReferencesToIt() throws Exception {
        // KAFKA_* are not set in the test JVM: an env password is then missing and that is named.
        assertThatThrownBy(() -> parse("--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--kafka-sasl-password-file:").hasMessageContaining("KAFKA_SASL_PASSWORD");
        assertThat(SecretConfigProvider.env("KAFKA_SASL_PASSWORD", true)).isEqualTo("${heartbeats:jaas-env:KAFKA_SASL_PASSWORD}");
        SecretConfigProvider provider = new SecretConfigProvider();
        String path = System.getenv().containsKey("PATH") ? "PATH" : System.getenv().keySet().iterator().next();
        assertThat(provider.get("env", Set.of(path)).data()).containsEntry(path, System.getenv(path));
        assertThatThrownBy(() -> provider.get("env", Set.of("HB_SURELY_NOT_SET_" + System.nanoTime())))
                .isInstanceOf(org.apache.kafka.common.config.ConfigException.class).hasMessageContaining("is not set");
    }

    @Test
    void keystoreAndTruststoreOfEachTypeWithPasswordFiles() throws Exception {
        Path ts = file("truststore.p12", "x");
        Path ks = file("client.jks", "x");
        Path tsPassword = file("ts-password", "a");
        Path ksPassword = file("ks-password", "b");
        Properties p = parse("--kafka-security-protocol", "ssl", "--kafka-truststore", ts.toString(), "--kafka-truststore-password-file", tsPassword.toString(),
                "--kafka-keystore", ks.toString(), "--kafka-keystore-password-file", ksPassword.toString()).properties();
        assertThat(p).containsEntry("security.protocol", "SSL").containsEntry("ssl.truststore.type", "PKCS12").containsEntry("ssl.keystore.type", "JKS")
                .containsEntry("ssl.truststore.password", "${heartbeats:file:" + tsPassword + "}")
                .containsEntry("ssl.keystore.password", "${heartbeats:file:" + ksPassword + "}")
                .containsEntry("ssl.key.password", "${heartbeats:file:" + ksPassword + "}")
                .doesNotContainKey("sasl.mechanism");
        assertThat(resolve(p)).containsEntry("ssl.truststore.password", "a").containsEntry("ssl.keystore.password", "b");
    }

    @Test
    void oauthBearerUsesTheClientCredentialsSettingsOfTheKafkaClient() throws Exception {
        Path secret = file("client-secret", "cs");
        Properties p = parse("--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-mechanism", "oauthbearer", "--kafka-sasl-user", "client-1",
                "--kafka-sasl-password-file", secret.toString(), "--kafka-oauth-token-endpoint", "https://idp.example/oauth2/token",
                "--kafka-oauth-scope", "kafka").properties();
        assertThat(p).containsEntry("sasl.mechanism", "OAUTHBEARER")
                .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;")
                .containsEntry("sasl.login.callback.handler.class", "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler")
                .containsEntry("sasl.oauthbearer.token.endpoint.url", "https://idp.example/oauth2/token")
                .containsEntry("sasl.oauthbearer.client.credentials.client.id", "client-1")
                .containsEntry("sasl.oauthbearer.client.credentials.client.secret", "${heartbeats:file:" + secret + "}")
                .containsEntry("sasl.oauthbearer.scope", "kafka");
        // Every key is one the producer knows (no typo that Kafka would only warn about).
        for (String k : p.stringPropertyNames()) {
            if (!k.startsWith("config.providers")) assertThat(ProducerConfig.configNames()).as(k).contains(k);
        }
    }

    @Test
    void passThroughPropertiesFromAFileAndTheCommandLineTheLaterWins() throws Exception {
        Path props = file("client.properties", "client.dns.lookup=use_all_dns_ips\nlinger.ms=7\n");
        KafkaClientConfig c = parse("--kafka-properties-file", props.toString(), "--kafka-property", "linger.ms=20",
                "--kafka-property", "ssl.endpoint.identification.algorithm=https", "--kafka-property", "partition.discovery.interval.ms=1000");
        Properties p = c.properties(Map.of("linger.ms", "5", "acks", "all"));
        assertThat(p).containsEntry("client.dns.lookup", "use_all_dns_ips").containsEntry("linger.ms", "20").containsEntry("acks", "all")
                .containsEntry("partition.discovery.interval.ms", "1000");
        // The same settings travel to a job as arguments.
        assertThat(parse(c.toArgs().toArray(new String[0])).properties()).isEqualTo(c.properties());
    }

    @Test
    void aSecretPropertyOnlyAsAReference() throws Exception {
        assertThatThrownBy(() -> parse("--kafka-property", "sasl.oauthbearer.assertion.private.key.passphrase=hunter2"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--kafka-property:").hasMessageContaining("is a secret").hasMessageNotContaining("hunter2");
        Path f = file("passphrase", "p");
        Properties p = parse("--kafka-property", "sasl.oauthbearer.assertion.private.key.passphrase=${heartbeats:file:" + f + "}").properties();
        assertThat(p).containsEntry("config.providers", "heartbeats");
    }

    @Test
    void everyMisconfigurationNamesItsSetting() throws Exception {
        Path f = file("pw", "x");
        String[][] cases = {
            {"--kafka-security-protocol", "--kafka-security-protocol", "sasl_plaintext"},
            {"--kafka-sasl-mechanism", "--kafka-sasl-mechanism", "gssapi"},
            {"--kafka-sasl-mechanism", "--kafka-sasl-mechanism", "plain"},
            {"--kafka-sasl-user", "--kafka-sasl-user", "u"},
            {"--kafka-sasl-user", "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-password-file", f.toString()},
            {"--kafka-sasl-password-file", "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u", "--kafka-sasl-password-file", "/no/such/file"},
            {"--kafka-oauth-token-endpoint", "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-mechanism", "oauthbearer", "--kafka-sasl-user", "u",
                "--kafka-sasl-password-file", f.toString()},
            {"--kafka-oauth-scope", "--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u", "--kafka-sasl-password-file", f.toString(), "--kafka-oauth-scope", "s"},
            {"--kafka-truststore", "--kafka-truststore", f.toString()},
            {"--kafka-truststore", "--kafka-security-protocol", "ssl", "--kafka-truststore", f.toString()},
            {"--kafka-truststore", "--kafka-security-protocol", "ssl", "--kafka-truststore", "/no/such.pem"},
            {"--kafka-keystore-password-file", "--kafka-security-protocol", "ssl", "--kafka-keystore-password-file", f.toString()},
            {"--kafka-property", "--kafka-property", "novalue"},
            {"--kafka-property", "--kafka-property", "sasl.mechansim=PLAIN"},
            {"--kafka-property", "--kafka-property", "security.protocol=SSL"},
            {"--kafka-property", "--kafka-property", "sasl.jaas.config=x"},
            {"--kafka-property", "--kafka-property", "bootstrap.servers=x:1"},
            {"--kafka-property", "--kafka-property", "config.providers=file"},
            {"--kafka-properties-file", "--kafka-properties-file", "/no/such/file"},
        };
        for (String[] c : cases) {
            String[] args = Arrays.copyOfRange(c, 1, c.length);
            assertThatThrownBy(() -> parse(args)).as(String.join(" ", args)).isInstanceOf(ConfigException.class).hasMessageStartingWith(c[0] + ":");
        }
        Path badFile = file("bad.properties", "sasl.jaas.config=x\n");
        assertThatThrownBy(() -> parse("--kafka-properties-file", badFile.toString())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--kafka-properties-file:").hasMessageContaining("sasl.jaas.config");
    }

    @Test
    void everyJobHasTheSettingsAndItsGraphGetsTheSameProperties() throws Exception {
        Path password = file("password", "pw");
        JobConfig cfg = JobConfig.parse("test", new String[] {"--kafka-security-protocol", "sasl-ssl", "--kafka-sasl-user", "u",
                "--kafka-sasl-password-file", password.toString(), "--kafka-property", "client.dns.lookup=use_all_dns_ips"}, List.of());
        assertThat(cfg.kafka.properties()).containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("client.dns.lookup", "use_all_dns_ips");
        assertThat(dev.heartbeats.common.pipeline.HeartbeatIngest.deadLetterSink(cfg, "dlq")).isNotNull();
    }

    /** Resolves the references as a Kafka client does when it is created (AbstractConfig with config providers). */
    static Map<String, String> resolve(Properties p) {
        Map<String, String> all = new HashMap<>();
        for (String k : p.stringPropertyNames()) all.put(k, p.getProperty(k));
        SecretConfigProvider provider = new SecretConfigProvider();
        return new ConfigTransformer(Map.of(SecretConfigProvider.ALIAS, provider)).transform(all).data();
    }
}
