package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.sessionize.Beat;
import dev.heartbeats.common.sessionize.PairFold;
import dev.heartbeats.common.sessionize.PairState;
import dev.heartbeats.common.sessionize.PairTimeline;
import dev.heartbeats.common.sessionize.RecentBeats;
import dev.heartbeats.common.sessionize.Segment;
import dev.heartbeats.common.tables.ContentWatchHourly;
import dev.heartbeats.common.tables.VideoProgress;
import dev.heartbeats.common.tables.WatchSegment;
import org.apache.flink.api.common.serialization.SerializerConfigImpl;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The most important test of the sessionization core: a seeded, randomized property test that drives
 * {@link PairTimeline} exactly as {@code SegmentsFunction} does (in-order beats: {@code appendInOrder} and a buffer
 * append; others: {@code insert} over the sorted-distinct buffer; event-time timers at {@code nextMaintenance} that run
 * {@code maintain} and clear the pair once {@code isFinished}), over heartbeats delivered in a random order that is
 * never more than L behind the simulated watermark, and compares the rows it emitted (applied to an in-memory table)
 * with {@link ContractReference} over the same heartbeats: watch_segments, video_progress, and the per-hour watched ms
 * and presence of hours of the pair (the {@code trackHours} variant used by the watch-time job).
 *
 * <p>Parameters are small (G of a few seconds, L and M a few G) so that the edge cases (gaps of exactly G and G + 1,
 * the M cap, positions at exactly Δt × R + T and one more, ties at one time with different positions, events and
 * devices, duplicates, stops, seeks, ads at the same time as content, hour boundaries, heartbeats at exactly watermark
 * - L) happen in most cases. On a failure the case is shrunk to a minimal list of actions, and the seed, the parameters
 * and the actions are printed; rerun one case with {@code -Dpairtimeline.seed=<seed>}.
 */
class PairTimelineVsReferenceTest {
    static final String USER = "u1";
    static final String VIDEO = "v1";
    static final long HOUR = 3_600_000L;
    static final long BASE_SEED = 0x5EED_2024L;

    @Test
    void randomCasesMatchTheReference() {
        int cases = Integer.getInteger("pairtimeline.cases", 2000);
        int intermediateChecks = 0;
        // Failing seeds per kind of problem, so that one bug does not hide another.
        Map<String, List<Case>> failures = new TreeMap<>();
        for (int i = 0; i < cases; i++) {
            Case c = Case.generate(BASE_SEED + i);
            Outcome o = c.run(true);
            intermediateChecks += o.intermediateChecks;
            for (String tag : o.tags()) failures.computeIfAbsent(tag, k -> new ArrayList<>()).add(c);
        }
        if (!failures.isEmpty()) {
            StringBuilder sb = new StringBuilder("PairTimeline disagrees with the contract reference in these ways (of " + cases + " cases):\n");
            failures.forEach((tag, cs) -> sb.append("  ").append(tag).append(": ").append(cs.size()).append(" cases, e.g. seeds ")
                    .append(cs.stream().limit(5).map(c -> Long.toString(c.seed)).reduce((a, b) -> a + ", " + b).orElse("")).append('\n'));
            failures.forEach((tag, cs) -> sb.append("\n==== ").append(tag).append(" ====\n").append(report(cs.get(0), tag)));
            throw new AssertionError(sb.toString());
        }
        assertThat(intermediateChecks).isPositive();
        assertThat(Sim.SHORTCUTS.get()).as("beats dropped by PairTimeline.changesNothing").isPositive();
        assertThat(Sim.RECENT_INSERTS.get()).as("beats inserted among the recent ones").isPositive();
    }

    /** Reruns one seed: {@code mvn test -pl testing -Dtest=PairTimelineVsReferenceTest -Dpairtimeline.seed=123}. */
    @Test
    void reproduceOneSeed() {
        Long seed = Long.getLong("pairtimeline.seed");
        Assumptions.assumeTrue(seed != null, "set -Dpairtimeline.seed to rerun one case");
        Case c = Case.generate(seed);
        Outcome o = c.run(true);
        if (!o.problems.isEmpty()) fail(c, o);
    }

