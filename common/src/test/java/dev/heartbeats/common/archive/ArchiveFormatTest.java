package dev.heartbeats.common.archive;

import org.apache.flink.api.common.serialization.BulkWriter;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.hadoop.ParquetReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The archive's Parquet files: every field of a record back as written, the footer's offsets, and the read order. */
class ArchiveFormatTest {
    @TempDir
    java.nio.file.Path dir;

    static ArchiveRecord record(int partition, long offset, long ts, String key, byte[] value) {
        ArchiveRecord r = new ArchiveRecord();
        r.topic = "heartbeats";
        r.partition = partition;
        r.offset = offset;
        r.timestamp = ts;
        r.timestampType = "LogAppendTime";
        r.key = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
        r.value = value;
        return r;
    }

    Path write(String name, List<ArchiveRecord> records) throws IOException {
        Path path = new Path(dir.resolve(name).toUri());
        try (FSDataOutputStream out = FileSystem.getLocalFileSystem().create(path, FileSystem.WriteMode.NO_OVERWRITE)) {
            BulkWriter<ArchiveRecord> w = ArchiveFormat.writerFactory().create(out);
            for (ArchiveRecord r : records) w.addElement(r);
            w.finish();
        }
        return path;
    }

    @Test
    void everyFieldComesBackAndTheFooterHoldsEachPartitionsOffsets() throws IOException {
        byte[] invalidUtf8 = {(byte) 0xff, (byte) 0xfe, 0x00, '{'};
        List<ArchiveRecord> in = List.of(
                record(0, 10, 1_000, "u1", "{\"a\":1}".getBytes(StandardCharsets.UTF_8)),
                record(1, 5, 1_001, null, invalidUtf8),
                record(0, 11, 999, "u2", null),
                record(1, 7, 2_000, "", new byte[0]));
        Path path = write("part-a.parquet", in);

        List<ArchiveRecord> out = new ArrayList<>();
        try (ParquetReader<ArchiveRecord> r = ArchiveFormat.reader(ArchiveFormat.inputFile(path))) {
            for (ArchiveRecord a; (a = r.read()) != null; ) out.add(a);
        }
        assertThat(out).hasSize(4);
        for (int i = 0; i < in.size(); i++) {
            assertThat(out.get(i)).usingRecursiveComparison().isEqualTo(in.get(i));
        }
        ArchiveFormat.FileSummary s = ArchiveFormat.summary(path);
        assertThat(s.offsets()).containsOnlyKeys("heartbeats:0", "heartbeats:1");
        assertThat(s.offsets().get("heartbeats:0")).containsExactly(10, 11);
        assertThat(s.offsets().get("heartbeats:1")).containsExactly(5, 7);
        assertThat(s.minTimestamp()).isEqualTo(999);
        assertThat(s.maxTimestamp()).isEqualTo(2_000);
        assertThat(s.records()).isEqualTo(4);
    }

    @Test
    void filesAreOrderedSoThatEveryPartitionIsInOffsetOrder() throws IOException {
        // c holds the earliest offsets of b's second partition but the latest timestamps: it must still come before b.
        Path a = write("part-a.parquet", List.of(record(0, 0, 100, "k", null), record(0, 1, 101, "k", null)));
        Path b = write("part-b.parquet", List.of(record(0, 2, 50, "k", null), record(1, 5, 51, "k", null)));
        Path c = write("part-c.parquet", List.of(record(1, 3, 900, "k", null), record(1, 4, 901, "k", null)));
        List<ArchiveFormat.FileSummary> order = ArchiveSource.order(new ArrayList<>(List.of(
                ArchiveFormat.summary(b), ArchiveFormat.summary(c), ArchiveFormat.summary(a))));
        assertThat(order).extracting(f -> f.path().getName()).containsExactly("part-a.parquet", "part-c.parquet", "part-b.parquet");
    }

    @Test
    void overlappingFilesOfOnePartitionAreRefusedNamingThem() throws IOException {
        Path a = write("part-a.parquet", List.of(record(0, 0, 100, "k", null), record(0, 2, 101, "k", null)));
        Path b = write("part-b.parquet", List.of(record(0, 1, 100, "k", null)));
        assertThatThrownBy(() -> ArchiveSource.order(new ArrayList<>(List.of(ArchiveFormat.summary(a), ArchiveFormat.summary(b)))))
                .hasMessageContaining("overlap in partition heartbeats:0").hasMessageContaining("part-a.parquet").hasMessageContaining("part-b.parquet");
    }

    @Test
    void bucketsAreTheUtcDateAndHourOfTheKafkaTimestamp() {
        assertThat(ArchiveLayout.bucket(java.time.Instant.parse("2026-12-05T07:59:59.999Z").toEpochMilli())).isEqualTo("date=2026-12-05/hour=07");
        assertThat(ArchiveLayout.hourDirs(new Path("/a"), java.time.Instant.parse("2026-12-05T22:30:00Z").toEpochMilli(),
                java.time.Instant.parse("2026-12-06T00:00:01Z").toEpochMilli()))
                .extracting(Path::toString).containsExactly("/a/date=2026-12-05/hour=22", "/a/date=2026-12-05/hour=23", "/a/date=2026-12-06/hour=00");
    }
}
