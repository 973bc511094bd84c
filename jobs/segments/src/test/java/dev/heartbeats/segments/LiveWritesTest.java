package dev.heartbeats.segments;

import dev.heartbeats.common.config.Settings;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.pipeline.PairKey;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The database writes of the segments job in live traffic, with its default coalescing: {@link SegmentsOperator} in the
 * test harness, fed generated live traffic (every adversity) at each record's delivery time, with the processing-time
 * clock at that time and a checkpoint barrier every checkpoint interval, as if the job kept up with the input. Counts
 * the rows it writes per heartbeat and checks the contract's freshness on every row: the resume point reflects every
 * in-order heartbeat within a few seconds, and an open segment appears at its first heartbeat and grows while it goes
 * on. Independent of the machine's speed and load (a live benchmark on a busy machine falls behind, and then a pair's
 * heartbeats come in bursts that the coalescing merges).
 */
class LiveWritesTest {
    static final int VIEWERS = 1_500;
    static final long MINUTES = 8;
    static final long CHECKPOINT_INTERVAL_MS = 30_000;
    /** "Within a few seconds" (contract, Freshness): the most a resume point may lag behind an in-order heartbeat. */
    static final long RESUME_POINT_FRESHNESS_MS = 5_000;

    @Test
    void liveTrafficWritesAtMostOnePointOneRowsPerHeartbeatAndStaysFresh() throws Exception {
        Writes w = run(defaultOf(SegmentsJob.PROGRESS_MIN_INTERVAL).toMillis(), defaultOf(SegmentsJob.SEGMENT_MIN_INTERVAL).toMillis());
        System.out.println("live traffic, default coalescing: " + w);

        assertThat(w.rowsPerRecord()).as("database rows per heartbeat in live traffic").isLessThanOrEqualTo(1.1);
        assertThat(w.unreflected).as("in-order heartbeats whose resume point never reached the table").isZero();
        assertThat(w.lagPercentile(100)).as("resume point lag behind an in-order heartbeat, ms").isLessThanOrEqualTo(RESUME_POINT_FRESHNESS_MS);
        assertThat(w.firstRowLagMs.stream().mapToLong(Long::longValue).max().orElseThrow())
                .as("a segment's first row after its first heartbeat, ms").isLessThanOrEqualTo(RESUME_POINT_FRESHNESS_MS);
        assertThat(w.segmentsGrown.size()).as("open segments that grew in the table before they closed")
                .isGreaterThan(w.segmentsSeen.size() / 4);
        assertThat(w.unchangedRewrites).as("rows written again with the values the table holds").isZero();
    }

    private static <T> T defaultOf(dev.heartbeats.common.config.Option<T> option) {
        return Settings.parse(new String[0], List.of(option)).get(option);
    }

    /** What the operator wrote. */
    static final class Writes {
        long records;
        long progressRows;
        long segmentRows;
        long unreflected;
        long unchangedRewrites;
        final List<Long> lagMs = new ArrayList<>();
        final List<Long> firstRowLagMs = new ArrayList<>();
        /** pair + event time -> when the content heartbeat was delivered (processing time). */
        final Map<String, Long> delivered = new HashMap<>();
        final Set<String> segmentsSeen = new HashSet<>();
        final Set<String> segmentsGrown = new HashSet<>();

        double rowsPerRecord() {
            return (progressRows + segmentRows) / (double) records;
        }

        @Override
        public String toString() {
            return String.format("%,d records, %.3f rows per heartbeat (video_progress %.3f, watch_segments %.3f); resume point lag p99 %,d ms,"
                            + " max %,d ms; %,d segments, first row lag max %,d ms, %,d grew in the table", records, rowsPerRecord(),
                    progressRows / (double) records, segmentRows / (double) records, percentile(lagMs, 99), percentile(lagMs, 100),
                    segmentsSeen.size(), percentile(firstRowLagMs, 100), segmentsGrown.size());
        }

        long lagPercentile(double p) {
            return percentile(lagMs, p);
        }

        static long percentile(List<Long> values, double p) {
            List<Long> sorted = new ArrayList<>(values);
            sorted.sort(Long::compare);
            if (sorted.isEmpty()) return 0;
            int rank = (int) Math.ceil(p / 100.0 * sorted.size());
            return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
        }
    }

