package dev.heartbeats.common.kafka;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Parses and validates each record as the source reads it, the clock-skew bound F included (an event time more than F
 * ahead of the record's timestamp, which on a LogAppendTime topic is the broker's clock); never throws on input.
 */
public class IngestDeserializer implements KafkaRecordDeserializationSchema<IngestedRecord> {
    private static final long serialVersionUID = 1L;

    private final ContractParams params;
    private transient HeartbeatParser parser;

    public IngestDeserializer(ContractParams params) {
        this.params = params;
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<IngestedRecord> out) {
        if (parser == null) parser = new HeartbeatParser();
        out.collect(ingest(parser, params, record.topic(), record.partition(), record.offset(), record.timestamp(), record.key(), record.value()));
    }

    /**
     * One record as every job sees it, from Kafka or from the archive (a restatement): parsed and validated, with its
     * original bytes and provenance.
     */
    public static IngestedRecord ingest(HeartbeatParser parser, ContractParams params, String topic, int partition, long offset, long timestamp,
                                        byte[] key, byte[] value) {
        IngestedRecord r = new IngestedRecord();
        Heartbeat h = new Heartbeat();
        String reason = parser.parse(value, h);
        if (reason == null) reason = params.clockSkewViolation(h.eventTime, timestamp);
        if (reason == null) {
            r.heartbeat = h;
        } else {
            r.invalidReason = reason;
        }
        r.key = key;
        r.value = value;
        r.topic = topic;
        r.partition = partition;
        r.offset = offset;
        r.kafkaTimestamp = timestamp;
        return r;
    }

    @Override
    public TypeInformation<IngestedRecord> getProducedType() {
        return TypeInformation.of(IngestedRecord.class);
    }
}
