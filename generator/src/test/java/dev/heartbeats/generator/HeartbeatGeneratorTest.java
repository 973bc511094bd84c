package dev.heartbeats.generator;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.generator.GeneratedRecord.Kind;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatGeneratorTest {
    private static final long MINUTE = 60_000;
    private static final long HOUR = 60 * MINUTE;
    private static final ContractParams P = ContractParams.DEFAULTS;

    /** A clean run of about 80 minutes of event time from 00:50, so that sessions cross 01:00 and 02:00. */
    private static final GeneratorConfig CLEAN = GeneratorConfig.builder().seed(11).viewers(100)
            .startTime(Instant.parse("2026-01-01T00:50:00Z")).maxRecords(100_000).build();
    private static List<GeneratedRecord> clean;

    @BeforeAll
    static void generateClean() {
        clean = HeartbeatGenerator.stream(CLEAN).collect(Collectors.toList());
    }

    @Test
    void sameSeedGivesTheSameRecordsAndAnotherSeedOthers() {
        GeneratorConfig cfg = GeneratorConfig.allAdversities(42).toBuilder().viewers(200).maxRecords(30_000).build();
        List<GeneratedRecord> a = HeartbeatGenerator.stream(cfg).collect(Collectors.toList());
        List<GeneratedRecord> b = HeartbeatGenerator.stream(cfg).collect(Collectors.toList());
        assertThat(a).hasSize(30_000);
        for (int i = 0; i < a.size(); i++) {
            GeneratedRecord x = a.get(i), y = b.get(i);
            assertThat(y.key()).as("key %d", i).isEqualTo(x.key());
            assertThat(y.value()).as("value %d", i).isEqualTo(x.value());
            assertThat(y.kind()).isEqualTo(x.kind());
            assertThat(y.deliveryTime()).isEqualTo(x.deliveryTime());
            assertThat(y.maxEventTimeBefore()).isEqualTo(x.maxEventTimeBefore());
        }
        List<GeneratedRecord> other = HeartbeatGenerator.stream(cfg.toBuilder().seed(43).build()).collect(Collectors.toList());
        long same = 0;
        for (int i = 0; i < a.size(); i++) if (Arrays.equals(a.get(i).value(), other.get(i).value())) same++;
        assertThat(same).isLessThan(a.size() / 100);
    }

    @Test
    void theValidHeartbeatsDoNotDependOnTheAdversities() {
        long cutoff = clean.get(clean.size() - 1).heartbeat().eventTime;
        List<Heartbeat> expected = clean.stream().map(GeneratedRecord::heartbeat).filter(h -> h.eventTime < cutoff).collect(Collectors.toList());
        List<Heartbeat> actual = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(CLEAN.toBuilder().allAdversities().maxRecords(GeneratorConfig.UNLIMITED).build());
        // Until everything held back (at most 40 min, a little more for a postponed too-late one) is out.
        while (g.maxEventTimeDelivered() < cutoff + 45 * MINUTE) {
            GeneratedRecord r = g.next();
            if (r.isValid() && r.kind() != Kind.DUPLICATE && r.heartbeat().eventTime < cutoff) actual.add(r.heartbeat());
        }
        Comparator<Heartbeat> byTimeAndUser = Comparator.<Heartbeat>comparingLong(h -> h.eventTime).thenComparing(h -> h.userId);
        actual.sort(byTimeAndUser);
        expected.sort(byTimeAndUser);
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void validRecordsParseAndEveryInvalidKindAppearsAndIsRejected() {
        GeneratorConfig cfg = GeneratorConfig.allAdversities(5).toBuilder().invalid(0.05).viewers(300).maxRecords(40_000).build();
        HeartbeatParser parser = new HeartbeatParser();
        Heartbeat parsed = new Heartbeat();
        Set<String> kindsSeen = new TreeSet<>();
        int invalid = 0;
        for (GeneratedRecord r : (Iterable<GeneratedRecord>) () -> new HeartbeatGenerator(cfg)) {
            String reason = parser.parse(r.value(), parsed);
            if (r.isValid()) {
                assertThat(reason).as("%s", r).isNull();
                assertThat(parsed).isEqualTo(r.heartbeat());
                assertThat(r.key()).isEqualTo(r.heartbeat().userId.getBytes(StandardCharsets.UTF_8));
                assertThat(r.invalidKind()).isNull();
            } else {
                invalid++;
                assertThat(r.kind()).isEqualTo(Kind.INVALID);
                assertThat(reason).as("invalid kind %s: %s", r.invalidKind(), r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8))
                        .isNotNull();
                kindsSeen.add(r.invalidKind());
            }
        }
        assertThat(invalid).isGreaterThan(1_000);
        assertThat(kindsSeen).containsExactlyInAnyOrderElementsOf(Arrays.stream(InvalidKind.values()).map(InvalidKind::label).collect(Collectors.toList()));
    }

    @Test
    void everyInvalidKindIsRejectedWhateverHeartbeatItComesFrom() {
        Heartbeat play = Heartbeat.content("u000001", "v0001", 1_767_225_600_000L, 0, EventType.PLAY, null);
        Heartbeat stop = Heartbeat.content("u000002", "v0002", 1_767_225_600_000L, 123_000, EventType.STOP, "d-u000002-1");
        Heartbeat ad = Heartbeat.ad("u000003", "v0003", 1_767_225_600_000L, 5_000, "ad001", 3_000, 30_000);
        HeartbeatParser parser = new HeartbeatParser();
        for (InvalidKind kind : InvalidKind.values()) {
            for (Heartbeat base : List.of(play, stop, ad)) {
                byte[] value = kind.value(base);
                assertThat(parser.parse(value, new Heartbeat()))
                        .as("%s from %s: %s", kind.label(), base, value == null ? null : new String(value, StandardCharsets.UTF_8))
                        .isNotNull();
            }
        }
        assertThat(Arrays.stream(InvalidKind.values()).map(InvalidKind::label).distinct().count()).isEqualTo(InvalidKind.values().length);
    }

    @Test
    void adversitiesAreDeliveredAsAdvertised() {
        GeneratorConfig cfg = GeneratorConfig.allAdversities(3).toBuilder().viewers(100).maxRecords(80_000).build();
        Set<ByteBuffer> delivered = new HashSet<>();
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        long lastDelivery = Long.MIN_VALUE;
        for (GeneratedRecord r : (Iterable<GeneratedRecord>) () -> new HeartbeatGenerator(cfg)) {
            counts.merge(r.kind(), 1, Integer::sum);
            assertThat(r.deliveryTime()).isGreaterThanOrEqualTo(lastDelivery);
            lastDelivery = r.deliveryTime();
            if (!r.isValid()) continue;
            long t = r.heartbeat().eventTime;
            long delay = r.deliveryTime() - t;
            long behindMax = r.maxEventTimeBefore() - t;
            switch (r.kind()) {
                case VALID:
                    assertThat(delay).isZero();
                    break;
                case DUPLICATE:
                    assertThat(delivered.contains(ByteBuffer.wrap(r.value()))).as("a duplicate repeats an earlier record byte for byte: %s", r).isTrue();
                    assertThat(delay).isBetween(100L, 10_000L);
                    break;
                case OUT_OF_ORDER:
                    assertThat(delay).isBetween(1_000L, 20_000L);
                    assertThat(behindMax).as("delivered after a later heartbeat").isPositive();
                    break;
                case LATE_WITHIN:
                    assertThat(delay).isBetween(MINUTE, 8 * MINUTE);
                    assertThat(behindMax).as("within the allowed lateness").isBetween(0L, P.allowedLatenessMs);
                    break;
                case TOO_LATE:
                    assertThat(delay).isGreaterThan(25 * MINUTE);
                    assertThat(behindMax).as("beyond the allowed lateness").isGreaterThan(P.allowedLatenessMs);
                    break;
                default:
                    throw new AssertionError(r);
            }
            delivered.add(ByteBuffer.wrap(r.value()));
        }
        assertThat(counts.keySet()).containsExactlyInAnyOrder(Kind.values());
        int total = 80_000;
        assertThat(counts.get(Kind.OUT_OF_ORDER)).isBetween(total * 2 / 100, total * 4 / 100);
        assertThat(counts.get(Kind.TOO_LATE)).isBetween(total / 1000, total * 8 / 1000);
    }

    @Test
    void aCleanStreamIsInEventTimeOrderAndKeepsThePositionRules() {
        Map<String, Heartbeat> lastOfPair = new HashMap<>();
        long lastTime = Long.MIN_VALUE;
        int continuing = 0;
        for (GeneratedRecord r : clean) {
            assertThat(r.kind()).isEqualTo(Kind.VALID);
            Heartbeat h = r.heartbeat();
            assertThat(h.eventTime).isGreaterThanOrEqualTo(lastTime).isEqualTo(r.deliveryTime());
            lastTime = h.eventTime;
            int video = Integer.parseInt(h.videoId.substring(1));
            assertThat(h.positionMs).isBetween(0L, SampleCatalog.videoDurationMs(video));
            if (h.event == EventType.AD) {
                int ad = Integer.parseInt(h.adId.substring(2));
                assertThat(h.adDurationMs).isEqualTo(SampleCatalog.adDurationMs(ad)).isIn(15_000L, 30_000L);
                assertThat(h.adPositionMs).isBetween(0L, h.adDurationMs);
            }
            String pair = h.userId + "|" + h.videoId;
            Heartbeat prev = lastOfPair.get(pair);
            if (prev != null) assertThat(h.eventTime).as("one heartbeat at a time per viewer").isGreaterThan(prev.eventTime);
            if (h.isContent()) {
                // Inside a session, positions only move forward at a plausible rate, except by a seek.
                if (prev != null && prev.event != EventType.STOP && h.eventTime - prev.eventTime <= P.sessionGapMs && h.event != EventType.SEEK) {
                    assertThat(P.continues(prev.eventTime, prev.positionMs, h.eventTime, h.positionMs, h.event))
                            .as("%s after %s", h, prev).isTrue();
                    continuing++;
                }
                lastOfPair.put(pair, h);
            }
        }
        assertThat(continuing).isGreaterThan(clean.size() / 2);
    }

    @Test
    void viewersBehaveLikeViewers() {
        Map<EventType, Integer> events = new EnumMap<>(EventType.class);
        Map<String, Set<String>> devicesOfPair = new HashMap<>();
        Map<String, List<Heartbeat>> byPair = new HashMap<>();
        Set<String> users = new HashSet<>();
        int withoutDevice = 0;
        boolean outOfCatalogVideo = false;
        Set<Double> rates = new TreeSet<>();
        for (GeneratedRecord r : clean) {
            Heartbeat h = r.heartbeat();
            events.merge(h.event, 1, Integer::sum);
            users.add(h.userId);
            String pair = h.userId + "|" + h.videoId;
            byPair.computeIfAbsent(pair, k -> new ArrayList<>()).add(h);
            if (h.deviceId == null) withoutDevice++;
            else devicesOfPair.computeIfAbsent(pair, k -> new HashSet<>()).add(h.deviceId);
            if (!SampleCatalog.inCatalog(Integer.parseInt(h.videoId.substring(1)))) outOfCatalogVideo = true;
        }
        for (List<Heartbeat> beats : byPair.values()) {
            for (int i = 1; i < beats.size(); i++) {
                Heartbeat a = beats.get(i - 1), b = beats.get(i);
                if (a.event == EventType.PLAY && b.event == EventType.PLAY && a.deviceId != null && a.deviceId.equals(b.deviceId)) {
                    rates.add(Math.round((b.positionMs - a.positionMs) * 4.0 / (b.eventTime - a.eventTime)) / 4.0);
                }
            }
        }
        assertThat(events.keySet()).containsExactlyInAnyOrder(EventType.values());
        assertThat(events.get(EventType.PLAY)).isGreaterThan(clean.size() / 2);
        assertThat(rates).contains(1.0, 1.25, 1.5, 2.0);
        assertThat(devicesOfPair.values()).as("a device switch mid-video").anyMatch(d -> d.size() > 1);
        assertThat(withoutDevice).as("device_id is optional").isPositive();
        assertThat(outOfCatalogVideo).isTrue();
        assertThat(users).as("viewers end and new ones start").hasSizeGreaterThan(2 * CLEAN.viewers());

        // About `viewers` users are active at any one time, once the run is under way.
        long from = CLEAN.startTime() + 40 * MINUTE;
        long activeInAMinute = clean.stream().map(GeneratedRecord::heartbeat)
                .filter(h -> h.eventTime >= from && h.eventTime < from + MINUTE).map(h -> h.userId).distinct().count();
        assertThat(activeInAMinute).isBetween((long) (CLEAN.viewers() * 0.7), (long) (CLEAN.viewers() * 1.6));
    }

    @Test
    void sessionsCrossHoursAndViewersComeBack() {
        Map<String, List<Heartbeat>> byPair = clean.stream().map(GeneratedRecord::heartbeat)
                .collect(Collectors.groupingBy(h -> h.userId + "|" + h.videoId));
        int crossingHour = 0, comebacks = 0, comebacksAfterAnHour = 0;
        for (List<Heartbeat> beats : byPair.values()) {
            long sessionStart = beats.get(0).eventTime;
            for (int i = 1; i <= beats.size(); i++) {
                Heartbeat a = beats.get(i - 1);
                boolean ends = i == beats.size() || a.event == EventType.STOP || beats.get(i).eventTime - a.eventTime > P.sessionGapMs;
                if (!ends) continue;
                if (ContractParams.hourOf(sessionStart) != ContractParams.hourOf(a.eventTime)) crossingHour++;
                if (i < beats.size()) {
                    comebacks++;
                    if (beats.get(i).eventTime - a.eventTime > HOUR) comebacksAfterAnHour++;
                    sessionStart = beats.get(i).eventTime;
                }
            }
        }
        assertThat(crossingHour).isGreaterThan(20);
        assertThat(comebacks).isGreaterThan(10);
        assertThat(comebacksAfterAnHour).isPositive();
    }

    @Test
    void adViewsAreCompletedOrAbandonedEarlyOrLate() {
        // Ad views per the contract: per (user, video, ad), split where the gap exceeds G.
        Map<String, List<Heartbeat>> byAd = clean.stream().map(GeneratedRecord::heartbeat).filter(h -> h.event == EventType.AD)
                .collect(Collectors.groupingBy(h -> h.userId + "|" + h.videoId + "|" + h.adId));
        int views = 0, beforeImpression = 0, midway = 0, completed = 0;
        for (List<Heartbeat> beats : byAd.values()) {
            long max = -1, duration = 0, last = Long.MIN_VALUE;
            for (int i = 0; i <= beats.size(); i++) {
                if (i == beats.size() || (last != Long.MIN_VALUE && beats.get(i).eventTime - last > P.sessionGapMs)) {
                    views++;
                    if (max < 2_000) beforeImpression++;
                    else if (max + P.toleranceMs >= duration) completed++;
                    else midway++;
                    max = -1;
                }
                if (i == beats.size()) break;
                Heartbeat h = beats.get(i);
                max = Math.max(max, h.adPositionMs);
                duration = Math.max(duration, h.adDurationMs);
                last = h.eventTime;
            }
        }
        assertThat(views).isGreaterThan(200);
        assertThat(beforeImpression).isPositive();
        assertThat(midway).isPositive();
        assertThat(completed).isGreaterThan(views / 2);
        assertThat(beforeImpression + midway).isBetween(views * 15 / 100, views * 45 / 100);
    }

    @Test
    void memoryStaysProportionalToTheViewers() {
        HeartbeatGenerator g = new HeartbeatGenerator(GeneratorConfig.allAdversities(9).toBuilder().viewers(100).build());
        int peak = 0;
        for (int i = 0; i < 400_000; i++) {
            g.next();
            if (i % 1_000 == 0) peak = Math.max(peak, g.simulatedViewers());
        }
        // Active viewers plus those away for an hour or more; it must not grow with the records.
        assertThat(peak).isLessThan(4 * 100);
        assertThat(g.emitted()).isEqualTo(400_000);
    }

    @Test
    void printsTheGenerationSpeed() {
        GeneratorConfig cfg = GeneratorConfig.allAdversities(1).toBuilder().maxRecords(1_000_000).build();
        long start = System.nanoTime();
        long bytes = 0;
        HeartbeatGenerator g = new HeartbeatGenerator(cfg);
        while (g.hasNext()) {
            byte[] v = g.next().value();
            if (v != null) bytes += v.length;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("generated %d records (%d MB) in %.2f s: %.0f records/s (cold JVM)%n",
                g.emitted(), bytes >> 20, seconds, g.emitted() / seconds);
        assertThat(g.emitted()).isEqualTo(1_000_000);
        assertThat(g.hasNext()).isFalse();
    }
}
