package dev.heartbeats.common.sessionize;

import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;

/**
 * The state format of a {@link PairState}: the two folds with their times as small deltas from the tail's last
 * heartbeat, flags in bits, and the device id once when both folds share it; ~40-70 bytes instead of ~300 with the
 * POJO serializer, and no reflection.
 *
 * <pre>format 2 (format 1 without the segments job's resume-point coalescing, bits 3 and 4 always 0):
 *   state flags (bit 0 frontier set, 1 bufferFirst set, 2 timerTime set; format 1: 3 progressEmittedAt set, 4 progressPending)
 *   tail fold (base 0) · frozen fold (base tail.lastTime)
 *   [tail.lastTime - frontier] [bufferFirst - tail.lastTime] [timerTime - tail.lastTime] [format 1: progressEmittedAt]   (zig-zag varints)
 * fold:
 *   flags (bit 0 started, 1 lastWasStop, 2 lastWasAd, 3 hasSegment, 4 hasProgress, 5 progDevice set, 6 hours, 7 device as tail's)
 *   base - lastTime · lastTime - sessionStart
 *   [hasSegment: lastTime - segEnd · segEnd - segStart · segStart - segSessionStart · segStartPos · segEndPos - segStartPos · segBeats]
 *   [hasProgress: lastTime - progTime · progPos] [progDevice (StringValue)] [hours: n · (hour - previous hour · watched) x n]</pre>
 *
 * Differences are taken modulo 2^64, so every value round-trips exactly, however far apart. The segment fields of a
 * fold without a segment are not kept (nothing reads them before a new segment sets them). Both formats are read the
 * same way: the fields format 2 dropped are read when their bits are set, and a waiting resume point of format 1
 * becomes {@link PairState#legacyProgressPending}.
 */
public final class PairStateSerializer extends CompactSerializer<PairState> {
    private static final long serialVersionUID = 1L;
    public static final PairStateSerializer INSTANCE = new PairStateSerializer(2);

    private static final int FRONTIER = 1, BUFFER_FIRST = 1 << 1, TIMER = 1 << 2, EMITTED_AT = 1 << 3, PENDING = 1 << 4;
    private static final int STARTED = 1, LAST_STOP = 1 << 1, LAST_AD = 1 << 2, SEGMENT = 1 << 3, PROGRESS = 1 << 4, DEVICE = 1 << 5,
            HOURS = 1 << 6, SAME_DEVICE = 1 << 7;
    private static final long[] NONE = new long[0];

    private PairStateSerializer(int readVersion) {
        super(readVersion);
    }

    @Override
    protected int currentVersion() {
        return 2;
    }

    @Override
    protected CompactSerializer<PairState> forVersion(int version) {
        return version == readVersion ? this : new PairStateSerializer(version);
    }

    @Override
    protected void write(PairState s, DataOutputView out) throws IOException {
        int flags = (s.frontier != Long.MIN_VALUE ? FRONTIER : 0) | (s.bufferFirst != Long.MAX_VALUE ? BUFFER_FIRST : 0)
                | (s.timerTime != Long.MIN_VALUE ? TIMER : 0);
        out.writeByte(flags);
        long base = s.tail.lastTime;
        writeFold(s.tail, 0, null, out);
        writeFold(s.frozen, base, s.tail.progDevice, out);
        if ((flags & FRONTIER) != 0) Varints.writeSigned(out, base - s.frontier);
        if ((flags & BUFFER_FIRST) != 0) Varints.writeSigned(out, s.bufferFirst - base);
        if ((flags & TIMER) != 0) Varints.writeSigned(out, s.timerTime - base);
    }

    private static void writeFold(PairFold f, long base, String otherDevice, DataOutputView out) throws IOException {
        boolean sameDevice = f.progDevice != null && f.progDevice.equals(otherDevice);
        int flags = (f.started ? STARTED : 0) | (f.lastWasStop ? LAST_STOP : 0) | (f.lastWasAd ? LAST_AD : 0) | (f.hasSegment ? SEGMENT : 0)
                | (f.hasProgress ? PROGRESS : 0) | (f.progDevice != null ? DEVICE : 0) | (f.hours.length > 0 ? HOURS : 0) | (sameDevice ? SAME_DEVICE : 0);
        out.writeByte(flags);
        long last = f.lastTime;
        Varints.writeSigned(out, base - last);
        Varints.writeSigned(out, last - f.sessionStart);
        if (f.hasSegment) {
            Varints.writeSigned(out, last - f.segEnd);
            Varints.writeSigned(out, f.segEnd - f.segStart);
            Varints.writeSigned(out, f.segStart - f.segSessionStart);
            Varints.writeSigned(out, f.segStartPos);
            Varints.writeSigned(out, f.segEndPos - f.segStartPos);
            Varints.writeUnsigned(out, f.segBeats & 0xFFFFFFFFL);
        }
        if (f.hasProgress) {
            Varints.writeSigned(out, last - f.progTime);
            Varints.writeSigned(out, f.progPos);
        }
        if (f.progDevice != null && !sameDevice) StringValue.writeString(f.progDevice, out);
        if (f.hours.length > 0) {
            Varints.writeUnsigned(out, f.hours.length);
            long prev = 0;
            for (int i = 0; i < f.hours.length; i++) {
                Varints.writeSigned(out, f.hours[i] - prev);
                Varints.writeSigned(out, f.watched[i]);
                prev = f.hours[i];
            }
        }
    }

