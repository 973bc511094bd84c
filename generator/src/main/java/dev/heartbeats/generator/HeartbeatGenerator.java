package dev.heartbeats.generator;

import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.generator.GeneratedRecord.Kind;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A deterministic, endless (or {@link GeneratorConfig#maxRecords() bounded}) stream of Kafka records from simulated
 * viewers, in delivery order.
 *
 * <p>Two stages. First, the viewers' heartbeats are interleaved in event-time order (a priority queue of viewers keyed by
 * their next heartbeat). Then each heartbeat gets a delivery time: its event time, or later for the adversities
 * (out of order, late, too late), plus a duplicate copy or an invalid record next to it; the records are released in
 * delivery order (ties in generation order). Memory is O(viewers + records held back), never O(records).
 *
 * <p>The same config always gives the same records in the same order. The viewers and the delivery stage draw from
 * separate random streams, so the valid heartbeats do not depend on the adversity settings.
 */
public final class HeartbeatGenerator implements Iterator<GeneratedRecord> {
    /** A too-late record waits until the stream has moved this far past its event time: L = 10 min plus a margin. */
    static final long TOO_LATE_AHEAD_MS = 15 * 60_000;

    private static final Comparator<GeneratedRecord> DELIVERY_ORDER =
            Comparator.<GeneratedRecord>comparingLong(r -> r.deliveryTime).thenComparingLong(r -> r.seq);

    private final GeneratorConfig config;
    private final Viewer.Catalog catalog;
    private final boolean adversities;
    private final SplittableRandom delivery;
    private final PriorityQueue<Viewer> viewers = new PriorityQueue<>(
            Comparator.<Viewer>comparingLong(v -> v.time).thenComparingLong(v -> v.userNum));
    // Records delivered at their event time arrive here already in delivery order: a FIFO keeps the common path O(1).
    private final ArrayDeque<GeneratedRecord> onTime = new ArrayDeque<>();
    private final PriorityQueue<GeneratedRecord> delayed = new PriorityQueue<>(DELIVERY_ORDER);
    /** Viewers not away: the simulated ones minus those gone for more than an hour. */
    private int watching;
    private long nextUserNum = 1;
    private long seq;
    private long invalidCount;
    private long emitted;
    private long maxEventTimeDelivered = Long.MIN_VALUE;

    public HeartbeatGenerator(GeneratorConfig config) {
        this.config = config;
        this.catalog = new Viewer.Catalog(config.videos(), config.ads());
        this.adversities = config.adversityTotal() > 0;
        this.delivery = new SplittableRandom(SampleCatalog.mix(config.seed() ^ 0x5DEECE66DL));
        for (int i = 0; i < config.viewers(); i++) viewers.add(newViewer(config.startTime(), true));
        watching = config.viewers();
    }

    /** The records as a sequential stream (bounded only if the config's maxRecords is). */
    public static Stream<GeneratedRecord> stream(GeneratorConfig config) {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(new HeartbeatGenerator(config),
                Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    public GeneratorConfig config() {
        return config;
    }

    @Override
    public boolean hasNext() {
        return emitted < config.maxRecords();
    }

    @Override
    public GeneratedRecord next() {
        if (!hasNext()) throw new NoSuchElementException("maxRecords " + config.maxRecords() + " reached");
        while (true) {
            // Every heartbeat not yet generated has a delivery time >= its event time >= the next viewer's time.
            GeneratedRecord head;
            while ((head = peekPending()) == null || viewers.peek().time <= head.deliveryTime) generateOne();
            GeneratedRecord r = head == onTime.peekFirst() ? onTime.pollFirst() : delayed.poll();
            if (r.kind() == Kind.TOO_LATE && r.heartbeat().eventTime + TOO_LATE_AHEAD_MS > maxEventTimeDelivered) {
                // Sparse traffic: the stream has not yet moved far enough for it to be too late. Hold it back.
                r.deliveryTime += 60_000;
                enqueue(r);
                continue;
            }
            r.maxEventTimeBefore = maxEventTimeDelivered;
            if (r.isValid()) maxEventTimeDelivered = Math.max(maxEventTimeDelivered, r.heartbeat().eventTime);
            emitted++;
            return r;
        }
    }

    /** The largest event time among the valid records emitted so far ({@code Long.MIN_VALUE} if none). */
    public long maxEventTimeDelivered() {
        return maxEventTimeDelivered;
    }

    public long emitted() {
        return emitted;
    }

    /** Viewers currently simulated, including those away for more than an hour. */
    public int simulatedViewers() {
        return viewers.size();
    }

    private Viewer newViewer(long startAt, boolean midVideo) {
        return new Viewer(catalog, config.seed(), nextUserNum++, startAt, midVideo);
    }

    private void generateOne() {
        Viewer v = viewers.poll();
        if (v.away) {
            v.away = false; // back after more than an hour
            watching++;
        }
        Heartbeat h = v.heartbeat();
        deliver(v.key, h);
        switch (v.advance()) {
            case ACTIVE:
                viewers.add(v);
                break;
            case AWAY:
                v.away = true;
                viewers.add(v);
                watching--;
                break;
            default:
                watching--;
        }
        // Keep about `viewers` watching: a new viewer only when one left and no returning one made up for it.
        if (watching < config.viewers()) {
            viewers.add(newViewer(h.eventTime, false));
            watching++;
        }
    }

    /** Decides how one heartbeat is delivered; the adversities are exclusive, drawn with one uniform number. */
    private void deliver(byte[] key, Heartbeat h) {
        byte[] value = HeartbeatJson.toBytes(h);
        long t = h.eventTime;
        double u = adversities ? delivery.nextDouble() : 1.0;
        if ((u -= config.outOfOrder()) < 0) {
            enqueue(new GeneratedRecord(key, value, h, Kind.OUT_OF_ORDER, null, t + delivery.nextLong(1_000, 20_001)));
        } else if ((u -= config.duplicates()) < 0) {
            enqueue(new GeneratedRecord(key, value, h, Kind.VALID, null, t));
            enqueue(new GeneratedRecord(key, value, h.copy(), Kind.DUPLICATE, null, t + delivery.nextLong(100, 10_001)));
        } else if ((u -= config.lateWithin()) < 0) {
            enqueue(new GeneratedRecord(key, value, h, Kind.LATE_WITHIN, null, t + delivery.nextLong(60_000, 480_001)));
        } else if ((u -= config.tooLate()) < 0) {
            enqueue(new GeneratedRecord(key, value, h, Kind.TOO_LATE, null, t + delivery.nextLong(25 * 60_000 + 1, 40 * 60_000)));
        } else if ((u -= config.invalid()) < 0) {
            // An extra, invalid record derived from this heartbeat; the heartbeat itself is still delivered.
            InvalidKind kind = InvalidKind.cycle(invalidCount++);
            enqueue(new GeneratedRecord(key, kind.value(h), null, Kind.INVALID, kind, t));
            enqueue(new GeneratedRecord(key, value, h, Kind.VALID, null, t));
        } else {
            enqueue(new GeneratedRecord(key, value, h, Kind.VALID, null, t));
        }
    }

    private GeneratedRecord peekPending() {
        GeneratedRecord a = onTime.peekFirst();
        GeneratedRecord b = delayed.peek();
        if (a == null) return b;
        return b == null || DELIVERY_ORDER.compare(a, b) <= 0 ? a : b;
    }

    private void enqueue(GeneratedRecord r) {
        r.seq = seq++;
        if (r.kind() == Kind.VALID || r.kind() == Kind.INVALID) {
            onTime.addLast(r); // delivered at the event time of the heartbeat just generated: never before the FIFO's tail
        } else {
            delayed.add(r);
        }
    }
}
