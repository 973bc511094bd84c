package dev.heartbeats.common.archive;

import dev.heartbeats.common.config.Restatement;
import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.common.kafka.IngestDeserializer;
import dev.heartbeats.common.kafka.IngestedRecord;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.assigners.FileSplitAssigner;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.connector.file.src.reader.StreamFormat;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.parquet.ParquetInputFile;
import org.apache.parquet.hadoop.ParquetReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;

/**
 * The archive as a bounded FLIP-27 {@link FileSource} of {@link IngestedRecord}s for a restatement: the same records
 * the Kafka source gave the live jobs (same bytes, partition, offset and timestamp, parsed by the same code), every
 * Kafka partition in offset order, so that the too-late decisions and the dead letters are the live run's.
 *
 * <p>A part file holds the records one archive subtask wrote between two checkpoints, several partitions
 * interleaved, each in offset order. The enumerator orders the files from their footers ({@link ArchiveFormat}) so
 * that, for every partition, a file comes after every file holding earlier offsets of it (files of one partition
 * never overlap: the archive is exactly once), and one reader reads them in that order, one after the other. The
 * reader checks the order as it goes and fails, naming the file, on an offset it has already passed.
 */
public final class ArchiveSource {
    private static final Logger LOG = LoggerFactory.getLogger(ArchiveSource.class);

    private ArchiveSource() {}

    public static FileSource<IngestedRecord> of(Restatement r, ContractParams params) {
        Path archive = new Path(r.archiveDir);
        long readFrom = r.readFromMs();
        long readTo = r.readToMs();
        return FileSource.forRecordStreamFormat(new Format(params, readFrom, readTo, r.fromMs, r.toMs), archive)
                .setFileEnumerator(() -> new OrderedEnumerator(readFrom, readTo))
                .setSplitAssigner(InOrderAssigner::new)
                .build();
    }

    /** The files of the hours overlapping [readFrom, readTo), in an order that keeps every partition's offsets ascending. */
    static final class OrderedEnumerator implements FileEnumerator {
        private final long readFrom;
        private final long readTo;

        OrderedEnumerator(long readFrom, long readTo) {
            this.readFrom = readFrom;
            this.readTo = readTo;
        }

        @Override
        public Collection<FileSourceSplit> enumerateSplits(Path[] paths, int minDesiredSplits) throws IOException {
            List<ArchiveFormat.FileSummary> files = new ArrayList<>();
            for (Path archive : paths) {
                for (Path p : ArchiveLayout.files(archive, readFrom, readTo)) {
                    ArchiveFormat.FileSummary s = ArchiveFormat.summary(p);
                    if (s.records() != 0 && s.maxTimestamp() >= readFrom && s.minTimestamp() < readTo) files.add(s);
                }
            }
            List<ArchiveFormat.FileSummary> ordered = order(files);
            List<FileSourceSplit> splits = new ArrayList<>(ordered.size());
            int i = 0;
            for (ArchiveFormat.FileSummary s : ordered) {
                var status = s.path().getFileSystem().getFileStatus(s.path());
                splits.add(new FileSourceSplit(String.format("%08d", i++), s.path(), 0, status.getLen(), status.getModificationTime(), status.getLen()));
            }
            LOG.info("Restatement reads {} archive files with records from {} to {}", splits.size(), Instant.ofEpochMilli(readFrom), Instant.ofEpochMilli(readTo));
            return splits;
        }
    }

    /**
     * A topological order of the files: per partition, each file before the next one holding its later offsets; among
     * files free to go, the oldest first. Fails on files whose offsets of one partition overlap (a record twice, or a
     * partition's records spread over two hour folders in interleaved order, as when the broker's clock stepped back
     * across an hour).
     */
    static List<ArchiveFormat.FileSummary> order(List<ArchiveFormat.FileSummary> files) throws IOException {
        Map<String, List<ArchiveFormat.FileSummary>> byPartition = new TreeMap<>();
        for (ArchiveFormat.FileSummary f : files) for (String p : f.offsets().keySet()) byPartition.computeIfAbsent(p, k -> new ArrayList<>()).add(f);
        Map<ArchiveFormat.FileSummary, List<ArchiveFormat.FileSummary>> next = new HashMap<>();
        Map<ArchiveFormat.FileSummary, Integer> before = new HashMap<>();
        for (ArchiveFormat.FileSummary f : files) before.put(f, 0);
        for (Map.Entry<String, List<ArchiveFormat.FileSummary>> e : byPartition.entrySet()) {
            String p = e.getKey();
            List<ArchiveFormat.FileSummary> list = e.getValue();
            list.sort(Comparator.comparingLong(f -> f.offsets().get(p)[0]));
            for (int i = 1; i < list.size(); i++) {
                ArchiveFormat.FileSummary a = list.get(i - 1);
                ArchiveFormat.FileSummary b = list.get(i);
                if (a.offsets().get(p)[1] >= b.offsets().get(p)[0]) {
                    throw new IOException("archive files overlap in partition " + p + ": " + a.path() + " holds offsets " + range(a, p) + " and "
                            + b.path() + " holds " + range(b, p) + "; a restatement needs every partition in offset order");
                }
                next.computeIfAbsent(a, k -> new ArrayList<>()).add(b);
                before.merge(b, 1, Integer::sum);
            }
        }
        PriorityQueue<ArchiveFormat.FileSummary> free = new PriorityQueue<>(
                Comparator.comparingLong(ArchiveFormat.FileSummary::minTimestamp).thenComparing(f -> f.path().toString()));
        for (ArchiveFormat.FileSummary f : files) if (before.get(f) == 0) free.add(f);
        List<ArchiveFormat.FileSummary> out = new ArrayList<>(files.size());
        while (!free.isEmpty()) {
            ArchiveFormat.FileSummary f = free.poll();
            out.add(f);
            for (ArchiveFormat.FileSummary n : next.getOrDefault(f, List.of())) if (before.merge(n, -1, Integer::sum) == 0) free.add(n);
        }
        if (out.size() != files.size()) throw new IOException("archive files cannot be put in offset order for every partition (a cycle)");
        return out;
    }

