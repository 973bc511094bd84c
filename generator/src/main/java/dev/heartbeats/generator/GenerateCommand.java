package dev.heartbeats.generator;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobOptions;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code generate}: sends generated heartbeats to a Kafka topic, either a number of records as fast as possible, or
 * live at a rate (event times follow the wall clock) until Ctrl-C.
 */
public final class GenerateCommand {
    public enum Adversity { NONE, ALL }

    static final long DEFAULT_RECORDS = 1_000_000;

    static final Option<String> TOPIC = Option.string("topic", "heartbeats", "topic to send the heartbeats to");
    static final Option<Long> RECORDS = Option.longValue("records", 0,
            "records to send in all (default: " + DEFAULT_RECORDS + "; with --rate: unlimited, until Ctrl-C)").optional();
    static final Option<Long> SEED = Option.longValue("seed", 1, "random seed: the same seed and settings give the same records");
    static final Option<Integer> VIEWERS = Option.integer("viewers", 1000, "concurrently active viewers (not with --rate)");
    static final Option<Double> RATE = Option.decimal("rate", 1,
            "live mode: about this many records/s, sent when the wall clock reaches their time (viewers = rate x 5)").optional();
    static final Option<Adversity> ADVERSITY = Option.choice("adversity", Adversity.NONE, Adversity.class,
            "adversity preset: none = a clean in-order stream; all = 3% out of order, 2% duplicated, 2% late within L, 0.5% too late, 1% invalid");
    static final Option<String> OUT_OF_ORDER = fraction("out-of-order", "delivered 1-20 s late, after later heartbeats");
    static final Option<String> DUPLICATES = fraction("duplicates", "delivered twice");
    static final Option<String> LATE_WITHIN = fraction("late-within", "delivered 1-8 min late (within the allowed lateness)");
    static final Option<String> TOO_LATE = fraction("too-late", "delivered more than 25 min late (beyond the allowed lateness)");
    static final Option<String> INVALID = fraction("invalid", "followed by an invalid record (cycling through every kind)");
    static final Option<String> START_TIME = Option.string("start-time", null,
            "event time of the first heartbeats, an ISO instant (default: " + Instant.ofEpochMilli(GeneratorConfig.DEFAULT_START_TIME)
                    + "; not with --rate, which starts now)");
    static final Option<Duration> PROGRESS_INTERVAL = Option.duration("progress-interval", "5s", "how often to print progress");

    static final List<Option<?>> OPTIONS = JobOptions.concat(JobOptions.kafkaClient(JobOptions.BOOTSTRAP_SERVERS), List.of(TOPIC, RECORDS, SEED, VIEWERS, RATE, ADVERSITY,
            OUT_OF_ORDER, DUPLICATES, LATE_WITHIN, TOO_LATE, INVALID, START_TIME, PROGRESS_INTERVAL));

    private GenerateCommand() {}

    private static Option<String> fraction(String name, String what) {
        return Option.string(name, null, "fraction 0..1 of the heartbeats " + what + " (overrides --adversity)");
    }

    public static String help() {
        return Settings.help("Usage: generate [settings]\nSends generated video-player heartbeats to Kafka: --records N as fast as possible,"
                + " or live with --rate R until Ctrl-C.", OPTIONS);
    }

    public static void main(String[] args) throws Exception {
        if (Settings.wantsHelp(args)) {
            System.out.println(help());
            return;
        }
        Settings settings;
        GeneratorConfig config;
        dev.heartbeats.common.kafka.KafkaClientConfig kafka;
        try {
            settings = Settings.parse(args, OPTIONS);
            config = config(settings, System.currentTimeMillis());
            kafka = dev.heartbeats.common.kafka.KafkaClientConfig.fromSettings(settings, JobOptions.BOOTSTRAP_SERVERS);
            if (kafka.isSecured()) kafka.check(List.of(settings.get(TOPIC)), Duration.ofSeconds(30));
        } catch (ConfigException e) {
            System.err.println("error: " + e.getMessage() + " (run with --help for the settings)");
            System.exit(2);
            return;
        }
        run(settings, config, kafka);
    }

