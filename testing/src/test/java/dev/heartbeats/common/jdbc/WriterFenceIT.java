package dev.heartbeats.common.jdbc;

import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.tables.OutputTables;
import dev.heartbeats.common.tables.Schema;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import dev.heartbeats.schema.Migrations;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobInfoImpl;
import org.apache.flink.api.common.TaskInfoImpl;
import org.apache.flink.api.common.operators.ProcessingTimeService;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.metrics.groups.UnregisteredMetricsGroup;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Stale writers are fenced (issue 15, item 4). Writers of two attempts of one job write the same keys, interleaved,
 * on a real PostgreSQL: once the later attempt's writer started, every flush of the earlier one is refused with a
 * clear error, so the later attempt's rows win; and a flush already past the fence check when the later writer
 * starts is committed before the later writer may write.
 */
class WriterFenceIT {
    /** 2026-01-01T10:00:00Z */
    static final long T0 = 1_767_261_600_000L;
    static final JobID RUN = JobID.generate();

    final TestBed bed = TestBed.shared();

    @Test
    void theLaterAttemptsRowsWinAndTheStaleWritersFlushIsRefused() throws Exception {
        JdbcConfig jdbc = freshDatabase().withWriterGroup("fence-it");
        JdbcUpsertSink<WatchSegment> sink = new JdbcUpsertSink<>(jdbc, OutputTables.WATCH_SEGMENTS);
        // Attempt 1 (restored from checkpoint 5) writes version 1 of keys 0-2.
        SinkWriter<Change<WatchSegment>> stale = sink.createWriter(context(RUN, 5, 0));
        for (int k = 0; k < 3; k++) stale.write(Change.upsert(segment(k, 1)), null);
        stale.flush(false);
        // Attempt 2 (restored from checkpoint 7: the job failed over, but attempt 1's TaskManager was only cut off)
        // writes version 10 of keys 0 and 1, and deletes key 2.
        SinkWriter<Change<WatchSegment>> later = sink.createWriter(context(RUN, 7, 0));
        later.write(Change.upsert(segment(0, 10)), null);
        later.write(Change.upsert(segment(1, 10)), null);
        later.write(Change.delete(WatchSegment.key("u", "v", T0 + 2 * 60_000L)), null);
        later.flush(false);
        // Attempt 1 keeps flushing: an old version of key 0, a delete of key 1, a new row: all refused, none lands.
        stale.write(Change.upsert(segment(0, 2)), null);
        stale.write(Change.delete(WatchSegment.key("u", "v", T0 + 60_000L)), null);
        stale.write(Change.upsert(segment(3, 2)), null);
        assertThatThrownBy(() -> stale.flush(false)).isInstanceOf(IOException.class)
                .hasMessageContaining("writing 3 rows to watch_segments refused")
                .hasMessageContaining("stale writer of watch_segments")
                .hasMessageContaining("a later attempt took over")
                .hasMessageContaining("restored from checkpoint 5");
        // The later attempt goes on.
        later.write(Change.upsert(segment(1, 11)), null);
        later.flush(false);
        assertThat(TableSnapshot.read(jdbc).watchSegments).containsExactlyInAnyOrder(segment(0, 10), segment(1, 11));
        stale.close();
        later.close();
    }

    @Test
    void theGuardedResumePointIsFencedToo() throws Exception {
        JdbcConfig jdbc = freshDatabase().withWriterGroup("fence-it-progress");
        JdbcUpsertSink<VideoProgress> sink = new JdbcUpsertSink<>(jdbc, OutputTables.VIDEO_PROGRESS);
        SinkWriter<Change<VideoProgress>> stale = sink.createWriter(context(RUN, 3, 0));
        stale.flush(false); // nothing to write: waits until the writer has taken the fence, before the later one starts
        SinkWriter<Change<VideoProgress>> later = sink.createWriter(context(RUN, 4, 0));
        later.write(Change.upsert(progress(60_000, T0 + 60_000)), null);
        later.flush(false);
        // The guard alone would let this one through (a later event time): the fence does not.
        stale.write(Change.upsert(progress(5_000, T0 + 120_000)), null);
        assertThatThrownBy(() -> stale.flush(false)).isInstanceOf(IOException.class).hasMessageContaining("a later attempt took over");
        assertThat(TableSnapshot.read(jdbc).videoProgress).containsExactly(progress(60_000, T0 + 60_000));
        stale.close();
        later.close();
    }

