package dev.heartbeats.bench;

import dev.heartbeats.archive.ArchiveJob;
import dev.heartbeats.common.archive.ArchiveFormat;
import dev.heartbeats.common.archive.ArchiveLayout;
import dev.heartbeats.common.archive.ArchiveRecord;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.kafka.IngestDeserializer;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.apache.parquet.hadoop.ParquetReader;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.generator.LiveProducer;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.local.Jobs;
import org.apache.flink.core.execution.JobClient;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code scripts/bench archive}: what the archive costs and what a restatement from it takes. Pre-loads a topic with
 * generated heartbeats whose Kafka timestamps are their delivery times (what a LogAppendTime topic stamps), archives
 * it with the archive job (bounded), and reports the archive's bytes per million records; then runs each table job
 * bounded over the same records twice, once replaying Kafka from the start and once restating from the archive a
 * range that covers them all (default warm-up and cool-down), into emptied tables, and reports records per second of
 * each (all records over the time from "all tasks running" to "job finished", as {@link BoundedBench} counts them), and
 * the JVM CPU seconds per million records of each run (less at the mercy of a shared machine than the rates).
 */
public final class ArchiveBench {
    static final Option<Long> RECORDS = Option.longValue("records", 2_000_000, "records to pre-load into the input topic");
    static final Option<Integer> VIEWERS = Option.integer("viewers", 20_000, "concurrently active viewers in the pre-loaded data");
    static final Option<Integer> PARTITIONS = Option.integer("partitions", 4, "partitions of the input topic");
    static final Option<Integer> PARALLELISM = Option.integer("parallelism", 1, "parallelism of every run (a restatement reads the archive with one reader)");
    static final Option<Integer> RUNS = Option.integer("runs", 2, "runs of each job and source; the best is quoted, all are printed");
    static final Option<String> JOBS = Option.string("jobs", "all", "table jobs to measure (comma-separated, or all)");
    static final List<Option<?>> OPTIONS = List.of(RECORDS, VIEWERS, PARTITIONS, PARALLELISM, RUNS, JOBS);

    private ArchiveBench() {}

    public static void main(String[] args) throws Exception {
        Locale.setDefault(Locale.ROOT);
        if (Settings.wantsHelp(args)) {
            System.out.println(Settings.help("Usage: scripts/bench archive [settings]", OPTIONS));
            return;
        }
        Settings s = Settings.parse(args, OPTIONS);
        long n = s.get(RECORDS);
        int p = s.get(PARALLELISM);
        say("machine: " + Machine.describe() + "; load " + Machine.loadAvg());
        try (BenchEnv env = BenchEnv.start(null, null, "heartbeats", s.get(PARTITIONS)); BenchCluster cluster = new BenchCluster(Math.max(2, p))) {
            env.createTopic(Runs.DLQ_TOPIC, 1);
            env.createTopic(Runs.LATE_TOPIC, 1);
            String topic = "archive-bench";
            long[] span = preload(env, topic, n, s.get(VIEWERS), s.get(PARTITIONS));
            long inputBytes = span[2];
            say(String.format("pre-loaded %,d records (%,d bytes of keys and values) with timestamps %s .. %s", env.topicSize(topic), inputBytes,
                    Instant.ofEpochMilli(span[0]), Instant.ofEpochMilli(span[1])));

            Path archive = Files.createTempDirectory("archive-bench");
            String[] archiveArgs = Runs.args(new ArchiveJob(), env, topic, Runs.unique("archive-bench"), true, p, "30s",
                    List.of("--archive-dir", archive.toString()));
            double archiveSeconds = timed(cluster, new ArchiveJob(), archiveArgs);
            long bytes = 0;
            long files = 0;
            long archived = 0;
            try (Stream<Path> all = Files.walk(archive)) {
                for (Path f : all.filter(f -> f.getFileName().toString().startsWith(ArchiveLayout.PART_PREFIX)
                        && f.getFileName().toString().endsWith(ArchiveLayout.PART_SUFFIX)).toList()) {
                    bytes += Files.size(f);
                    files++;
                    archived += ArchiveFormat.summary(new org.apache.flink.core.fs.Path(f.toUri())).records();
                }
            }
            say(String.format("archive: %,d records in %,d files, %,d bytes: %.1f bytes per record, %.1f MB per million records "
                            + "(the keys and values alone: %.1f bytes per record); archived at %,.0f records/s (p=%d)",
                    archived, files, bytes, (double) bytes / archived, bytes / (archived / 1e6) / 1e6, (double) inputBytes / n, n / archiveSeconds, p));

            // Reading alone: every archived record decoded and parsed as a restatement's reader does, in this thread.
            for (int r = 0; r < 3; r++) {
                long t0 = System.nanoTime();
                long read = 0;
                HeartbeatParser parser = new HeartbeatParser();
                try (Stream<Path> all = Files.walk(archive)) {
                    for (Path f : all.filter(f -> f.getFileName().toString().startsWith(ArchiveLayout.PART_PREFIX)
                            && f.getFileName().toString().endsWith(ArchiveLayout.PART_SUFFIX)).toList()) {
                        try (ParquetReader<ArchiveRecord> in = ArchiveFormat.reader(ArchiveFormat.inputFile(new org.apache.flink.core.fs.Path(f.toUri())))) {
                            for (ArchiveRecord a; (a = in.read()) != null; read++) {
                                IngestDeserializer.ingest(parser, ContractParams.DEFAULTS, a.topic, a.partition, a.offset, a.timestamp, a.key, a.value);
                            }
                        }
                    }
                }
                say(String.format("reading the archive alone (decode and parse, one thread): %,d records at %,.0f records/s;"
                                + " reading Kafka alone (a KafkaConsumer, parse): %,.0f records/s", read, read / ((System.nanoTime() - t0) / 1e9),
                        Ceiling.read(env.kafka, topic, true)));
            }

            long from = ArchiveLayout.hourOf(span[0]);
            long to = ArchiveLayout.hourOf(span[1]) + 3_600_000L;
            List<String> restate = List.of("--archive-dir", archive.toString(), "--restate-from", Instant.ofEpochMilli(from).toString(),
                    "--restate-to", Instant.ofEpochMilli(to).toString());
            List<JobLauncher.Job> jobs = new ArrayList<>();
            if (s.get(JOBS).equals("all")) jobs.addAll(Jobs.all().values());
            else for (String j : s.get(JOBS).split(",")) jobs.add(Jobs.byName(j.trim()));
            for (JobLauncher.Job job : jobs) {
                List<Double> replay = new ArrayList<>();
                List<Double> restated = new ArrayList<>();
                List<Double> replayCpu = new ArrayList<>();
                List<Double> restatedCpu = new ArrayList<>();
                Map<String, Long> replayRows = null;
                Map<String, Long> restatedRows = null;
                for (int r = 0; r < s.get(RUNS); r++) {
                    TableSnapshot.truncateOutputs(env.jdbc);
                    double cpu = Machine.processCpuSeconds();
                    replay.add(n / timed(cluster, job, Runs.args(job, env, topic, Runs.unique("replay-" + job.name()), true, p, "30s", List.of())));
                    replayCpu.add((Machine.processCpuSeconds() - cpu) / (n / 1e6));
                    replayRows = DbStats.rowCounts(env.jdbc);
                    TableSnapshot.truncateOutputs(env.jdbc);
                    cpu = Machine.processCpuSeconds();
                    restated.add(n / timed(cluster, job, Runs.args(job, env, topic, Runs.unique("restate-" + job.name()), true, p, "30s", restate)));
                    restatedCpu.add((Machine.processCpuSeconds() - cpu) / (n / 1e6));
                    restatedRows = DbStats.rowCounts(env.jdbc);
                }
                say(String.format("%-15s p=%d  Kafka replay %s records/s (best %,.0f)   restatement from the archive %s records/s (best %,.0f)",
                        job.name(), p, rates(replay), best(replay), rates(restated), best(restated)));
                say(String.format("                JVM CPU s per million records (Flink and the in-JVM Kafka broker, start to end): replay %s, restatement %s",
                        cpus(replayCpu), cpus(restatedCpu)));
                say("                rows after the replay " + replayRows + ", after the restatement " + restatedRows);
            }
        }
        say("load at the end " + Machine.loadAvg());
        System.exit(0); // Flink leaves non-daemon threads behind
    }

