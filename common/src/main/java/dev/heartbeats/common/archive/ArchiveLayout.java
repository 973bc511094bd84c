package dev.heartbeats.common.archive;

import org.apache.flink.core.fs.Path;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.BucketAssigner;
import org.apache.flink.streaming.api.functions.sink.filesystem.PartFileInfo;
import org.apache.flink.streaming.api.functions.sink.filesystem.bucketassigners.SimpleVersionedStringSerializer;
import org.apache.flink.streaming.api.functions.sink.filesystem.rollingpolicies.CheckpointRollingPolicy;

import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the archive keeps its files: {@code <archive>/date=YYYY-MM-DD/hour=HH/part-<uuid>-<n>.parquet}, by the UTC
 * date and hour of each record's Kafka timestamp (the broker's append time: the input topic is LogAppendTime). A
 * range of time is therefore a set of folders, and a lifecycle rule can act on them by age.
 */
public final class ArchiveLayout {
    private ArchiveLayout() {}

    public static final String PART_PREFIX = "part";
    public static final String PART_SUFFIX = ".parquet";
    private static final DateTimeFormatter BUCKET = DateTimeFormatter.ofPattern("'date='yyyy-MM-dd'/hour='HH").withZone(ZoneOffset.UTC);
    private static final long HOUR_MS = 3_600_000L;

    /** The bucket (relative folder) of a record with Kafka timestamp {@code timestampMs}. */
    public static String bucket(long timestampMs) {
        return BUCKET.format(Instant.ofEpochMilli(Math.max(0, timestampMs)));
    }

    /** The hour folders that can hold records with timestamps in [fromMs, toMs), oldest first. */
    public static List<Path> hourDirs(Path archive, long fromMs, long toMs) {
        List<Path> out = new ArrayList<>();
        for (long h = Math.floorDiv(fromMs, HOUR_MS) * HOUR_MS; h < toMs; h += HOUR_MS) out.add(new Path(archive, bucket(h)));
        return out;
    }

    /** The archived part files of the hours overlapping [fromMs, toMs) (in-progress and pending files excluded). */
    public static List<Path> files(Path archive, long fromMs, long toMs) throws IOException {
        List<Path> out = new ArrayList<>();
        var fs = archive.getFileSystem();
        for (Path dir : hourDirs(archive, fromMs, toMs)) {
            if (!fs.exists(dir)) continue;
            var statuses = fs.listStatus(dir);
            if (statuses == null) continue;
            for (var st : statuses) {
                String name = st.getPath().getName();
                // FileSink's in-progress and pending files are hidden (".part-..."): only committed files count.
                if (!st.isDir() && name.startsWith(PART_PREFIX) && name.endsWith(PART_SUFFIX)) out.add(st.getPath());
            }
        }
        return out;
    }

    /** Truncates to the hour (UTC). */
    public static long hourOf(long epochMs) {
        return Instant.ofEpochMilli(epochMs).truncatedTo(ChronoUnit.HOURS).toEpochMilli();
    }

    /** Buckets by the UTC date and hour of the record's Kafka timestamp. */
    public static final class HourBuckets implements BucketAssigner<ArchiveRecord, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getBucketId(ArchiveRecord element, Context context) {
            return bucket(element.timestamp);
        }

        @Override
        public SimpleVersionedSerializer<String> getSerializer() {
            return SimpleVersionedStringSerializer.INSTANCE;
        }
    }

    /**
     * The small-file policy. A bulk format can only be committed whole, so every checkpoint closes the open part
     * files (that is what makes the archive exactly once); in between, a file also rolls when it reaches
     * {@code maxBytes} or has been open for {@code rolloverMs}. The archive job's checkpoint interval therefore
     * sets how many files an hour gets (k8s/README.md, "The archive").
     */
    public static final class RollingPolicy extends CheckpointRollingPolicy<ArchiveRecord, String> {
        private static final long serialVersionUID = 1L;
        private final long maxBytes;
        private final long rolloverMs;

        public RollingPolicy(long maxBytes, long rolloverMs) {
            this.maxBytes = maxBytes;
            this.rolloverMs = rolloverMs;
        }

        @Override
        public boolean shouldRollOnEvent(PartFileInfo<String> partFileState, ArchiveRecord element) throws IOException {
            return partFileState.getSize() >= maxBytes;
        }

        @Override
        public boolean shouldRollOnProcessingTime(PartFileInfo<String> partFileState, long currentTime) {
            return currentTime - partFileState.getCreationTime() >= rolloverMs;
        }
    }
}