    private static String range(ArchiveFormat.FileSummary f, String p) {
        long[] r = f.offsets().get(p);
        return r[0] + ".." + r[1];
    }

    /** Hands the splits out in the enumerator's order; splits a failed reader gives back go first again. */
    static final class InOrderAssigner implements FileSplitAssigner {
        private final Deque<FileSourceSplit> splits;

        InOrderAssigner(Collection<FileSourceSplit> initial) {
            this.splits = new ArrayDeque<>(initial);
        }

        @Override
        public Optional<FileSourceSplit> getNext(String hostname) {
            return Optional.ofNullable(splits.pollFirst());
        }

        @Override
        public void addSplits(Collection<FileSourceSplit> returned) {
            List<FileSourceSplit> list = new ArrayList<>(returned);
            list.sort(Comparator.comparing(FileSourceSplit::splitId));
            for (int i = list.size() - 1; i >= 0; i--) splits.addFirst(list.get(i));
        }

        @Override
        public Collection<FileSourceSplit> remainingSplits() {
            return new ArrayList<>(splits);
        }
    }

    /**
     * Reads one archive file: the records with timestamps in the read range, parsed as the Kafka source parses them,
     * marked {@link IngestedRecord#outsideRange} when outside the restated range.
     */
    static final class Format implements StreamFormat<IngestedRecord> {
        private static final long serialVersionUID = 1L;
        private final ContractParams params;
        private final long readFrom;
        private final long readTo;
        private final long rangeFrom;
        private final long rangeTo;
        /** The last offset read per partition, across the files this subtask reads: the order check. */
        private transient Map<String, Long> lastOffsets;

        Format(ContractParams params, long readFrom, long readTo, long rangeFrom, long rangeTo) {
            this.params = params;
            this.readFrom = readFrom;
            this.readTo = readTo;
            this.rangeFrom = rangeFrom;
            this.rangeTo = rangeTo;
        }

        @Override
        public Reader<IngestedRecord> createReader(Configuration config, FSDataInputStream stream, long fileLen, long splitEnd) throws IOException {
            if (lastOffsets == null) lastOffsets = new HashMap<>();
            return new FileReader(ArchiveFormat.reader(new ParquetInputFile(stream, fileLen)));
        }

        @Override
        public Reader<IngestedRecord> restoreReader(Configuration config, FSDataInputStream stream, long restoredOffset, long fileLen, long splitEnd)
                throws IOException {
            // Not splittable: a restored split starts from the beginning and skips the records it had emitted.
            stream.seek(0);
            return createReader(config, stream, fileLen, splitEnd);
        }

        @Override
        public boolean isSplittable() {
            return false;
        }

        @Override
        public TypeInformation<IngestedRecord> getProducedType() {
            return TypeInformation.of(IngestedRecord.class);
        }

        private final class FileReader implements Reader<IngestedRecord> {
            private final ParquetReader<ArchiveRecord> rows;
            private final HeartbeatParser parser = new HeartbeatParser();

            FileReader(ParquetReader<ArchiveRecord> rows) {
                this.rows = rows;
            }

            @Override
            public IngestedRecord read() throws IOException {
                ArchiveRecord a;
                while ((a = rows.read()) != null) {
                    if (a.timestamp < readFrom || a.timestamp >= readTo) continue;
                    Long last = lastOffsets.put(a.partitionKey(), a.offset);
                    if (last != null && a.offset <= last) {
                        throw new IOException("archive out of offset order: " + a + " after offset " + last + " of its partition");
                    }
                    IngestedRecord r = IngestDeserializer.ingest(parser, params, a.topic, a.partition, a.offset, a.timestamp, a.key, a.value);
                    r.outsideRange = a.timestamp < rangeFrom || a.timestamp >= rangeTo;
                    return r;
                }
                return null;
            }

            @Override
            public void close() throws IOException {
                rows.close();
            }
        }
    }
}
