package dev.heartbeats.testing;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.schema.Migrations;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.typeinfo.TypeHint;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.execution.SuppressRestartsException;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.ExceptionUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * {@link JdbcUpsertSink} against a real PostgreSQL, in a real MiniCluster job: flushes run on the writer's own thread
 * while the task fills the next buffer. Each test writes into a database of its own (same server as the other tests
 * of this JVM), so a dropped table or an added constraint never leaks into another test.
 */
class JdbcUpsertSinkIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(1).build());

    static final TypeInformation<Change<WatchSegment>> SEGMENT_CHANGES = TypeInformation.of(new TypeHint<>() {});
    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;

    final TestBed bed = TestBed.shared();

    /**
     * Successive versions of the same keys land in successive tiny buffers, one written while the next fills: the
     * table must end with the last version of every key, whatever the interleaving of hand-offs and timer flushes.
     */
    @Test
    void lastChangeOfEveryKeyWinsAcrossBuffersInFlight() throws Exception {
        JdbcConfig jdbc = freshDatabase(3, 10_000);
        List<Change<WatchSegment>> changes = new ArrayList<>();
        Random random = new Random(42);
        long version = 0;
        // 40 keys, 5000 changes: each key gets ~125 increasing versions, with deletes and re-inserts in between.
        for (int i = 0; i < 5_000; i++) {
            int k = random.nextInt(40);
            changes.add(random.nextInt(8) == 0 ? Change.delete(key(k)) : Change.upsert(segment(k, ++version)));
        }
        // Make sure the end state has both kinds: keys 0-9 deleted last, 0-4 of them then inserted again.
        for (int k = 0; k < 10; k++) changes.add(Change.delete(key(k)));
        for (int k = 0; k < 5; k++) changes.add(Change.upsert(segment(k, ++version)));

        Map<List<Object>, WatchSegment> expected = new LinkedHashMap<>();
        for (Change<WatchSegment> c : changes) {
            List<Object> pk = List.of(c.row.userId, c.row.videoId, c.row.segmentStart);
            if (c.delete) expected.remove(pk); else expected.put(pk, c.row);
        }
        assertThat(expected).hasSizeBetween(30, 35); // keys 5-9 are gone; most of the others are there

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(changes, SEGMENT_CHANGES).sinkTo(new JdbcUpsertSink<>(jdbc, OutputTables.WATCH_SEGMENTS));
        env.execute("jdbc-sink ordering");

        assertThat(TableSnapshot.read(jdbc).watchSegments).containsExactlyInAnyOrderElementsOf(expected.values());
    }

    /**
     * A CHECK constraint rejects one row in the middle of the stream: the error happens on the writer thread, after
     * earlier buffers were written, and must fail the job at the task's next write or flush, as a permanent error
     * (no retry loop: the retry time here is 10 minutes, so a wrong classification would hit the timeout).
     */
    @Test
    void aPermanentErrorOnTheWriterThreadFailsTheJobAtOnce() throws Exception {
        JdbcConfig jdbc = freshDatabase(3, 600_000);
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("ALTER TABLE watch_segments ADD CONSTRAINT sink_it_rejects_666 CHECK (heartbeats <> 666)");
        }
        List<Change<WatchSegment>> changes = new ArrayList<>();
        for (int i = 1; i <= 2_000; i++) changes.add(Change.upsert(segment(i % 50, i)));

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(changes, SEGMENT_CHANGES).sinkTo(new JdbcUpsertSink<>(jdbc, OutputTables.WATCH_SEGMENTS));

        Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                env.execute("jdbc-sink permanent error");
                return null;
            } catch (Exception e) {
                return e;
            }
        }, "a permanent error must not be retried until sink-max-retry-time");

        assertThat(failure).as("the job must fail").isNotNull();
        assertThat(ExceptionUtils.findThrowable(failure, SuppressRestartsException.class)).as("SuppressRestartsException in the chain").isPresent();
        assertThat(ExceptionUtils.stringifyException(failure))
                .contains("permanent database error", "watch_segments", "23514", "sink_it_rejects_666");
        // Buffers before the bad row were committed: the failure came from a later flush, not the first one.
        assertThat(TableSnapshot.read(jdbc).watchSegments).isNotEmpty();
    }

    /**
     * A password that stays wrong (not one being rotated): the sink retries the authentication failure with back-off
     * for jdbc-auth-retry-time, then fails the job for good, naming that setting and the database's error.
     */
    @Test
    void anAuthenticationFailureIsRetriedForTheAuthRetryTimeThenFailsTheJobNamingIt(@TempDir Path secrets) throws Exception {
        JdbcConfig jdbc = freshDatabase(3, 600_000);
        String role = "hb_sink_wrong_password";
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            st.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN CREATE ROLE " + role + " LOGIN; END IF; END $$");
            st.execute("ALTER ROLE " + role + " LOGIN PASSWORD 'the-right-one'");
            st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role);
        }
        bed.stack.postgres.requirePassword(role);
        Path file = secrets.resolve("password");
        Files.writeString(file, "a-wrong-one\n");
        JdbcConfig wrong = jdbc.withUser(role).withPasswordFile(file.toString()).withAuthRetryTime(3_000);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(1);
        env.fromData(List.of(Change.upsert(segment(1, 1))), SEGMENT_CHANGES).sinkTo(new JdbcUpsertSink<>(wrong, OutputTables.WATCH_SEGMENTS));
        long t0 = System.currentTimeMillis();
        Throwable failure = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try {
                env.execute("jdbc-sink wrong password");
                return null;
            } catch (Exception e) {
                return e;
            }
        });
        long tookMs = System.currentTimeMillis() - t0;
        assertThat(failure).as("the job must fail").isNotNull();
        assertThat(ExceptionUtils.findThrowable(failure, SuppressRestartsException.class)).as("no restarts: they would not fix it").isPresent();
        assertThat(ExceptionUtils.stringifyException(failure)).contains("jdbc-auth-retry-time", "28P01", role, "--jdbc-password-file")
                .doesNotContain("a-wrong-one");
        assertThat(tookMs).as("retried for jdbc-auth-retry-time first").isGreaterThanOrEqualTo(2_500);
    }

    /** A new database on the shared server, with the contract's schema, and a sink config with a tiny batch. */
    private JdbcConfig freshDatabase(int batchSize, long maxRetryTimeMs) throws Exception {
        JdbcConfig jdbc = new JdbcConfig(bed.emptyDatabase("sink_it").url, bed.jdbc().user, batchSize, 10, maxRetryTimeMs);
        Migrations.apply(jdbc, Schema.Flavor.POSTGRES);
        return jdbc;
    }

    private static WatchSegment key(int k) {
        return WatchSegment.key("u" + (k % 10), "v" + (k / 10), T0 + k * 60_000L);
    }

    /** Version {@code v} of key {@code k}: every value column moves with the version, so a stale one shows. */
    private static WatchSegment segment(int k, long v) {
        WatchSegment w = key(k);
        w.sessionStart = w.segmentStart - 1_000;
        w.segmentEnd = w.segmentStart + v;
        w.startPosMs = v;
        w.endPosMs = v * 2;
        w.heartbeats = v;
        return w;
    }
}
