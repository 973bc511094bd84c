package dev.heartbeats.embedded;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import dev.heartbeats.common.kafka.TopicLimits;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, combined broker + controller) running inside this JVM,
 * built on Kafka's own {@link KafkaClusterTestKit}.
 *
 * <p>The broker listens on {@code localhost} on a random free port and keeps its logs in a temporary
 * directory that {@link #close()} deletes. Broker defaults are tuned for tests: single replica for
 * the internal topics, no auto topic creation, no initial rebalance delay. Message sizes are the production
 * topics' ({@link TopicLimits}): a test that sends a 10 MB record must compress it, as a production producer must.
 *
 * <p>Thread-safety: {@link #restart()} and {@link #close()} are synchronized; all other methods may be
 * called from any thread.
 */
public final class EmbeddedKafka implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafka.class);

    private static final long ADMIN_TIMEOUT_SECONDS = 60;

    private final KafkaClusterTestKit cluster;
    private final Path baseDir;
    /** What this class's own admin client connects with: the bootstrap servers alone, or the secured listener's admin. */
    private final Map<String, Object> adminConnection;

    /**
     * A SASL_SSL listener for the tests of client security: the broker's certificate and key (a PKCS12 keystore and
     * its password) and the CA that signed it (PEM). The broker authenticates clients with SCRAM-SHA-512 and PLAIN
     * ({@link #addScramUser}, {@link #addPlainUser} before start), checks ACLs ({@link #allow}; no ACL: denied), and
     * accepts a client certificate signed by the CA when one is offered. Its own administrator is a PLAIN user with a
     * random password, used only by this class.
     */
    public record SaslSsl(Path keystore, String keystorePassword, Path caCertificate, Map<String, String> plainUsers) {}
    private volatile String bootstrapServers;
    private volatile boolean closed;
    private final Thread shutdownHook = new Thread(this::close, "embedded-kafka-shutdown");

    private EmbeddedKafka(KafkaClusterTestKit cluster, Path baseDir, Map<String, Object> adminSecurity) {
        this.cluster = cluster;
        this.baseDir = baseDir;
        this.adminConnection = adminSecurity;
        this.bootstrapServers = cluster.bootstrapServers();
        // A local run stopped with Ctrl-C should not leave broker data in /tmp.
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a broker with the test defaults. */
    public static EmbeddedKafka start() {
        return start(Map.of());
    }

    /**
     * Starts a broker with the test defaults, then {@code brokerConfigOverrides} on top
     * (e.g. {@code log.retention.ms}). {@code log.dirs} is always set by the test kit; do not override
     * {@code listeners}, the test kit's port handling (and thus {@link #restart()}) depends on it.
     */
    public static EmbeddedKafka start(Map<String, String> brokerConfigOverrides) {
        return start(brokerConfigOverrides, null);
    }

    /** Starts a broker whose only client listener is SASL_SSL (the controller's stays internal, in this JVM). */
    public static EmbeddedKafka startSaslSsl(SaslSsl security) {
        return start(Map.of(), security);
    }

    private static EmbeddedKafka start(Map<String, String> brokerConfigOverrides, SaslSsl security) {
        Path baseDir = null;
        KafkaClusterTestKit cluster = null;
        try {
            baseDir = Files.createTempDirectory("embedded-kafka-");
            TestKitNodes.Builder nodesBuilder = new TestKitNodes.Builder()
                    .setCombined(true)
                    .setNumBrokerNodes(1)
                    .setNumControllerNodes(1)
                    .setBaseDirectory(baseDir)
                    // The test kit defaults to unreleased "testing" metadata; stick to what production brokers run.
                    .setBootstrapMetadataVersion(MetadataVersion.latestProduction());
            Map<String, Object> adminSecurity = new HashMap<>();
            Map<String, String> config = new HashMap<>(defaultBrokerConfig());
            if (security != null) {
                // The test kit builds PLAINTEXT and SASL_PLAINTEXT listeners only; its protocol map yields to ours.
                nodesBuilder.setBrokerListenerName(new org.apache.kafka.common.network.ListenerName(SECURE_LISTENER));
                config.put("listener.security.protocol.map", SECURE_LISTENER + ":SASL_SSL,CONTROLLER:PLAINTEXT");
                String adminPassword = java.util.UUID.randomUUID().toString();
                config.putAll(saslSslConfig(security, adminPassword));
                adminSecurity.putAll(Map.of("security.protocol", "SASL_SSL", "sasl.mechanism", "PLAIN",
                        "sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN + "\" password=\"" + adminPassword + "\";",
                        "ssl.truststore.type", "PEM", "ssl.truststore.location", security.caCertificate().toAbsolutePath().toString()));
            }
            TestKitNodes nodes = nodesBuilder.build();
            KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes);
            config.putAll(brokerConfigOverrides);
            config.forEach(builder::setConfigProp);
            cluster = builder.build();
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
            EmbeddedKafka kafka = new EmbeddedKafka(cluster, baseDir, adminSecurity);
            LOG.info("Embedded Kafka broker started at {} (data in {})", kafka.bootstrapServers(), baseDir);
            return kafka;
        } catch (Exception e) {
            closeQuietly(cluster);
            Dirs.deleteRecursively(baseDir);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("Could not start the embedded Kafka broker", e);
        }
    }

    /** The name of the secured listener, and the broker's own administrator (a PLAIN user, super user). */
    private static final String SECURE_LISTENER = "EXTERNAL";
    private static final String ADMIN = "embedded-admin";

    private static Map<String, String> saslSslConfig(SaslSsl s, String adminPassword) {
        String l = "listener.name." + SECURE_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
        Map<String, String> c = new HashMap<>();
        c.put(l + "ssl.keystore.type", "PKCS12");
        c.put(l + "ssl.keystore.location", s.keystore().toAbsolutePath().toString());
        c.put(l + "ssl.keystore.password", s.keystorePassword());
        c.put(l + "ssl.key.password", s.keystorePassword());
        c.put(l + "ssl.truststore.type", "PEM");
        c.put(l + "ssl.truststore.location", s.caCertificate().toAbsolutePath().toString());
        c.put(l + "ssl.client.auth", "requested");
        c.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,PLAIN");
        c.put("sasl.mechanism.inter.broker.protocol", "PLAIN");
        StringBuilder plain = new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"" + ADMIN
                + "\" password=\"" + adminPassword + "\" user_" + ADMIN + "=\"" + adminPassword + "\"");
        s.plainUsers().forEach((u, p) -> plain.append(" user_").append(u).append("=\"").append(p).append('"'));
        c.put(l + "plain.sasl.jaas.config", plain.append(';').toString());
        c.put(l + "scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        c.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
        // ANONYMOUS is the broker itself on the controller listener, which only this JVM reaches.
        c.put("super.users", "User:" + ADMIN + ";User:ANONYMOUS");
        c.put("allow.everyone.if.no.acl.found", "false");
        return c;
    }

    /** Creates (or replaces) a SCRAM-SHA-512 user of a {@link #startSaslSsl} broker, and waits until the broker knows it. */
    public void addScramUser(String user, String password) {
        ensureOpen();
        try (Admin admin = admin()) {
            admin.alterUserScramCredentials(List.of(new org.apache.kafka.clients.admin.UserScramCredentialUpsertion(user,
                    new org.apache.kafka.clients.admin.ScramCredentialInfo(org.apache.kafka.clients.admin.ScramMechanism.SCRAM_SHA_512, 8192), password)))
                    .all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(ADMIN_TIMEOUT_SECONDS);
            while (!admin.describeUserScramCredentials(List.of(user)).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS).containsKey(user)) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("SCRAM user " + user + " did not appear");
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while adding SCRAM user " + user, e);
        } catch (Exception e) {
            throw new IllegalStateException("Could not add SCRAM user " + user, e);
        }
    }

    /** Lets {@code user} do {@code operation} on the topic or group {@code name} (a literal name, or a prefix ending in *). */
    public void allow(String user, org.apache.kafka.common.resource.ResourceType type, String name, org.apache.kafka.common.acl.AclOperation operation) {
        ensureOpen();
        boolean prefix = name.endsWith("*") && name.length() > 1; // "*" alone is Kafka's wildcard
        var pattern = new org.apache.kafka.common.resource.ResourcePattern(type, prefix ? name.substring(0, name.length() - 1) : name,
                prefix ? org.apache.kafka.common.resource.PatternType.PREFIXED : org.apache.kafka.common.resource.PatternType.LITERAL);
        var entry = new org.apache.kafka.common.acl.AccessControlEntry("User:" + user, "*", operation, org.apache.kafka.common.acl.AclPermissionType.ALLOW);
        try (Admin admin = admin()) {
            admin.createAcls(List.of(new org.apache.kafka.common.acl.AclBinding(pattern, entry))).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating an ACL", e);
        } catch (Exception e) {
            throw new IllegalStateException("Could not let " + user + " " + operation + " " + type + " " + name, e);
        }
    }

    private static Map<String, String> defaultBrokerConfig() {
        Map<String, String> c = new HashMap<>();
        c.put("num.partitions", "1");
        c.put("default.replication.factor", "1");
        c.put("auto.create.topics.enable", "false");
        c.put("group.initial.rebalance.delay.ms", "0");
        // The controller rejects a restarted broker's registration until the old session expires
        // (default 9 s), so restart() takes about this long. Kept well above GC-pause range.
        c.put("broker.heartbeat.interval.ms", "500");
        c.put("broker.session.timeout.ms", "4000");
        // Internal topics: one replica (single node) and few partitions, so first use is fast.
        c.put("offsets.topic.replication.factor", "1");
        c.put("offsets.topic.num.partitions", "1");
        c.put("transaction.state.log.replication.factor", "1");
        c.put("transaction.state.log.min.isr", "1");
        c.put("transaction.state.log.num.partitions", "1");
        c.put("share.coordinator.state.topic.replication.factor", "1");
        c.put("share.coordinator.state.topic.min.isr", "1");
        c.put("share.coordinator.state.topic.num.partitions", "1");
        // The production brokers keep Kafka's default; a topic without its own limit gets the input topic's.
        c.put("message.max.bytes", Integer.toString(TopicLimits.INPUT_MAX_MESSAGE_BYTES));
        return c;
    }

    /** {@code host:port} of the broker listener; stays the same across {@link #restart()}. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /**
     * Creates an input topic: one replica, the production input topic's {@code max.message.bytes}
     * ({@link TopicLimits#inputTopicConfig()}). Does nothing if the topic already exists (its partition count and
     * configuration are not checked).
     */
    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, TopicLimits.inputTopicConfig());
    }

    /** Creates a dead-letter or late topic, with the production one's {@code max.message.bytes} ({@link TopicLimits#deadLetterTopicConfig()}). */
    public void createDeadLetterTopic(String name, int partitions) {
        createTopic(name, partitions, TopicLimits.deadLetterTopicConfig());
    }

    /** Creates a topic with one replica and the given topic configuration; does nothing if it exists. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        ensureOpen();
        NewTopic topic = new NewTopic(name, partitions, (short) 1).configs(configs);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(topic)).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("Could not create topic " + name, e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while creating topic " + name, e);
        } catch (Exception e) {
            throw new IllegalStateException("Could not create topic " + name, e);
        }
    }

    /** Sets one config of an existing topic (e.g. {@code retention.ms}), as {@code kafka-configs --alter} would. */
    public void setTopicConfig(String topic, String key, String value) {
        ensureOpen();
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        AlterConfigOp set = new AlterConfigOp(new ConfigEntry(key, value), AlterConfigOp.OpType.SET);
        try (Admin admin = admin()) {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(set))).all().get(ADMIN_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while setting " + key + " of topic " + topic, e);
        } catch (Exception e) {
            throw new IllegalStateException("Could not set " + key + " of topic " + topic, e);
        }
    }

    /**
     * Shuts the broker down and starts it again, keeping its log data and its listener port, so clients
     * holding the old {@link #bootstrapServers()} string reconnect without reconfiguration.
     *
     * <p>Only the broker half of the combined node is bounced (as Kafka's own {@code ClusterInstance#shutdownBroker}
     * / {@code startBroker} do): the broker does a controlled shutdown, closes its listener, log manager and
     * coordinators, then reloads partition data (including committed offsets) from disk. The KRaft
     * controller keeps running, so the cluster id and metadata (topics, configs) are unaffected. The test kit's socket factory re-binds the
     * port the broker had; should the broker ever come back elsewhere, {@link #bootstrapServers()} returns the
     * new address and a warning is logged.
     *
     * <p>Takes about {@code broker.session.timeout.ms} (4 s here): the controller refuses the new broker
     * incarnation until the old session expires. Client requests fail or time out for that long.
     */
    public synchronized void restart() {
        ensureOpen();
        BrokerServer broker = broker();
        String before = bootstrapServers;
        long t0 = System.nanoTime();
        try {
            broker.shutdown();
            broker.startup();
            cluster.waitForReadyBrokers();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while restarting the embedded Kafka broker", e);
        } catch (Exception e) {
            throw new IllegalStateException("Could not restart the embedded Kafka broker", e);
        }
        bootstrapServers = cluster.bootstrapServers();
        if (!bootstrapServers.equals(before)) {
            // Not expected with the prebound socket factory; keep callers working if it ever happens.
            LOG.warn("Embedded Kafka broker came back on {} instead of {}", bootstrapServers, before);
        }
        LOG.info("Embedded Kafka broker restarted in {} ms", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
    }

    /** Stops broker and controller and deletes all broker data. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeQuietly(cluster);
        Dirs.deleteRecursively(baseDir);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException ignored) {
            // JVM is already shutting down (we may be running as the hook).
        }
    }

    private Admin admin() {
        Map<String, Object> props = new HashMap<>(adminConnection);
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) TimeUnit.SECONDS.toMillis(ADMIN_TIMEOUT_SECONDS));
        return Admin.create(props);
    }

    private BrokerServer broker() {
        return cluster.brokers().values().iterator().next();
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("Embedded Kafka broker is closed");
        }
    }

    private static void closeQuietly(KafkaClusterTestKit cluster) {
        if (cluster == null) {
            return;
        }
        try {
            // Also rethrows faults the test kit recorded during the run; by now they are only worth a log line.
            cluster.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Interrupted while stopping the embedded Kafka broker", e);
        } catch (Exception e) {
            LOG.warn("Embedded Kafka broker reported an error on shutdown", e);
        }
    }
}
