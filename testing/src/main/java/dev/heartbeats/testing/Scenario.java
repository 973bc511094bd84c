package dev.heartbeats.testing;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.kafka.KafkaClientConfig;
import dev.heartbeats.embedded.EmbeddedKafka;
import dev.heartbeats.embedded.LocalStack;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.common.tables.TableSnapshot;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** One test's slice of the {@link TestBed}: its own topics and group; the output tables are emptied for it. */
public final class Scenario {
    public final TestBed bed;
    public final String inputTopic;
    public final String dlqTopic;
    public final String lateTopic;
    public final String groupId;
    /** How this scenario's own clients (send, read) connect: the test bed's broker, or a secured one the test brings. */
    public final KafkaClientConfig kafka;

    Scenario(TestBed bed, String id) {
        this(bed, id, null, null);
    }

    /** On another broker ({@code broker}, e.g. a SASL_SSL one), whose topics this scenario creates, connected as {@code clients}. */
    Scenario(TestBed bed, String id, EmbeddedKafka broker, KafkaClientConfig clients) {
        this.bed = bed;
        this.inputTopic = "hb-" + id;
        this.dlqTopic = "dlq-" + id;
        this.lateTopic = "late-" + id;
        this.groupId = "group-" + id;
        this.kafka = clients != null ? clients : KafkaClientConfig.plaintext(bed.stack.kafka.bootstrapServers());
        LocalStack.createTopics(broker != null ? broker : bed.stack.kafka, bed.stack.partitions(), inputTopic, dlqTopic, lateTopic);
        try {
            TableSnapshot.truncateOutputs(bed.jdbc());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Arguments pointing a job at this scenario (fast checkpoints, short flush interval), plus {@code extra}. */
    public String[] args(String... extra) {
        List<String> a = new ArrayList<>(bed.stack.jobArgs());
        a.addAll(List.of("--bootstrap-servers", kafka.bootstrapServers));
        a.addAll(List.of("--input-topic", inputTopic, "--dlq-topic", dlqTopic, "--late-topic", lateTopic, "--group-id", groupId,
                "--starting-offsets", "earliest", "--checkpoint-interval", "1s", "--sink-flush-interval", "100ms"));
        a.addAll(Arrays.asList(extra));
        return a.toArray(new String[0]);
    }

    /**
     * Settings the tests run a job with when it has them, before {@code extra}: the open segment's row at most every
     * second instead of the production 30 s (tested on its own in LiveWritesTest), so that a test waiting for a live
     * segment to grow does not wait half a minute each time.
     */
    static final Map<String, String> JOB_TEST_DEFAULTS = Map.of("segment-min-interval", "1s");

    /** {@link #args(String...)} for {@code job}, with the {@link #JOB_TEST_DEFAULTS} of the options it has. */
    public String[] args(JobLauncher.Job job, String... extra) {
        List<String> a = new ArrayList<>();
        for (var o : job.options()) {
            String value = JOB_TEST_DEFAULTS.get(o.name);
            if (value != null) a.addAll(List.of("--" + o.name, value));
        }
        a.addAll(Arrays.asList(extra));
        return args(a.toArray(new String[0]));
    }

    /** Sends heartbeats as the contract's JSON, keyed by user id, in list order, and waits for the broker's ack. */
    public void send(List<Heartbeat> heartbeats) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (Heartbeat h : heartbeats) {
            records.add(new ProducerRecord<>(inputTopic, h.userId.getBytes(StandardCharsets.UTF_8), HeartbeatJson.toBytes(h)));
        }
        sendRecords(records);
    }

    /** Sends heartbeats to one partition of the input topic, whatever their keys (too-late is decided per partition). */
    public void sendToPartition(int partition, List<Heartbeat> heartbeats) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (Heartbeat h : heartbeats) {
            records.add(new ProducerRecord<>(inputTopic, partition, h.userId.getBytes(StandardCharsets.UTF_8), HeartbeatJson.toBytes(h)));
        }
        sendRecords(records);
    }

    /** Sends raw values (any bytes, null for a tombstone) with the given key. */
    public void sendRaw(byte[] key, byte[]... values) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (byte[] v : values) records.add(new ProducerRecord<>(inputTopic, key, v));
        sendRecords(records);
    }

    public void sendRecords(List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (ProducerRecord<byte[], byte[]> r : records) p.send(r);
            p.flush();
        }
    }

    public KafkaProducer<byte[], byte[]> producer() {
        Properties props = kafka.properties();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 32 * 1024 * 1024);
        // The input topics have the production size limit (about 1 MiB a batch): large test values get there compressed.
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return new KafkaProducer<>(props);
    }

    /** Every record currently in {@code topic}, in partition then offset order. */
    public List<ConsumerRecord<byte[], byte[]>> readAll(String topic) {
        Properties props = kafka.properties();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 30_000;
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                if (System.currentTimeMillis() > deadline) throw new IllegalStateException("timed out reading " + topic);
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    public TableSnapshot tables() {
        try {
            return TableSnapshot.read(bed.jdbc());
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Polls the tables until {@code condition} holds; fails with the last snapshot after {@code timeout}. */
    public TableSnapshot awaitTables(Predicate<TableSnapshot> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        TableSnapshot last;
        do {
            last = tables();
            if (condition.test(last)) return last;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError("tables did not reach the expected state within " + timeout + "; last: segments=" + last.watchSegments
                + " progress=" + last.videoProgress + " hourly=" + last.contentWatchHourly + " ads=" + last.adImpressionsHourly);
    }

    /** Runs a job in bounded mode over what the input topic holds now, on the test's MiniCluster, to completion. */
    public void runBounded(JobLauncher.Job job, String... extraArgs) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(extraArgs));
        a.add("--bounded");
        JobClient client = start(job, a.toArray(new String[0]));
        client.getJobExecutionResult().get(5, TimeUnit.MINUTES);
    }

    /** Starts a job (unbounded unless told otherwise) on the test's MiniCluster. */
    public JobClient start(JobLauncher.Job job, String... extraArgs) throws Exception {
        return startFromSavepoint(job, null, extraArgs);
    }

    /** Starts a job from a savepoint ({@code null}: from scratch) on the test's MiniCluster. */
    public JobClient startFromSavepoint(JobLauncher.Job job, String savepointPath, String... extraArgs) throws Exception {
        JobConfig cfg = job.parse(args(job, extraArgs));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        if (savepointPath != null) {
            Configuration restore = new Configuration();
            restore.set(StateRecoveryOptions.SAVEPOINT_PATH, savepointPath);
            restore.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
            env.configure(restore);
        }
        return job.start(env, cfg);
    }
}