    /** Sends {@code n} generated records with their delivery times as timestamps; returns the first and last timestamp and the bytes sent. */
    static long[] preload(BenchEnv env, String topic, long n, int viewers, int partitions) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, env.bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topic, Optional.of(partitions), Optional.empty())
                    .configs(Map.of("message.timestamp.type", "CreateTime", "retention.ms", "-1")))).all().get(60, TimeUnit.SECONDS);
        }
        GeneratorConfig cfg = GeneratorConfig.allAdversities(1).toBuilder().viewers(viewers).maxRecords(n).build().endingAt(System.currentTimeMillis());
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        long bytes = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(LiveProducer.producerProperties(env.bootstrap))) {
            HeartbeatGenerator g = new HeartbeatGenerator(cfg);
            while (g.hasNext()) {
                GeneratedRecord r = g.next();
                first = Math.min(first, r.deliveryTime());
                last = Math.max(last, r.deliveryTime());
                bytes += (r.key() == null ? 0 : r.key().length) + (r.value() == null ? 0 : r.value().length);
                producer.send(new ProducerRecord<>(topic, null, r.deliveryTime(), r.key(), r.value()));
            }
            producer.flush();
        }
        return new long[] {first, last, bytes};
    }

    /** Runs the job to its end; seconds from all tasks running to the job's end (the JobManager's timestamps). */
    static double timed(BenchCluster cluster, JobLauncher.Job job, String[] args) throws Exception {
        long submitted = System.currentTimeMillis();
        JobClient client = Runs.start(cluster, job, args);
        client.getJobExecutionResult().get();
        long[] window = CheckpointStats.runningWindow(cluster.api, client.getJobID());
        long running = window[0] > 0 ? window[0] : submitted;
        long ended = window[1] > 0 ? window[1] : System.currentTimeMillis();
        return (ended - running) / 1000.0;
    }

    static String rates(List<Double> r) {
        return String.join(" / ", r.stream().map(x -> String.format("%,.0f", x)).toList());
    }

    static String cpus(List<Double> r) {
        return String.join(" / ", r.stream().map(x -> String.format("%.1f", x)).toList());
    }

    static double best(List<Double> r) {
        return r.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
