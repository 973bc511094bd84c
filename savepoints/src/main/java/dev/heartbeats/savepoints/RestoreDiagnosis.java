package dev.heartbeats.savepoints;

import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.util.ExceptionUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns Flink's restore failures into a sentence that names the operator (uid) and, for a state type change, the
 * state: Flink reports an unmapped operator by its hash id only, and an incompatible serializer without the state's
 * name. The savepoint's own inventory (uids, state names and serializer classes) and the new job graph fill that in.
 */
public final class RestoreDiagnosis {
    private RestoreDiagnosis() {}

    private static final Pattern UNMAPPED = Pattern.compile("Cannot map checkpoint/savepoint state for operator ([0-9a-f]{32})");
    private static final Pattern MAX_PARALLELISM = Pattern.compile(
            "Cannot map operator ([0-9a-f]{32}) with max parallelism (\\d+) to new program with max parallelism (\\d+)");
    private static final Pattern BACKEND = Pattern.compile(
            "Could not restore (keyed|operator) state backend for \\w+_([0-9a-f]{32})_");
    private static final Pattern SERIALIZERS = Pattern.compile(
            "The new state serializer \\((.*)\\) must not be incompatible with the old state serializer \\((.*)\\)\\.", Pattern.DOTALL);

    /**
     * Problems visible before running anything: operators with state in the savepoint that the new job graph does not
     * have (a renamed or removed uid). Empty when every piece of state has an owner.
     */
    public static List<String> structuralProblems(SavepointInventory savepoint, JobGraph graph) {
        Map<String, JobGraphs.Operator> current = JobGraphs.operators(graph);
        List<String> out = new ArrayList<>();
        for (SavepointInventory.OperatorEntry o : savepoint.operators) {
            if (!current.containsKey(o.operatorId)) out.add(unmapped(o));
        }
        return out;
    }

    private static String unmapped(SavepointInventory.OperatorEntry o) {
        return "the savepoint has state of operator uid " + o.label() + " " + o.states + " that no operator of the new job claims:"
                + " its uid was renamed or the operator removed, and the restore refuses to drop state (allowNonRestoredState=false)."
                + " Keep the uid (uids are part of the savepoint format), or, if dropping that state is intended, decide so explicitly for this release.";
    }

    /** One readable paragraph for a failed restore; {@code failure} is what the cluster reported. */
    public static String explain(Throwable failure, SavepointInventory savepoint, JobGraph graph) {
        String all = ExceptionUtils.stringifyException(failure);
        List<String> lines = new ArrayList<>();

        Matcher m = UNMAPPED.matcher(all);
        if (m.find()) {
            SavepointInventory.OperatorEntry o = savepoint.byId(m.group(1));
            lines.add(o == null ? "the savepoint has state of operator id " + m.group(1) + " that no operator of the new job claims" : unmapped(o));
        }
        m = MAX_PARALLELISM.matcher(all);
        if (m.find()) {
            SavepointInventory.OperatorEntry o = savepoint.byId(m.group(1));
            lines.add("operator " + (o == null ? "id " + m.group(1) : "uid " + o.label()) + " was saved with max parallelism " + m.group(2)
                    + " but the new job has " + m.group(3) + ": keyed state cannot be redistributed across a max-parallelism change.");
        }
        m = SERIALIZERS.matcher(all);
        if (m.find()) {
            String newer = m.group(1), older = m.group(2);
            List<String> candidates = statesWithSerializer(savepoint, graph, failure, older);
            lines.add("state " + (candidates.isEmpty() ? "(serializer " + older + ")" : String.join(" or ", candidates))
                    + " cannot be read by its new serializer " + simple(newer) + ": the state's type changed incompatibly (old serializer " + simple(older)
                    + "). Keep a serializer whose snapshot resolves the old one as compatible (as-is or after migration), or move the state to a new name.");
        }
        m = BACKEND.matcher(all);
        if (lines.isEmpty() && m.find()) {
            SavepointInventory.OperatorEntry o = savepoint.byId(m.group(2));
            JobGraphs.Operator current = JobGraphs.operators(graph).get(m.group(2));
            String who = o != null ? "operator uid " + o.label() + " " + o.states : current != null ? "operator uid '" + current.uid() + "'" : "operator id " + m.group(2);
            lines.add("the " + m.group(1) + " state of " + who + " could not be restored by the new code: " + rootCause(failure)
                    + (String.valueOf(rootCause(failure)).contains("format version")
                    ? " (the savepoint was written by a newer state format than this code reads: restore a savepoint taken by this release instead)" : ""));
        }
        if (lines.isEmpty()) {
            String where = failingOperators(failure, graph);
            lines.add("the job failed while restoring" + (where.isEmpty() ? "" : " in " + where) + ": " + rootCause(failure));
        }
        StringBuilder sb = new StringBuilder();
        for (String l : lines) sb.append("  - ").append(l).append('\n');
        sb.append("  Flink's exception: ").append(firstLines(all, 6));
        return sb.toString();
    }

    private static List<String> statesWithSerializer(SavepointInventory savepoint, JobGraph graph, Throwable failure, String serializerToString) {
        String cls = serializerToString.contains("@") ? serializerToString.substring(0, serializerToString.indexOf('@')) : serializerToString;
        List<String> vertexUids = new ArrayList<>();
        if (failure instanceof LocalCluster.JobFailedException && ((LocalCluster.JobFailedException) failure).vertex != null) {
            for (JobGraphs.Operator o : JobGraphs.operatorsOf(graph, ((LocalCluster.JobFailedException) failure).vertex)) vertexUids.add(o.uid());
        }
        List<String> out = new ArrayList<>();
        for (SavepointInventory.OperatorEntry o : savepoint.operators) {
            if (!vertexUids.isEmpty() && !vertexUids.contains(o.uid)) continue;
            for (SavepointInventory.StateEntry s : o.states) {
                if (!s.serializerClass.isEmpty() && cls.equals(s.serializerClass)) {
                    out.add("'" + s.name + "' (" + s.kind + ", stored with " + s.serializer + ") of operator uid " + o.label());
                }
            }
        }
        return out;
    }

    private static String failingOperators(Throwable failure, JobGraph graph) {
        if (!(failure instanceof LocalCluster.JobFailedException) || ((LocalCluster.JobFailedException) failure).vertex == null) return "";
        List<String> uids = new ArrayList<>();
        for (JobGraphs.Operator o : JobGraphs.operatorsOf(graph, ((LocalCluster.JobFailedException) failure).vertex)) uids.add("'" + o.uid() + "'");
        return "task '" + ((LocalCluster.JobFailedException) failure).taskName + "' (operator uids " + String.join(", ", uids) + ")";
    }

    /** {@code org.apache.flink...StringSerializer@1a2b3c} → {@code StringSerializer}. */
    private static String simple(String serializerToString) {
        return serializerToString.matches("[\\w.$]+@[0-9a-f]+") ? serializerToString.substring(serializerToString.lastIndexOf('.', serializerToString.indexOf('@')) + 1,
                serializerToString.indexOf('@')) : serializerToString;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    private static String firstLines(String s, int n) {
        String[] lines = s.split("\n");
        StringBuilder sb = new StringBuilder();
        int shown = 0;
        for (String l : lines) {
            if (l.startsWith("\tat ") || l.startsWith("\t...")) continue;
            sb.append(l.strip()).append('\n');
            if (++shown == n) break;
        }
        return sb.toString();
    }
}
