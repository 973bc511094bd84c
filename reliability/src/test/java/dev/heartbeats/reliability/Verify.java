package dev.heartbeats.reliability;

import dev.heartbeats.common.kafka.DeadLetterSerializer;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The end state after a fault: the four tables equal the contract's reference, and each job has routed exactly the
 * expected source positions to the dead-letter and late topics (at-least-once: duplicates are counted, not failed),
 * every routed record carrying its original bytes and the headers a replay needs.
 */
final class Verify {
    /** What one job routed to one topic. */
    static final class Routed {
        final Map<String, List<ConsumerRecord<byte[], byte[]>>> byPosition = new LinkedHashMap<>();

        int total() {
            return byPosition.values().stream().mapToInt(List::size).sum();
        }

        int distinct() {
            return byPosition.size();
        }

        int duplicates() {
            return total() - distinct();
        }

        Set<String> positions() {
            return byPosition.keySet();
        }
    }

    /** The outcome of one fault test, for the assertions and the report. */
    static final class Outcome {
        long tablesCorrectAt;
        TableSnapshot tables;
        final Map<String, Routed> dlq = new LinkedHashMap<>();
        final Map<String, Routed> late = new LinkedHashMap<>();
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Per job (the {@code job} header), the records of {@code topic} by source position. */
    static Map<String, Routed> routed(Scenario s, String topic) {
        Map<String, Routed> out = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : s.readAll(topic)) {
            String job = header(r, DeadLetterSerializer.JOB);
            String pos = header(r, DeadLetterSerializer.SOURCE_PARTITION) + "@" + header(r, DeadLetterSerializer.SOURCE_OFFSET);
            out.computeIfAbsent(job, k -> new Routed()).byPosition.computeIfAbsent(pos, k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    /** The tables' differences from the reference plus the watch-time invariant; "" when right. */
    static String tableDiff(TableSnapshot t, Expect e) {
        return TableAssert.diff(t, e.tables) + TableAssert.watchTimeDiff(t);
    }

    /**
     * Waits for the tables to reach the reference and the topics to hold at least the expected positions, then
     * checks that they stay so and hold nothing else.
     */
    static Outcome await(Scenario s, Expect e, Collection<String> jobs, Duration timeout) throws InterruptedException {
        Outcome o = new Outcome();
        long deadline = System.currentTimeMillis() + timeout.toMillis();
        String diff = "?";
        while (System.currentTimeMillis() < deadline) {
            TableSnapshot t;
            try {
                t = s.tables();
            } catch (RuntimeException dbDown) {
                Thread.sleep(500);
                continue;
            }
            diff = tableDiff(t, e);
            if (diff.isEmpty()) {
                o.tablesCorrectAt = System.currentTimeMillis();
                break;
            }
            Thread.sleep(250);
        }
        if (o.tablesCorrectAt == 0) throw new AssertionError("tables did not reach the contract's reference within " + timeout + ":\n" + diff);

        Map<String, Routed> dlq;
        Map<String, Routed> late;
        while (true) {
            dlq = routed(s, s.dlqTopic);
            late = routed(s, s.lateTopic);
            boolean all = true;
            for (String job : jobs) {
                all &= dlq.getOrDefault(job, new Routed()).positions().containsAll(e.invalid);
                all &= late.getOrDefault(job, new Routed()).positions().containsAll(e.tooLate);
            }
            if (all || System.currentTimeMillis() > deadline) break;
            Thread.sleep(300);
        }
        // Still right a moment later: no late rewrite from a replay moved a row back.
        Thread.sleep(1_500);
        o.tables = s.tables();
        String after = tableDiff(o.tables, e);
        if (!after.isEmpty()) throw new AssertionError("tables were right, then changed:\n" + after);
        for (String job : jobs) {
            Routed d = dlq.getOrDefault(job, new Routed());
            Routed l = late.getOrDefault(job, new Routed());
            o.dlq.put(job, d);
            o.late.put(job, l);
            assertSameSet(job + " dead letters", d.positions(), e.invalid, e);
            assertSameSet(job + " late records", l.positions(), e.tooLate, e);
            checkRecords(s, job, d, e, false);
            checkRecords(s, job, l, e, true);
        }
        return o;
    }

    static void assertSameSet(String what, Set<String> actual, Set<String> expected, Expect e) {
        if (actual.equals(expected)) return;
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        Set<String> extra = new TreeSet<>(actual);
        extra.removeAll(expected);
        StringBuilder sb = new StringBuilder(what).append(": expected ").append(expected.size()).append(" source positions, routed ")
                .append(actual.size()).append("; missing ").append(missing.size()).append(", unexpected ").append(extra.size());
        int shown = 0;
        for (String p : missing) {
            if (shown++ == 10) break;
            sb.append("\n  missing ").append(p).append(' ').append(describe(e.byPosition.get(p)));
        }
        shown = 0;
        for (String p : extra) {
            if (shown++ == 10) break;
            sb.append("\n  unexpected ").append(p).append(' ').append(describe(e.byPosition.get(p)));
        }
        throw new AssertionError(sb.toString());
    }

    private static String describe(Feed.Item it) {
        if (it == null) return "(not sent by the test)";
        return it.label + (it.heartbeat != null ? " " + it.heartbeat : "");
    }

    /** Original key and value, reason, provenance and time: enough to replay. */
    static void checkRecords(Scenario s, String job, Routed routed, Expect e, boolean late) {
        for (Map.Entry<String, List<ConsumerRecord<byte[], byte[]>>> en : routed.byPosition.entrySet()) {
            Feed.Item sent = e.byPosition.get(en.getKey());
            for (ConsumerRecord<byte[], byte[]> r : en.getValue()) {
                String where = job + " " + (late ? "late" : "dlq") + " record of " + en.getKey();
                String reason = header(r, DeadLetterSerializer.REASON);
                require(reason != null && !reason.isBlank(), where + ": no reason");
                if (late) require(reason.startsWith("too late"), where + ": reason '" + reason + "'");
                require(s.inputTopic.equals(header(r, DeadLetterSerializer.SOURCE_TOPIC)), where + ": source-topic " + header(r, DeadLetterSerializer.SOURCE_TOPIC));
                require(isLong(header(r, DeadLetterSerializer.SOURCE_TIMESTAMP)), where + ": source-timestamp");
                require(isLong(header(r, DeadLetterSerializer.ROUTED_AT)), where + ": routed-at");
                require(Arrays.equals(sent.key, r.key()), where + ": key differs from the original");
                String truncated = header(r, DeadLetterSerializer.TRUNCATED);
                if (truncated != null) {
                    // Too large for the topic: the beginning of the value, its size and hash (DeadLetterSerializer).
                    require(truncated.equals("value"), where + ": truncated '" + truncated + "'");
                    require(r.value().length < sent.value.length && Arrays.equals(r.value(), Arrays.copyOf(sent.value, r.value().length)),
                            where + ": truncated value is not the original's beginning");
                    require(Integer.toString(sent.value.length).equals(header(r, DeadLetterSerializer.ORIGINAL_SIZE)), where + ": original-size");
                    require(sha256(sent.value).equals(header(r, DeadLetterSerializer.VALUE_SHA256)), where + ": value-sha256");
                    continue;
                }
                require(Arrays.equals(sent.value, r.value()), where + ": value differs from the original ("
                        + (r.value() == null ? "null" : r.value().length + " bytes") + " vs " + (sent.value == null ? "null" : sent.value.length + " bytes") + ")");
            }
        }
    }

    static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isLong(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new AssertionError(message);
    }
}
