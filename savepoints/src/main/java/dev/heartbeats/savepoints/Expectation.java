package dev.heartbeats.savepoints;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.parse.HeartbeatParser;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.Routing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the contract says a set of sent records must produce ({@link Routing}, over records read back by partition and
 * offset): which records are invalid, which are too late, and the four tables over the heartbeats that count.
 */
public final class Expectation {
    public final Set<String> invalid;
    public final Set<String> tooLate;
    public final List<Heartbeat> counted;

    private Expectation(Routing r) {
        invalid = r.invalid;
        tooLate = r.tooLate;
        counted = r.counted;
    }

    /** Over every record of the input ({@code sent} in any order; positions must be unique). */
    public static Expectation of(List<InputRecords.Sent> sent, ContractParams params, long outOfOrdernessMs) {
        HeartbeatParser parser = new HeartbeatParser();
        List<Routing.Input> in = new ArrayList<>(sent.size());
        for (InputRecords.Sent s : sent) {
            Heartbeat h = new Heartbeat();
            in.add(new Routing.Input(s.partition(), s.offset(), parser.parse(s.record().value(), h) == null ? h : null, s.timestamp()));
        }
        return new Expectation(Routing.of(in, params, outOfOrdernessMs));
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
