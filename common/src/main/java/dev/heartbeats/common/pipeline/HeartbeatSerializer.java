package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.sessionize.CompactSerializer;
import dev.heartbeats.common.sessionize.CompactTypeInfo;
import dev.heartbeats.common.sessionize.Varints;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;

/**
 * How a valid {@link Heartbeat} crosses the network between the validation step and the keyed operators (keyBy):
 * about 40 bytes for a content heartbeat, written without reflection (the POJO serializer reads and writes each of
 * the nine fields through reflection, with a null marker for each).
 *
 * <pre>format 1: header (bits 0-2 event ordinal, bit 3 device set, bit 4 ad fields, bit 5 source partition, bit 6 partition
 *           watermark) · user id · video id (StringValue) · event time · position (zig-zag varints) · [device]
 *           · [ad id · ad position · ad duration] · [source partition (varint)] · [event time - partition watermark]</pre>
 *
 * Network only (never in state), so the optional fields are new flags of format 1.
 */
public final class HeartbeatSerializer extends CompactSerializer<Heartbeat> {
    private static final long serialVersionUID = 1L;
    public static final HeartbeatSerializer INSTANCE = new HeartbeatSerializer(1);
    /** The type of the valid-heartbeat streams. */
    public static final CompactTypeInfo<Heartbeat> TYPE = new CompactTypeInfo<>(Heartbeat.class, () -> INSTANCE);

    private static final EventType[] EVENTS = EventType.values();
    private static final int DEVICE = 1 << 3, AD = 1 << 4, PARTITION = 1 << 5, WATERMARK = 1 << 6;

    private HeartbeatSerializer(int readVersion) {
        super(readVersion);
    }

    @Override
    protected int currentVersion() {
        return 1;
    }

    @Override
    protected CompactSerializer<Heartbeat> forVersion(int version) {
        return version == readVersion ? this : new HeartbeatSerializer(version);
    }

    @Override
    protected void write(Heartbeat h, DataOutputView out) throws IOException {
        boolean ad = h.adId != null;
        boolean partition = h.sourcePartition >= 0;
        boolean watermark = h.partitionWatermark != Long.MIN_VALUE;
        out.writeByte(h.event.ordinal() | (h.deviceId != null ? DEVICE : 0) | (ad ? AD : 0) | (partition ? PARTITION : 0) | (watermark ? WATERMARK : 0));
        StringValue.writeString(h.userId, out);
        StringValue.writeString(h.videoId, out);
        Varints.writeSigned(out, h.eventTime);
        Varints.writeSigned(out, h.positionMs);
        if (h.deviceId != null) StringValue.writeString(h.deviceId, out);
        if (ad) {
            StringValue.writeString(h.adId, out);
            Varints.writeSigned(out, h.adPositionMs);
            Varints.writeSigned(out, h.adDurationMs);
        }
        if (partition) Varints.writeSigned(out, h.sourcePartition);
        if (watermark) Varints.writeSigned(out, h.eventTime - h.partitionWatermark);
    }

    @Override
    protected Heartbeat read(int version, DataInputView in) throws IOException {
        Heartbeat h = new Heartbeat();
        int header = in.readUnsignedByte();
        h.event = EVENTS[header & 0x7];
        h.userId = StringValue.readString(in);
        h.videoId = StringValue.readString(in);
        h.eventTime = Varints.readSigned(in);
        h.positionMs = Varints.readSigned(in);
        if ((header & DEVICE) != 0) h.deviceId = StringValue.readString(in);
        if ((header & AD) != 0) {
            h.adId = StringValue.readString(in);
            h.adPositionMs = Varints.readSigned(in);
            h.adDurationMs = Varints.readSigned(in);
        }
        if ((header & PARTITION) != 0) h.sourcePartition = (int) Varints.readSigned(in);
        if ((header & WATERMARK) != 0) h.partitionWatermark = h.eventTime - Varints.readSigned(in);
        return h;
    }

    @Override
    public Heartbeat createInstance() {
        return new Heartbeat();
    }

    @Override
    public Heartbeat copy(Heartbeat from) {
        return from.copy();
    }

    @Override
    public Heartbeat copy(Heartbeat from, Heartbeat reuse) {
        return from.copy();
    }
}
