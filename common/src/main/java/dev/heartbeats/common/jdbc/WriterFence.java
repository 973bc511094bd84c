package dev.heartbeats.common.jdbc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Fences the sink writers of earlier attempts of a job, without XA, as Kafka fences producers: one row of
 * {@code writer_fence} per (writer group, table, subtask) holds an epoch. A writer takes the fence when it starts,
 * which raises the epoch, and checks it first in every flush's transaction with {@code SELECT ... FOR SHARE}; a
 * writer that finds another epoch there is stale and is refused. The shared row lock is what makes it safe: a later
 * writer's {@code UPDATE} of the row waits until a stale flush that already passed the check has committed, and
 * every flush after that fails the check, so nothing a stale writer writes can land after the later writer's rows.
 *
 * <p>Which writer is the later one: the database's counter orders them by when they took the fence, across
 * restarts, JobManager failovers (which restart Flink's attempt numbers) and new deployments alike. Within one run
 * (the same Flink job id) a writer restored from an older checkpoint than the holder's is refused outright, so a
 * stale attempt's writer that starts late cannot take the fence back. A new run (another job id: a fresh start, a
 * savepoint restore, a rollback) always takes over.
 *
 * <p>Cost: one point read per flush, in the flush's own transaction (the lock is released by its commit).
 */
final class WriterFence {
    static final String TABLE = "writer_fence";

    /** A later writer holds the fence: this one belongs to a stale attempt and must stop writing. */
    static final class FencedException extends SQLException {
        private static final long serialVersionUID = 1L;

        FencedException(String message) {
            super(message, "HBF01");
        }
    }

    private final String group;
    private final String sink;
    private final int subtask;
    private final int parallelism;
    private final String jobId;
    private final long restoredCheckpointId;
    private long epoch = -1;

    WriterFence(String group, String sink, int subtask, int parallelism, String jobId, long restoredCheckpointId) {
        this.group = group;
        this.sink = sink;
        this.subtask = subtask;
        this.parallelism = parallelism;
        this.jobId = jobId;
        this.restoredCheckpointId = restoredCheckpointId;
    }

    long epoch() {
        return epoch;
    }

    /** Takes the fence for this writer (and commits): every earlier writer of this subtask is refused from now on. */
    void acquire(Connection c) throws SQLException {
        try {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " AS f (writer_group, sink, subtask, epoch, job_id, checkpoint_id) "
                    + "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (writer_group, sink, subtask) DO UPDATE "
                    + "SET epoch = f.epoch + 1, job_id = EXCLUDED.job_id, checkpoint_id = EXCLUDED.checkpoint_id "
                    + "WHERE f.job_id <> EXCLUDED.job_id OR f.checkpoint_id <= EXCLUDED.checkpoint_id RETURNING epoch")) {
                ps.setString(1, group);
                ps.setString(2, sink);
                ps.setInt(3, subtask);
                ps.setString(4, jobId);
                ps.setLong(5, restoredCheckpointId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) throw new FencedException(refusal("cannot take the fence") + "; " + holder(c));
                    epoch = rs.getLong(1);
                }
            }
            if (subtask == 0) {
                // After a rescale to fewer subtasks nobody else takes the rows of the subtasks that are gone.
                try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET epoch = epoch + 1, job_id = ?, checkpoint_id = ? "
                        + "WHERE writer_group = ? AND sink = ? AND subtask >= ?")) {
                    ps.setString(1, jobId);
                    ps.setLong(2, restoredCheckpointId);
                    ps.setString(3, group);
                    ps.setString(4, sink);
                    ps.setInt(5, parallelism);
                    ps.executeUpdate();
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    /**
     * Inside a flush's transaction, before its writes: the fence must still be this writer's. Holds a shared lock
     * on the fence row until the transaction ends.
     */
    void check(Connection c) throws SQLException {
        if (epoch < 0) throw new IllegalStateException("the writer fence of " + sink + " was not taken");
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch FROM " + TABLE + " WHERE writer_group = ? AND sink = ? AND subtask = ? FOR SHARE")) {
            ps.setString(1, group);
            ps.setString(2, sink);
            ps.setInt(3, subtask);
            try (ResultSet rs = ps.executeQuery()) {
                long current = rs.next() ? rs.getLong(1) : -1;
                if (current != epoch) {
                    c.rollback();
                    throw new FencedException(refusal("a later attempt took over (fence epoch " + current + ")"));
                }
            }
        }
    }

    private String refusal(String why) {
        return "stale writer of " + sink + " (writer group '" + group + "', subtask " + subtask + ", epoch " + epoch + ", job " + jobId
                + ", restored from checkpoint " + restoredCheckpointId + "): " + why
                + "; this task stops writing so that the later attempt's rows win";
    }

    private String holder(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch, job_id, checkpoint_id FROM " + TABLE + " WHERE writer_group = ? AND sink = ? AND subtask = ?")) {
            ps.setString(1, group);
            ps.setString(2, sink);
            ps.setInt(3, subtask);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? "held at epoch " + rs.getLong(1) + " by job " + rs.getString(2) + " restored from checkpoint " + rs.getLong(3) : "no holder";
            }
        }
    }
}