    /**
     * Within one run, a writer restored from an older checkpoint than the fence's holder is an earlier attempt even
     * if it starts later (its TaskManager was paused before it got that far): it cannot take the fence back. A new
     * run (another job id: a fresh start or a restore from a savepoint) takes over.
     */
    @Test
    void anEarlierAttemptStartingLateCannotTakeTheFenceButANewRunDoes() throws Exception {
        JdbcConfig jdbc = freshDatabase().withWriterGroup("fence-it-late");
        JdbcUpsertSink<WatchSegment> sink = new JdbcUpsertSink<>(jdbc, OutputTables.WATCH_SEGMENTS);
        SinkWriter<Change<WatchSegment>> holder = sink.createWriter(context(RUN, 9, 0));
        holder.write(Change.upsert(segment(0, 9)), null);
        holder.flush(false);
        SinkWriter<Change<WatchSegment>> late = sink.createWriter(context(RUN, 8, 0));
        // Refused when it takes the fence, on its writer thread: reported at its next write or flush.
        assertThatThrownBy(() -> {
            late.write(Change.upsert(segment(0, 8)), null);
            late.flush(false);
        }).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot take the fence").hasMessageContaining("held at epoch 1 by job " + RUN.toHexString() + " restored from checkpoint 9");
        late.close();

        SinkWriter<Change<WatchSegment>> newRun = sink.createWriter(context(JobID.generate(), 0, 0));
        newRun.write(Change.upsert(segment(0, 20)), null);
        newRun.flush(false);
        holder.write(Change.upsert(segment(0, 10)), null);
        assertThatThrownBy(() -> holder.flush(false)).isInstanceOf(IOException.class).hasMessageContaining("a later attempt took over");
        assertThat(TableSnapshot.read(jdbc).watchSegments).containsExactly(segment(0, 20));
        newRun.close();
        holder.close();
    }

    /**
     * The race the shared row lock closes: a stale flush that passed its check before the later writer took the
     * fence. The later writer waits for it to commit, so the stale rows are written before, never after, its own.
     */
    @Test
    void aLaterWriterTakingTheFenceWaitsForAStaleFlushAlreadyPastItsCheck() throws Exception {
        JdbcConfig jdbc = freshDatabase();
        WriterFence staleFence = new WriterFence("race", "watch_segments", 0, 1, "run", 1);
        WriterFence laterFence = new WriterFence("race", "watch_segments", 0, 1, "run", 2);
        try (Connection stale = jdbc.connect(); Connection later = jdbc.connect()) {
            stale.setAutoCommit(false);
            later.setAutoCommit(false);
            staleFence.acquire(stale);
            staleFence.check(stale); // the stale flush's transaction is past its check...
            CompletableFuture<Void> taking = CompletableFuture.runAsync(() -> {
                try {
                    laterFence.acquire(later);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(500);
            assertThat(taking).as("the later writer waits for the stale flush's transaction").isNotDone();
            writeHeartbeats(stale, 1);
            stale.commit();
            taking.get(10, TimeUnit.SECONDS);
            laterFence.check(later);
            writeHeartbeats(later, 2);
            later.commit();
            assertThatThrownBy(() -> staleFence.check(stale)).isInstanceOf(WriterFence.FencedException.class);
        }
        assertThat(TableSnapshot.read(jdbc).watchSegments).extracting(w -> w.heartbeats).containsExactly(2L);
    }

    /**
     * What the fence costs a flush: one point read with a row lock, in the flush's own transaction. Prints the
     * median time of the check, of a bare {@code SELECT 1} round trip, and of a whole sink flush of 2,000 rows; the
     * bound is loose (a shared 2-core machine), the numbers are for the report.
     */
    @Test
    void theFenceCostsOneShortStatementPerFlush() throws Exception {
        JdbcConfig jdbc = freshDatabase().withWriterGroup("fence-cost");
        WriterFence fence = new WriterFence("cost", "watch_segments", 0, 1, "run", 1);
        int n = 2_000;
        long[] check = new long[n];
        long[] select1 = new long[n];
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            c.setAutoCommit(false);
            fence.acquire(c);
            for (int i = 0; i < 200; i++) { fence.check(c); c.commit(); st.execute("SELECT 1"); c.commit(); } // warm-up
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                fence.check(c);
                check[i] = System.nanoTime() - t0;
                c.commit();
                t0 = System.nanoTime();
                st.execute("SELECT 1");
                select1[i] = System.nanoTime() - t0;
                c.commit();
            }
        }
        JdbcUpsertSink<WatchSegment> sink = new JdbcUpsertSink<>(jdbc, OutputTables.WATCH_SEGMENTS);
        SinkWriter<Change<WatchSegment>> writer = sink.createWriter(context(RUN, 0, 0));
        int flushes = 25;
        long[] flush = new long[flushes];
        for (int f = 0; f < flushes + 5; f++) {
            for (int k = 0; k < 2_000; k++) writer.write(Change.upsert(segment(k, f + 1)), null);
            long t0 = System.nanoTime();
            writer.flush(false);
            if (f >= 5) flush[f - 5] = System.nanoTime() - t0; // after a warm-up
        }
        writer.close();
        double checkUs = median(check) / 1000.0;
        System.out.printf("writer fence: check %.0f us (median of %d), SELECT 1 round trip %.0f us, sink flush of 2000 rows %.0f us "
                        + "(median of %d, check included): the check is %.1f%% of a full flush (local PostgreSQL 16)%n",
                checkUs, n, median(select1) / 1000.0, median(flush) / 1000.0, flushes, 100.0 * median(check) / median(flush));
        assertThat(checkUs).as("us per fence check").isLessThan(5_000);
    }

    private static long median(long[] values) {
        long[] v = values.clone();
        java.util.Arrays.sort(v);
        return v[v.length / 2];
    }

    private static void writeHeartbeats(Connection c, long heartbeats) throws Exception {
        // One key for both writers.
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO watch_segments VALUES ('u', 'v', '2026-01-01T10:00:00Z', "
                + "'2026-01-01T10:00:00Z', '2026-01-01T10:05:00Z', 0, 1, ?) ON CONFLICT (user_id, video_id, segment_start) DO UPDATE SET heartbeats = EXCLUDED.heartbeats")) {
            ps.setLong(1, heartbeats);
            ps.executeUpdate();
        }
    }

