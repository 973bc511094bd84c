package dev.heartbeats.common.jdbc;

import java.sql.SQLException;

/** Tells a database error that may pass (retry) from one that will not (fail the job loudly). */
public final class SqlErrors {
    private SqlErrors() {}

    /**
     * Transient: connection problems (08), transaction conflicts that YSQL reports routinely under contention (40001
     * serialization failure, 40P01 deadlock), insufficient resources (53), the server shutting down or starting (57),
     * system errors (58), and YugabyteDB's internal retryable errors (XX000); also errors without SQLState that come
     * from I/O. Everything else (bad data 22, constraint 23, missing table or column 42, ...) is permanent.
     */
    public static boolean isTransient(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            if (state == null) {
                if (s.getCause() instanceof java.io.IOException) return true;
                continue;
            }
            if (state.startsWith("08") || state.startsWith("40") || state.startsWith("53") || state.startsWith("57")
                    || state.startsWith("58") || state.equals("XX000")) {
                return true;
            }
        }
        return e.getSQLState() == null && !(e instanceof java.sql.SQLSyntaxErrorException);
    }

    /**
     * An authentication failure: 28P01 (invalid password), 28000 (invalid authorization, e.g. no pg_hba entry for
     * the user yet). While a password is being rotated these pass once both sides have the new one, so the sinks
     * retry them for a bounded time instead of failing the job for good at once.
     */
    public static boolean isAuthentication(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            String state = s.getSQLState();
            if (state != null && state.startsWith("28")) return true;
            if (s.getNextException() == s) break;
        }
        return false;
    }

    public static String describe(SQLException e) {
        StringBuilder sb = new StringBuilder();
        for (SQLException s = e; s != null && sb.length() < 2000; s = s.getNextException()) {
            if (sb.length() > 0) sb.append("; next: ");
            sb.append('[').append(s.getSQLState()).append("] ").append(s.getMessage());
            if (s.getNextException() == s) break;
        }
        return sb.toString();
    }
}