    @Override
    protected PairState read(int version, DataInputView in) throws IOException {
        PairState s = new PairState();
        int flags = in.readUnsignedByte();
        s.tail = readFold(0, null, in);
        long base = s.tail.lastTime;
        s.frozen = readFold(base, s.tail.progDevice, in);
        if ((flags & FRONTIER) != 0) s.frontier = base - Varints.readSigned(in);
        if ((flags & BUFFER_FIRST) != 0) s.bufferFirst = Varints.readSigned(in) + base;
        if ((flags & TIMER) != 0) s.timerTime = Varints.readSigned(in) + base;
        if ((flags & EMITTED_AT) != 0) Varints.readSigned(in); // format 1's emission time: no longer needed
        s.legacyProgressPending = (flags & PENDING) != 0;
        return s;
    }

    private static PairFold readFold(long base, String otherDevice, DataInputView in) throws IOException {
        PairFold f = new PairFold();
        int flags = in.readUnsignedByte();
        f.started = (flags & STARTED) != 0;
        f.lastWasStop = (flags & LAST_STOP) != 0;
        f.lastWasAd = (flags & LAST_AD) != 0;
        f.hasSegment = (flags & SEGMENT) != 0;
        f.hasProgress = (flags & PROGRESS) != 0;
        long last = base - Varints.readSigned(in);
        f.lastTime = last;
        f.sessionStart = last - Varints.readSigned(in);
        if (f.hasSegment) {
            f.segEnd = last - Varints.readSigned(in);
            f.segStart = f.segEnd - Varints.readSigned(in);
            f.segSessionStart = f.segStart - Varints.readSigned(in);
            f.segStartPos = Varints.readSigned(in);
            f.segEndPos = f.segStartPos + Varints.readSigned(in);
            f.segBeats = (int) Varints.readUnsigned(in);
        }
        if (f.hasProgress) {
            f.progTime = last - Varints.readSigned(in);
            f.progPos = Varints.readSigned(in);
        }
        if ((flags & SAME_DEVICE) != 0) f.progDevice = otherDevice;
        else if ((flags & DEVICE) != 0) f.progDevice = StringValue.readString(in);
        if ((flags & HOURS) != 0) {
            int n = (int) Varints.readUnsigned(in);
            long[] hours = new long[n];
            long[] watched = new long[n];
            long prev = 0;
            for (int i = 0; i < n; i++) {
                hours[i] = prev + Varints.readSigned(in);
                watched[i] = Varints.readSigned(in);
                prev = hours[i];
            }
            f.hours = hours;
            f.watched = watched;
        } else {
            f.hours = NONE;
            f.watched = NONE;
        }
        return f;
    }

    @Override
    public PairState createInstance() {
        return new PairState();
    }

    @Override
    public PairState copy(PairState from) {
        PairState s = new PairState();
        s.frozen = from.frozen.copy();
        s.tail = from.tail.copy();
        s.frontier = from.frontier;
        s.bufferFirst = from.bufferFirst;
        s.timerTime = from.timerTime;
        s.legacyProgressPending = from.legacyProgressPending;
        return s;
    }

    @Override
    public PairState copy(PairState from, PairState reuse) {
        return copy(from);
    }

    /** For {@code @TypeInfo} on {@link PairState}. */
    public static final class Factory extends org.apache.flink.api.common.typeinfo.TypeInfoFactory<PairState> {
        @Override
        public org.apache.flink.api.common.typeinfo.TypeInformation<PairState> createTypeInfo(java.lang.reflect.Type t,
                java.util.Map<String, org.apache.flink.api.common.typeinfo.TypeInformation<?>> generics) {
            return new CompactTypeInfo<>(PairState.class, () -> INSTANCE);
        }
    }
}
