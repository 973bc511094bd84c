package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.java.typeutils.runtime.PojoSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * Base of the hand-written state serializers: a stateless serializer of a mutable type whose binary format has a
 * version. The snapshot records the format version the data was written with; a restored serializer reads exactly
 * that format, so a later format change keeps old savepoints readable (Flink migrates the state:
 * {@code compatibleAfterMigration}). State written by Flink's POJO serializer (the layout before these serializers)
 * is migrated the same way.
 *
 * <p>To change a format: bump {@link #currentVersion()}, keep reading every older version in {@link #read}, and
 * write only the newest one.
 */
public abstract class CompactSerializer<T> extends TypeSerializer<T> {
    private static final long serialVersionUID = 1L;

    /** The format this instance reads (it always writes {@link #currentVersion()}; only a restore serializer reads older). */
    protected final int readVersion;

    protected CompactSerializer(int readVersion) {
        if (readVersion < 1 || readVersion > currentVersion()) throw new IllegalArgumentException(getClass().getSimpleName() + ": unknown format version " + readVersion);
        this.readVersion = readVersion;
    }

    /** The format version written now. */
    protected abstract int currentVersion();

    /** A serializer reading {@code version} (for restoring state written with it). */
    protected abstract CompactSerializer<T> forVersion(int version);

    protected abstract void write(T value, DataOutputView out) throws IOException;

    protected abstract T read(int version, DataInputView in) throws IOException;

    @Override
    public final void serialize(T value, DataOutputView out) throws IOException {
        write(value, out);
    }

    @Override
    public final T deserialize(DataInputView in) throws IOException {
        return read(readVersion, in);
    }

    @Override
    public final T deserialize(T reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public final void copy(DataInputView in, DataOutputView out) throws IOException {
        write(read(readVersion, in), out);
    }

    @Override
    public boolean isImmutableType() {
        return false;
    }

    @Override
    public TypeSerializer<T> duplicate() {
        return this; // stateless
    }

    @Override
    public int getLength() {
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        return o != null && o.getClass() == getClass() && ((CompactSerializer<?>) o).readVersion == readVersion;
    }

    @Override
    public int hashCode() {
        return getClass().hashCode() * 31 + readVersion;
    }

    @Override
    public TypeSerializerSnapshot<T> snapshotConfiguration() {
        return new Snapshot<>(this);
    }

    /**
     * The snapshot of a {@link CompactSerializer}: its class and the format version. Flink instantiates it by
     * reflection on restore (public no-arg constructor), reads the class name and version, and asks the current
     * serializer's snapshot whether the old data can be used as is.
     */
    public static final class Snapshot<T> implements TypeSerializerSnapshot<T> {
        private static final int SNAPSHOT_VERSION = 1;
        private CompactSerializer<T> serializer;

        public Snapshot() {}

        Snapshot(CompactSerializer<T> serializer) {
            this.serializer = serializer;
        }

        @Override
        public int getCurrentVersion() {
            return SNAPSHOT_VERSION;
        }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeUTF(serializer.getClass().getName());
            out.writeInt(serializer.currentVersion());
        }

        @Override
        @SuppressWarnings("unchecked")
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader classLoader) throws IOException {
            String name = in.readUTF();
            int formatVersion = in.readInt();
            try {
                CompactSerializer<T> current = (CompactSerializer<T>) Class.forName(name, true, classLoader).getField("INSTANCE").get(null);
                serializer = current.forVersion(formatVersion);
            } catch (ReflectiveOperationException | ClassCastException e) {
                throw new IOException("cannot restore serializer " + name + " (format " + formatVersion + ")", e);
            }
        }

        @Override
        public TypeSerializer<T> restoreSerializer() {
            return serializer;
        }

        @Override
        public TypeSerializerSchemaCompatibility<T> resolveSchemaCompatibility(TypeSerializerSnapshot<T> old) {
            if (old instanceof Snapshot) {
                CompactSerializer<T> before = ((Snapshot<T>) old).serializer;
                if (before.getClass() != serializer.getClass()) return TypeSerializerSchemaCompatibility.incompatible();
                return before.readVersion == serializer.currentVersion() ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                        : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            }
            // State from before the compact format (Flink's POJO serializer): read it with that, write ours.
            if (old instanceof PojoSerializerSnapshot) return TypeSerializerSchemaCompatibility.compatibleAfterMigration();
            return TypeSerializerSchemaCompatibility.incompatible();
        }
    }
}
