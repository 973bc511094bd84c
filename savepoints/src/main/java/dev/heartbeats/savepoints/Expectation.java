package dev.heartbeats.savepoints;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.parse.HeartbeatParser;
import dev.heartbeats.testing.ContractReference;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the contract says a set of sent records must produce: which records are invalid, which are too late under the
 * suite's per-partition rule (README, interpretation 10; the same rule as {@code DifferentialRun.tooLate}, applied
 * here to records read back by partition and offset rather than to generated ones), and the four tables over the
 * heartbeats that count ({@link ContractReference}).
 */
public final class Expectation {
    public final Set<String> invalid = new HashSet<>();
    public final Set<String> tooLate = new HashSet<>();
    public final List<Heartbeat> counted = new ArrayList<>();

    private Expectation() {}

    /** Over every record of the input ({@code sent} in any order; positions must be unique). */
    public static Expectation of(List<InputRecords.Sent> sent, ContractParams params, long outOfOrdernessMs) {
        Expectation e = new Expectation();
        Map<Integer, List<InputRecords.Sent>> byPartition = new TreeMap<>();
        for (InputRecords.Sent s : sent) byPartition.computeIfAbsent(s.partition(), k -> new ArrayList<>()).add(s);
        HeartbeatParser parser = new HeartbeatParser();
        for (List<InputRecords.Sent> records : byPartition.values()) {
            records.sort(Comparator.comparingLong(InputRecords.Sent::offset));
            long max = Long.MIN_VALUE;
            for (InputRecords.Sent s : records) {
                Heartbeat h = new Heartbeat();
                if (parser.parse(s.record().value(), h) != null) {
                    e.invalid.add(s.position());
                    continue;
                }
                if (max != Long.MIN_VALUE && (max - outOfOrdernessMs - 1) - h.eventTime > params.allowedLatenessMs) {
                    e.tooLate.add(s.position());
                } else {
                    max = Math.max(max, h.eventTime);
                    e.counted.add(h);
                }
            }
        }
        return e;
    }

    public ContractReference.Expected tables(ContractParams params, Map<String, String> licensorByVideo) {
        return ContractReference.compute(counted, params, licensorByVideo);
    }

    /** Of {@code positions}, those at or after {@code fromOffsets} in their partition (the part a restored job reads). */
    public static Set<String> from(Set<String> positions, Map<Integer, Long> fromOffsets) {
        Set<String> out = new HashSet<>();
        for (String p : positions) {
            int at = p.indexOf('@');
            int partition = Integer.parseInt(p.substring(0, at));
            long offset = Long.parseLong(p.substring(at + 1));
            if (offset >= fromOffsets.getOrDefault(partition, 0L)) out.add(p);
        }
        return out;
    }
}
