package dev.heartbeats.local;

import dev.heartbeats.archive.ArchiveJob;
import dev.heartbeats.common.archive.ArchiveFormat;
import dev.heartbeats.common.archive.ArchiveLayout;
import dev.heartbeats.common.archive.ArchiveRecord;
import dev.heartbeats.common.config.JdbcConfig;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.schema.catalog.CatalogLoader;
import dev.heartbeats.common.tables.RestatedTables;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.parquet.hadoop.ParquetReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 20 end to end: a generated stream with every adversity, its Kafka timestamps spread over four hours (the
 * delivery times, as a LogAppendTime topic would stamp them), archived by the archive job with a TaskManager killed in
 * the middle (every record archived exactly once), then restated from the archive: over the whole stream the four
 * tables, the dead letters and the too-late records equal the live run's over Kafka and the reference's; over one hour
 * in the middle (with a warm-up back to the start of the stream, and the default cool-down) the rows of that hour and
 * the dead letters of its records equal the live run's and the reference's; and swapping that hour into damaged live tables repairs them, twice over.
 */
class RestatementIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(6).build());

    /** A short M, so that the warm-up and cool-down (M + G + L + F + out-of-orderness) fit a test stream of a few hours. */
    static final ContractParams PARAMS = new ContractParams(30_000, 2.0, 2_000, 600_000, 20 * 60_000L, 300_000);
    static final String[] SETTINGS = {"--max-session", "20min", "--parallelism", "2"};
    static final long HOUR = 3_600_000L;

    @Test
    void archivedWithAFailureThenRestatedEqualsTheLiveRunAndTheReference(@InjectMiniCluster MiniCluster cluster, @TempDir java.nio.file.Path dir)
            throws Exception {
        TestBed bed = TestBed.shared();
        CatalogLoader.loadDefaults(bed.jdbc());
        Scenario s = bed.scenario("restatement");
        // Record timestamps set by the producer: the generator's delivery times stand for the broker's append times.
        bed.stack.kafka.setTopicConfig(s.inputTopic, "message.timestamp.type", "CreateTime");
        // The stream starts at the same minute of an hour every run, so every run cuts it into hours the same way.
        long start = ArchiveLayout.hourOf(System.currentTimeMillis()) - 4 * HOUR - 10 * 60_000;
        List<GeneratedRecord> records = generate(start, start + 4 * HOUR + 10 * 60_000);
        String archive = dir.resolve("archive").toUri().toString();

        // The archive job, killed in the middle: files committed before the failure stay, nothing is lost or doubled.
        JobClient archiver = s.start(new ArchiveJob(), "--archive-dir", archive, "--parallelism", "2");
        List<Routing.Input> sent = new ArrayList<>(send(s, records.subList(0, records.size() / 2)));
        awaitArchived(dir, n -> n > 0, Duration.ofSeconds(60));
        long archivedBeforeFailure = archivedRows(dir).size();
        cluster.terminateTaskManager(0).get(60, TimeUnit.SECONDS);
        cluster.startTaskManager();
        sent.addAll(send(s, records.subList(records.size() / 2, records.size())));
        awaitArchived(dir, n -> n >= sent.size(), Duration.ofSeconds(120));
        archiver.cancel().get(30, TimeUnit.SECONDS);
        List<ArchiveRecord> archived = archivedRows(dir);
        Set<String> positions = archived.stream().map(a -> a.partition + "@" + a.offset).collect(Collectors.toSet());
        assertThat(archivedBeforeFailure).as("files committed before the failure").isPositive().isLessThan(sent.size());
        assertThat(archived).as("no record archived twice").hasSize(positions.size());
        assertThat(positions).as("every record archived").isEqualTo(sent.stream().map(Routing.Input::position).collect(Collectors.toSet()));
        Map<String, Long> timestamps = sent.stream().collect(Collectors.toMap(Routing.Input::position, Routing.Input::timestamp));
        assertThat(archived).allSatisfy(a -> {
            assertThat(a.timestamp).isEqualTo(timestamps.get(a.partition + "@" + a.offset));
            assertThat(a.timestampType).isEqualTo("CreateTime");
        });
        assertThat(Files.list(dir.resolve("archive")).map(p -> p.getFileName().toString())).allMatch(n -> n.startsWith("date="));

        // The live run over Kafka, and the reference.
        runAll(s, Stream.concat(Arrays.stream(SETTINGS), Stream.of("--bounded")).toArray(String[]::new));
        TableSnapshot live = s.tables();
        Routing routing = Routing.of(sent, PARAMS, 5_000);
        ContractReference.Expected expected = routing.tables(PARAMS, catalog(bed));
        assertThat(routing.tooLate).isNotEmpty();
        assertThat(routing.invalid).isNotEmpty();
        TableAssert.assertMatches(live, expected);
        Map<String, Set<String>> liveLate = routedByJob(s, s.lateTopic);
        Map<String, Set<String>> liveDlq = routedByJob(s, s.dlqTopic);

        long first = sent.stream().mapToLong(Routing.Input::timestamp).min().orElseThrow();
        long last = sent.stream().mapToLong(Routing.Input::timestamp).max().orElseThrow();
        long from = ArchiveLayout.hourOf(first);
        long to = ArchiveLayout.hourOf(last) + HOUR;

        // The whole stream restated from the archive: the live run's tables, dead letters and too-late records.
        String full = "restate_full";
        Restated whole = restate(bed, s, full, archive, from, to);
        TableAssert.assertMatches(whole.tables, expected);
        assertSameRows(whole.tables, live, r -> true);
        for (String job : Jobs.all().keySet()) {
            assertThat(whole.late.get(job)).as("too late, restated by " + job).isEqualTo(liveLate.get(job)).isEqualTo(routing.tooLate);
            assertThat(whole.dlq.get(job)).as("invalid, restated by " + job).isEqualTo(liveDlq.get(job)).isEqualTo(routing.invalid);
        }

        // One hour in the middle: its rows, and the dead letters of its records only.
        long hourFrom = from + 2 * HOUR;
        long hourTo = hourFrom + HOUR;
        assertThat(last).as("the stream reaches past the cool-down").isGreaterThan(hourTo + 36 * 60_000);
        // Sessions chain: one that reaches M ends, and the next starts at the following heartbeat, so a pair that watches
        // without a break carries its session boundaries from the start of that viewing. The generated viewers watch for
        // hours, so the warm-up reaches back to the start of the stream (README, "The archive and restatements").
        Restated hour = restate(bed, s, "restate_hour", archive, hourFrom, hourTo, "--restate-warm-up", "3h");
        Predicate<Object> inHour = row -> RestatedTables.timeOf(row) >= hourFrom && RestatedTables.timeOf(row) < hourTo;
        assertThat(hour.tables.watchSegments).isNotEmpty().hasSizeLessThan(live.watchSegments.size()).allMatch(inHour);
        assertSameRows(hour.tables, live, inHour);
        Set<String> hourRecords = sent.stream().filter(r -> r.timestamp() >= hourFrom && r.timestamp() < hourTo).map(Routing.Input::position).collect(Collectors.toSet());
        for (String job : Jobs.all().keySet()) {
            assertThat(hour.late.get(job)).as("too late in the hour, " + job).isEqualTo(intersect(routing.tooLate, hourRecords));
            assertThat(hour.dlq.get(job)).as("invalid in the hour, " + job).isEqualTo(intersect(routing.invalid, hourRecords));
        }

        // Swapping the hour into damaged live tables repairs them; a second swap changes nothing.
        damage(bed.jdbc(), hourFrom);
        assertThat(s.tables().watchSegments).isNotEqualTo(live.watchSegments);
        List<String> tables = RestatedTables.ALL.stream().map(RestatedTables.Table::name).toList();
        for (int i = 0; i < 2; i++) {
            RestateCommand.swap(bed.jdbc(), "restate_hour", hourFrom, hourTo, tables, Duration.ofMinutes(20));
            assertSameRows(s.tables(), live, r -> true);
        }
        Map<String, long[]> diff = RestateCommand.compare(bed.jdbc(), "restate_hour", hourFrom, hourTo, List.of("watch_segments", "content_watch_hourly"));
        assertThat(diff.values()).allSatisfy(c -> assertThat(new long[] {c[2], c[3]}).containsExactly(0, 0));
    }

    /** The generated stream with every adversity, delivered between {@code start} and {@code end}. */
    static List<GeneratedRecord> generate(long start, long end) {
        HeartbeatGenerator g = new HeartbeatGenerator(GeneratorConfig.allAdversities(20).toBuilder().viewers(10).startTime(start).build());
        List<GeneratedRecord> out = new ArrayList<>();
        while (g.hasNext()) {
            GeneratedRecord r = g.next();
            if (r.deliveryTime() >= end) break;
            out.add(r);
        }
        return out;
    }

    /** Sends the records with their delivery times as Kafka timestamps; where each landed. */
    static List<Routing.Input> send(Scenario s, List<GeneratedRecord> records) throws Exception {
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = s.producer()) {
            for (GeneratedRecord r : records) acks.add(p.send(new ProducerRecord<>(s.inputTopic, null, r.deliveryTime(), r.key(), r.value())));
            p.flush();
        }
        List<Routing.Input> out = new ArrayList<>();
        for (int i = 0; i < records.size(); i++) {
            RecordMetadata m = acks.get(i).get();
            GeneratedRecord r = records.get(i);
            out.add(new Routing.Input(m.partition(), m.offset(), r.isValid() ? r.heartbeat() : null, m.timestamp()));
        }
        return out;
    }

    static List<ArchiveRecord> archivedRows(java.nio.file.Path dir) throws Exception {
        List<ArchiveRecord> out = new ArrayList<>();
        if (!Files.exists(dir.resolve("archive"))) return out;
        try (Stream<java.nio.file.Path> files = Files.walk(dir.resolve("archive"))) {
            for (java.nio.file.Path f : files.filter(f -> f.getFileName().toString().startsWith(ArchiveLayout.PART_PREFIX)
                    && f.getFileName().toString().endsWith(ArchiveLayout.PART_SUFFIX)).toList()) {
                try (ParquetReader<ArchiveRecord> r = ArchiveFormat.reader(ArchiveFormat.inputFile(new Path(f.toUri())))) {
                    for (ArchiveRecord a; (a = r.read()) != null; ) out.add(a);
                }
            }
        }
        return out;
    }

    static void awaitArchived(java.nio.file.Path dir, Predicate<Integer> done, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        int n;
        while (!done.test(n = archivedRows(dir).size())) {
            if (System.nanoTime() > deadline) throw new AssertionError("archive holds " + n + " records after " + timeout);
            Thread.sleep(500);
        }
    }

    /** Runs the table jobs at once on the test's MiniCluster, to completion. */
    static void runAll(Scenario s, String... extra) throws Exception {
        List<JobClient> clients = new ArrayList<>();
        for (JobLauncher.Job job : Jobs.all().values()) clients.add(s.start(job, extra));
        for (JobClient c : clients) c.getJobExecutionResult().get(5, TimeUnit.MINUTES);
    }

    record Restated(TableSnapshot tables, Map<String, Set<String>> dlq, Map<String, Set<String>> late) {}

    /** {@code hb restate --into schema} for [from, to): scratch schema, the jobs from the archive, its own dead-letter topics. */
    static Restated restate(TestBed bed, Scenario s, String schema, String archive, long from, long to, String... extra) throws Exception {
        JdbcConfig scratch = RestateCommand.prepareScratch(bed.jdbc(), schema);
        String dlq = s.dlqTopic + "-" + schema.replace('_', '-');
        String late = s.lateTopic + "-" + schema.replace('_', '-');
        bed.stack.createTopics(s.inputTopic + "-" + schema.replace('_', '-'), dlq, late);
        List<String> args = new ArrayList<>(Arrays.asList(s.args(SETTINGS)));
        args.addAll(List.of("--jdbc-url", scratch.url, "--archive-dir", archive, "--restate-from", Instant.ofEpochMilli(from).toString(),
                "--restate-to", Instant.ofEpochMilli(to).toString(), "--bounded", "--dlq-topic", dlq, "--late-topic", late));
        args.addAll(Arrays.asList(extra));
        RestateCommand.restate(new ArrayList<>(Jobs.all().values()), args, StreamExecutionEnvironment::getExecutionEnvironment, Duration.ofMinutes(5));
        Map<String, Set<String>> dlqs = new LinkedHashMap<>();
        Map<String, Set<String>> lates = new LinkedHashMap<>();
        for (String job : Jobs.all().keySet()) {
            dlqs.put(job, DifferentialRun.routed(s, dlq, job));
            lates.put(job, DifferentialRun.routed(s, late, job));
        }
        return new Restated(TableSnapshot.read(scratch), dlqs, lates);
    }

    static Map<String, Set<String>> routedByJob(Scenario s, String topic) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (String job : Jobs.all().keySet()) out.put(job, DifferentialRun.routed(s, topic, job));
        return out;
    }

    /** The rows of {@code actual} equal those of {@code live} that {@code which} selects; video_progress: see below. */
    static void assertSameRows(TableSnapshot actual, TableSnapshot live, Predicate<Object> which) {
        assertThat(actual.watchSegments).containsExactlyInAnyOrderElementsOf(live.watchSegments.stream().filter(which::test).toList());
        assertThat(actual.contentWatchHourly).containsExactlyInAnyOrderElementsOf(live.contentWatchHourly.stream().filter(which::test).toList());
        assertThat(actual.adImpressionsHourly.stream().filter(which::test).toList())
                .containsExactlyInAnyOrderElementsOf(live.adImpressionsHourly.stream().filter(which::test).toList());
        // A pair whose latest resume point lies in the range has it restated; one with later heartbeats keeps the live one
        // (the restated range holds its latest heartbeat within the range, and the swap's guard keeps the newer).
        assertThat(actual.videoProgress).containsAll(live.videoProgress.stream().filter(which::test).toList());
    }

    static Set<String> intersect(Set<String> a, Set<String> b) {
        Set<String> out = new HashSet<>(a);
        out.retainAll(b);
        return out;
    }

    /** A bug's traces in the hour: rows lost, a spurious one, wrong totals and resume points. */
    static void damage(JdbcConfig jdbc, long hourFrom) throws Exception {
        try (Connection c = jdbc.connect(); Statement st = c.createStatement()) {
            String from = "'" + Instant.ofEpochMilli(hourFrom) + "'::timestamptz";
            String to = "'" + Instant.ofEpochMilli(hourFrom + HOUR) + "'::timestamptz";
            st.executeUpdate("DELETE FROM watch_segments WHERE segment_start >= " + from + " AND segment_start < " + to + " AND heartbeats % 2 = 0");
            st.executeUpdate("INSERT INTO watch_segments VALUES ('ghost', 'v', '" + Instant.ofEpochMilli(hourFrom + 60_000) + "', '"
                    + Instant.ofEpochMilli(hourFrom) + "', '" + Instant.ofEpochMilli(hourFrom + 120_000) + "', 0, 1000, 3)");
            st.executeUpdate("UPDATE content_watch_hourly SET watched_ms = watched_ms * 2 WHERE hour >= " + from + " AND hour < " + to);
            st.executeUpdate("UPDATE ad_impressions_hourly SET impressions = impressions + 1 WHERE hour >= " + from + " AND hour < " + to);
            st.executeUpdate("UPDATE video_progress SET position_ms = 0 WHERE event_time >= " + from + " AND event_time < " + to);
        }
    }

    static Map<String, String> catalog(TestBed bed) throws Exception {
        Map<String, String> licensorByVideo = new HashMap<>();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, licensor_id FROM videos")) {
            while (rs.next()) licensorByVideo.put(rs.getString(1), rs.getString(2));
        }
        return licensorByVideo;
    }
}
