package dev.heartbeats.savepoints;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a savepoint holds, read from its {@code _metadata} and the headers of its state files: per operator its uid
 * and name (Flink 2 records both), parallelism, max parallelism, state size, and the states with their kind and
 * serializer. It needs the classes of the stored serializer snapshots on the classpath (it reads them as a restore
 * would), which is also how it is used: to say which state of which operator a restore failure is about.
 */
public final class SavepointInventory {
    /** One state of an operator. */
    public static final class StateEntry {
        public String name;
        /** {@code keyed VALUE}, {@code keyed LIST}, {@code timers}, {@code operator SPLIT_DISTRIBUTE}, {@code operator UNION}, ... */
        public String kind;
        /** How the state's values were serialized, e.g. {@code List<BeatSerializer v1>}; empty for operator state. */
        public String serializer;
        /** Class name of the value serializer as the restore recreates it (the "old serializer" of a migration error). */
        public String serializerClass;

        public StateEntry() {}

        StateEntry(String name, String kind, String serializer, String serializerClass) {
            this.name = name;
            this.kind = kind;
            this.serializer = serializer;
            this.serializerClass = serializerClass;
        }

        @Override
        public String toString() {
            return name + " (" + kind + (serializer.isEmpty() ? "" : ", " + serializer) + ")";
        }
    }

    /** One operator that has state in the savepoint. */
    public static final class OperatorEntry {
        public String uid;
        public String name;
        public String operatorId;
        public int parallelism;
        public int maxParallelism;
        public long stateBytes;
        public List<StateEntry> states = new ArrayList<>();

        public OperatorEntry() {}

        public String label() {
            return "'" + uid + "'" + (name == null || name.isEmpty() ? "" : " (" + name + ")");
        }
    }

    public final List<OperatorEntry> operators;

    private SavepointInventory(List<OperatorEntry> operators) {
        this.operators = operators;
    }

    public OperatorEntry byId(String operatorId) {
        for (OperatorEntry o : operators) if (o.operatorId.equals(operatorId)) return o;
        return null;
    }

    public OperatorEntry byUid(String uid) {
        for (OperatorEntry o : operators) if (uid.equals(o.uid)) return o;
        return null;
    }