    /** A sink writer's context as Flink gives it to subtask {@code subtask} of an attempt restored from {@code checkpoint} (0: none). */
    static WriterInitContext context(JobID job, long checkpoint, int subtask) {
        ProcessingTimeService time = (ProcessingTimeService) Proxy.newProxyInstance(WriterFenceIT.class.getClassLoader(),
                new Class<?>[] {ProcessingTimeService.class}, (p, m, a) -> m.getName().equals("getCurrentProcessingTime") ? System.currentTimeMillis() : null);
        var metrics = UnregisteredMetricsGroup.createSinkWriterMetricGroup();
        var task = new TaskInfoImpl("sink", 128, subtask, 1, 0);
        var jobInfo = new JobInfoImpl(job, "fence-it-job");
        return (WriterInitContext) Proxy.newProxyInstance(WriterFenceIT.class.getClassLoader(), new Class<?>[] {WriterInitContext.class}, (p, m, a) -> {
            switch (m.getName()) {
                case "getProcessingTimeService": return time;
                case "metricGroup": return metrics;
                case "getTaskInfo": return task;
                case "getJobInfo": return jobInfo;
                case "getRestoredCheckpointId": return checkpoint == 0 ? OptionalLong.empty() : OptionalLong.of(checkpoint);
                default: throw new UnsupportedOperationException(m.getName());
            }
        });
    }

    private JdbcConfig freshDatabase() throws Exception {
        JdbcConfig jdbc = new JdbcConfig(bed.emptyDatabase("fence_it").url, bed.jdbc().user, 10_000, 60_000, 5_000);
        Migrations.apply(jdbc, Schema.Flavor.POSTGRES);
        return jdbc;
    }

    private static WatchSegment segment(int k, long version) {
        WatchSegment w = WatchSegment.key("u", "v", T0 + k * 60_000L);
        w.sessionStart = T0;
        w.segmentEnd = w.segmentStart + version;
        w.startPosMs = version;
        w.endPosMs = version * 2;
        w.heartbeats = version;
        return w;
    }

    private static VideoProgress progress(long positionMs, long eventTime) {
        VideoProgress p = new VideoProgress();
        p.userId = "u";
        p.videoId = "v";
        p.positionMs = positionMs;
        p.eventTime = eventTime;
        p.deviceId = "d";
        return p;
    }
}
