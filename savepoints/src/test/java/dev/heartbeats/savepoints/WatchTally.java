package dev.heartbeats.savepoints;

import dev.heartbeats.common.sessionize.CompactSerializer;
import dev.heartbeats.common.sessionize.CompactTypeInfo;
import dev.heartbeats.common.sessionize.Varints;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;
import org.apache.flink.types.StringValue;

import java.io.IOException;

/**
 * A test-only keyed state type that gains a field from one release to the next, stored with the suite's versioned
 * serializer mechanism ({@link CompactSerializer}, as {@code PairStateSerializer} and {@code BeatSerializer} use it):
 * <pre>format 1: heartbeats · last position (varints)
 * format 2: heartbeats · last position · [device] (bit 0 of a header byte: device present)</pre>
 * Release 1 of the code knows format 1 only; release 2 writes format 2 and still reads format 1.
 */
public class WatchTally {
    public long heartbeats;
    public long lastPosition;
    /** Added in format 2; {@code null} for state written by release 1 until the pair's next heartbeat. */
    public String lastDevice;

    public static final CompactTypeInfo<WatchTally> TYPE = new CompactTypeInfo<>(WatchTally.class, () -> Serializer.INSTANCE);

    /**
     * The serializer. Which release's code runs is a test knob ({@link #release}): two releases of one class cannot
     * share a JVM otherwise. The snapshot records the class and the format; a restore asks {@code INSTANCE} of the
     * code that runs then for a reader of the recorded format, exactly as for the production serializers.
     */
    public static final class Serializer extends CompactSerializer<WatchTally> {
        private static final long serialVersionUID = 1L;
        private static volatile int codeRelease = 1;
        public static volatile Serializer INSTANCE = new Serializer(1);

        private Serializer(int readVersion) {
            super(readVersion);
        }

        /** Switches the code to release {@code r} (1 or 2). */
        static synchronized void release(int r) {
            codeRelease = r;
            INSTANCE = new Serializer(r);
        }

        /** The release whose code runs (tests). */
        static int codeRelease() {
            return codeRelease;
        }

        @Override
        protected int currentVersion() {
            return codeRelease;
        }

        @Override
        protected CompactSerializer<WatchTally> forVersion(int version) {
            return version == readVersion ? this : new Serializer(version);
        }

        @Override
        protected void write(WatchTally t, DataOutputView out) throws IOException {
            if (currentVersion() >= 2) out.writeByte(t.lastDevice != null ? 1 : 0);
            Varints.writeSigned(out, t.heartbeats);
            Varints.writeSigned(out, t.lastPosition);
            if (currentVersion() >= 2 && t.lastDevice != null) StringValue.writeString(t.lastDevice, out);
        }

        @Override
        protected WatchTally read(int version, DataInputView in) throws IOException {
            WatchTally t = new WatchTally();
            int header = version >= 2 ? in.readUnsignedByte() : 0;
            t.heartbeats = Varints.readSigned(in);
            t.lastPosition = Varints.readSigned(in);
            if ((header & 1) != 0) t.lastDevice = StringValue.readString(in);
            return t;
        }

        @Override
        public WatchTally createInstance() {
            return new WatchTally();
        }

        @Override
        public WatchTally copy(WatchTally from) {
            WatchTally t = new WatchTally();
            t.heartbeats = from.heartbeats;
            t.lastPosition = from.lastPosition;
            t.lastDevice = from.lastDevice;
            return t;
        }

        @Override
        public WatchTally copy(WatchTally from, WatchTally reuse) {
            return copy(from);
        }
    }
}
