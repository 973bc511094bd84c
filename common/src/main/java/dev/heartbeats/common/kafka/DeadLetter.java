package dev.heartbeats.common.kafka;

/**
 * A record sent to the dead-letter topic (invalid) or the late topic (too late): the original key and value bytes,
 * a readable reason, and where it came from, which is enough for a replay tool.
 */
public class DeadLetter {
    public byte[] key;
    public byte[] value;
    public String reason;
    public String sourceTopic;
    public int sourcePartition;
    public long sourceOffset;
    public long sourceTimestamp;

    public DeadLetter() {}

    public static DeadLetter of(IngestedRecord r, String reason) {
        DeadLetter d = new DeadLetter();
        d.key = r.key;
        d.value = r.value;
        d.reason = reason;
        d.sourceTopic = r.topic;
        d.sourcePartition = r.partition;
        d.sourceOffset = r.offset;
        d.sourceTimestamp = r.kafkaTimestamp;
        return d;
    }
}