    /** The generator config the settings describe; in live mode its event times start at {@code nowMs}. */
    static GeneratorConfig config(Settings s, long nowMs) {
        GeneratorConfig.Builder b = GeneratorConfig.builder().seed(s.get(SEED));
        if (s.get(ADVERSITY) == Adversity.ALL) b.allAdversities();
        if (s.isSet(OUT_OF_ORDER)) b.outOfOrder(parseFraction(s, OUT_OF_ORDER));
        if (s.isSet(DUPLICATES)) b.duplicates(parseFraction(s, DUPLICATES));
        if (s.isSet(LATE_WITHIN)) b.lateWithin(parseFraction(s, LATE_WITHIN));
        if (s.isSet(TOO_LATE)) b.tooLate(parseFraction(s, TOO_LATE));
        if (s.isSet(INVALID)) b.invalid(parseFraction(s, INVALID));
        Double rate = s.get(RATE);
        boolean live = rate != null;
        if (live && s.isSet(VIEWERS)) throw new ConfigException("--viewers: not with --rate (the rate sets the viewers: about rate x 5)");
        if (live && s.isSet(START_TIME)) throw new ConfigException("--start-time: not with --rate (live event times follow the wall clock)");
        b.viewers(s.get(VIEWERS));
        if (s.isSet(START_TIME)) {
            long start = parseInstant(s.get(START_TIME));
            if (start > nowMs) throw new ConfigException("--start-time: " + s.get(START_TIME) + " is in the future; the broker stamps records with "
                    + "their arrival time and event times more than F ahead of it are invalid");
            b.startTime(start);
        }
        Long records = s.get(RECORDS);
        b.maxRecords(records != null ? records : live ? GeneratorConfig.UNLIMITED : DEFAULT_RECORDS);
        GeneratorConfig cfg;
        try {
            cfg = b.build();
            if (live) return LiveProducer.liveConfig(cfg, rate, nowMs);
            return s.isSet(START_TIME) ? cfg : cfg.endingAt(nowMs);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("generator settings: " + e.getMessage());
        }
    }

    private static double parseFraction(Settings s, Option<String> o) {
        String raw = s.get(o);
        try {
            double v = Double.parseDouble(raw);
            if (v >= 0 && v <= 1) return v;
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException("--" + o.name + ": '" + raw + "' must be a fraction between 0 and 1, e.g. 0.02");
    }

    private static long parseInstant(String raw) {
        try {
            return Instant.parse(raw).toEpochMilli();
        } catch (DateTimeParseException e) {
            throw new ConfigException("--start-time: '" + raw + "' must be an ISO instant, e.g. 2026-01-01T00:00:00Z");
        }
    }

    private static void run(Settings s, GeneratorConfig config, dev.heartbeats.common.kafka.KafkaClientConfig kafka) throws InterruptedException {
        boolean live = s.get(RATE) != null;
        String topic = s.get(TOPIC);
        System.out.println((live ? "live at about " + s.get(RATE) + " records/s" : "sending") + " to " + topic + " on "
                + kafka + ": " + config);
        LiveProducer producer = new LiveProducer(kafka, topic);
        CountDownLatch done = new CountDownLatch(1);
        // Ctrl-C: stop sending, and let the main thread flush and close before the JVM exits.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            producer.stop();
            try {
                done.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "generate-shutdown"));
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "generate-progress");
            t.setDaemon(true);
            return t;
        });
        long interval = Math.max(100, s.get(PROGRESS_INTERVAL).toMillis());
        progress.scheduleAtFixedRate(new ProgressPrinter(producer), interval, interval, TimeUnit.MILLISECONDS);
        try {
            HeartbeatGenerator records = new HeartbeatGenerator(config);
            LiveProducer.Result r = live ? producer.sendLive(records) : producer.sendAll(records);
            System.out.printf("sent %d records (%d invalid) to %s in %.1f s: %.0f records/s%n",
                    r.records(), r.invalid(), topic, r.elapsedMs() / 1000.0, r.recordsPerSecond());
        } finally {
            progress.shutdownNow();
            producer.close();
            done.countDown();
        }
    }

    /** Prints the counters and the rate since the previous line. */
    static final class ProgressPrinter implements Runnable {
        private final LiveProducer producer;
        private long lastSent;
        private long lastAt = System.nanoTime();

        ProgressPrinter(LiveProducer producer) {
            this.producer = producer;
        }

        @Override
        public void run() {
            long now = System.nanoTime();
            long sent = producer.sent();
            double rate = (sent - lastSent) * 1e9 / Math.max(1, now - lastAt);
            lastSent = sent;
            lastAt = now;
            System.out.printf("sent %d records (%d invalid, %d acked, %d failed), %.0f records/s now, %.0f records/s on average%n",
                    sent, producer.invalid(), producer.acked(), producer.failed(), rate, producer.averageRate());
        }
    }
}
