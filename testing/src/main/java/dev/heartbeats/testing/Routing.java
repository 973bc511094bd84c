package dev.heartbeats.testing;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The reference for contract section 1's routing of input records, independent of the jobs' code: which records are
 * invalid (not a valid heartbeat, or a device clock more than F ahead of the record's timestamp), which are too late,
 * and which heartbeats count. Too late is the suite's rule (README, "Contract interpretations"): judged per Kafka
 * partition in offset order, a valid heartbeat is too late when it is more than L behind the largest event time of
 * the valid, not-too-late heartbeats before it in its partition, minus the out-of-orderness, minus 1 ms. It depends
 * on the records alone: not on timing, restarts or the job.
 */
public final class Routing {
    /** One input record where it landed: its heartbeat (null when it does not parse) and its Kafka timestamp (-1: none). */
    public record Input(int partition, long offset, Heartbeat heartbeat, long timestamp) {
        public String position() {
            return partition + "@" + offset;
        }
    }

    /** Source positions ("partition@offset"). */
    public final Set<String> invalid;
    public final Set<String> tooLate;
    /** The heartbeats that count, in partition and offset order. */
    public final List<Heartbeat> counted;

    private Routing(Set<String> invalid, Set<String> tooLate, List<Heartbeat> counted) {
        this.invalid = Collections.unmodifiableSet(invalid);
        this.tooLate = Collections.unmodifiableSet(tooLate);
        this.counted = Collections.unmodifiableList(counted);
    }

    public static Routing of(Collection<Input> records, ContractParams p, long outOfOrdernessMs) {
        Map<Integer, List<Input>> byPartition = new TreeMap<>();
        for (Input r : records) byPartition.computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r);
        Set<String> invalid = new HashSet<>();
        Set<String> late = new HashSet<>();
        List<Heartbeat> counted = new ArrayList<>();
        for (List<Input> partition : byPartition.values()) {
            partition.sort(Comparator.comparingLong(Input::offset));
            long max = Long.MIN_VALUE;
            for (Input r : partition) {
                Heartbeat h = r.heartbeat();
                if (h == null || p.clockSkewViolation(h.eventTime, r.timestamp()) != null) {
                    invalid.add(r.position());
                } else if (max != Long.MIN_VALUE && (max - outOfOrdernessMs - 1) - h.eventTime > p.allowedLatenessMs) {
                    late.add(r.position());
                } else {
                    max = Math.max(max, h.eventTime);
                    counted.add(h);
                }
            }
        }
        return new Routing(invalid, late, counted);
    }

    /** The contract's tables over the heartbeats that count. */
    public ContractReference.Expected tables(ContractParams p, Map<String, String> licensorByVideo) {
        return ContractReference.compute(counted, p, licensorByVideo);
    }
}
