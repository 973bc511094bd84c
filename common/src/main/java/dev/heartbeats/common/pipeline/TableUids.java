package dev.heartbeats.common.pipeline;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.transformations.PhysicalTransformation;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Gives stable uids to the operators the Table planner created between a {@code fromChangelogStream} and a
 * {@code toChangelogStream}.
 *
 * <p>Why: every job of the suite runs with {@code pipeline.auto-generate-uids=false}, so the job graph is refused
 * when any operator lacks a uid. The planner only sets uids itself for pipelines restored from a compiled plan
 * ({@code table.exec.uid.generation=PLAN_ONLY}, the default), and a compiled plan cannot hold DataStream sources or
 * sinks. With {@code table.exec.uid.generation=ALWAYS} it would set {@code <id>_<transformation>} uids whose
 * {@code <id>} comes from a JVM-wide static counter: a second query in the same JVM (an {@code explain}, another
 * job in a session client or in a test JVM) shifts every uid, and the state of the aggregation would no longer be
 * found in a savepoint. So the planner's operators are named here instead, from the plan's own shape:
 * <ul>
 *   <li>stateful operators get fixed uids by operator kind (e.g. {@code GroupAggregate} → the job's aggregate uid
 *       constant); a kind that is expected but missing fails the build, so that a planner change that renames or
 *       splits the stateful operator is noticed before an upgrade silently drops its state;</li>
 *   <li>stateless operators (calc, lookup join, conversions, mini-batch assigner, local pre-aggregation) get
 *       {@code prefix-kind} (with {@code -2}, {@code -3} for repeated kinds, in a depth-first walk from the output);
 *       they have no state, so these uids only need to be unique.</li>
 * </ul>
 * Operator kinds are the planner's simplified operator names ({@code table.exec.simplify-operator-name-enabled},
 * e.g. {@code GroupAggregate[7]}) without the bracketed node id.
 */
public final class TableUids {
    private TableUids() {}

    /**
     * @param output     the transformation {@code toChangelogStream} returned
     * @param input      the DataStream transformation {@code fromChangelogStream} was given (not renamed, nor what
     *                   is upstream of it)
     * @param prefix     for the uids of stateless planner operators
     * @param fixed      operator kind → uid, for the stateful operators
     * @param required   uids of {@code fixed} that must have been assigned
     * @return uid by transformation name, in the order assigned (for logs and tests)
     */
    public static Map<String, String> assign(Transformation<?> output, Transformation<?> input, String prefix,
                                             Map<String, String> fixed, Set<String> required) {
        Map<String, String> assigned = new LinkedHashMap<>();
        Map<String, Integer> seen = new HashMap<>();
        Map<Transformation<?>, Boolean> visited = new IdentityHashMap<>();
        List<Transformation<?>> stack = new ArrayList<>();
        stack.add(output);
        while (!stack.isEmpty()) {
            Transformation<?> t = stack.remove(stack.size() - 1);
            if (t == input || visited.put(t, Boolean.TRUE) != null) continue;
            if (t instanceof PhysicalTransformation && t.getUid() == null && t.getUserProvidedNodeHash() == null) {
                String kind = kind(t.getName());
                String uid = fixed.get(kind);
                if (uid == null) {
                    int n = seen.merge(kind, 1, Integer::sum);
                    uid = prefix + "-" + slug(kind) + (n == 1 ? "" : "-" + n);
                } else if (assigned.containsValue(uid)) {
                    throw new IllegalStateException("two planner operators map to the stateful uid " + uid + ": " + assigned + " and " + t.getName());
                }
                t.setUid(uid);
                assigned.put(t.getName(), uid);
            }
            List<Transformation<?>> inputs = t.getInputs();
            for (int i = inputs.size() - 1; i >= 0; i--) stack.add(inputs.get(i));
        }
        for (String uid : required) {
            if (!assigned.containsValue(uid)) {
                throw new IllegalStateException("the Table API plan has no operator for the stateful uid " + uid + " (expected one of "
                        + fixed.keySet() + "); planner operators found: " + assigned.keySet()
                        + ". A planner change renamed the stateful operator: map its new name to the same uid only if its state is compatible.");
            }
        }
        return assigned;
    }

    /**
     * {@code GroupAggregate[12]} → {@code GroupAggregate}; {@code *anonymous_datastream_source$1*[1]} →
     * {@code anonymous_datastream_source} (the {@code $n} of anonymous views is a counter too).
     */
    public static String kind(String name) {
        int bracket = name.lastIndexOf('[');
        String k = bracket > 0 && name.endsWith("]") ? name.substring(0, bracket) : name;
        k = k.replaceAll("\\$\\d+", "").replace("*", "");
        return k.trim();
    }

    /** {@code GroupAggregate} → {@code group-aggregate}. */
    public static String slug(String kind) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < kind.length(); i++) {
            char c = kind.charAt(i);
            if (Character.isUpperCase(c)) {
                if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') sb.append('-');
                sb.append(Character.toLowerCase(c));
            } else if (Character.isLetterOrDigit(c)) {
                sb.append(c);
            } else if (sb.length() > 0 && sb.charAt(sb.length() - 1) != '-') {
                sb.append('-');
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
