package dev.heartbeats.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import dev.heartbeats.common.kafka.TopicLimits;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaTest {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startBroker() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void producesAndConsumesAcrossARestartOnTheSameAddress() throws Exception {
        String bootstrap = kafka.bootstrapServers();
        assertThat(bootstrap).matches("localhost:\\d+");
        kafka.createTopic("heartbeats", 4);
        kafka.createTopic("heartbeats", 4); // idempotent

        produce(bootstrap, "heartbeats", List.of("a", "b", "c"));
        assertThat(consumeAll(bootstrap, "heartbeats", 3)).containsExactlyInAnyOrder("a", "b", "c");

        kafka.restart();

        assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
        produce(bootstrap, "heartbeats", List.of("d", "e", "f"));
        // Records written before the restart were reloaded from disk.
        assertThat(consumeAll(bootstrap, "heartbeats", 6)).containsExactlyInAnyOrder("a", "b", "c", "d", "e", "f");
    }

    /**
     * The input topic has the production limit (about 1 MiB per batch): a 10 MB record is refused as it stands and
     * accepted compressed, as from a production producer that compresses.
     */
    @Test
    void theInputTopicTakesATenMegabyteRecordOnlyCompressed() throws Exception {
        kafka.createTopic("big", 1);
        byte[] value = new byte[10 * 1024 * 1024];
        Arrays.fill(value, (byte) 7);

        Properties p = producerProps(kafka.bootstrapServers());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 * 1024 * 1024);
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("big", value)).get())
                    .hasCauseInstanceOf(RecordTooLargeException.class);
        }
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>("big", value)).get();
        }

        Properties c = consumerProps(kafka.bootstrapServers());
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of("big"));
            List<byte[]> received = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.isEmpty() && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> received.add(r.value()));
            }
            assertThat(received).hasSize(1);
            assertThat(received.get(0)).isEqualTo(value);
        }
    }

    /** The topics get the size limits of the production topics (TopicLimits, which a k8s test compares with the manifests). */
    @Test
    void topicsHaveTheProductionSizeLimits() throws Exception {
        kafka.createTopic("limits-input", 2);
        kafka.createDeadLetterTopic("limits-dlq", 1);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            ConfigResource input = new ConfigResource(ConfigResource.Type.TOPIC, "limits-input");
            ConfigResource dlq = new ConfigResource(ConfigResource.Type.TOPIC, "limits-dlq");
            Map<ConfigResource, Config> configs = admin.describeConfigs(List.of(input, dlq)).all().get();
            assertThat(configs.get(input).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value())
                    .isEqualTo(TopicLimits.inputTopicConfig().get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG))
                    .isEqualTo(Integer.toString(TopicLimits.INPUT_MAX_MESSAGE_BYTES));
            assertThat(configs.get(dlq).get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value())
                    .isEqualTo(Integer.toString(TopicLimits.DEAD_LETTER_MAX_MESSAGE_BYTES));
        }
    }

    private static void produce(String bootstrap, String topic, List<String> values) throws Exception {
        try (KafkaProducer<String, String> producer =
                     new KafkaProducer<>(producerProps(bootstrap), new StringSerializer(), new StringSerializer())) {
            for (String v : values) {
                producer.send(new ProducerRecord<>(topic, v, v)).get();
            }
        }
    }

    private static List<String> consumeAll(String bootstrap, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                     new KafkaConsumer<>(consumerProps(bootstrap), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
            // Nothing beyond what we expect shows up.
            consumer.poll(Duration.ofMillis(300)).forEach(r -> values.add(r.value()));
        }
        return values;
    }

    private static Properties producerProps(String bootstrap) {
        Properties p = new Properties();
        p.putAll(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 60_000));
        return p;
    }

    private static Properties consumerProps(String bootstrap) {
        Properties p = new Properties();
        p.putAll(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"));
        return p;
    }
}
