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
    /**
     * Read by a restatement only to rebuild state (its warm-up before the range, or the records after it that can
     * still change the range's rows): it is routed like any other, but its dead letter or too-late record is not sent
     * again (the run of its own range sends it). Always false for records read from Kafka.
     */
    public boolean outsideRange;

    public IngestedRecord() {}

    public boolean isValid() {
        return heartbeat != null;
    }
}
