package dev.heartbeats.common.tables;

import dev.heartbeats.common.jdbc.TableSpec;

import java.util.List;

/**
 * Which rows of each output table a restatement of a time range owns: those whose time column lies in the range
 * (README, "Restatements"). The same column decides which rows the swap replaces in the live tables.
 */
public final class RestatedTables {
    private RestatedTables() {}

    /** An output table, its time column, and a row's time. */
    public record Table(String name, String timeColumn, List<String> keyColumns, String updateGuard) {}

    public static final List<Table> ALL = List.of(
            table(OutputTables.WATCH_SEGMENTS, "segment_start"),
            table(OutputTables.VIDEO_PROGRESS, "event_time"),
            table(OutputTables.CONTENT_WATCH_HOURLY, "hour"),
            table(OutputTables.AD_IMPRESSIONS_HOURLY, "hour"));

    private static Table table(TableSpec<?> spec, String timeColumn) {
        return new Table(spec.table(), timeColumn, spec.keyColumns(), spec.updateGuard());
    }

    public static Table byName(String name) {
        for (Table t : ALL) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException("not an output table: " + name);
    }

    /** The time of a row (or of a delete's key row) of one of the output tables, epoch ms. */
    public static long timeOf(Object row) {
        if (row instanceof WatchSegment w) return w.segmentStart;
        if (row instanceof VideoProgress p) return p.eventTime;
        if (row instanceof ContentWatchHourly c) return c.hour;
        if (row instanceof AdImpressionsHourly a) return a.hour;
        throw new IllegalArgumentException("not a row of an output table: " + row);
    }
}
