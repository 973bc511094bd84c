package dev.heartbeats.common.jdbc;

import java.io.Serializable;
import java.lang.reflect.Proxy;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;

/** How rows of type {@code T} map onto one table: its key and value columns and how to bind them. */
public interface TableSpec<T> extends Serializable {
    String table();

    List<String> keyColumns();

    List<String> valueColumns();

    /** A condition under which an existing row is updated (e.g. only by a newer heartbeat), or {@code null}. */
    default String updateGuard() {
        return null;
    }

    /**
     * What an existing row's value column becomes on an upsert: {@code EXCLUDED.<column>} (the new value) unless a
     * table needs more, e.g. to keep a value that maintenance set and the job does not know.
     */
    default String updateValue(String column) {
        return "EXCLUDED." + column;
    }

    /** The primary key of a row, with {@code equals}/{@code hashCode}, to coalesce changes within a flush. */
    Object key(T row);

    /** Binds the key columns, in order, from parameter {@code first}; returns the next parameter index. */
    int bindKey(PreparedStatement ps, int first, T row) throws SQLException;

    /** Binds the value columns, in order, from parameter {@code first}. */
    void bindValues(PreparedStatement ps, int first, T row) throws SQLException;

    default String upsertSql() {
        List<String> keys = keyColumns();
        List<String> values = valueColumns();
        StringBuilder sb = new StringBuilder("INSERT INTO ").append(table()).append(" (");
        sb.append(String.join(", ", keys));
        for (String v : values) sb.append(", ").append(v);
        sb.append(") VALUES (");
        for (int i = 0; i < keys.size() + values.size(); i++) sb.append(i == 0 ? "?" : ", ?");
        sb.append(") ON CONFLICT (").append(String.join(", ", keys)).append(") DO UPDATE SET ");
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(values.get(i)).append(" = ").append(updateValue(values.get(i)));
        }
        if (updateGuard() != null) sb.append(" WHERE ").append(updateGuard());
        return sb.toString();
    }

    default String deleteSql() {
        StringBuilder sb = new StringBuilder("DELETE FROM ").append(table()).append(" WHERE ");
        List<String> keys = keyColumns();
        for (int i = 0; i < keys.size(); i++) sb.append(i == 0 ? "" : " AND ").append(keys.get(i)).append(" = ?");
        return sb.toString();
    }

    /**
     * A {@code timestamptz} parameter from epoch milliseconds. {@link JdbcUpsertSink} records it as the number itself
     * (sent in an int8 array and converted by the statement: no date formatting here, no date parsing in the server).
     */
    static void setTime(PreparedStatement ps, int index, long epochMs) throws SQLException {
        if (Proxy.isProxyClass(ps.getClass()) && Proxy.getInvocationHandler(ps) instanceof ColumnRecorder) {
            ((ColumnRecorder) Proxy.getInvocationHandler(ps)).epochMillis(index, epochMs);
            return;
        }
        ps.setObject(index, OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMs), ZoneOffset.UTC));
    }

    static long epochMs(Object timestamptz) {
        if (timestamptz instanceof OffsetDateTime) return ((OffsetDateTime) timestamptz).toInstant().toEpochMilli();
        if (timestamptz instanceof Timestamp) return ((Timestamp) timestamptz).getTime();
        throw new IllegalArgumentException("not a timestamp: " + timestamptz);
    }
}
