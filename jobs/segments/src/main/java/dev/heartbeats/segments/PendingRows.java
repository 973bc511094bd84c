package dev.heartbeats.segments;

import dev.heartbeats.common.sessionize.CompactSerializer;
import dev.heartbeats.common.sessionize.CompactTypeInfo;
import dev.heartbeats.common.sessionize.Varints;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;

/**
 * The rows of one pair that the {@link RowCoalescer} still holds back at a checkpoint: its open segment's
 * latest row and its latest resume point. They are part of the checkpoint (keyed state {@value #STATE_NAME}, so
 * they move with the pair's key group on rescaling) instead of being written to the database at the barrier; a
 * restored job writes them first, before any replayed heartbeat. The state name is part of the savepoint format.
 */
public final class PendingRows {
    static final String STATE_NAME = "pending-rows";

    /** Null: none waiting. */
    WatchSegment segment;
    /** Null: none waiting. */
    VideoProgress progress;

    static ValueStateDescriptor<PendingRows> descriptor() {
        return new ValueStateDescriptor<>(STATE_NAME, new CompactTypeInfo<>(PendingRows.class, () -> Serializer.INSTANCE));
    }

    /**
     * <pre>format 1: header byte (bit 0 segment, bit 1 progress) · user id · video id (Flink StringValue)
     *           · [segment: segment start, session start, segment end, start pos, end pos, heartbeats (zig-zag varints)]
     *           · [progress: position, event time (zig-zag varints) · device id present (byte) · [device id]]</pre>
     */
    public static final class Serializer extends CompactSerializer<PendingRows> {
        private static final long serialVersionUID = 1L;
        public static final Serializer INSTANCE = new Serializer(1);
        private static final int SEGMENT = 1;
        private static final int PROGRESS = 1 << 1;

        private Serializer(int readVersion) {
            super(readVersion);
        }

        @Override
        protected int currentVersion() {
            return 1;
        }

        @Override
        protected CompactSerializer<PendingRows> forVersion(int version) {
            return version == readVersion ? this : new Serializer(version);
        }

        @Override
        protected void write(PendingRows r, DataOutputView out) throws IOException {
            out.writeByte((r.segment != null ? SEGMENT : 0) | (r.progress != null ? PROGRESS : 0));
            StringValue.writeString(r.segment != null ? r.segment.userId : r.progress.userId, out);
            StringValue.writeString(r.segment != null ? r.segment.videoId : r.progress.videoId, out);
            if (r.segment != null) {
                WatchSegment s = r.segment;
                Varints.writeSigned(out, s.segmentStart);
                Varints.writeSigned(out, s.sessionStart);
                Varints.writeSigned(out, s.segmentEnd);
                Varints.writeSigned(out, s.startPosMs);
                Varints.writeSigned(out, s.endPosMs);
                Varints.writeSigned(out, s.heartbeats);
            }
            if (r.progress != null) {
                VideoProgress p = r.progress;
                Varints.writeSigned(out, p.positionMs);
                Varints.writeSigned(out, p.eventTime);
                out.writeBoolean(p.deviceId != null);
                if (p.deviceId != null) StringValue.writeString(p.deviceId, out);
            }
        }

        @Override
        protected PendingRows read(int version, DataInputView in) throws IOException {
            PendingRows r = new PendingRows();
            int header = in.readUnsignedByte();
            String userId = StringValue.readString(in);
            String videoId = StringValue.readString(in);
            if ((header & SEGMENT) != 0) {
                WatchSegment s = WatchSegment.key(userId, videoId, Varints.readSigned(in));
                s.sessionStart = Varints.readSigned(in);
                s.segmentEnd = Varints.readSigned(in);
                s.startPosMs = Varints.readSigned(in);
                s.endPosMs = Varints.readSigned(in);
                s.heartbeats = Varints.readSigned(in);
                r.segment = s;
            }
            if ((header & PROGRESS) != 0) {
                long position = Varints.readSigned(in);
                long eventTime = Varints.readSigned(in);
                String device = in.readBoolean() ? StringValue.readString(in) : null;
                r.progress = VideoProgress.of(userId, videoId, position, eventTime, device);
            }
            return r;
        }

        @Override
        public PendingRows createInstance() {
            return new PendingRows();
        }

        @Override
        public PendingRows copy(PendingRows from) {
            PendingRows r = new PendingRows();
            r.segment = from.segment; // rows are never mutated after they are built
            r.progress = from.progress;
            return r;
        }

        @Override
        public PendingRows copy(PendingRows from, PendingRows reuse) {
            return copy(from);
        }
    }
}
