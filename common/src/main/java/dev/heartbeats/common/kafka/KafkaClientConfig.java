package dev.heartbeats.common.kafka;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.JobOptions.KafkaSecurityProtocol;
import dev.heartbeats.common.config.JobOptions.SaslMechanism;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.SslAuthenticationException;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import static dev.heartbeats.common.config.JobOptions.*;

/**
 * How every Kafka client of the suite connects: the Flink source and sinks of every job, the admin checks, the
 * generator, the dead-letter export and replay, the local run and the benchmark all take their properties from here,
 * built from the same settings ({@link JobOptions#KAFKA_CLIENT}), so that security and pass-through properties apply
 * the same way everywhere.
 *
 * <p>No secret is ever held here or put into the properties: a password is a reference
 * ({@link SecretConfigProvider}) to the environment variable or file it comes from, which each Kafka client resolves
 * when it is created (on a TaskManager, from the pod's environment or mounted Secret). The properties, which the Flink
 * connector serialises into the job graph, and Kafka's own logging of them, therefore never carry a password.
 */
public final class KafkaClientConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Properties that have their own setting: pass-through may not set them (the message names the setting). */
    private static final Map<String, String> OWNED = new LinkedHashMap<>();

    static {
        OWNED.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, "--" + BOOTSTRAP_SERVERS.name);
        OWNED.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "--" + KAFKA_SECURITY_PROTOCOL.name);
        OWNED.put(SaslConfigs.SASL_MECHANISM, "--" + KAFKA_SASL_MECHANISM.name);
        OWNED.put(SaslConfigs.SASL_JAAS_CONFIG, "--" + KAFKA_SASL_USER.name + " and its password");
        OWNED.put(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, "--" + KAFKA_OAUTH_TOKEN_ENDPOINT.name);
        OWNED.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID, "--" + KAFKA_SASL_USER.name);
        OWNED.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, "--" + KAFKA_SASL_PASSWORD_FILE.name + " or env " + KAFKA_SASL_PASSWORD_ENV);
        OWNED.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, "--" + KAFKA_TRUSTSTORE.name);
        OWNED.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, "--" + KAFKA_TRUSTSTORE.name + " (by its file name extension)");
        OWNED.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, "--" + KAFKA_TRUSTSTORE_PASSWORD_FILE.name + " or env " + KAFKA_TRUSTSTORE_PASSWORD_ENV);
        OWNED.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, "--" + KAFKA_KEYSTORE.name);
        OWNED.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, "--" + KAFKA_KEYSTORE.name + " (by its file name extension)");
        OWNED.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, "--" + KAFKA_KEYSTORE_PASSWORD_FILE.name + " or env " + KAFKA_KEYSTORE_PASSWORD_ENV);
        OWNED.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, "--" + KAFKA_KEYSTORE_PASSWORD_FILE.name + " or env " + KAFKA_KEYSTORE_PASSWORD_ENV);
        OWNED.put(ConsumerConfig.GROUP_ID_CONFIG, "--" + GROUP_ID.name + " (jobs)");
        OWNED.put(AbstractConfigKeys.CONFIG_PROVIDERS, "secrets are read with ${" + SecretConfigProvider.ALIAS + ":env:VAR} or ${"
                + SecretConfigProvider.ALIAS + ":file:/path}");
        for (String k : List.of(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG)) {
            OWNED.put(k, "the clients' own (records are bytes)");
        }
    }

    /** Keys of Kafka's config provider mechanism. */
    private static final class AbstractConfigKeys {
        static final String CONFIG_PROVIDERS = "config.providers";
    }

    /** Properties of the Flink Kafka source that are not Kafka's own, accepted as pass-through too. */
    private static final Set<String> FLINK_SOURCE_KEYS = Set.of("client.id.prefix", "partition.discovery.interval.ms",
            "register.consumer.metrics", "commit.offsets.on.checkpoint");

    public final String bootstrapServers;
    public final KafkaSecurityProtocol protocol;
    /** {@code null} unless SASL. */
    public final SaslMechanism mechanism;
    public final String saslUser;
    /** The SASL password's (or OAuth client secret's) file, {@code null}: the environment variable. */
    public final String saslPasswordFile;
    public final String oauthTokenEndpoint;
    public final String oauthScope;
    public final String truststore;
    public final String truststorePasswordFile;
    /** Whether the truststore has a password (from its file or the environment). */
    public final boolean truststorePassword;
    public final String keystore;
    public final String keystorePasswordFile;
    public final boolean keystorePassword;
    /** Pass-through properties: the file's, then --kafka-property's (a later one wins). */
    private final LinkedHashMap<String, String> extra;

    private KafkaClientConfig(String bootstrapServers, KafkaSecurityProtocol protocol, SaslMechanism mechanism, String saslUser,
                              String saslPasswordFile, String oauthTokenEndpoint, String oauthScope, String truststore,
                              String truststorePasswordFile, boolean truststorePassword, String keystore, String keystorePasswordFile,
                              boolean keystorePassword, LinkedHashMap<String, String> extra) {
        this.bootstrapServers = bootstrapServers;
        this.protocol = protocol;
        this.mechanism = mechanism;
        this.saslUser = saslUser;
        this.saslPasswordFile = saslPasswordFile;
        this.oauthTokenEndpoint = oauthTokenEndpoint;
        this.oauthScope = oauthScope;
        this.truststore = truststore;
        this.truststorePasswordFile = truststorePasswordFile;
        this.truststorePassword = truststorePassword;
        this.keystore = keystore;
        this.keystorePasswordFile = keystorePasswordFile;
        this.keystorePassword = keystorePassword;
        this.extra = extra;
    }

    /** Plain connections without authentication, no other properties (the embedded broker of the tests). */
    public static KafkaClientConfig plaintext(String bootstrapServers) {
        return new KafkaClientConfig(bootstrapServers, KafkaSecurityProtocol.PLAINTEXT, null, null, null, null, null, null, null, false,
                null, null, false, new LinkedHashMap<>());
    }

    /** From a command's settings: {@code bootstrap} (its --bootstrap-servers) and {@link JobOptions#KAFKA_CLIENT}. */
    public static KafkaClientConfig fromSettings(Settings s, Option<String> bootstrap) {
        String servers = s.get(bootstrap);
        KafkaSecurityProtocol protocol = s.get(KAFKA_SECURITY_PROTOCOL);
        boolean sasl = protocol == KafkaSecurityProtocol.SASL_SSL;
        SaslMechanism mechanism = s.get(KAFKA_SASL_MECHANISM);
        if (mechanism != null && !sasl) {
            throw new ConfigException("--" + KAFKA_SASL_MECHANISM.name + ": only with --" + KAFKA_SECURITY_PROTOCOL.name + " sasl-ssl (it is " + name(protocol) + ")");
        }
        if (sasl && mechanism == null) mechanism = SaslMechanism.SCRAM_SHA_512;
        String user = s.get(KAFKA_SASL_USER);
        String passwordFile = readableFile(s, KAFKA_SASL_PASSWORD_FILE);
        String endpoint = s.get(KAFKA_OAUTH_TOKEN_ENDPOINT);
        String scope = s.get(KAFKA_OAUTH_SCOPE);
        if (!sasl) {
            for (Option<String> o : List.of(KAFKA_SASL_USER, KAFKA_SASL_PASSWORD_FILE, KAFKA_OAUTH_TOKEN_ENDPOINT, KAFKA_OAUTH_SCOPE)) {
                if (s.get(o) != null) throw new ConfigException("--" + o.name + ": only with --" + KAFKA_SECURITY_PROTOCOL.name + " sasl-ssl (it is " + name(protocol) + ")");
            }
        } else {
            if (user == null) throw new ConfigException("--" + KAFKA_SASL_USER.name + ": required with --" + KAFKA_SECURITY_PROTOCOL.name + " sasl-ssl ("
                    + mechanism.kafkaName() + (mechanism == SaslMechanism.OAUTHBEARER ? ": the OAuth client id)" : ")"));
            if (passwordFile == null && !envSet(KAFKA_SASL_PASSWORD_ENV)) {
                throw new ConfigException("--" + KAFKA_SASL_PASSWORD_FILE.name + ": the SASL " + (mechanism == SaslMechanism.OAUTHBEARER ? "client secret" : "password")
                        + " of --" + KAFKA_SASL_USER.name + " " + user + " comes from this file or from env " + KAFKA_SASL_PASSWORD_ENV + "; neither is set");
            }
            if (mechanism == SaslMechanism.OAUTHBEARER) {
                if (endpoint == null) throw new ConfigException("--" + KAFKA_OAUTH_TOKEN_ENDPOINT.name + ": required with --" + KAFKA_SASL_MECHANISM.name + " oauthbearer");
                if (!endpoint.startsWith("https://") && !endpoint.startsWith("http://")) {
                    throw new ConfigException("--" + KAFKA_OAUTH_TOKEN_ENDPOINT.name + ": '" + endpoint + "' must be an https:// URL");
                }
            } else {
                for (Option<String> o : List.of(KAFKA_OAUTH_TOKEN_ENDPOINT, KAFKA_OAUTH_SCOPE)) {
                    if (s.get(o) != null) throw new ConfigException("--" + o.name + ": only with --" + KAFKA_SASL_MECHANISM.name + " oauthbearer");
                }
            }
        }
        boolean tls = protocol != KafkaSecurityProtocol.PLAINTEXT;
        String truststore = readableFile(s, KAFKA_TRUSTSTORE);
        String truststorePasswordFile = readableFile(s, KAFKA_TRUSTSTORE_PASSWORD_FILE);
        String keystore = readableFile(s, KAFKA_KEYSTORE);
        String keystorePasswordFile = readableFile(s, KAFKA_KEYSTORE_PASSWORD_FILE);
        for (Option<String> o : List.of(KAFKA_TRUSTSTORE, KAFKA_TRUSTSTORE_PASSWORD_FILE, KAFKA_KEYSTORE, KAFKA_KEYSTORE_PASSWORD_FILE)) {
            if (!tls && s.get(o) != null) throw new ConfigException("--" + o.name + ": only with --" + KAFKA_SECURITY_PROTOCOL.name + " ssl or sasl-ssl (it is plaintext)");
        }
        if (truststore != null) storeType(KAFKA_TRUSTSTORE, truststore);
        if (keystore != null) storeType(KAFKA_KEYSTORE, keystore);
        if (truststorePasswordFile != null && truststore == null) throw new ConfigException("--" + KAFKA_TRUSTSTORE_PASSWORD_FILE.name + ": without --" + KAFKA_TRUSTSTORE.name);
        if (keystorePasswordFile != null && keystore == null) throw new ConfigException("--" + KAFKA_KEYSTORE_PASSWORD_FILE.name + ": without --" + KAFKA_KEYSTORE.name);

        LinkedHashMap<String, String> extra = new LinkedHashMap<>();
        String propertiesFile = readableFile(s, KAFKA_PROPERTIES_FILE);
        if (propertiesFile != null) {
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(Path.of(propertiesFile))) {
                p.load(r);
            } catch (IOException | IllegalArgumentException e) {
                throw new ConfigException("--" + KAFKA_PROPERTIES_FILE.name + ": cannot read '" + propertiesFile + "': " + e.getMessage());
            }
            for (String k : new java.util.TreeSet<>(p.stringPropertyNames())) extra.put(k, checkedProperty(KAFKA_PROPERTIES_FILE, k, p.getProperty(k)));
        }
        for (String kv : s.get(KAFKA_PROPERTY)) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new ConfigException("--" + KAFKA_PROPERTY.name + ": '" + kv + "' must be key=value");
            String k = kv.substring(0, eq).trim();
            extra.put(k, checkedProperty(KAFKA_PROPERTY, k, kv.substring(eq + 1).trim()));
        }
        return new KafkaClientConfig(servers, protocol, mechanism, user, passwordFile, endpoint, scope, truststore, truststorePasswordFile,
                truststore != null && (truststorePasswordFile != null || envSet(KAFKA_TRUSTSTORE_PASSWORD_ENV)), keystore, keystorePasswordFile,
                keystore != null && (keystorePasswordFile != null || envSet(KAFKA_KEYSTORE_PASSWORD_ENV)), extra);
    }

    /** The same connection to other brokers (e.g. the services of this machine instead of a cluster's). */
    public KafkaClientConfig withBootstrapServers(String servers) {
        return new KafkaClientConfig(servers, protocol, mechanism, saslUser, saslPasswordFile, oauthTokenEndpoint, oauthScope, truststore,
                truststorePasswordFile, truststorePassword, keystore, keystorePasswordFile, keystorePassword, extra);
    }

    public boolean isSecured() {
        return protocol != KafkaSecurityProtocol.PLAINTEXT;
    }

    /**
     * The properties of any client (consumer, producer, admin): {@code defaults} (what the caller's client needs,
     * e.g. acks or a client id), then the pass-through properties, then the connection and its security.
     */
    public Properties properties(Map<String, ?> defaults) {
        Properties p = new Properties();
        defaults.forEach(p::put);
        p.putAll(extra);
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol.name());
        boolean references = false;
        if (mechanism != null) {
            p.put(SaslConfigs.SASL_MECHANISM, mechanism.kafkaName());
            switch (mechanism) {
                case SCRAM_SHA_512, SCRAM_SHA_256 -> p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + jaasQuote(saslUser) + "\" password=\"" + secret(saslPasswordFile, KAFKA_SASL_PASSWORD_ENV, true) + "\";");
                case PLAIN -> p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule required username=\""
                        + jaasQuote(saslUser) + "\" password=\"" + secret(saslPasswordFile, KAFKA_SASL_PASSWORD_ENV, true) + "\";");
                case OAUTHBEARER -> {
                    p.put(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;");
                    p.put(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS, "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler");
                    p.put(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, oauthTokenEndpoint);
                    p.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID, saslUser);
                    p.put(SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, secret(saslPasswordFile, KAFKA_SASL_PASSWORD_ENV, false));
                    if (oauthScope != null) p.put(SaslConfigs.SASL_OAUTHBEARER_SCOPE, oauthScope);
                }
            }
            references = true;
        }
        if (truststore != null) {
            p.put(SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore);
            p.put(SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, storeType(KAFKA_TRUSTSTORE, truststore));
            if (truststorePassword) {
                p.put(SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, secret(truststorePasswordFile, KAFKA_TRUSTSTORE_PASSWORD_ENV, false));
                references = true;
            }
        }
        if (keystore != null) {
            String type = storeType(KAFKA_KEYSTORE, keystore);
            p.put(SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore);
            p.put(SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, type);
            if (keystorePassword) {
                String ref = secret(keystorePasswordFile, KAFKA_KEYSTORE_PASSWORD_ENV, false);
                if (!type.equals("PEM")) p.put(SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, ref);
                p.put(SslConfigs.SSL_KEY_PASSWORD_CONFIG, ref);
                references = true;
            }
        }
        for (String v : extra.values()) references |= v.contains("${" + SecretConfigProvider.ALIAS + ":");
        if (references) {
            p.put(AbstractConfigKeys.CONFIG_PROVIDERS, SecretConfigProvider.ALIAS);
            p.put(AbstractConfigKeys.CONFIG_PROVIDERS + "." + SecretConfigProvider.ALIAS + ".class", SecretConfigProvider.class.getName());
        }
        return p;
    }

    public Properties properties() {
        return properties(Map.of());
    }

    /** The arguments that give a job or tool this configuration (the bootstrap servers apart). */
    public List<String> toArgs() {
        List<String> a = new java.util.ArrayList<>();
        a.add("--" + KAFKA_SECURITY_PROTOCOL.name);
        a.add(name(protocol));
        if (mechanism != null) {
            a.addAll(List.of("--" + KAFKA_SASL_MECHANISM.name, mechanism.kafkaName(), "--" + KAFKA_SASL_USER.name, saslUser));
            if (saslPasswordFile != null) a.addAll(List.of("--" + KAFKA_SASL_PASSWORD_FILE.name, saslPasswordFile));
            if (oauthTokenEndpoint != null) a.addAll(List.of("--" + KAFKA_OAUTH_TOKEN_ENDPOINT.name, oauthTokenEndpoint));
            if (oauthScope != null) a.addAll(List.of("--" + KAFKA_OAUTH_SCOPE.name, oauthScope));
        }
        if (truststore != null) a.addAll(List.of("--" + KAFKA_TRUSTSTORE.name, truststore));
        if (truststorePasswordFile != null) a.addAll(List.of("--" + KAFKA_TRUSTSTORE_PASSWORD_FILE.name, truststorePasswordFile));
        if (keystore != null) a.addAll(List.of("--" + KAFKA_KEYSTORE.name, keystore));
        if (keystorePasswordFile != null) a.addAll(List.of("--" + KAFKA_KEYSTORE_PASSWORD_FILE.name, keystorePasswordFile));
        extra.forEach((k, v) -> a.addAll(List.of("--" + KAFKA_PROPERTY.name, k + "=" + v)));
        return a;
    }

    /**
     * Connects once with an admin client and asks for {@code topics}: credentials the brokers refuse, a certificate
     * the truststore does not accept, or topics the user may not see fail here, at start, with a message naming the
     * setting, instead of in a restart loop of the job. A broker that does not answer within {@code timeout} is not
     * an error here (the clients retry).
     *
     * @throws ConfigException naming the setting
     */
    public void check(Collection<String> topics, Duration timeout) {
        int ms = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        Map<String, Object> defaults = Map.of(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, ms, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, ms,
                AdminClientConfig.CLIENT_ID_CONFIG, "heartbeats-connection-check");
        try (Admin admin = Admin.create(properties(defaults))) {
            admin.describeTopics(topics).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SslAuthenticationException) {
                throw new ConfigException("--" + KAFKA_TRUSTSTORE.name + ": the TLS handshake with " + bootstrapServers + " failed (is the broker's CA in "
                        + (truststore != null ? truststore : "the JVM's default truststore") + "?): " + cause.getMessage());
            }
            if (cause instanceof AuthenticationException) {
                throw new ConfigException("--" + KAFKA_SASL_USER.name + ": " + bootstrapServers + " refused the " + (mechanism == null ? "" : mechanism.kafkaName() + " ")
                        + "credentials of user '" + saslUser + "' (password from " + (saslPasswordFile != null ? "--" + KAFKA_SASL_PASSWORD_FILE.name + " " + saslPasswordFile
                        : "env " + KAFKA_SASL_PASSWORD_ENV) + "): " + cause.getMessage());
            }
            if (cause instanceof AuthorizationException) {
                throw new ConfigException("--" + KAFKA_SASL_USER.name + ": user '" + saslUser + "' may not describe the topics " + topics
                        + " on " + bootstrapServers + " (check its ACLs): " + cause.getMessage());
            }
            // Anything else (e.g. a topic that does not exist yet) is for the clients to report as before.
        } catch (TimeoutException e) {
            // Not reachable now: the clients keep retrying, as they do without this check.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String secret(String file, String env, boolean inJaas) {
        return file != null ? SecretConfigProvider.file(file, inJaas) : SecretConfigProvider.env(env, inJaas);
    }

    private static String jaasQuote(String s) {
        return SecretConfigProvider.jaasQuoted(s);
    }

    private static String name(KafkaSecurityProtocol p) {
        return p.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    private static boolean envSet(String name) {
        String v = System.getenv(name);
        return v != null && !v.isEmpty();
    }

    private static String readableFile(Settings s, Option<String> o) {
        if (!s.has(o)) return null;
        String file = s.get(o);
        if (file == null) return null;
        Path p = Path.of(file);
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) throw new ConfigException("--" + o.name + ": '" + file + "' is not a readable file");
        return file;
    }

    /** Kafka's store type by the file's extension. */
    static String storeType(Option<String> o, String file) {
        String f = file.toLowerCase(Locale.ROOT);
        if (f.endsWith(".pem") || f.endsWith(".crt") || f.endsWith(".cer")) return "PEM";
        if (f.endsWith(".p12") || f.endsWith(".pfx")) return "PKCS12";
        if (f.endsWith(".jks")) return "JKS";
        throw new ConfigException("--" + o.name + ": '" + file + "': name it .pem/.crt (PEM), .p12/.pfx (PKCS12) or .jks (JKS) so that its type is known");
    }

    /** Pass-through: a property any client knows, not one with its own setting, and no secret in clear. */
    private static String checkedProperty(Option<?> setting, String key, String value) {
        String owner = OWNED.get(key);
        if (owner != null) throw new ConfigException("--" + setting.name + ": '" + key + "' is set by " + owner + ", not as a property");
        ConfigDef.ConfigKey def = definition(key);
        if (def == null && !FLINK_SOURCE_KEYS.contains(key)) {
            throw new ConfigException("--" + setting.name + ": '" + key + "' is not a Kafka consumer, producer or admin client property");
        }
        if (def != null && def.type == ConfigDef.Type.PASSWORD && !value.matches("\\$\\{" + SecretConfigProvider.ALIAS + ":(env|file):[^}]+}")) {
            throw new ConfigException("--" + setting.name + ": '" + key + "' is a secret: give it as ${" + SecretConfigProvider.ALIAS + ":env:VARIABLE} or ${"
                    + SecretConfigProvider.ALIAS + ":file:/path/to/file}, never in clear");
        }
        return value;
    }

    private static ConfigDef.ConfigKey definition(String key) {
        for (ConfigDef def : List.of(ConsumerConfig.configDef(), ProducerConfig.configDef(), AdminClientConfig.configDef())) {
            ConfigDef.ConfigKey k = def.configKeys().get(key);
            if (k != null) return k;
        }
        return null;
    }

    @Override
    public String toString() {
        return bootstrapServers + " (" + name(protocol) + (mechanism != null ? " " + mechanism.kafkaName() + " as " + saslUser : "") + ")";
    }
}
