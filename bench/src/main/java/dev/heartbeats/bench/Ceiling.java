package dev.heartbeats.bench;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * The ceiling for any job on this machine and data: one plain KafkaConsumer thread that reads the whole topic (and,
 * in the second variant, parses and validates every value with the jobs' {@link HeartbeatParser}). Consumer settings
 * are the client's defaults, as the Flink Kafka source uses them.
 */
final class Ceiling {
    private Ceiling() {}

    /** @return records per second */
    static double read(dev.heartbeats.common.kafka.KafkaClientConfig kafka, String topic, boolean parse) {
        Properties p = kafka.properties();
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        HeartbeatParser parser = new HeartbeatParser();
        Heartbeat h = new Heartbeat();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(x -> new TopicPartition(topic, x.partition())).collect(Collectors.toList());
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long total = end.values().stream().mapToLong(Long::longValue).sum();
            long n = 0;
            long valid = 0;
            long start = System.nanoTime();
            while (n < total) {
                ConsumerRecords<byte[], byte[]> batch = c.poll(Duration.ofMillis(500));
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    n++;
                    if (parse && parser.parse(r.value(), h) == null) valid++;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (parse && valid == 0) throw new IllegalStateException("no valid heartbeat in " + topic);
            return n / seconds;
        }
    }
}
