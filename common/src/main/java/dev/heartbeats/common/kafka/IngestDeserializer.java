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
        IngestedRecord r = new IngestedRecord();
        Heartbeat h = new Heartbeat();
        String reason = parser.parse(record.value(), h);
        if (reason == null) reason = params.clockSkewViolation(h.eventTime, record.timestamp());
        if (reason == null) {
            r.heartbeat = h;
        } else {
            r.invalidReason = reason;
        }
        r.key = record.key();
        r.value = record.value();
        r.topic = record.topic();
        r.partition = record.partition();
        r.offset = record.offset();
        r.kafkaTimestamp = record.timestamp();
        out.collect(r);
    }

    @Override
    public TypeInformation<IngestedRecord> getProducedType() {
        return TypeInformation.of(IngestedRecord.class);
    }
}
