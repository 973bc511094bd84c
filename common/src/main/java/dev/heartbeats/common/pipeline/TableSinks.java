package dev.heartbeats.common.pipeline;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Restatement;
import dev.heartbeats.common.jdbc.Change;
import dev.heartbeats.common.jdbc.JdbcUpsertSink;
import dev.heartbeats.common.jdbc.TableSpec;
import dev.heartbeats.common.tables.RestatedTables;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.IOException;

/** The JDBC sink of an output table; in a restatement it writes only the rows of the restated range. */
public final class TableSinks {
    private TableSinks() {}

    public static <T> Sink<Change<T>> of(JobConfig cfg, TableSpec<T> spec) {
        JdbcUpsertSink<T> sink = new JdbcUpsertSink<>(cfg.jdbc, spec);
        return cfg.restatement == null ? sink : new InRange<>(sink, cfg.restatement);
    }

    /**
     * Passes on the changes of rows whose time lies in the range (RestatedTables): the warm-up and cool-down
     * rebuild other rows too, which belong to the restatements of their own ranges.
     */
    static final class InRange<T> implements Sink<Change<T>> {
        private static final long serialVersionUID = 1L;
        private final Sink<Change<T>> inner;
        private final Restatement range;

        InRange(Sink<Change<T>> inner, Restatement range) {
            this.inner = inner;
            this.range = range;
        }

        @Override
        public SinkWriter<Change<T>> createWriter(WriterInitContext context) throws IOException {
            SinkWriter<Change<T>> writer = inner.createWriter(context);
            return new SinkWriter<>() {
                @Override
                public void write(Change<T> change, Context ctx) throws IOException, InterruptedException {
                    if (range.inRange(RestatedTables.timeOf(change.row))) writer.write(change, ctx);
                }

                @Override
                public void flush(boolean endOfInput) throws IOException, InterruptedException {
                    writer.flush(endOfInput);
                }

                @Override
                public void writeWatermark(org.apache.flink.api.common.eventtime.Watermark watermark) throws IOException, InterruptedException {
                    writer.writeWatermark(watermark);
                }

                @Override
                public void close() throws Exception {
                    writer.close();
                }
            };
        }
    }
}
