package dev.heartbeats.common.archive;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * One Kafka record of the input topic as the archive keeps it: its raw key and value bytes (so that a restatement
 * parses exactly what the live jobs parsed), where it was (topic, partition, offset) and its timestamp with the
 * timestamp's type. One Parquet row ({@link ArchiveFormat}).
 */
public class ArchiveRecord {
    public String topic;
    public int partition;
    public long offset;
    public long timestamp;
    /** Kafka's name of the timestamp type: {@code LogAppendTime} (the broker's clock), {@code CreateTime} or {@code NoTimestampType}. */
    public String timestampType;
    public byte[] key;
    public byte[] value;

    public ArchiveRecord() {}

    public static ArchiveRecord of(ConsumerRecord<byte[], byte[]> r) {
        ArchiveRecord a = new ArchiveRecord();
        a.topic = r.topic();
        a.partition = r.partition();
        a.offset = r.offset();
        a.timestamp = r.timestamp();
        a.timestampType = r.timestampType().name;
        a.key = r.key();
        a.value = r.value();
        return a;
    }

    /** "topic:partition", the key the routing keeps its per-partition state under. */
    public String partitionKey() {
        return topic + ':' + partition;
    }

    @Override
    public String toString() {
        return topic + ":" + partition + "@" + offset + " ts " + timestamp + " (" + timestampType + ")";
    }
}
