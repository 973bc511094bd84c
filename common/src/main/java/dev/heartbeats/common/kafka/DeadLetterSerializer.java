package dev.heartbeats.common.kafka;

import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;

/** Writes a {@link DeadLetter} with its original bytes as key and value and the rest as headers. */
public class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
    private static final long serialVersionUID = 1L;

    public static final String REASON = "reason";
    public static final String SOURCE_TOPIC = "source-topic";
    public static final String SOURCE_PARTITION = "source-partition";
    public static final String SOURCE_OFFSET = "source-offset";
    public static final String SOURCE_TIMESTAMP = "source-timestamp";
    public static final String JOB = "job";
    public static final String ROUTED_AT = "routed-at";

    private final String topic;
    private final String job;

    public DeadLetterSerializer(String topic, String job) {
        this.topic = topic;
        this.job = job;
    }

    @Override
    public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(REASON, utf8(d.reason));
        headers.add(SOURCE_TOPIC, utf8(d.sourceTopic));
        headers.add(SOURCE_PARTITION, utf8(Integer.toString(d.sourcePartition)));
        headers.add(SOURCE_OFFSET, utf8(Long.toString(d.sourceOffset)));
        headers.add(SOURCE_TIMESTAMP, utf8(Long.toString(d.sourceTimestamp)));
        headers.add(JOB, utf8(job));
        headers.add(ROUTED_AT, utf8(Long.toString(System.currentTimeMillis())));
        return new ProducerRecord<>(topic, null, null, d.key, d.value, headers);
    }

    private static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }
}
