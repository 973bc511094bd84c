package dev.heartbeats.generator;

import dev.heartbeats.common.contract.Heartbeat;

/**
 * One Kafka record as {@link HeartbeatGenerator} delivers it. Do not modify the arrays or the heartbeat: a
 * duplicate shares its value bytes with the original.
 */
public final class GeneratedRecord {
    /** How the record came to be delivered. */
    public enum Kind {
        /** A valid heartbeat delivered at its event time. */
        VALID,
        /** A byte-identical second delivery of a valid record, a little after the first. */
        DUPLICATE,
        /** Delivered 1 to 20 s after its event time, so after later heartbeats. */
        OUT_OF_ORDER,
        /** Delivered 1 to 8 min after its event time: late, but within the allowed lateness L = 10 min. */
        LATE_WITHIN,
        /** Delivered more than 25 min after its event time: beyond L plus any watermark delay. */
        TOO_LATE,
        /** Not a valid heartbeat (see {@link InvalidKind}); {@link #heartbeat()} is null. */
        INVALID
    }

    private final byte[] key;
    private final byte[] value;
    private final Heartbeat heartbeat;
    private final Kind kind;
    private final InvalidKind invalidKind;
    // Set by the generator while the record waits in its delivery queue, final once emitted.
    long deliveryTime;
    long seq;
    long maxEventTimeBefore;

    GeneratedRecord(byte[] key, byte[] value, Heartbeat heartbeat, Kind kind, InvalidKind invalidKind, long deliveryTime) {
        this.key = key;
        this.value = value;
        this.heartbeat = heartbeat;
        this.kind = kind;
        this.invalidKind = invalidKind;
        this.deliveryTime = deliveryTime;
    }

    /** The user id as UTF-8 (for invalid records too: the user whose player sent it). */
    public byte[] key() { return key; }

    /** The record value; {@code null} for a tombstone. */
    public byte[] value() { return value; }

    /** The heartbeat, or {@code null} when the record is invalid. */
    public Heartbeat heartbeat() { return heartbeat; }

    public Kind kind() { return kind; }

    public boolean isValid() { return heartbeat != null; }

    /** The kind of invalidity, as {@link InvalidKind#label()}, or {@code null} for a valid record. */
    public String invalidKind() { return invalidKind == null ? null : invalidKind.label(); }

    public InvalidKind invalidKindEnum() { return invalidKind; }

    /** Simulated wall-clock time of delivery, epoch ms; non-decreasing along the stream. */
    public long deliveryTime() { return deliveryTime; }

    /** The largest event time among the valid records delivered before this one ({@code Long.MIN_VALUE} if none). */
    public long maxEventTimeBefore() { return maxEventTimeBefore; }

    @Override
    public String toString() {
        return kind + (invalidKind != null ? "(" + invalidKind.label() + ")" : "") + " @" + deliveryTime + " "
                + (heartbeat != null ? heartbeat.toString() : value == null ? "<tombstone>" : value.length + " bytes");
    }
}
