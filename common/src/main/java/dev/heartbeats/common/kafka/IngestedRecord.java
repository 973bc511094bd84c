package dev.heartbeats.common.kafka;

import dev.heartbeats.common.contract.Heartbeat;

/**
 * One Kafka record as read: either a parsed {@link #heartbeat} or an {@link #invalidReason}, with the original bytes
 * and provenance kept so that a rejected record can be sent on untouched. Lives only inside the source's operator
 * chain (object reuse), so the bytes are not copied.
 */
public class IngestedRecord {
    public Heartbeat heartbeat;
    public String invalidReason;
    public byte[] key;
    public byte[] value;
    public String topic;
    public int partition;
    public long offset;
    public long kafkaTimestamp;

    public IngestedRecord() {}

    public boolean isValid() {
        return heartbeat != null;
    }
}
