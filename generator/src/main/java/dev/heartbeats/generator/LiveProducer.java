package dev.heartbeats.generator;

import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.util.Iterator;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Sends generated records to a Kafka topic, either as fast as possible ({@link #sendAll}: pre-loading a topic for a
 * benchmark or a bounded run) or live ({@link #sendLive}: each record when the wall clock reaches its delivery time).
 * One thread sends; any thread may read the counters or call {@link #stop}.
 */
public final class LiveProducer implements AutoCloseable {
    /** Heartbeats per second one viewer sends on average (a play heartbeat every 5 s; measured 0.20 over hours). */
    public static final double RECORDS_PER_VIEWER_SECOND = 0.2;

    /** Wall clock and sleeping, replaceable in tests. */
    interface TimeSource {
        TimeSource SYSTEM = new TimeSource() {
            @Override
            public long now() {
                return System.currentTimeMillis();
            }

            @Override
            public void sleep(long ms) throws InterruptedException {
                Thread.sleep(ms);
            }
        };

        long now();

        void sleep(long ms) throws InterruptedException;
    }

    /** What one send call did. */
    public record Result(long records, long invalid, long elapsedMs) {
        public double recordsPerSecond() {
            return elapsedMs == 0 ? 0 : records * 1000.0 / elapsedMs;
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final String topic;
    private final TimeSource clock;
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong invalid = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();
    private final Callback onAck = (metadata, e) -> {
        if (e == null) {
            acked.incrementAndGet();
        } else {
            failed.incrementAndGet();
            firstError.compareAndSet(null, e);
        }
    };
    private volatile boolean stopped;
    private volatile long startedAt;

    public LiveProducer(String bootstrapServers, String topic) {
        this(dev.heartbeats.common.kafka.KafkaClientConfig.plaintext(bootstrapServers), topic);
    }

    public LiveProducer(dev.heartbeats.common.kafka.KafkaClientConfig kafka, String topic) {
        this(new KafkaProducer<>(producerProperties(kafka)), topic);
    }

    public LiveProducer(Producer<byte[], byte[]> producer, String topic) {
        this(producer, topic, TimeSource.SYSTEM);
    }

    LiveProducer(Producer<byte[], byte[]> producer, String topic, TimeSource clock) {
        this.producer = producer;
        this.topic = topic;
        this.clock = clock;
    }

    /** Durable (acks=all, idempotent) yet batched: the benchmark pre-loads millions of records through it. */
    public static Properties producerProperties(String bootstrapServers) {
        return producerProperties(dev.heartbeats.common.kafka.KafkaClientConfig.plaintext(bootstrapServers));
    }

    /** The same, connected as {@code kafka} says (security and pass-through properties, which may override these). */
    public static Properties producerProperties(dev.heartbeats.common.kafka.KafkaClientConfig kafka) {
        java.util.Map<String, Object> p = new java.util.HashMap<>();
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        Properties props = kafka.properties(p);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return props;
    }

    /** The config for a live run at about {@code recordsPerSecond}: event times start now, viewers ≈ rate × 5. */
    public static GeneratorConfig liveConfig(GeneratorConfig base, double recordsPerSecond, long nowMs) {
        int viewers = (int) Math.max(1, Math.round(recordsPerSecond / RECORDS_PER_VIEWER_SECOND));
        return base.toBuilder().viewers(viewers).startTime(nowMs).build();
    }

    /** Sends every record (until {@link #stop}) as fast as the producer takes them, then flushes. */
    public Result sendAll(Iterator<GeneratedRecord> records) {
        return send(records, false);
    }

    /**
     * Sends each record when the wall clock reaches its delivery time, until the records run out or {@link #stop}.
     * Meant for a generator whose start time is now ({@link #liveConfig}).
     */
    public Result sendLive(Iterator<GeneratedRecord> records) {
        return send(records, true);
    }

    private Result send(Iterator<GeneratedRecord> records, boolean paced) {
        long start = clock.now();
        if (startedAt == 0) startedAt = start;
        long before = sent.get();
        long invalidBefore = invalid.get();
        try {
            while (!stopped && records.hasNext()) {
                GeneratedRecord r = records.next();
                if (paced && !waitUntil(r.deliveryTime())) break;
                producer.send(new ProducerRecord<>(topic, r.key(), r.value()), onAck);
                sent.incrementAndGet();
                if (!r.isValid()) invalid.incrementAndGet();
            }
        } finally {
            producer.flush();
        }
        Exception e = firstError.get();
        if (e != null) throw new IllegalStateException(failed.get() + " records could not be sent to " + topic + "; first error: " + e, e);
        return new Result(sent.get() - before, invalid.get() - invalidBefore, clock.now() - start);
    }

    /** Sleeps in short steps so that {@link #stop} takes effect quickly; false when stopped first. */
    private boolean waitUntil(long time) {
        long wait;
        while (!stopped && (wait = time - clock.now()) > 0) {
            try {
                clock.sleep(Math.min(wait, 100));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stopped = true;
            }
        }
        return !stopped;
    }

    /** Makes the running send return soon (after flushing what it sent). */
    public void stop() {
        stopped = true;
    }

    public boolean isStopped() {
        return stopped;
    }

    /** Records handed to the producer (acknowledged or not yet). */
    public long sent() {
        return sent.get();
    }

    /** Of {@link #sent}, the invalid ones. */
    public long invalid() {
        return invalid.get();
    }

    /** Records the broker acknowledged. */
    public long acked() {
        return acked.get();
    }

    /** Records the producer gave up on. */
    public long failed() {
        return failed.get();
    }

    /** Average send rate since the first send call started, records/s. */
    public double averageRate() {
        long elapsed = clock.now() - startedAt;
        return startedAt == 0 || elapsed <= 0 ? 0 : sent.get() * 1000.0 / elapsed;
    }

    /**
     * Stops and closes the producer, waiting up to 30 s for what is in flight (bounded: the broker may be gone). Call
     * from the sending thread, or after it returned.
     */
    @Override
    public void close() {
        stop();
        producer.close(Duration.ofSeconds(30));
    }
}
