package dev.heartbeats.generator;

import dev.heartbeats.common.parse.HeartbeatParser;

import java.time.Instant;

/**
 * What {@link HeartbeatGenerator} produces. Immutable; build with {@link #builder()} or change a copy with
 * {@link #toBuilder()}. The adversity fractions are per generated heartbeat and exclusive of one another (a heartbeat
 * gets at most one), so they must add up to at most 1; all 0 (the default) gives a clean, in-order stream.
 */
public final class GeneratorConfig {
    public static final long DEFAULT_START_TIME = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
    public static final long UNLIMITED = Long.MAX_VALUE;

    private final long seed;
    private final int viewers;
    private final int videos;
    private final int ads;
    private final long startTime;
    private final long maxRecords;
    private final double outOfOrder;
    private final double duplicates;
    private final double lateWithin;
    private final double tooLate;
    private final double invalid;

    private GeneratorConfig(Builder b) {
        if (b.viewers < 1) throw new IllegalArgumentException("viewers must be >= 1, got " + b.viewers);
        if (b.videos < 1) throw new IllegalArgumentException("videos must be >= 1, got " + b.videos);
        if (b.ads < 1) throw new IllegalArgumentException("ads must be >= 1, got " + b.ads);
        if (b.maxRecords < 0) throw new IllegalArgumentException("maxRecords must be >= 0, got " + b.maxRecords);
        // Leave a year of room at the top: the stream may run for a long time.
        if (b.startTime < HeartbeatParser.MIN_EVENT_TIME || b.startTime >= HeartbeatParser.MAX_EVENT_TIME_EXCLUSIVE - 366L * 86_400_000) {
            throw new IllegalArgumentException("startTime " + Instant.ofEpochMilli(b.startTime) + " must lie in [2000, 2099)");
        }
        this.seed = b.seed;
        this.viewers = b.viewers;
        this.videos = b.videos;
        this.ads = b.ads;
        this.startTime = b.startTime;
        this.maxRecords = b.maxRecords;
        this.outOfOrder = fraction("outOfOrder", b.outOfOrder);
        this.duplicates = fraction("duplicates", b.duplicates);
        this.lateWithin = fraction("lateWithin", b.lateWithin);
        this.tooLate = fraction("tooLate", b.tooLate);
        this.invalid = fraction("invalid", b.invalid);
        if (adversityTotal() > 1.0 + 1e-9) {
            throw new IllegalArgumentException("the adversity fractions add up to " + adversityTotal() + ", more than 1");
        }
    }

    private static double fraction(String name, double v) {
        if (!(v >= 0 && v <= 1)) throw new IllegalArgumentException(name + " must be a fraction in [0, 1], got " + v);
        return v;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Defaults with the given seed: clean stream, 1000 viewers, 200 videos, 20 ads, unlimited. */
    public static GeneratorConfig of(long seed) {
        return builder().seed(seed).build();
    }

    /** Every adversity at a realistic level: 3% out of order, 2% duplicated, 2% late within L, 0.5% too late, 1% invalid. */
    public static GeneratorConfig allAdversities(long seed) {
        return builder().seed(seed).allAdversities().build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.seed = seed;
        b.viewers = viewers;
        b.videos = videos;
        b.ads = ads;
        b.startTime = startTime;
        b.maxRecords = maxRecords;
        b.outOfOrder = outOfOrder;
        b.duplicates = duplicates;
        b.lateWithin = lateWithin;
        b.tooLate = tooLate;
        b.invalid = invalid;
        return b;
    }

    public long seed() { return seed; }

    /** Concurrently active viewers (about one heartbeat every 5 s each). */
    public int viewers() { return viewers; }

    /** Catalog size: video ids {@code v0000} to {@code v<videos-1>}. */
    public int videos() { return videos; }

    /** Ad ids {@code ad000} to {@code ad<ads-1>}. */
    public int ads() { return ads; }

    /** Event time of the first heartbeats, epoch ms. */
    public long startTime() { return startTime; }

    /**
     * The same stream with its simulated clock ending at {@code nowMs} instead of starting at {@link #startTime()}: a
     * pre-load covers far more event time than it takes to send, and on a LogAppendTime topic the broker stamps each
     * record with its arrival, so a clock running ahead of the wall clock would make heartbeats invalid (clock skew).
     * The span is estimated from the records and viewers (one heartbeat per viewer every 5 s).
     */
    public GeneratorConfig endingAt(long nowMs) {
        if (maxRecords == UNLIMITED) throw new IllegalArgumentException("an unlimited stream has no end to place");
        long spanMs = (long) (maxRecords / (viewers * LiveProducer.RECORDS_PER_VIEWER_SECOND) * 1000);
        return toBuilder().startTime(nowMs - spanMs).build();
    }

    /** Records to emit in all (valid, duplicated, invalid, ...), or {@link #UNLIMITED}. */
    public long maxRecords() { return maxRecords; }

    public double outOfOrder() { return outOfOrder; }

    public double duplicates() { return duplicates; }

    public double lateWithin() { return lateWithin; }

    public double tooLate() { return tooLate; }

    public double invalid() { return invalid; }

    public double adversityTotal() {
        return outOfOrder + duplicates + lateWithin + tooLate + invalid;
    }

    @Override
    public String toString() {
        return "seed=" + seed + " viewers=" + viewers + " videos=" + videos + " ads=" + ads + " start=" + Instant.ofEpochMilli(startTime)
                + " maxRecords=" + (maxRecords == UNLIMITED ? "unlimited" : Long.toString(maxRecords))
                + " outOfOrder=" + outOfOrder + " duplicates=" + duplicates + " lateWithin=" + lateWithin
                + " tooLate=" + tooLate + " invalid=" + invalid;
    }

    public static final class Builder {
        private long seed = 1;
        private int viewers = 1000;
        private int videos = SampleCatalog.DEFAULT_VIDEOS;
        private int ads = SampleCatalog.DEFAULT_ADS;
        private long startTime = DEFAULT_START_TIME;
        private long maxRecords = UNLIMITED;
        private double outOfOrder;
        private double duplicates;
        private double lateWithin;
        private double tooLate;
        private double invalid;

        private Builder() {}

        public Builder seed(long v) { seed = v; return this; }

        public Builder viewers(int v) { viewers = v; return this; }

        public Builder videos(int v) { videos = v; return this; }

        public Builder ads(int v) { ads = v; return this; }

        public Builder startTime(long epochMs) { startTime = epochMs; return this; }

        public Builder startTime(Instant v) { return startTime(v.toEpochMilli()); }

        public Builder maxRecords(long v) { maxRecords = v; return this; }

        public Builder outOfOrder(double v) { outOfOrder = v; return this; }

        public Builder duplicates(double v) { duplicates = v; return this; }

        public Builder lateWithin(double v) { lateWithin = v; return this; }

        public Builder tooLate(double v) { tooLate = v; return this; }

        public Builder invalid(double v) { invalid = v; return this; }

        /** The levels of {@link GeneratorConfig#allAdversities}. */
        public Builder allAdversities() {
            return outOfOrder(0.03).duplicates(0.02).lateWithin(0.02).tooLate(0.005).invalid(0.01);
        }

        public Builder clean() {
            return outOfOrder(0).duplicates(0).lateWithin(0).tooLate(0).invalid(0);
        }

        public GeneratorConfig build() {
            return new GeneratorConfig(this);
        }
    }
}
