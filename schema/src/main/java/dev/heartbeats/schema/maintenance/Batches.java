package dev.heartbeats.schema.maintenance;

import dev.heartbeats.common.config.JdbcConfig;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Runs one data-changing statement over and over, each time in its own short transaction, until it changes no more
 * rows: the way the maintenance commands work through a table in bounded batches while the jobs keep writing to it.
 * A batch that loses a conflict with a job's write (YSQL reports {@code 40001} routinely, PostgreSQL {@code 40P01} for
 * a deadlock) is retried with back-off; every statement here is idempotent, so a retry is safe.
 */
final class Batches {
    static final int MAX_ATTEMPTS = 10;

    /** Binds a batch's parameters. */
    interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private Batches() {}

    /** Runs {@code sql} until a run changes nothing; returns the rows changed and the batches run (empty ones excluded). */
    static long[] drain(Connection c, String sql, Binder binder, Duration pause) throws SQLException, InterruptedException {
        long rows = 0;
        long batches = 0;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            while (true) {
                int n = executeWithRetry(c, ps);
                if (n == 0) return new long[] {rows, batches};
                rows += n;
                batches++;
                if (!pause.isZero()) Thread.sleep(pause.toMillis());
            }
        }
    }

    private static int executeWithRetry(Connection c, PreparedStatement ps) throws SQLException, InterruptedException {
        long backoff = 50;
        for (int attempt = 1; ; attempt++) {
            try {
                int n = ps.executeUpdate();
                if (!c.getAutoCommit()) c.commit();
                return n;
            } catch (SQLException e) {
                if (!c.getAutoCommit()) c.rollback();
                if (!isConflict(e) || attempt >= MAX_ATTEMPTS) throw e;
                Thread.sleep(backoff);
                backoff = Math.min(backoff * 2, 5_000);
            }
        }
    }

    /** A conflict with a concurrent transaction: retrying the same statement is the remedy. */
    static boolean isConflict(SQLException e) {
        return "40001".equals(e.getSQLState()) || "40P01".equals(e.getSQLState());
    }

    static Connection open(JdbcConfig jdbc) throws SQLException {
        Connection c = jdbc.connect();
        c.setAutoCommit(true); // one short transaction per batch
        return c;
    }
}
