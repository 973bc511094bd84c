package dev.heartbeats.reliability;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.generator.HeartbeatGenerator;
import dev.heartbeats.testing.Scenario;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Live traffic for a fault test: a list of records sent to a scenario's input topic at a steady pace from a
 * background thread, so that a fault can be injected while the jobs are in the middle of the stream. Every record's
 * partition and offset are kept, which makes the expected dead-letter and late sets exact ({@link Expect}).
 */
final class Feed {
    /** One record to send, and what it is. */
    static final class Item {
        final byte[] key;
        final byte[] value;
        /** The heartbeat it carries, or {@code null} when the record is invalid and must go to the dead-letter topic. */
        final Heartbeat heartbeat;
        /** What kind of record it is (generator kind, invalid kind, poison label), for the report. */
        final String label;
        volatile int partition = -1;
        volatile long offset = -1;
        volatile long timestamp = -1;
        /** The record's timestamp to send on a CreateTime topic (the ingestion tier's clock); null: the producer's. */
        final Long sendTimestamp;

        Item(byte[] key, byte[] value, Heartbeat heartbeat, String label) {
            this(key, value, heartbeat, label, null);
        }

        Item(byte[] key, byte[] value, Heartbeat heartbeat, String label, Long sendTimestamp) {
            this.key = key;
            this.value = value;
            this.heartbeat = heartbeat;
            this.label = label;
            this.sendTimestamp = sendTimestamp;
        }

        boolean valid() {
            return heartbeat != null;
        }

        String position() {
            return partition + "@" + offset;
        }
    }

    final List<Item> items;
    private final AtomicInteger acked = new AtomicInteger();
    private final CountDownLatch done = new CountDownLatch(1);
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile long startedAt;
    private volatile long doneAt;
    private Thread thread;

    Feed(List<Item> items) {
        this.items = items;
    }

    /** The generator's records, as they come. */
    static List<Item> generated(GeneratorConfig config) {
        List<Item> out = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(config);
        while (g.hasNext()) {
            GeneratedRecord r = g.next();
            out.add(new Item(r.key(), r.value(), r.heartbeat(), r.isValid() ? r.kind().name() : "INVALID(" + r.invalidKind() + ")"));
        }
        return out;
    }

    /** Sends every item, spread evenly over about {@code duration}, from a background thread. */
    Feed start(Scenario s, Duration duration) {
        startedAt = System.currentTimeMillis();
        thread = new Thread(() -> run(s, duration), "feed-" + s.inputTopic);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    private void run(Scenario s, Duration duration) {
        int batch = 50;
        long perBatchNanos = duration.toNanos() * batch / Math.max(1, items.size());
        List<Future<RecordMetadata>> pending = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> p = s.producer()) {
            long next = System.nanoTime();
            for (int i = 0; i < items.size(); i++) {
                Item it = items.get(i);
                final int index = i;
                pending.add(p.send(new ProducerRecord<>(s.inputTopic, null, it.sendTimestamp, it.key, it.value), (m, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                        return;
                    }
                    items.get(index).partition = m.partition();
                    items.get(index).offset = m.offset();
                    items.get(index).timestamp = m.timestamp();
                    acked.incrementAndGet();
                }));
                if ((i + 1) % batch == 0) {
                    next += perBatchNanos;
                    long wait = next - System.nanoTime();
                    if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                }
            }
            p.flush();
            for (Future<RecordMetadata> f : pending) f.get();
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
        } finally {
            doneAt = System.currentTimeMillis();
            done.countDown();
        }
    }

    int acked() {
        return acked.get();
    }

    /** Waits until this share of the records has been acknowledged by the broker. */
    void awaitFraction(double fraction, Duration timeout) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        while (acked.get() < fraction * items.size()) {
            rethrow();
            if (done.getCount() == 0) break;
            if (System.currentTimeMillis() > deadline) throw new AssertionError("feed stuck at " + acked.get() + " of " + items.size());
            Thread.sleep(20);
        }
    }

    /** Waits until every record has been acknowledged; fails if the producer failed. */
    void awaitDone(Duration timeout) throws InterruptedException {
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("feed not done after " + timeout + ": " + acked.get() + " of " + items.size() + " acknowledged");
        }
        rethrow();
        for (Item it : items) {
            if (it.offset < 0) throw new AssertionError("record without offset: " + it.label);
        }
    }

    long startedAt() {
        return startedAt;
    }

    long doneAt() {
        return doneAt;
    }

    private void rethrow() {
        Throwable t = failure.get();
        if (t != null) throw new AssertionError("feed failed after " + acked.get() + " records", t);
    }
}
