package dev.heartbeats.common.jdbc;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.PreparedStatement;
import java.sql.Types;
import java.time.OffsetDateTime;

/**
 * A stand-in {@link PreparedStatement} that records what a {@link TableSpec} binds for one row (value and column
 * type by parameter index), so that {@link JdbcUpsertSink} can send a whole batch as one array per column. Only the
 * setters the specs use are supported; anything else fails loudly.
 */
final class ColumnRecorder implements InvocationHandler {
    /** Column types as the arrays are sent. */
    enum Kind {
        TEXT("text"), INT8("int8"), FLOAT8("float8"), BOOL("bool"),
        /** A timestamptz sent as epoch milliseconds (int8) and converted by the statement. */
        EPOCH_MS("int8");

        final String arrayType;

        Kind(String arrayType) {
            this.arrayType = arrayType;
        }
    }

    /** Marks a value bound with {@link TableSpec#setTime}. */
    static final class EpochMillis {
        final long ms;

        EpochMillis(long ms) {
            this.ms = ms;
        }
    }

    final PreparedStatement statement;
    private Object[] values;
    private Kind[] kinds;

    ColumnRecorder(int columns) {
        statement = (PreparedStatement) Proxy.newProxyInstance(ColumnRecorder.class.getClassLoader(), new Class<?>[] {PreparedStatement.class}, this);
        values = new Object[columns];
        kinds = new Kind[columns];
    }

    /** Starts a row; returns the arrays the row's values and kinds will be in (index 0 = parameter 1). */
    void start(Object[] rowValues, Kind[] rowKinds) {
        values = rowValues;
        kinds = rowKinds;
    }

    void epochMillis(int index, long ms) {
        set(index, ms, Kind.EPOCH_MS);
    }

    private void set(int index, Object value, Kind kind) {
        values[index - 1] = value;
        kinds[index - 1] = kind;
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] a) {
        switch (m.getName()) {
            case "setString":
                set((Integer) a[0], a[1], Kind.TEXT);
                return null;
            case "setLong":
                set((Integer) a[0], a[1], Kind.INT8);
                return null;
            case "setInt":
                set((Integer) a[0], ((Integer) a[1]).longValue(), Kind.INT8);
                return null;
            case "setDouble":
                set((Integer) a[0], a[1], Kind.FLOAT8);
                return null;
            case "setBoolean":
                set((Integer) a[0], a[1], Kind.BOOL);
                return null;
            case "setObject":
                if (a[1] instanceof OffsetDateTime) {
                    set((Integer) a[0], ((OffsetDateTime) a[1]).toInstant().toEpochMilli(), Kind.EPOCH_MS);
                    return null;
                }
                break;
            case "setNull":
                set((Integer) a[0], null, kindOf((Integer) a[1]));
                return null;
            case "hashCode":
                return System.identityHashCode(proxy);
            case "equals":
                return proxy == a[0];
            case "toString":
                return "ColumnRecorder";
            default:
        }
        throw new UnsupportedOperationException("JdbcUpsertSink cannot batch a value bound with " + m.getName()
                + (a != null && a.length > 1 && a[1] != null ? " (" + a[1].getClass().getName() + ")" : ""));
    }

    private static Kind kindOf(int sqlType) {
        switch (sqlType) {
            case Types.BIGINT:
            case Types.INTEGER:
            case Types.SMALLINT:
                return Kind.INT8;
            case Types.DOUBLE:
            case Types.FLOAT:
                return Kind.FLOAT8;
            case Types.BOOLEAN:
            case Types.BIT:
                return Kind.BOOL;
            case Types.TIMESTAMP_WITH_TIMEZONE:
            case Types.TIMESTAMP:
                return Kind.EPOCH_MS;
            default:
                return Kind.TEXT;
        }
    }
}
