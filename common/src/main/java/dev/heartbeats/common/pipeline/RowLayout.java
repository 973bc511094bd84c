package dev.heartbeats.common.pipeline;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.typeutils.RowTypeInfo;
import org.apache.flink.table.api.DataTypes;
import org.apache.flink.table.api.Schema;
import org.apache.flink.table.types.DataType;
import org.apache.flink.types.Row;
import org.apache.flink.types.RowKind;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * The layout of the rows a keyed step hands to the Table API, declared once: the {@link RowTypeInfo} of the
 * DataStream and the table {@link Schema} are both derived from it, so the two cannot drift apart.
 */
public final class RowLayout implements Serializable {
    private static final long serialVersionUID = 1L;

    private final List<String> names;
    /** true: BIGINT NOT NULL; false: STRING NOT NULL. */
    private final List<Boolean> bigint;

    private RowLayout(List<String> names, List<Boolean> bigint) {
        this.names = List.copyOf(names);
        this.bigint = List.copyOf(bigint);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Columns in order; every one NOT NULL. */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final List<Boolean> bigint = new ArrayList<>();

        public Builder string(String name) {
            names.add(name);
            bigint.add(false);
            return this;
        }

        public Builder bigint(String... columns) {
            for (String name : columns) {
                names.add(name);
                bigint.add(true);
            }
            return this;
        }

        public RowLayout build() {
            return new RowLayout(names, bigint);
        }
    }

    public RowTypeInfo typeInfo() {
        TypeInformation<?>[] types = new TypeInformation<?>[names.size()];
        for (int i = 0; i < types.length; i++) types[i] = bigint.get(i) ? Types.LONG : Types.STRING;
        return new RowTypeInfo(types, names.toArray(new String[0]));
    }

    public Schema schema() {
        Schema.Builder b = Schema.newBuilder();
        for (int i = 0; i < names.size(); i++) {
            DataType t = bigint.get(i) ? DataTypes.BIGINT().notNull() : DataTypes.STRING().notNull();
            b.column(names.get(i), t);
        }
        return b.build();
    }

    public List<String> names() {
        return names;
    }

    /** A row of this layout, its values in column order. */
    public Row row(RowKind kind, Object... values) {
        if (values.length != names.size()) throw new IllegalArgumentException("expected " + names.size() + " values " + names + ", got " + values.length);
        return Row.ofKind(kind, values);
    }
}