    /** The generator really produces the edge cases the test is meant to cover. */
    @Test
    void generatorCoversTheEdgeCases() {
        int exactGap = 0, gapPlusOne = 0, ties = 0, duplicates = 0, stops = 0, seeks = 0, ads = 0, hourCrossings = 0, outOfOrder = 0,
                atLatenessBoundary = 0, restores = 0, boundaryRate = 0;
        for (int i = 0; i < 300; i++) {
            Case c = Case.generate(BASE_SEED + i);
            List<Heartbeat> hs = c.heartbeats();
            List<Heartbeat> sorted = new ArrayList<>(hs);
            sorted.sort(Comparator.comparingLong(h -> h.eventTime));
            Set<Heartbeat> seen = new HashSet<>();
            for (int k = 0; k < sorted.size(); k++) {
                Heartbeat h = sorted.get(k);
                if (!seen.add(h)) duplicates++;
                if (h.event == EventType.STOP) stops++;
                if (h.event == EventType.SEEK) seeks++;
                if (h.event == EventType.AD) ads++;
                if (k > 0) {
                    long gap = h.eventTime - sorted.get(k - 1).eventTime;
                    if (gap == c.p.sessionGapMs) exactGap++;
                    if (gap == c.p.sessionGapMs + 1) gapPlusOne++;
                    if (gap == 0 && h.isContent() && sorted.get(k - 1).isContent() && !h.equals(sorted.get(k - 1))) ties++;
                    if (ContractReference.hourOf(h.eventTime) != ContractReference.hourOf(sorted.get(k - 1).eventTime)) hourCrossings++;
                    Heartbeat a = sorted.get(k - 1);
                    if (a.isContent() && h.isContent() && h.positionMs - a.positionMs == (long) Math.floor(gap * c.p.maxRate + c.p.toleranceMs)) boundaryRate++;
                }
            }
            long maxSoFar = Long.MIN_VALUE;
            long wm = Long.MIN_VALUE;
            for (Action a : c.actions) {
                if (a instanceof Deliver) {
                    long t = ((Deliver) a).h.eventTime;
                    if (t < maxSoFar) outOfOrder++;
                    if (wm != Long.MIN_VALUE && t == wm - c.p.allowedLatenessMs) atLatenessBoundary++;
                    maxSoFar = Math.max(maxSoFar, t);
                } else if (a instanceof Watermark) {
                    wm = Math.max(wm, ((Watermark) a).wm);
                } else if (a instanceof Restore) {
                    restores++;
                }
            }
        }
        assertThat(List.of(exactGap, gapPlusOne, ties, duplicates, stops, seeks, ads, hourCrossings, outOfOrder, atLatenessBoundary, restores, boundaryRate))
                .as("exactGap, gapPlusOne, ties, duplicates, stops, seeks, ads, hourCrossings, outOfOrder, atLatenessBoundary, restores, boundaryRate")
                .allMatch(n -> n >= 10);
    }

    private static void fail(Case c, Outcome o) {
        StringBuilder sb = new StringBuilder();
        for (String tag : o.tags()) sb.append("==== ").append(tag).append(" ====\n").append(report(c, tag));
        throw new AssertionError(sb.toString());
    }

