package dev.heartbeats.common.jdbc;

import dev.heartbeats.common.config.JdbcConfig;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a changelog of one table to PostgreSQL or YSQL: idempotent upserts and deletes, coalesced per primary key
 * within a flush (the last change of a key wins), in batches, one transaction per flush. Flushes when the buffer is
 * full, after the flush interval, and before every checkpoint completes, so a checkpoint never covers an unwritten
 * row (at-least-once, and replays rewrite the same rows: effectively exactly-once results).
 *
 * <p>Why not the JDBC connector: the resume point needs a guarded upsert (an older heartbeat or a replay must never
 * move it back), which the connector's dialects cannot express per table; and YSQL reports transaction conflicts
 * (40001) under normal contention, which must be retried, while a missing table or a constraint violation must fail
 * the job at once instead of looping through restarts.
 */
public class JdbcUpsertSink<T> implements Sink<Change<T>> {
    private static final long serialVersionUID = 1L;

    private final JdbcConfig jdbc;
    private final TableSpec<T> spec;

    public JdbcUpsertSink(JdbcConfig jdbc, TableSpec<T> spec) {
        this.jdbc = jdbc;
        this.spec = spec;
    }

    @Override
    public SinkWriter<Change<T>> createWriter(WriterInitContext context) {
        return new Writer<>(jdbc, spec, context);
    }

    static final class Writer<T> implements SinkWriter<Change<T>> {
        private static final Logger LOG = LoggerFactory.getLogger(JdbcUpsertSink.class);

        private final JdbcConfig jdbc;
        private final TableSpec<T> spec;
        private final ProcessingTimeService time;
        private final Map<Object, Change<T>> buffer = new LinkedHashMap<>();
        private final String upsertSql;
        private final String deleteSql;
        private final Counter rowsUpserted;
        private final Counter rowsDeleted;
        private final Counter statements;
        private final Counter retries;
        private volatile long lastFlushMillis;
        private Connection connection;
        private PreparedStatement upsert;
        private PreparedStatement delete;
        private boolean flushScheduled;

        Writer(JdbcConfig jdbc, TableSpec<T> spec, WriterInitContext context) {
            this.jdbc = jdbc;
            this.spec = spec;
            this.time = context.getProcessingTimeService();
            this.upsertSql = spec.upsertSql();
            this.deleteSql = spec.deleteSql();
            var group = context.metricGroup().addGroup("table", spec.table());
            rowsUpserted = group.counter("rowsUpserted");
            rowsDeleted = group.counter("rowsDeleted");
            statements = group.counter("batchesExecuted");
            retries = group.counter("retries");
            group.gauge("bufferedRows", buffer::size);
            group.gauge("lastFlushMillis", () -> lastFlushMillis);
        }

        @Override
        public void write(Change<T> change, Context context) throws IOException, InterruptedException {
            buffer.put(spec.key(change.row), change);
            if (buffer.size() >= jdbc.batchSize) {
                flushBuffer();
            } else if (!flushScheduled) {
                flushScheduled = true;
                time.registerTimer(time.getCurrentProcessingTime() + jdbc.flushIntervalMs, t -> {
                    flushScheduled = false;
                    flushBuffer();
                });
            }
        }

        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            flushBuffer();
        }

        private void flushBuffer() throws IOException, InterruptedException {
            if (buffer.isEmpty()) return;
            long started = System.currentTimeMillis();
            long deadline = started + jdbc.maxRetryTimeMs;
            long backoff = 100;
            for (int attempt = 1; ; attempt++) {
                try {
                    writeBuffer();
                    lastFlushMillis = System.currentTimeMillis() - started;
                    buffer.clear();
                    return;
                } catch (SQLException e) {
                    closeConnection();
                    String what = "writing " + buffer.size() + " rows to " + spec.table() + " at " + jdbc + " failed: " + SqlErrors.describe(e);
                    if (!SqlErrors.isTransient(e)) {
                        // Restarting would replay into the same error forever; stop the job with the reason instead.
                        throw new SuppressRestartsException(new IOException("permanent database error, " + what, e));
                    }
                    if (System.currentTimeMillis() + backoff > deadline) {
                        throw new IOException("giving up after " + attempt + " attempts in " + (System.currentTimeMillis() - started)
                                + " ms (sink-max-retry-time); the job restarts from its last checkpoint. Last error: " + what, e);
                    }
                    retries.inc();
                    LOG.warn("Transient database error (attempt {}), retrying in {} ms: {}", attempt, backoff, what);
                    Thread.sleep(backoff); // blocks the task: back-pressure instead of buffering without bound
                    backoff = Math.min(backoff * 2, 5_000);
                }
            }
        }

        private void writeBuffer() throws SQLException {
            ensureConnection();
            List<T> upserts = new ArrayList<>(buffer.size());
            int deletes = 0;
            for (Change<T> c : buffer.values()) {
                if (c.delete) {
                    spec.bindKey(delete, 1, c.row);
                    delete.addBatch();
                    deletes++;
                } else {
                    upserts.add(c.row);
                }
            }
            if (deletes > 0) {
                delete.executeBatch();
                statements.inc();
            }
            for (T row : upserts) {
                int next = spec.bindKey(upsert, 1, row);
                spec.bindValues(upsert, next, row);
                upsert.addBatch();
            }
            if (!upserts.isEmpty()) {
                upsert.executeBatch();
                statements.inc();
            }
            connection.commit();
            rowsDeleted.inc(deletes);
            rowsUpserted.inc(upserts.size());
        }

        private void ensureConnection() throws SQLException {
            if (connection != null) return;
            connection = jdbc.connect();
            connection.setAutoCommit(false);
            upsert = connection.prepareStatement(upsertSql);
            delete = connection.prepareStatement(deleteSql);
        }

        private void closeConnection() {
            if (connection == null) return;
            try {
                connection.rollback();
            } catch (SQLException ignored) {
                // the connection is being discarded anyway
            }
            try {
                connection.close();
            } catch (SQLException ignored) {
                // idem
            }
            connection = null;
        }

        @Override
        public void close() {
            closeConnection();
        }
    }
}