    /** Reads the savepoint in {@code dir} (the directory holding {@code _metadata}). */
    public static SavepointInventory read(Path dir, ClassLoader classLoader) throws IOException {
        CheckpointMetadata metadata;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve("_metadata")))) {
            metadata = Checkpoints.loadCheckpointMetadata(in, classLoader, dir.toUri().toString());
        }
        List<OperatorEntry> out = new ArrayList<>();
        for (OperatorState op : metadata.getOperatorStates()) {
            if (op.getStateSize() == 0 && op.getCoordinatorState() == null) continue;
            OperatorEntry e = new OperatorEntry();
            e.operatorId = op.getOperatorID().toHexString();
            e.uid = op.getOperatorUid().orElse(null);
            e.name = op.getOperatorName().orElse(null);
            e.parallelism = op.getParallelism();
            e.maxParallelism = op.getMaxParallelism();
            e.stateBytes = op.getStateSize();
            Map<String, StateEntry> states = new LinkedHashMap<>();
            if (op.getCoordinatorState() != null) states.put("(coordinator)", new StateEntry("(coordinator)", "coordinator", "", ""));
            for (OperatorSubtaskState sub : op.getStates()) {
                for (OperatorStateHandle h : sub.getManagedOperatorState()) {
                    h.getStateNameToPartitionOffsets().forEach((name, info) ->
                            states.putIfAbsent(name, new StateEntry(name, "operator " + info.getDistributionMode(), "", "")));
                }
                for (KeyedStateHandle h : sub.getManagedKeyedState()) {
                    for (StateEntry s : keyedStates(h, classLoader)) states.putIfAbsent(s.name, s);
                }
            }
            e.states.addAll(states.values());
            out.add(e);
        }
        out.sort(Comparator.comparing((OperatorEntry o) -> o.uid == null ? "" : o.uid));
        return new SavepointInventory(out);
    }

    /** The state meta data at the start of a full (canonical) keyed state file: names, kinds, serializers. */
    private static List<StateEntry> keyedStates(KeyedStateHandle handle, ClassLoader classLoader) throws IOException {
        List<StateEntry> out = new ArrayList<>();
        if (!(handle instanceof KeyGroupsStateHandle)) {
            out.add(new StateEntry("(" + handle.getClass().getSimpleName() + ")", "keyed, not a canonical savepoint", "", ""));
            return out;
        }
        KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(classLoader);
        try (FSDataInputStream in = ((KeyGroupsStateHandle) handle).openInputStream()) {
            proxy.read(new DataInputViewStreamWrapper((InputStream) in));
        } catch (IOException | RuntimeException e) {
            // The code on this classpath cannot read the stored serializer snapshots (a restore would fail the same way).
            out.add(new StateEntry("(keyed state meta data unreadable by this code)", "keyed", String.valueOf(rootCause(e)), ""));
            return out;
        }
        for (StateMetaInfoSnapshot s : proxy.getStateMetaInfoSnapshots()) {
            if (s.getBackendStateType() == StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE) {
                out.add(new StateEntry(s.getName(), "timers", describe(s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER)),
                        serializerClass(s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER))));
                continue;
            }
            TypeSerializerSnapshot<?> value = s.getTypeSerializerSnapshot(StateMetaInfoSnapshot.CommonSerializerKeys.VALUE_SERIALIZER);
            out.add(new StateEntry(s.getName(), "keyed " + s.getOption(StateMetaInfoSnapshot.CommonOptionsKeys.KEYED_STATE_TYPE),
                    describe(value), serializerClass(value)));
        }
        return out;
    }

    private static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t;
    }

    private static String serializerClass(TypeSerializerSnapshot<?> snapshot) {
        if (snapshot == null) return "";
        try {
            return snapshot.restoreSerializer().getClass().getName();
        } catch (RuntimeException e) {
            return snapshot.getClass().getName();
        }
    }

    static String describe(TypeSerializerSnapshot<?> snapshot) {
        if (snapshot == null) return "";
        try {
            return describe(snapshot.restoreSerializer());
        } catch (RuntimeException e) {
            return snapshot.getClass().getSimpleName();
        }
    }

    /** {@code List<BeatSerializer v1>}, {@code PojoSerializer<AdViewsState>}, {@code StringSerializer}, ... */
    static String describe(TypeSerializer<?> s) {
        if (s instanceof ListSerializer) return "List<" + describe(((ListSerializer<?>) s).getElementSerializer()) + ">";
        if (s instanceof MapSerializer) {
            MapSerializer<?, ?> m = (MapSerializer<?, ?>) s;
            return "Map<" + describe(m.getKeySerializer()) + ", " + describe(m.getValueSerializer()) + ">";
        }
        String name = s.getClass().getSimpleName();
        if (s instanceof org.apache.flink.api.java.typeutils.runtime.PojoSerializer) {
            return name + "<" + s.createInstance().getClass().getSimpleName() + ">";
        }
        Integer version = formatVersion(s);
        return version == null ? name : name + " v" + version;
    }

    /** The format version of the suite's versioned serializers (a {@code readVersion} field), if it has one. */
    private static Integer formatVersion(TypeSerializer<?> s) {
        for (Class<?> c = s.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            try {
                java.lang.reflect.Field f = c.getDeclaredField("readVersion");
                if (f.getType() != int.class) return null;
                f.setAccessible(true);
                return f.getInt(s);
            } catch (NoSuchFieldException e) {
                // try the superclass
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    /** One line per operator and its states, for logs and failure messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        for (OperatorEntry o : operators) {
            sb.append("  operator ").append(o.label()).append(" id ").append(o.operatorId).append(", parallelism ").append(o.parallelism)
                    .append(" (max ").append(o.maxParallelism).append("), ").append(o.stateBytes).append(" bytes: ").append(o.states).append('\n');
        }
        return sb.toString();
    }

    /** Total size of the files of a savepoint directory. */
    public static long sizeOnDisk(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sum();
        }
    }
}