    static Writes run(long progressIntervalMs, long segmentIntervalMs) throws Exception {
        long start = GeneratorConfig.DEFAULT_START_TIME;
        GeneratorConfig live = LiveProducer.liveConfig(GeneratorConfig.allAdversities(7), VIEWERS * 0.2, start).toBuilder().viewers(VIEWERS).build();
        HeartbeatGenerator records = new HeartbeatGenerator(live);
        Writes w = new Writes();
        Map<String, ArrayDeque<long[]>> waiting = new HashMap<>(); // pair -> {event time, delivered at} of in-order heartbeats not reflected yet
        Map<String, WatchSegment> lastSegmentRow = new HashMap<>();
        Map<String, VideoProgress> lastProgressRow = new HashMap<>();
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new SegmentsOperator(new SegmentsFunction(ContractParams.DEFAULTS, progressIntervalMs, segmentIntervalMs),
                        defaultOf(SegmentsJob.STATE_CACHE_PAIRS), CHECKPOINT_INTERVAL_MS),
                new PairKey(), Types.STRING);
        try {
            long now = start;
            h.setProcessingTime(now);
            h.open();
            long nextBarrier = start + CHECKPOINT_INTERVAL_MS;
            long end = start + MINUTES * 60_000;
            long barrier = 0;
            while (records.hasNext()) {
                GeneratedRecord r = records.next();
                long at = Math.max(now, r.deliveryTime());
                if (at > end) break;
                while (nextBarrier <= at) { // the timers up to the barrier, then the barrier
                    now = advance(h, now, nextBarrier, w, waiting, lastSegmentRow, lastProgressRow);
                    h.prepareSnapshotPreBarrier(++barrier);
                    nextBarrier += CHECKPOINT_INTERVAL_MS;
                }
                now = advance(h, now, at, w, waiting, lastSegmentRow, lastProgressRow);
                w.records++;
                GeneratedRecord.Kind k = r.kind();
                if (k == GeneratedRecord.Kind.INVALID || k == GeneratedRecord.Kind.TOO_LATE) continue; // routed before the keyed operator
                Heartbeat hb = r.heartbeat();
                String pair = hb.userId + '\0' + hb.videoId;
                if (k == GeneratedRecord.Kind.VALID && hb.isContent()) waiting.computeIfAbsent(pair, x -> new ArrayDeque<>()).add(new long[] {hb.eventTime, now});
                if (hb.isContent()) w.delivered.putIfAbsent(pair + '\0' + hb.eventTime, now);
                h.processElement(hb, hb.eventTime);
                collect(h, now, w, waiting, lastSegmentRow, lastProgressRow);
            }
            now = advance(h, now, now + Math.max(progressIntervalMs, segmentIntervalMs), w, waiting, lastSegmentRow, lastProgressRow);
        } finally {
            h.close();
        }
        // Heartbeats of the last interval may still wait; every earlier one must have been reflected.
        long cutoff = h.getProcessingTime() - Math.max(progressIntervalMs, segmentIntervalMs) - RESUME_POINT_FRESHNESS_MS;
        for (ArrayDeque<long[]> q : waiting.values()) for (long[] x : q) if (x[1] < cutoff) w.unreflected++;
        return w;
    }

    /** Moves the processing-time clock to {@code to} in steps of the coalescing's timer slot, collecting what it emits. */
    private static long advance(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h, long now, long to, Writes w,
                                Map<String, ArrayDeque<long[]>> waiting, Map<String, WatchSegment> seg, Map<String, VideoProgress> prog) throws Exception {
        while (now < to) {
            now = Math.min(to, now + RowCoalescer.TICK_MS);
            h.setProcessingTime(now);
            collect(h, now, w, waiting, seg, prog);
        }
        return now;
    }

    private static void collect(KeyedOneInputStreamOperatorTestHarness<String, Heartbeat, Change<WatchSegment>> h, long now, Writes w,
                                Map<String, ArrayDeque<long[]>> waiting, Map<String, WatchSegment> lastSegment, Map<String, VideoProgress> lastProgress) {
        for (Object o : h.getOutput()) {
            if (!(o instanceof StreamRecord<?> sr)) continue;
            @SuppressWarnings("unchecked") Change<WatchSegment> c = (Change<WatchSegment>) sr.getValue();
            w.segmentRows++;
            String pair = c.row.userId + '\0' + c.row.videoId;
            String segment = pair + '\0' + c.row.segmentStart;
            if (c.delete) {
                lastSegment.remove(segment);
                continue;
            }
            if (c.row.equals(lastSegment.get(segment))) w.unchangedRewrites++;
            if (lastSegment.put(segment, c.row) == null) {
                if (w.segmentsSeen.add(segment)) {
                    Long at = w.delivered.get(pair + '\0' + c.row.segmentStart);
                    if (at != null) w.firstRowLagMs.add(now - at);
                }
            } else {
                w.segmentsGrown.add(segment);
            }
        }
        h.getOutput().clear();
        var progress = h.getSideOutput(SegmentsFunction.PROGRESS);
        if (progress == null) return;
        for (StreamRecord<Change<VideoProgress>> r : progress) {
            VideoProgress p = r.getValue().row;
            w.progressRows++;
            String pair = p.userId + '\0' + p.videoId;
            if (p.equals(lastProgress.put(pair, p))) w.unchangedRewrites++;
            ArrayDeque<long[]> q = waiting.get(pair);
            while (q != null && !q.isEmpty() && q.peek()[0] <= p.eventTime) w.lagMs.add(now - q.poll()[1]);
        }
        progress.clear();
    }
}
