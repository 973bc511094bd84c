package dev.heartbeats.common.sessionize;

import org.apache.flink.api.common.serialization.SerializerConfig;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;

import java.util.function.Supplier;

/**
 * Type information for a class with a hand-written serializer: Flink uses it for state descriptors and network
 * exchanges instead of the reflective POJO serializer. Not a key type.
 */
public final class CompactTypeInfo<T> extends TypeInformation<T> {
    private static final long serialVersionUID = 1L;

    private final Class<T> type;
    private final SerializableSupplier<TypeSerializer<T>> serializer;

    /** A serializer factory that can travel with the job graph. */
    public interface SerializableSupplier<S> extends Supplier<S>, java.io.Serializable {}

    public CompactTypeInfo(Class<T> type, SerializableSupplier<TypeSerializer<T>> serializer) {
        this.type = type;
        this.serializer = serializer;
    }

    @Override public boolean isBasicType() { return false; }

    @Override public boolean isTupleType() { return false; }

    @Override public int getArity() { return 1; }

    @Override public int getTotalFields() { return 1; }

    @Override public Class<T> getTypeClass() { return type; }

    @Override public boolean isKeyType() { return false; }

    @Override
    public TypeSerializer<T> createSerializer(SerializerConfig config) {
        return serializer.get();
    }

    @Override
    public String toString() {
        return "CompactTypeInfo<" + type.getSimpleName() + ">";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CompactTypeInfo && ((CompactTypeInfo<?>) o).type == type;
    }

    @Override
    public int hashCode() {
        return type.hashCode();
    }

    @Override
    public boolean canEqual(Object o) {
        return o instanceof CompactTypeInfo;
    }
}
