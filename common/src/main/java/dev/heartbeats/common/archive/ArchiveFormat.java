package dev.heartbeats.common.archive;

import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.formats.parquet.ParquetInputFile;
import org.apache.flink.formats.parquet.ParquetWriterFactory;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.conf.PlainParquetConfiguration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The archive's file format: Parquet, one row per Kafka record ({@link ArchiveRecord}), ZSTD-compressed.
 *
 * <p>Each file's footer also says, per Kafka partition, the first and last offset it holds
 * ({@value #OFFSETS_KEY}) and the range of its records' timestamps: a restatement orders the files from their footers
 * alone so that every partition is read in offset order ({@link ArchiveSource}), without reading the rows twice.
 */
public final class ArchiveFormat {
    private ArchiveFormat() {}

    public static final String OFFSETS_KEY = "heartbeats.archive.offsets";
    public static final String TIMESTAMPS_KEY = "heartbeats.archive.timestamps";
    public static final String RECORDS_KEY = "heartbeats.archive.records";

    public static final MessageType SCHEMA = Types.buildMessage()
            .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("topic")
            .required(PrimitiveTypeName.INT32).named("partition")
            .required(PrimitiveTypeName.INT64).named("offset")
            .required(PrimitiveTypeName.INT64).as(LogicalTypeAnnotation.timestampType(true, LogicalTypeAnnotation.TimeUnit.MILLIS)).named("timestamp")
            .required(PrimitiveTypeName.BINARY).as(LogicalTypeAnnotation.stringType()).named("timestamp_type")
            .optional(PrimitiveTypeName.BINARY).named("key")
            .optional(PrimitiveTypeName.BINARY).named("value")
            .named("heartbeat_record");

    /**
     * Row groups a quarter of Parquet's default: a writer holds its open row group in memory, one per bucket and
     * subtask, and the files roll at a size of the same order anyway.
     */
    static final int ROW_GROUP_BYTES = 32 * 1024 * 1024;

    /** The FileSink's writer factory. */
    public static ParquetWriterFactory<ArchiveRecord> writerFactory() {
        return new ParquetWriterFactory<>(ArchiveFormat::writer);
    }

    /** A writer to {@code out}; no Hadoop configuration (parquet-java's plain one). */
    public static ParquetWriter<ArchiveRecord> writer(OutputFile out) throws IOException {
        return new WriterBuilder(out)
                .withConf(new PlainParquetConfiguration())
                .withCompressionCodec(CompressionCodecName.ZSTD)
                .withRowGroupSize((long) ROW_GROUP_BYTES)
                .withDictionaryEncoding(true)
                .build();
    }

    /** A reader of a whole archive file. */
    public static ParquetReader<ArchiveRecord> reader(InputFile in) throws IOException {
        return new ReaderBuilder(in).withConf(new PlainParquetConfiguration()).build();
    }

    /** A Flink file as parquet-java's input file (random access for the footer). */
    public static InputFile inputFile(Path path) throws IOException {
        FileSystem fs = path.getFileSystem();
        long length = fs.getFileStatus(path).getLen();
        FSDataInputStream in = fs.open(path);
        return new ParquetInputFile(in, length);
    }

    /** What a file's footer says about it. */
    public record FileSummary(Path path, Map<String, long[]> offsets, long minTimestamp, long maxTimestamp, long records) {}

    /** Reads a file's footer (not its rows). */
    public static FileSummary summary(Path path) throws IOException {
        try (ParquetFileReader r = ParquetFileReader.open(inputFile(path))) {
            Map<String, String> meta = r.getFooter().getFileMetaData().getKeyValueMetaData();
            String offsets = meta.get(OFFSETS_KEY);
            String timestamps = meta.get(TIMESTAMPS_KEY);
            if (offsets == null || timestamps == null) {
                throw new IOException(path + " is not an archive file of this suite: its footer has no " + OFFSETS_KEY + " / " + TIMESTAMPS_KEY);
            }
            Map<String, long[]> byPartition = new TreeMap<>();
            if (!offsets.isEmpty()) {
                for (String entry : offsets.split(";")) {
                    int eq = entry.lastIndexOf('=');
                    int dash = entry.indexOf('-', eq);
                    byPartition.put(entry.substring(0, eq), new long[] {Long.parseLong(entry.substring(eq + 1, dash)), Long.parseLong(entry.substring(dash + 1))});
                }
            }
            int dash = timestamps.indexOf('-', 1);
            return new FileSummary(path, byPartition, Long.parseLong(timestamps.substring(0, dash)), Long.parseLong(timestamps.substring(dash + 1)),
                    Long.parseLong(meta.getOrDefault(RECORDS_KEY, "-1")));
        }
    }

    static final class WriterBuilder extends ParquetWriter.Builder<ArchiveRecord, WriterBuilder> {
        WriterBuilder(OutputFile file) {
            super(file);
        }

        @Override
        protected WriterBuilder self() {
            return this;
        }

        @Override
        protected WriteSupport<ArchiveRecord> getWriteSupport(Configuration conf) {
            return new ArchiveWriteSupport();
        }

        @Override
        protected WriteSupport<ArchiveRecord> getWriteSupport(ParquetConfiguration conf) {
            return new ArchiveWriteSupport();
        }
    }

    /** Writes the rows and keeps, per partition, the offsets it wrote, for the footer. */
    static final class ArchiveWriteSupport extends WriteSupport<ArchiveRecord> {
        private RecordConsumer out;
        private final Map<String, long[]> offsets = new LinkedHashMap<>();
        private long minTimestamp = Long.MAX_VALUE;
        private long maxTimestamp = Long.MIN_VALUE;
        private long records;

        @Override
        public WriteContext init(Configuration configuration) {
            return new WriteContext(SCHEMA, Map.of());
        }

        @Override
        public WriteContext init(ParquetConfiguration configuration) {
            return new WriteContext(SCHEMA, Map.of());
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.out = recordConsumer;
        }

        @Override
        public void write(ArchiveRecord r) {
            out.startMessage();
            field(0, "topic", Binary.fromString(r.topic));
            out.startField("partition", 1);
            out.addInteger(r.partition);
            out.endField("partition", 1);
            out.startField("offset", 2);
            out.addLong(r.offset);
            out.endField("offset", 2);
            out.startField("timestamp", 3);
            out.addLong(r.timestamp);
            out.endField("timestamp", 3);
            field(4, "timestamp_type", Binary.fromString(r.timestampType));
            if (r.key != null) field(5, "key", Binary.fromConstantByteArray(r.key));
            if (r.value != null) field(6, "value", Binary.fromConstantByteArray(r.value));
            out.endMessage();
            long[] range = offsets.computeIfAbsent(r.partitionKey(), k -> new long[] {r.offset, r.offset});
            range[0] = Math.min(range[0], r.offset);
            range[1] = Math.max(range[1], r.offset);
            minTimestamp = Math.min(minTimestamp, r.timestamp);
            maxTimestamp = Math.max(maxTimestamp, r.timestamp);
            records++;
        }

        private void field(int index, String name, Binary value) {
            out.startField(name, index);
            out.addBinary(value);
            out.endField(name, index);
        }

        @Override
        public FinalizedWriteContext finalizeWrite() {
            StringBuilder sb = new StringBuilder();
            offsets.forEach((p, range) -> sb.append(sb.length() == 0 ? "" : ";").append(p).append('=').append(range[0]).append('-').append(range[1]));
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(OFFSETS_KEY, sb.toString());
            meta.put(TIMESTAMPS_KEY, records == 0 ? "0-0" : minTimestamp + "-" + maxTimestamp);
            meta.put(RECORDS_KEY, Long.toString(records));
            return new FinalizedWriteContext(meta);
        }
    }

    static final class ReaderBuilder extends ParquetReader.Builder<ArchiveRecord> {
        ReaderBuilder(InputFile file) {
            super(file);
        }

        @Override
        protected ReadSupport<ArchiveRecord> getReadSupport() {
            return new ArchiveReadSupport();
        }
    }

    static final class ArchiveReadSupport extends ReadSupport<ArchiveRecord> {
        @Override
        public ReadContext init(InitContext context) {
            return new ReadContext(context.getFileSchema());
        }

        @Override
        public RecordMaterializer<ArchiveRecord> prepareForRead(Configuration configuration, Map<String, String> keyValueMetaData,
                                                                MessageType fileSchema, ReadContext readContext) {
            return new Materializer(readContext.getRequestedSchema());
        }

        @Override
        public RecordMaterializer<ArchiveRecord> prepareForRead(ParquetConfiguration configuration, Map<String, String> keyValueMetaData,
                                                                MessageType fileSchema, ReadContext readContext) {
            return new Materializer(readContext.getRequestedSchema());
        }
    }

    /** Builds one {@link ArchiveRecord} per row, whatever the order of the columns in the file. */
    static final class Materializer extends RecordMaterializer<ArchiveRecord> {
        private ArchiveRecord current;
        private final GroupConverter root;

        Materializer(MessageType schema) {
            Converter[] fields = new Converter[schema.getFieldCount()];
            for (int i = 0; i < fields.length; i++) {
                switch (schema.getFieldName(i)) {
                    case "topic": fields[i] = new PrimitiveConverter() {
                        @Override public void addBinary(Binary v) { current.topic = v.toStringUsingUTF8(); } };
                        break;
                    case "partition": fields[i] = new PrimitiveConverter() {
                        @Override public void addInt(int v) { current.partition = v; } };
                        break;
                    case "offset": fields[i] = new PrimitiveConverter() {
                        @Override public void addLong(long v) { current.offset = v; } };
                        break;
                    case "timestamp": fields[i] = new PrimitiveConverter() {
                        @Override public void addLong(long v) { current.timestamp = v; } };
                        break;
                    case "timestamp_type": fields[i] = new PrimitiveConverter() {
                        @Override public void addBinary(Binary v) { current.timestampType = new String(v.getBytes(), StandardCharsets.UTF_8); } };
                        break;
                    case "key": fields[i] = new PrimitiveConverter() {
                        @Override public void addBinary(Binary v) { current.key = v.getBytes(); } };
                        break;
                    case "value": fields[i] = new PrimitiveConverter() {
                        @Override public void addBinary(Binary v) { current.value = v.getBytes(); } };
                        break;
                    default: fields[i] = new PrimitiveConverter() {};
                }
            }
            root = new GroupConverter() {
                @Override public Converter getConverter(int fieldIndex) { return fields[fieldIndex]; }

                @Override public void start() { current = new ArchiveRecord(); }

                @Override public void end() {}
            };
        }

        @Override
        public ArchiveRecord getCurrentRecord() {
            return current;
        }

        @Override
        public GroupConverter getRootConverter() {
            return root;
        }
    }
}
