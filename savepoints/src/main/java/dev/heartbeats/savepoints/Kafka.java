package dev.heartbeats.savepoints;

import dev.heartbeats.common.kafka.DeadLetterSerializer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/** The few Kafka questions the gate and the rehearsal ask: where a consumer group is, and what a job routed where. */
public final class Kafka implements AutoCloseable {
    private final String bootstrapServers;
    private final Admin admin;

    public Kafka(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        this.admin = Admin.create(p);
    }

    /** Committed offset per partition of {@code topic} for {@code group} (absent: nothing committed yet). */
    public Map<Integer, Long> committed(String group, String topic) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        Map<Integer, Long> out = new TreeMap<>();
        offsets.forEach((tp, om) -> {
            if (tp.topic().equals(topic) && om != null) out.put(tp.partition(), om.offset());
        });
        return out;
    }

    /** The end offset (next offset to be written) per partition. */
    public Map<Integer, Long> endOffsets(String topic) throws Exception {
        var description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        description.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
        Map<Integer, Long> out = new TreeMap<>();
        admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> out.put(tp.partition(), info.offset()));
        return out;
    }

    /** Whether {@code group} has committed {@code end} (or beyond) on every partition of it. */
    public boolean reached(String group, String topic, Map<Integer, Long> end) throws Exception {
        Map<Integer, Long> c = committed(group, topic);
        for (Map.Entry<Integer, Long> e : end.entrySet()) {
            if (e.getValue() > 0 && c.getOrDefault(e.getKey(), -1L) < e.getValue()) return false;
        }
        return true;
    }

    /** Records consumed by {@code group} in total (sum of committed offsets). */
    public long consumed(String group, String topic) throws Exception {
        return committed(group, topic).values().stream().mapToLong(Long::longValue).sum();
    }

    /** Source positions ("partition@offset") of the dead letters {@code job} wrote to {@code topic}. */
    public Set<String> routedPositions(String topic, String job) {
        Set<String> out = new HashSet<>();
        for (ConsumerRecord<byte[], byte[]> r : readAll(topic)) {
            if (job != null && !job.equals(header(r, DeadLetterSerializer.JOB))) continue;
            out.add(header(r, DeadLetterSerializer.SOURCE_PARTITION) + "@" + header(r, DeadLetterSerializer.SOURCE_OFFSET));
        }
        return out;
    }

    /** Every record of {@code topic} (committed ones), in partition then offset order. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 32 * 1024 * 1024);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(topic).forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 60_000;
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out reading " + topic);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
    }
}
