package dev.heartbeats.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
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

    @Test
    void acceptsTenMegabyteRecords() throws Exception {
        kafka.createTopic("big", 1);
        byte[] value = new byte[10 * 1024 * 1024];
        Arrays.fill(value, (byte) 7);

        Properties p = producerProps(kafka.bootstrapServers());
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, EmbeddedKafka.MAX_MESSAGE_BYTES);
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
