package dev.heartbeats.bench;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import org.apache.flink.core.execution.JobClient;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One live run: an unbounded job on a fresh topic while {@link LiveProducer} sends generated heartbeats at a fixed
 * rate (event time = wall clock, each record when its delivery time comes). A sample of the heartbeats is followed to
 * the database:
 * <ul>
 *   <li>progress latency: from the moment a sampled in-order content heartbeat is handed to the producer until a
 *       query sees its pair's {@code video_progress} row at that heartbeat (or a later one);</li>
 *   <li>stop latency: from the moment a sampled {@code stop} is handed to the producer until a query sees a
 *       {@code watch_segments} row of its pair that ends at the stop (the session's final row).</li>
 * </ul>
 * The tables are polled every {@link #POLL_MS} ms, so each latency is an upper bound, at most one poll interval
 * (plus a query) above the true one. Heartbeats sent during the warm-up are not sampled, and CPU and database
 * counters cover the measured window only.
 */
final class LiveBench {
    static final long POLL_MS = 100;
    /** Samples per second of each kind (enough for a p99 over a minute without loading the database). */
    static final double PROGRESS_SAMPLES_PER_SECOND = 50;
    static final double STOP_SAMPLES_PER_SECOND = 20;
    static final long GIVE_UP_MS = 60_000;

    private LiveBench() {}

    /** A heartbeat followed to the database. */
    static final class Sample {
        final String user;
        final String video;
        final long eventTime;
        final long pos;
        final long sentAt;

        Sample(Heartbeat h, long sentAt) {
            this.user = h.userId;
            this.video = h.videoId;
            this.eventTime = h.eventTime;
            this.pos = h.positionMs;
            this.sentAt = sentAt;
        }
    }

    static Results.LiveRun run(BenchEnv env, BenchCluster cluster, JobLauncher.Job job, GeneratorConfig base, double rate, int partitions,
                               long warmupMs, long durationMs, String checkpointInterval, List<String> extraArgs) throws Exception {
        TableSnapshot.truncateOutputs(env.jdbc);
        String topic = Runs.unique("bench-live-" + (long) rate);
        env.createTopic(topic, partitions);
        Results.LiveRun r = new Results.LiveRun();
        r.job = job.name();
        r.rate = rate;

        String[] args = Runs.args(job, env, topic, Runs.unique("bench-live-" + job.name()), false, 1, checkpointInterval, extraArgs);
        JobClient client = Runs.start(cluster, job, args);
        String id = client.getJobID().toString();
        LiveProducer producer = new LiveProducer(env.kafka, topic);
        try {
            Runs.awaitRunning(cluster, client, 120_000);
            long start = System.currentTimeMillis();
            long measureFrom = start + warmupMs;
            GeneratorConfig live = LiveProducer.liveConfig(base, rate, start);
            r.viewers = live.viewers();
            ConcurrentLinkedQueue<Sample> progressQueue = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Sample> stopQueue = new ConcurrentLinkedQueue<>();
            Iterator<GeneratedRecord> sampled = sampling(new HeartbeatGenerator(live), rate, measureFrom, progressQueue, stopQueue);
            Thread sender = new Thread(() -> producer.sendLive(sampled), "bench-live-producer");
            sender.setDaemon(true);
            sender.start();

            Thread.sleep(Math.max(0, measureFrom - System.currentTimeMillis()));
            r.loadBefore = Machine.loadAvg();
            DbStats dbBefore = DbStats.read(env.jdbc);
            double cpu0 = Machine.processCpuSeconds();
            double db0 = env.databaseCpuSeconds();
            long[] mach0 = Machine.machineJiffies();
            long sent0 = producer.sent();
            long statements0 = CapturingReporter.sum(id, "batchesExecuted");
            long txn0 = CapturingReporter.sum(id, "transactions");
            long measureUntil = measureFrom + durationMs;

            List<Sample> pendingProgress = new ArrayList<>();
            List<Sample> pendingStops = new ArrayList<>();
            boolean windowClosed = false;
            try (Connection c = env.jdbc.connect()) {
                c.setAutoCommit(true);
                while (true) {
                    long now = System.currentTimeMillis();
                    if (!windowClosed && now >= measureUntil) {
                        windowClosed = true;
                        r.sent = producer.sent() - sent0;
                        r.measuredSeconds = (now - measureFrom) / 1000.0;
                        r.achievedRate = r.sent / r.measuredSeconds;
                        r.jvmCpuSeconds = Machine.processCpuSeconds() - cpu0;
                        r.dbCpuSeconds = env.databaseCpuSeconds() - db0;
                        r.machineBusy = Machine.busyFraction(mach0, Machine.machineJiffies());
                        r.sinkStatements = CapturingReporter.sum(id, "batchesExecuted") - statements0;
                        r.sinkTransactions = CapturingReporter.sum(id, "transactions") - txn0;
                        r.db = DbStats.read(env.jdbc).minus(dbBefore);
                        r.loadAfter = Machine.loadAvg();
                        producer.stop(); // samples still pending are followed until seen (or given up)
                    }
                    Sample s;
                    while ((s = progressQueue.poll()) != null) pendingProgress.add(s);
                    while ((s = stopQueue.poll()) != null) pendingStops.add(s);
                    if (windowClosed && pendingProgress.isEmpty() && pendingStops.isEmpty()) break;
                    long queriedAt = System.currentTimeMillis();
                    r.progressMissing += resolveProgress(c, pendingProgress, queriedAt, r.progressLatencyMs);
                    r.stopMissing += resolveStops(c, pendingStops, queriedAt, r.stopLatencyMs);
                    Thread.sleep(Math.max(1, POLL_MS - (System.currentTimeMillis() - queriedAt)));
                }
            }
            sender.join(30_000);
            r.checkpoints = CheckpointStats.of(cluster.api, client.getJobID());
        } finally {
            producer.stop();
            Runs.cancel(client);
            producer.close();
            CapturingReporter.forget(id);
            env.deleteTopic(topic);
        }
        return r;
    }

    /**
     * Passes the generator's records through, queueing a sample of them: in-order (VALID) content heartbeats for the
     * progress latency and stops for the stop latency, only those handed to the producer after {@code measureFrom}.
     * The producer sends each record when the wall clock reaches its delivery time, so that is its send time (or now,
     * if it is behind).
     */
    static Iterator<GeneratedRecord> sampling(Iterator<GeneratedRecord> records, double rate, long measureFrom,
                                              ConcurrentLinkedQueue<Sample> progress, ConcurrentLinkedQueue<Sample> stops) {
        long progressEvery = Math.max(1, Math.round(rate / PROGRESS_SAMPLES_PER_SECOND));
        return new Iterator<>() {
            long content;
            long lastStopSample;

            @Override
            public boolean hasNext() {
                return records.hasNext();
            }

            @Override
            public GeneratedRecord next() {
                GeneratedRecord r = records.next();
                long sentAt = Math.max(r.deliveryTime(), System.currentTimeMillis());
                if (sentAt < measureFrom || r.kind() != GeneratedRecord.Kind.VALID || !r.heartbeat().isContent()) return r;
                Heartbeat h = r.heartbeat();
                if (h.event == EventType.STOP) {
                    if (sentAt - lastStopSample >= 1000 / STOP_SAMPLES_PER_SECOND) {
                        lastStopSample = sentAt;
                        stops.add(new Sample(h, sentAt));
                    }
                } else if (++content % progressEvery == 0) {
                    progress.add(new Sample(h, sentAt));
                }
                return r;
            }
        };
    }

    /** Removes the samples whose progress row has reached them; returns how many were given up. */
    private static int resolveProgress(Connection c, List<Sample> pending, long queriedAt, List<Double> latencies) throws Exception {
        if (pending.isEmpty()) return 0;
        Map<String, long[]> rows = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT user_id, video_id, (extract(epoch FROM event_time) * 1000)::bigint, position_ms"
                + " FROM video_progress WHERE user_id = ANY(?)")) {
            ps.setArray(1, users(c, pending));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) rows.put(rs.getString(1) + '\0' + rs.getString(2), new long[] {rs.getLong(3), rs.getLong(4)});
            }
        }
        int missing = 0;
        for (Iterator<Sample> it = pending.iterator(); it.hasNext(); ) {
            Sample s = it.next();
            long[] row = rows.get(s.user + '\0' + s.video);
            if (row != null && (row[0] > s.eventTime || (row[0] == s.eventTime && row[1] >= s.pos))) {
                latencies.add((double) (queriedAt - s.sentAt));
                it.remove();
            } else if (queriedAt - s.sentAt > GIVE_UP_MS) {
                missing++;
                it.remove();
            }
        }
        return missing;
    }

    private static int resolveStops(Connection c, List<Sample> pending, long queriedAt, List<Double> latencies) throws Exception {
        if (pending.isEmpty()) return 0;
        Map<String, List<Long>> ends = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT user_id, video_id, (extract(epoch FROM segment_end) * 1000)::bigint"
                + " FROM watch_segments WHERE user_id = ANY(?)")) {
            ps.setArray(1, users(c, pending));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) ends.computeIfAbsent(rs.getString(1) + '\0' + rs.getString(2), k -> new ArrayList<>()).add(rs.getLong(3));
            }
        }
        int missing = 0;
        for (Iterator<Sample> it = pending.iterator(); it.hasNext(); ) {
            Sample s = it.next();
            List<Long> e = ends.get(s.user + '\0' + s.video);
            if (e != null && e.contains(s.eventTime)) {
                latencies.add((double) (queriedAt - s.sentAt));
                it.remove();
            } else if (queriedAt - s.sentAt > GIVE_UP_MS) {
                missing++;
                it.remove();
            }
        }
        return missing;
    }

    private static Array users(Connection c, List<Sample> samples) throws Exception {
        String[] u = new String[samples.size()];
        for (int i = 0; i < u.length; i++) u[i] = samples.get(i).user;
        return c.createArrayOf("text", u);
    }
}
