package dev.heartbeats.savepoints;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code golden/<release>/<job>/manifest.json}: what a golden savepoint is, where it came from, what input it saw,
 * what was still open in it, and how to continue it. Written by {@link GoldenSavepoints}, read by the gate.
 */
public final class GoldenManifest {
    public static final String FILE = "manifest.json";
    public static final String SAVEPOINT_DIR = "savepoint";
    public static final String TABLES_DIR = "tables";
    public static final int FORMAT = 1;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    public int format = FORMAT;
    public String release;
    public String job;
    public String jobClass;
    public String projectVersion;
    public String flinkVersion;
    public String createdAt;
    /** Which code wrote the state: commit, uncommitted changes, and a hash of the state types' sources. */
    public Source source = new Source();
    public Input input = new Input();
    /** The job's settings when the savepoint was taken, without Kafka/JDBC endpoints (the gate adds its own). */
    public List<String> jobArgs = new ArrayList<>();
    public Savepoint savepoint = new Savepoint();
    /** What was still open (in state) when the savepoint was taken, e.g. open pairs, buffered heartbeats. */
    public Map<String, Long> open = new LinkedHashMap<>();
    /** Rows of the job's tables when the savepoint was taken (stored in tables/). */
    public Map<String, Integer> tableRows = new LinkedHashMap<>();
    public List<SavepointInventory.OperatorEntry> operators = new ArrayList<>();

    public static final class Source {
        public String gitCommit;
        /** Files under common/src/main/java/dev/heartbeats/common/sessionize that differed from the commit. */
        public List<String> uncommittedStateCode = new ArrayList<>();
        /** SHA-256 over the sources of common/sessionize (state types and serializers) as they were. */
        public String stateCodeSha256;
    }

    public static final class Input {
        /** Relative to the manifest. */
        public String file;
        public String generator;
        public long seed;
        public long startTime;
        public int records;
        /** Records [0, firstPart) were consumed before the savepoint; [firstPart, records) are for the restored job. */
        public int firstPart;
        public String firstPartSha256;
        public String allSha256;
        public String topic;
        public int partitions;
        /** Next offset per partition after the first part: where the restored Kafka source continues. */
        public Map<Integer, Long> firstPartEndOffsets = new LinkedHashMap<>();
        /** Of the first part: invalid records (to the DLQ) and too-late ones, under the suite's rule. */
        public long firstPartInvalid;
        public long firstPartTooLate;
    }

    public static final class Savepoint {
        public String dir = SAVEPOINT_DIR;
        public String format = "CANONICAL";
        public String stateBackend = "rocksdb";
        public int parallelism;
        public long bytes;
        public long takeMillis;
    }

    public void write(Path dir) throws IOException {
        JSON.writeValue(dir.resolve(FILE).toFile(), this);
    }

    public static GoldenManifest read(Path dir) throws IOException {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) throw new IOException("golden savepoint " + dir + " has no " + FILE);
        GoldenManifest m = JSON.readValue(f.toFile(), GoldenManifest.class);
        if (m.format > FORMAT) throw new IOException(f + ": manifest format " + m.format + " is newer than this code reads (" + FORMAT + ")");
        return m;
    }

    public String label() {
        return release + "/" + job;
    }
}