    /** The case shrunk to a minimal list of actions that still shows {@code tag}, with everything needed to reproduce it. */
    private static String report(Case c, String tag) {
        Outcome o = c.run(true);
        Case small = c.shrink(tag);
        Outcome so = small.run(true);
        StringBuilder sb = new StringBuilder();
        sb.append("seed=").append(c.seed).append(" (rerun with -Dpairtimeline.seed=").append(c.seed).append(")\n");
        sb.append("params: ").append(c.p).append(", trackHours=").append(c.trackHours).append(", compactionSlack=")
                .append(c.slack < 0 ? "default" : Long.toString(c.slack)).append('\n');
        sb.append("shrunk to ").append(small.actions.size()).append(" actions:\n");
        for (Action a : small.actions) sb.append("  ").append(a).append('\n');
        sb.append("problems of the shrunk case:\n");
        so.problems.stream().limit(6).forEach(pr -> sb.append("  ").append(pr.replace("\n", "\n  ")).append('\n'));
        sb.append("problems of the full case (").append(c.actions.size()).append(" actions):\n");
        o.problems.stream().limit(6).forEach(pr -> sb.append("  ").append(pr.replace("\n", "\n  ")).append('\n'));
        sb.append("full case actions:\n");
        for (Action a : c.actions) sb.append("  ").append(a).append('\n');
        return sb.toString();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // A case: parameters and a list of actions

    interface Action {}

    /** A heartbeat reaches the keyed function. */
    static final class Deliver implements Action {
        final Heartbeat h;

        Deliver(Heartbeat h) {
            this.h = h;
        }

        @Override
        public String toString() {
            return "deliver " + h;
        }
    }

    /** The watermark advances to {@code wm}: due event-time timers fire (maintain, clear when finished). */
    static final class Watermark implements Action {
        final long wm;

        Watermark(long wm) {
            this.wm = wm;
        }

        @Override
        public String toString() {
            return "watermark " + wm;
        }
    }

    /** The watermark advances and, besides the timers, {@code maintain} is called directly (then clear if finished). */
    static final class Maintain implements Action {
        final long wm;

        Maintain(long wm) {
            this.wm = wm;
        }

        @Override
        public String toString() {
            return "watermark+maintain " + wm;
        }
    }

    /** A checkpoint and restore: the pair's state and buffer go through their Flink serializers. */
    static final class Restore implements Action {
        @Override
        public String toString() {
            return "snapshot/restore";
        }
    }

    static final class Outcome {
        /** Each starts with its kind in brackets, e.g. "[rows] ...". */
        final List<String> problems = new ArrayList<>();
        int intermediateChecks;

        Set<String> tags() {
            Set<String> tags = new java.util.TreeSet<>();
            for (String p : problems) tags.add(p.substring(0, p.indexOf(']') + 1));
            return tags;
        }
    }

    static final class Case {
        final long seed;
        final ContractParams p;
        final boolean trackHours;
        /** -1: the timeline's default. */
        final long slack;
        final List<Action> actions;

        Case(long seed, ContractParams p, boolean trackHours, long slack, List<Action> actions) {
            this.seed = seed;
            this.p = p;
            this.trackHours = trackHours;
            this.slack = slack;
            this.actions = actions;
        }

        List<Heartbeat> heartbeats() {
            List<Heartbeat> out = new ArrayList<>();
            for (Action a : actions) if (a instanceof Deliver) out.add(((Deliver) a).h);
            return out;
        }

        static Case generate(long seed) {
            Random r = new Random(seed);
            long g = pick(r, 1_000L, 2_000L, 5_000L, 10_000L, 30_000L);
            double rate = pickD(r, 0.5, 1.0, 1.5, 2.0, 3.0);
            long t = pick(r, 0L, 1L, 500L, 2_000L);
            long l = pick(r, 0L, 500L, g, 3 * g, 10 * g);
            long m = pick(r, 2 * g, 5 * g, 20 * g, 43_200_000L);
            ContractParams p = new ContractParams(g, rate, t, l, m);
            boolean trackHours = r.nextBoolean();
            // (a slack of 0 would let a compaction timer re-fire at the same watermark forever: the timeline's default is >= G > 0)
            long slack = r.nextInt(3) == 0 ? pick(r, 1L, 2L, g, Math.max(1, l)) : -1;
            long delay = pick(r, 0L, 200L, g, 2 * g);
            int n = r.nextInt(10) == 0 ? 100 + r.nextInt(200) : 1 + r.nextInt(50);

            List<Heartbeat> beats = generateBeats(r, p, n);
            List<Action> actions = deliveryOrder(r, p, delay, beats);
            return new Case(seed, p, trackHours, slack, actions);
        }

        private static List<Heartbeat> generateBeats(Random r, ContractParams p, int n) {
            long g = p.sessionGapMs;
            long span = Math.max(1, n * g / 2);
            long hour = (1_700_000_000_000L / HOUR + r.nextInt(10_000)) * HOUR;
            long time = hour - (long) (r.nextDouble() * Math.min(span, 2 * HOUR));
            long pos = r.nextInt(3) == 0 ? 0 : r.nextInt(1_000_000);
            String device = pickDevice(r);
            List<Heartbeat> beats = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                time += i == 0 ? 0 : gap(r, p);
                int ev = r.nextInt(100);
                if (ev < 18) {
                    beats.add(ad(r, time, pos));
                    if (r.nextInt(5) == 0) beats.add(ad(r, time, pos)); // another ad heartbeat at the same time
                    continue;
                }
                EventType event = ev < 70 ? EventType.PLAY : ev < 80 ? EventType.PAUSE : ev < 90 ? EventType.SEEK : EventType.STOP;
                if (r.nextInt(10) == 0) device = pickDevice(r);
                long dt = beats.isEmpty() ? 0 : time - beats.get(beats.size() - 1).eventTime;
                pos = Math.max(0, pos + positionStep(r, p, dt, event));
                beats.add(Heartbeat.content(USER, VIDEO, time, pos, event, device));
                if (r.nextInt(8) == 0) {
                    // A tie: another content heartbeat at the same time (another device, event or position).
                    long tiePos = Math.max(0, pos + pick(r, 0L, 0L, 1L, -1L, 5_000L, -5_000L));
                    EventType tieEvent = EventType.ofOrdinal(r.nextInt(4));
                    String tieDevice = r.nextBoolean() ? device : pickDevice(r);
                    beats.add(Heartbeat.content(USER, VIDEO, time, tiePos, tieEvent, tieDevice));
                }
                if (r.nextInt(12) == 0 && !beats.isEmpty()) beats.add(beats.get(r.nextInt(beats.size())).copy()); // redelivery
            }
            return beats;
        }

        private static Heartbeat ad(Random r, long time, long pos) {
            String adId = pickString(r, "a", "b", "\uD83D\uDE00");
            long duration = pick(r, 1_000L, 2_000L, 8_000L, 30_000L);
            long adPos = r.nextInt((int) duration + 3_000);
            return Heartbeat.ad(USER, VIDEO, time, pos, adId, adPos, duration);
        }

        private static long gap(Random r, ContractParams p) {
            long g = p.sessionGapMs;
            int k = r.nextInt(100);
            if (k < 8) return 0;
            if (k < 14) return g;
            if (k < 20) return g + 1;
            if (k < 24) return g - 1;
            if (k < 60) return 1 + (long) (r.nextDouble() * g);
            if (k < 75) return 1 + r.nextInt(1_000);
            if (k < 83) return g + 1 + (long) (r.nextDouble() * 2 * g);
            if (k < 90) return 5_000;
            if (k < 93) return 1 + (long) (r.nextDouble() * Math.min(p.maxSessionMs, 3 * HOUR));
            return (long) (r.nextDouble() * (g / 2 + 1));
        }

        private static long positionStep(Random r, ContractParams p, long dt, EventType event) {
            double max = dt * p.maxRate + p.toleranceMs;
            int k = r.nextInt(100);
            if (event == EventType.PAUSE && k < 50) return 0;
            if (k < 40) return (long) (dt * pickD(r, 1.0, p.maxRate, 0.5));
            if (k < 52) return (long) Math.floor(max); // exactly at the limit: continues
            if (k < 62) return (long) Math.floor(max) + 1; // one beyond: a new segment
            if (k < 70) return 0;
            if (k < 76) return -1;
            if (k < 82) return -1 - r.nextInt(60_000);
            if (k < 88) return r.nextInt(600_000);
            return (long) (r.nextDouble() * (max + 2));
        }

        /**
         * A delivery order in which no heartbeat is too late: when {@code c} is delivered, the watermark (at most the
         * largest time delivered minus {@code delay}, or where an idle-source jump put it) is at most L ahead of every
         * heartbeat still to come. Watermark advances, direct maintenance and restores are interleaved.
         */
        private static List<Action> deliveryOrder(Random r, ContractParams p, long delay, List<Heartbeat> beats) {
            long l = p.allowedLatenessMs;
            List<Heartbeat> pending = new ArrayList<>(beats);
            pending.sort(Comparator.comparingLong(h -> h.eventTime)); // stable: keeps generation order within a time
            double disorder = pickD(r, 0.0, 0.3, 0.7, 1.0);
            double wmChance = pickD(r, 0.1, 0.5, 1.0);
            boolean directMaintain = r.nextInt(3) == 0;
            List<Action> actions = new ArrayList<>();
            long maxDelivered = Long.MIN_VALUE;
            long wm = Long.MIN_VALUE;
            while (!pending.isEmpty()) {
                long minPending = pending.get(0).eventTime;
                int limit = 0; // candidates: pending[0..limit]
                while (limit + 1 < pending.size() && Math.max(maxDelivered, pending.get(limit + 1).eventTime) - delay - l <= minPending) limit++;
                int idx;
                if (r.nextDouble() >= disorder) {
                    idx = 0;
                } else {
                    idx = r.nextBoolean() ? limit : r.nextInt(limit + 1);
                }
                Heartbeat h = pending.remove(idx);
                actions.add(new Deliver(h));
                maxDelivered = Math.max(maxDelivered, h.eventTime);
                long next = maxDelivered - delay;
                if (!pending.isEmpty() && r.nextInt(25) == 0) {
                    // An idle-source jump: the watermark moves ahead, at most to where the earliest pending heartbeat
                    // is exactly L behind it (still allowed: too late means more than L behind).
                    long cap = pending.get(0).eventTime + l;
                    next = r.nextBoolean() ? cap : Math.max(next, cap - (long) (r.nextDouble() * l));
                    next = Math.min(next, cap);
                }
                if (next > wm && r.nextDouble() < wmChance) {
                    wm = next;
                    actions.add(directMaintain && r.nextInt(3) == 0 ? new Maintain(wm) : new Watermark(wm));
                }
                if (r.nextInt(30) == 0) actions.add(new Restore());
            }
            // Finally the watermark passes everything: the end of a bounded run, or live traffic moving on.
            long last = beats.stream().mapToLong(h -> h.eventTime).max().orElse(0);
            long fin = r.nextBoolean() ? Long.MAX_VALUE
                    : Math.max(last + p.sessionGapMs + l + 1, ContractReference.hourOf(last) + HOUR + l);
            actions.add(new Watermark(Math.max(fin, wm)));
            return actions;
        }

        /** Greedily drops actions while the case still fails (removing heartbeats never makes others too late). */
        Case shrink(String tag) {
            List<Action> current = new ArrayList<>(actions);
            int runs = 0;
            boolean progress = true;
            while (progress && runs < 3_000) {
                progress = false;
                for (int i = current.size() - 2; i >= 0 && runs < 3_000; i--) { // keep the final watermark
                    List<Action> candidate = new ArrayList<>(current);
                    candidate.remove(i);
                    runs++;
                    if (new Case(seed, p, trackHours, slack, candidate).run(false).tags().contains(tag)) {
                        current = candidate;
                        progress = true;
                    }
                }
            }
            return new Case(seed, p, trackHours, slack, current);
        }

        Outcome run(boolean intermediate) {
            Sim sim = new Sim(this);
            Outcome o = new Outcome();
            List<Heartbeat> delivered = new ArrayList<>();
            Random checks = new Random(seed * 31 + 7);
            try {
                for (Action a : actions) {
                    if (a instanceof Deliver) {
                        Heartbeat h = ((Deliver) a).h;
                        delivered.add(h);
                        sim.deliver(h.copy());
                        // Freshness: right after every heartbeat, the rows emitted so far are exactly the contract's
                        // rows over the heartbeats delivered so far.
                        if (intermediate && (delivered.size() < 40 || checks.nextInt(4) == 0)) {
                            o.intermediateChecks++;
                            compare(sim, delivered, "after delivering " + delivered.size() + " heartbeat(s), last " + h, o.problems);
                            if (!o.problems.isEmpty()) break;
                        }
                    } else if (a instanceof Watermark) {
                        sim.advanceWatermark(((Watermark) a).wm);
                    } else if (a instanceof Maintain) {
                        sim.advanceWatermark(((Maintain) a).wm);
                        sim.maintainDirectly();
                    } else {
                        sim.restore();
                    }
                    if (sim.problems.stream().anyMatch(pr -> !pr.startsWith("[livelock]"))) break;
                }
            } catch (RuntimeException | AssertionError e) {
                o.problems.add("[exception] " + e + stack(e));
                return o;
            }
            o.problems.addAll(sim.problems);
            if (o.problems.stream().anyMatch(pr -> !pr.startsWith("[livelock]"))) return o;
            if (sim.st != null) {
                o.problems.add("[not-cleared] the pair's state was not cleared after the final watermark " + sim.wm + " (frontier " + sim.st.frontier
                        + ", buffer " + sim.buffer + ", timerTime " + sim.st.timerTime + ", timers " + sim.timers + ")");
            }
            compare(sim, delivered, "at the end", o.problems);
            return o;
        }

        private void compare(Sim sim, List<Heartbeat> delivered, String when, List<String> problems) {
            ContractReference.Expected exp = ContractReference.compute(delivered, p, Map.of());
            List<WatchSegment> actualSegments = new ArrayList<>();
            sim.table.values().forEach(s -> actualSegments.add(WatchSegment.of(USER, VIDEO, s)));
            String d = TableAssert.diff("watch_segments", actualSegments, exp.watchSegments, TableAssert.WATCH_SEGMENT_KEY);
            List<VideoProgress> actualProgress = sim.progress == null ? List.of() : List.of(sim.progress);
            d += TableAssert.diff("video_progress", actualProgress, exp.videoProgress, TableAssert.VIDEO_PROGRESS_KEY);
            if (trackHours) {
                Map<Long, Long> expectedHours = new TreeMap<>();
                for (ContentWatchHourly row : exp.contentWatchHourly) expectedHours.put(row.hour, row.watchedMs);
                if (!expectedHours.equals(sim.hours)) d += "hours (hour -> watched ms): expected " + expectedHours + " but was " + sim.hours + "\n";
            }
            if (!d.isEmpty()) problems.add((when.equals("at the end") ? "[rows-final] " : "[rows-intermediate] ") + when + ":\n" + d);
        }

        private static String stack(Throwable e) {
            StringBuilder sb = new StringBuilder();
            StackTraceElement[] st = e.getStackTrace();
            for (int i = 0; i < Math.min(8, st.length); i++) sb.append("\n    at ").append(st[i]);
            return sb.toString();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // SegmentsFunction's use of PairTimeline, without Flink

    /** The changes one insert reports, in order, to compare two ways of inserting and then apply them. */
    static final class Recorder implements PairTimeline.Listener {
        final List<String> changes = new ArrayList<>();
        private final List<java.util.function.Consumer<PairTimeline.Listener>> calls = new ArrayList<>();

        @Override
        public void segmentUpserted(Segment s) {
            Segment copy = new Segment(s.segmentStart, s.sessionStart, s.segmentEnd, s.startPosMs, s.endPosMs, s.heartbeats);
            changes.add("upsert " + copy);
            calls.add(l -> l.segmentUpserted(copy));
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            changes.add("delete " + segmentStart);
            calls.add(l -> l.segmentDeleted(segmentStart));
        }

        @Override
        public void progressChanged(PairFold tail) {
            PairFold copy = tail.copy();
            changes.add("progress t=" + copy.progTime + " pos=" + copy.progPos + " device=" + copy.progDevice);
            calls.add(l -> l.progressChanged(copy));
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {
            changes.add("hour " + hour + " " + previousWatched + " -> " + watched);
            calls.add(l -> l.hourChanged(hour, previousWatched, watched));
        }

        void replay(PairTimeline.Listener to) {
            calls.forEach(c -> c.accept(to));
        }
    }

    static final class Sim implements PairTimeline.Listener {
        static final TypeSerializer<PairState> STATE_SERIALIZER = TypeInformation.of(PairState.class).createSerializer(new SerializerConfigImpl());
        /** How often {@link PairTimeline#changesNothing} dropped a beat, over every case run. */
        static final java.util.concurrent.atomic.AtomicLong SHORTCUTS = new java.util.concurrent.atomic.AtomicLong();
        /** How often a beat was inserted among the recent ones ({@link RecentBeats}), over every case run. */
        static final java.util.concurrent.atomic.AtomicLong RECENT_INSERTS = new java.util.concurrent.atomic.AtomicLong();
        static final TypeSerializer<Beat> BEAT_SERIALIZER = TypeInformation.of(Beat.class).createSerializer(new SerializerConfigImpl());

        final PairTimeline timeline;
        final ContractParams p;
        /** The pair's keyed state; null when cleared (or never set). */
        PairState st;
        /** The ListState: appended to (in order, or after an insert among the recent beats), replaced after another insert or maintenance. */
        List<Beat> buffer;
        /** The cached operator's heap copy of the pair's last beats ({@code StateCache}); lost on restore. */
        final RecentBeats recent = new RecentBeats();
        /** Registered event-time timers of the key (Flink de-duplicates them; they survive state.clear()). */
        final TreeSet<Long> timers = new TreeSet<>();
        long wm = Long.MIN_VALUE;

        // The "tables"
        final TreeMap<Long, Segment> table = new TreeMap<>();
        VideoProgress progress;
        final TreeMap<Long, Long> hours = new TreeMap<>();
        final List<String> problems = new ArrayList<>();
        boolean livelockWorkaround;

        Sim(Case c) {
            this.p = c.p;
            this.timeline = c.slack < 0 ? new PairTimeline(c.p, c.trackHours) : new PairTimeline(c.p, c.trackHours, c.slack);
        }

        void deliver(Heartbeat h) {
            if (st == null) {
                st = new PairState();
                buffer = new ArrayList<>();
            }
            Beat b = Beat.of(h);
            if (PairTimeline.isBehindFrontier(st, b)) {
                problems.add("[behind-frontier] heartbeat " + h + " is not too late (watermark " + wm + ", L " + p.allowedLatenessMs
                        + ") but behind the frontier " + st.frontier);
                return;
            }
            if (PairTimeline.isInOrder(st, b)) {
                recent.beforeInOrder(timeline, st, b);
                timeline.appendInOrder(st, b, this);
                buffer.add(b);
            } else if (recent.covers(b)) {
                // The cached operator inserts it among the pair's last beats: same changes and state as the whole buffer.
                RECENT_INSERTS.incrementAndGet();
                PairState viaBuffer = STATE_SERIALIZER.copy(st);
                Recorder expected = new Recorder();
                List<Beat> updated = timeline.insert(viaBuffer, Beat.sortedDistinct(buffer), b, expected);
                Recorder actual = new Recorder();
                boolean changed = recent.insert(timeline, st, b, actual);
                boolean sameState = sameState(st, viaBuffer);
                if (changed != (updated != null) || !actual.changes.equals(expected.changes) || !sameState) {
                    problems.add("[recent-insert] " + h + " among the last beats: changed " + changed + ", " + actual.changes
                            + "; with the whole buffer: changed " + (updated != null) + ", " + expected.changes + (sameState ? "" : "; the pair states differ"));
                }
                actual.replay(this);
                if (!changed) return; // a duplicate
                buffer.add(b); // the stored list is read sorted and de-duplicated
            } else if (PairTimeline.changesNothing(st, b)) {
                // The functions drop such a beat without reading the buffer; insert must agree that it changes nothing.
                if (timeline.insert(STATE_SERIALIZER.copy(st), Beat.sortedDistinct(buffer), b, new PairTimeline.Listener() {
                    public void segmentUpserted(Segment segment) {}
                    public void segmentDeleted(long segmentStart) {}
                    public void progressChanged(PairFold tail) {}
                    public void hourChanged(long hour, long previousWatched, long watched) {}
                }) != null) {
                    problems.add("[changes-nothing] " + h + " was taken for a beat that changes nothing, but insert changes the pair");
                }
                SHORTCUTS.incrementAndGet();
                return;
            } else {
                List<Beat> updated = timeline.insert(st, Beat.sortedDistinct(buffer), b, this);
                if (updated == null) return; // a duplicate
                buffer = updated;
                recent.reset();
            }
            schedule();
        }

        private static boolean sameState(PairState a, PairState b) {
            try {
                return java.util.Arrays.equals(InstantiationUtil.serializeToByteArray(STATE_SERIALIZER, a), InstantiationUtil.serializeToByteArray(STATE_SERIALIZER, b));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        private void schedule() {
            long next = timeline.nextMaintenance(st);
            if (st.timerTime == Long.MIN_VALUE || next < st.timerTime) {
                timers.add(next);
                st.timerTime = next;
            }
        }

        void advanceWatermark(long newWm) {
            if (newWm <= wm) return;
            wm = newWm;
            Long t;
            int fired = 0;
            while ((t = timers.isEmpty() ? null : timers.first()) != null && t <= wm) {
                timers.pollFirst();
                onTimer(t);
                if (++fired > 10_000) {
                    problems.add("[livelock] more than 10000 timers fired at watermark " + wm + " (last " + t + ", next " + timers.first() + ")");
                    return;
                }
            }
        }

        private void onTimer(long timestamp) {
            if (st == null) return;
            if (timestamp != st.timerTime) return;
            st.timerTime = Long.MIN_VALUE;
            recent.reset();
            List<Beat> rest = timeline.maintain(st, Beat.sortedDistinct(buffer), wm);
            if (timeline.isFinished(st)) {
                st = null;
                buffer = null;
                return;
            }
            buffer = rest;
            long before = st.timerTime;
            schedule();
            if (st.timerTime != before && st.timerTime <= wm) {
                // Flink fires a timer registered at or before the current watermark again at once, within the same
                // advance: the operator would spin forever. Report it, then go on as if it were due at the next advance.
                problems.add("[livelock] after maintenance at watermark " + wm + " the next maintenance is due at " + st.timerTime
                        + " <= watermark: the timer re-fires forever (frontier " + st.frontier + ", tail.lastTime " + st.tail.lastTime
                        + ", lastWasStop " + st.tail.lastWasStop + ", hours " + java.util.Arrays.toString(st.tail.hours) + ", buffer " + buffer + ")");
                timers.remove(st.timerTime);
                st.timerTime = wm + 1;
                timers.add(st.timerTime);
                livelockWorkaround = true;
            }
        }

        void maintainDirectly() {
            if (st == null) return;
            recent.reset();
            buffer = timeline.maintain(st, Beat.sortedDistinct(buffer), wm);
            if (timeline.isFinished(st)) {
                st = null;
                buffer = null;
            }
        }

        void restore() {
            recent.reset();
            if (st == null) return;
            try {
                st = InstantiationUtil.deserializeFromByteArray(STATE_SERIALIZER, InstantiationUtil.serializeToByteArray(STATE_SERIALIZER, st));
                List<Beat> copy = new ArrayList<>();
                for (Beat b : buffer) copy.add(InstantiationUtil.deserializeFromByteArray(BEAT_SERIALIZER, InstantiationUtil.serializeToByteArray(BEAT_SERIALIZER, b)));
                buffer = copy;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void segmentUpserted(Segment s) {
            table.put(s.segmentStart, new Segment(s.segmentStart, s.sessionStart, s.segmentEnd, s.startPosMs, s.endPosMs, s.heartbeats));
        }

        @Override
        public void segmentDeleted(long segmentStart) {
            table.remove(segmentStart);
        }

        @Override
        public void progressChanged(PairFold tail) {
            // The sink only moves a resume point forward in (event_time, position_ms); an emitted step back would be lost.
            if (progress != null && (tail.progTime < progress.eventTime || (tail.progTime == progress.eventTime && tail.progPos < progress.positionMs))) {
                problems.add("[progress-back] resume point moved back from " + progress + " to t=" + tail.progTime + " pos=" + tail.progPos
                        + ": the guarded video_progress upsert would ignore it");
            }
            progress = VideoProgress.of(USER, VIDEO, tail.progPos, tail.progTime, tail.progDevice);
        }

        @Override
        public void hourChanged(long hour, long previousWatched, long watched) {
            long known = hours.getOrDefault(hour, -1L);
            if (known != previousWatched) {
                problems.add("[hour-delta] hourChanged(" + hour + ", previous " + previousWatched + ", " + watched + ") but the previous value emitted was " + known);
            }
            hours.put(hour, watched);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------

    static String pickString(Random r, String... values) {
        return values[r.nextInt(values.length)];
    }

    static long pick(Random r, long... values) {
        return values[r.nextInt(values.length)];
    }

    static double pickD(Random r, double... values) {
        return values[r.nextInt(values.length)];
    }

    static String pickDevice(Random r) {
        return pickString(r, null, "", "d1", "d2", "\uFFFF", "\uD83D\uDE00", "\uD83D\uDE01");
    }
}
