package dev.heartbeats.common.jdbc;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.config.JobOptions;
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
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Writes a changelog of one table to PostgreSQL or YSQL: idempotent upserts and deletes, coalesced per primary key
 * within a flush (the last change of a key wins), one statement per kind of change (every column bound as one array,
 * see {@code writeBuffer}), one transaction per flush. Flushes when the buffer is
 * full, after the flush interval, and before every checkpoint completes, so a checkpoint never covers an unwritten
 * row (at-least-once, and replays rewrite the same rows: effectively exactly-once results). A flush runs on the
 * writer's own thread while the task fills the next buffer, so the task does not wait for the database's round
 * trips; it waits only when the next buffer is full before the previous one is written.
 *
 * <p>Stale attempts are fenced (see {@link WriterFence}): each writer takes the fence of its (job, table, subtask)
 * before it writes, and every flush's transaction first checks, with a shared row lock, that it still holds it. A
 * TaskManager cut off from the JobManager that keeps flushing after a later attempt took over is refused, so an old
 * version of a row can never land after the later attempt's.
 *
 * <p>Authentication failures (a rotated password: the driver reads it at every connect, see
 * {@link dev.heartbeats.common.config.DbPassword}) are retried for {@code --jdbc-auth-retry-time}, other transient
 * errors for {@code --sink-max-retry-time}.
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
        /** Filled by the task thread; handed whole to the writer thread, which owns it (and the connection) from then on. */
        private volatile Map<Object, Change<T>> buffer = new LinkedHashMap<>();
        private final ExecutorService writerThread;
        /** The buffer the writer thread is writing, if any: at most one, so writes of a key stay in order. */
        private Future<?> inFlight;
        private final ColumnRecorder recorder;
        private final Counter rowsUpserted;
        private final Counter rowsDeleted;
        private final Counter statements;
        private final Counter transactions;
        private final Counter retries;
        private volatile long lastFlushMillis;
        private Connection connection;
        private PreparedStatement upsert;
        private PreparedStatement delete;
        private boolean flushScheduled;
        /** Written and read on the writer thread only. */
        private final WriterFence fence;

        Writer(JdbcConfig jdbc, TableSpec<T> spec, WriterInitContext context) {
            this.jdbc = jdbc;
            this.spec = spec;
            this.time = context.getProcessingTimeService();
            this.recorder = new ColumnRecorder(spec.keyColumns().size() + spec.valueColumns().size());
            String threadName = "jdbc-writer " + spec.table() + " (" + (context.getTaskInfo().getIndexOfThisSubtask() + 1)
                    + "/" + context.getTaskInfo().getNumberOfParallelSubtasks() + ")";
            this.writerThread = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            });
            var group = context.metricGroup().addGroup("table", spec.table());
            rowsUpserted = group.counter("rowsUpserted");
            rowsDeleted = group.counter("rowsDeleted");
            // SQL statements executed (one per flush and kind of change); the name predates the array statements.
            statements = group.counter("batchesExecuted");
            transactions = group.counter("transactions");
            retries = group.counter("retries");
            group.gauge("bufferedRows", () -> buffer.size());
            group.gauge("lastFlushMillis", () -> lastFlushMillis);
            String writerGroup = jdbc.writerGroup != null ? jdbc.writerGroup : context.getJobInfo().getJobName();
            this.fence = new WriterFence(writerGroup, spec.table(), context.getTaskInfo().getIndexOfThisSubtask(),
                    context.getTaskInfo().getNumberOfParallelSubtasks(), context.getJobInfo().getJobId().toHexString(),
                    context.getRestoredCheckpointId().orElse(0L));
            // Take the fence at once, before the first buffer: a stale attempt still writing is refused from now on.
            inFlight = writerThread.submit(() -> {
                withRetries("taking the writer fence of " + spec.table(), () -> {
                    ensureConnection();
                    fence.acquire(connection);
                });
                return null;
            });
        }

        @Override
        public void write(Change<T> change, Context context) throws IOException, InterruptedException {
            if (inFlight != null && inFlight.isDone()) awaitInFlight(); // report a failed write at once
            buffer.put(spec.key(change.row), change);
            if (buffer.size() >= jdbc.batchSize) {
                handOff();
            } else if (!flushScheduled) {
                scheduleFlush(jdbc.flushIntervalMs);
            }
        }

        private void scheduleFlush(long delayMs) {
            flushScheduled = true;
            time.registerTimer(time.getCurrentProcessingTime() + delayMs, t -> {
                flushScheduled = false;
                if (buffer.isEmpty()) return;
                if (inFlight != null && !inFlight.isDone()) {
                    scheduleFlush(Math.max(1, Math.min(jdbc.flushIntervalMs, 20))); // the writer is busy: look again soon
                } else {
                    handOff();
                }
            });
        }

        /** Before every checkpoint barrier and at the end of input: everything written and committed. */
        @Override
        public void flush(boolean endOfInput) throws IOException, InterruptedException {
            handOff();
            awaitInFlight();
        }

        /**
         * Gives the buffer to the writer thread and starts a new one, so that the task goes on while the database
         * works. Waits for the previous buffer first: at most two buffers exist, and a database that is slow or down
         * blocks the task here (back-pressure instead of buffering without bound).
         */
        private void handOff() throws IOException, InterruptedException {
            if (buffer.isEmpty()) return;
            awaitInFlight();
            Map<Object, Change<T>> rows = buffer;
            buffer = new LinkedHashMap<>();
            inFlight = writerThread.submit(() -> {
                flushBuffer(rows);
                return null;
            });
        }

        private void awaitInFlight() throws IOException, InterruptedException {
            if (inFlight == null) return;
            Future<?> f = inFlight;
            try {
                f.get();
                inFlight = null;
            } catch (ExecutionException e) {
                inFlight = null;
                Throwable cause = e.getCause();
                if (cause instanceof IOException io) throw io;
                if (cause instanceof RuntimeException re) throw re; // SuppressRestartsException among them
                if (cause instanceof Error err) throw err;
                throw new IOException("writing to " + spec.table() + " failed", cause);
            }
        }

        /** On the writer thread. */
        private void flushBuffer(Map<Object, Change<T>> rows) throws IOException, InterruptedException {
            long started = System.currentTimeMillis();
            withRetries("writing " + rows.size() + " rows to " + spec.table(), () -> writeBuffer(rows));
            lastFlushMillis = System.currentTimeMillis() - started;
        }

        interface SqlAction {
            void run() throws SQLException;
        }

        /**
         * On the writer thread: runs {@code action} until it succeeds. A transient error is retried with exponential
         * back-off for {@code --sink-max-retry-time}, then the job restarts from its checkpoint; an authentication
         * failure (a password being rotated) for {@code --jdbc-auth-retry-time}, then the job fails naming it; a
         * permanent error fails the job at once; a fenced (stale) writer fails its task at once.
         */
        private void withRetries(String what, SqlAction action) throws IOException, InterruptedException {
            long started = System.currentTimeMillis();
            long backoff = 100;
            for (int attempt = 1; ; attempt++) {
                try {
                    action.run();
                    return;
                } catch (WriterFence.FencedException e) {
                    closeConnection();
                    throw new IOException(what + " refused: " + e.getMessage(), e);
                } catch (SQLException e) {
                    closeConnection();
                    String failed = what + " at " + jdbc + " failed: " + SqlErrors.describe(e);
                    boolean auth = SqlErrors.isAuthentication(e);
                    if (!auth && !SqlErrors.isTransient(e)) {
                        // Restarting would replay into the same error forever; stop the job with the reason instead.
                        throw new SuppressRestartsException(new IOException("permanent database error, " + failed, e));
                    }
                    long elapsed = System.currentTimeMillis() - started;
                    // Retried for the whole time: the last wait is cut to what is left of it.
                    long left = (auth ? jdbc.authRetryTimeMs : jdbc.maxRetryTimeMs) - elapsed;
                    if (auth && left <= 0) {
                        // Not a password being rotated any more: a wrong one. Restarts would not fix it.
                        throw new SuppressRestartsException(new IOException("authentication as " + jdbc.user + " kept failing for " + elapsed
                                + " ms (jdbc-auth-retry-time); check the password (env " + JobOptions.JDBC_PASSWORD_ENV + " or the file of --"
                                + JobOptions.JDBC_PASSWORD_FILE.name + "). Last error: " + failed, e));
                    }
                    if (!auth && left <= 0) {
                        throw new IOException("giving up after " + attempt + " attempts in " + elapsed
                                + " ms (sink-max-retry-time); the job restarts from its last checkpoint. Last error: " + failed, e);
                    }
                    retries.inc();
                    long wait = Math.min(backoff, left);
                    LOG.warn("{} database error (attempt {}), retrying in {} ms: {}", auth ? "Authentication" : "Transient", attempt, wait, failed);
                    Thread.sleep(wait); // the task blocks at its next hand-off: back-pressure
                    backoff = Math.min(backoff * 2, 5_000);
                }
            }
        }

        /**
         * One statement per kind of change and flush, whatever the number of rows: every column goes as one array
         * parameter and {@code unnest} turns them back into rows ({@code INSERT ... SELECT FROM unnest(...) ON CONFLICT
         * ...}, {@code DELETE ... WHERE (key) IN (SELECT FROM unnest(...))}). Compared with a JDBC batch (even rewritten
         * into multi-row INSERTs by the driver) the server parses and plans one statement instead of one per 128 rows,
         * and converts no timestamp text: times travel as epoch milliseconds.
         */
        private void writeBuffer(Map<Object, Change<T>> rows) throws SQLException {
            ensureConnection();
            // First in the transaction, and holding a shared lock on the fence row until the commit: a later attempt
            // taking the fence waits for this transaction, and this one never writes after it took it.
            fence.check(connection);
            int keys = spec.keyColumns().size();
            int all = keys + spec.valueColumns().size();
            List<Object[]> upserts = new ArrayList<>(rows.size());
            List<Object[]> deletes = new ArrayList<>();
            ColumnRecorder.Kind[] upsertKinds = new ColumnRecorder.Kind[all];
            ColumnRecorder.Kind[] deleteKinds = new ColumnRecorder.Kind[keys];
            for (Change<T> c : rows.values()) {
                if (c.delete) {
                    Object[] v = new Object[keys];
                    recorder.start(v, deleteKinds);
                    spec.bindKey(recorder.statement, 1, c.row);
                    deletes.add(v);
                } else {
                    Object[] v = new Object[all];
                    recorder.start(v, upsertKinds);
                    int next = spec.bindKey(recorder.statement, 1, c.row);
                    spec.bindValues(recorder.statement, next, c.row);
                    upserts.add(v);
                }
            }
            if (!deletes.isEmpty()) {
                if (delete == null) delete = connection.prepareStatement(deleteSql(deleteKinds));
                bindColumns(delete, deletes, deleteKinds);
                delete.executeUpdate();
                statements.inc();
            }
            if (!upserts.isEmpty()) {
                if (upsert == null) upsert = connection.prepareStatement(upsertSql(upsertKinds));
                bindColumns(upsert, upserts, upsertKinds);
                upsert.executeUpdate();
                statements.inc();
            }
            connection.commit();
            transactions.inc();
            rowsDeleted.inc(deletes.size());
            rowsUpserted.inc(upserts.size());
        }

        private void bindColumns(PreparedStatement ps, List<Object[]> rows, ColumnRecorder.Kind[] kinds) throws SQLException {
            for (int col = 0; col < kinds.length; col++) {
                Object[] column = kinds[col] == ColumnRecorder.Kind.TEXT ? new String[rows.size()] : new Object[rows.size()];
                for (int r = 0; r < column.length; r++) column[r] = rows.get(r)[col];
                ps.setArray(col + 1, connection.createArrayOf(kinds[col].arrayType, column));
            }
        }

        /** {@code unnest(?::text[], ?::int8[], ...) AS u(c1, c2, ...)} and the select list that restores the column types. */
        private static String unnest(ColumnRecorder.Kind[] kinds, StringBuilder select) {
            StringBuilder from = new StringBuilder("unnest(");
            StringBuilder names = new StringBuilder();
            for (int i = 0; i < kinds.length; i++) {
                if (kinds[i] == null) throw new IllegalStateException("parameter " + (i + 1) + " was not bound");
                String c = "c" + (i + 1);
                from.append(i == 0 ? "" : ", ").append("?::").append(kinds[i].arrayType).append("[]");
                names.append(i == 0 ? "" : ", ").append(c);
                // Epoch ms -> timestamptz. float8 holds these integers exactly (< 2^53) and the quotient to within
                // 0.25 us for any time before 2106, which to_timestamp rounds to the microsecond: the exact millisecond.
                select.append(i == 0 ? "" : ", ").append(kinds[i] == ColumnRecorder.Kind.EPOCH_MS ? "to_timestamp(" + c + "::float8 / 1000)" : c);
            }
            return from.append(") AS u(").append(names).append(')').toString();
        }

        private String upsertSql(ColumnRecorder.Kind[] kinds) {
            List<String> keys = spec.keyColumns();
            List<String> values = spec.valueColumns();
            StringBuilder select = new StringBuilder();
            String from = unnest(kinds, select);
            StringBuilder sb = new StringBuilder("INSERT INTO ").append(spec.table()).append(" (").append(String.join(", ", keys));
            for (String v : values) sb.append(", ").append(v);
            sb.append(") SELECT ").append(select).append(" FROM ").append(from);
            sb.append(" ON CONFLICT (").append(String.join(", ", keys)).append(") DO UPDATE SET ");
            for (int i = 0; i < values.size(); i++) sb.append(i == 0 ? "" : ", ").append(values.get(i)).append(" = ").append(spec.updateValue(values.get(i)));
            if (spec.updateGuard() != null) sb.append(" WHERE ").append(spec.updateGuard());
            return sb.toString();
        }

        private String deleteSql(ColumnRecorder.Kind[] kinds) {
            StringBuilder select = new StringBuilder();
            String from = unnest(kinds, select);
            return "DELETE FROM " + spec.table() + " WHERE (" + String.join(", ", spec.keyColumns()) + ") IN (SELECT " + select + " FROM " + from + ")";
        }

        private void ensureConnection() throws SQLException {
            if (connection != null) return;
            connection = jdbc.connect();
            // A writer frozen in the middle of a flush (its TaskManager paused) must not hold its shared lock on the
            // fence row for long: the server ends a session idle in a transaction this long, so a later attempt
            // waiting to take the fence gets it.
            try (Statement st = connection.createStatement()) {
                st.execute("SET idle_in_transaction_session_timeout = '60s'");
            }
            connection.setAutoCommit(false);
            upsert = null; // prepared on first use, from the column types the table's rows bind
            delete = null;
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
        public void close() throws InterruptedException {
            writerThread.shutdownNow(); // interrupts a retry back-off; the rows are replayed from the last checkpoint
            if (!writerThread.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("The {} writer thread did not stop within 30 s", spec.table());
            }
            closeConnection();
        }
    }
}
