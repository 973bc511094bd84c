package dev.heartbeats.schema.maintenance;

import dev.heartbeats.common.config.JdbcConfig;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Re-attributes watch time written while the catalog did not know its video: {@code content_watch_hourly} rows with
 * a NULL {@code licensor_id} whose video now has a licensor in {@code videos} get that licensor. In bounded batches
 * (at most {@code batchSize} rows per statement, each its own short transaction), found through the partial index
 * {@code content_watch_hourly_unattributed} (migration V10), so a batch never scans the table. Idempotent: a row that
 * has a licensor is never touched, so running it again, or twice at once, changes nothing more.
 *
 * <p>The race with the running watch-time job, which upserts whole rows with the licensor from its cached catalog
 * lookup (a miss is cached too, for {@code --catalog-cache-ttl}): its upsert keeps a known licensor when it has none
 * ({@code COALESCE(EXCLUDED.licensor_id, content_watch_hourly.licensor_id)}, see OutputTables), so it cannot undo a
 * re-attribution; and each batch's UPDATE repeats {@code licensor_id IS NULL} on the row it locks, so a row the job
 * attributed in the meantime is left as the job wrote it. A row the job inserts with NULL after a batch passed (its
 * cache still remembering the miss) is picked up by the next run.
 */
public final class Reattribution {
    /** What a run did. */
    public record Result(long rows, long batches) {
        @Override
        public String toString() {
            return rows + " content_watch_hourly row(s) re-attributed in " + batches + " batch(es)";
        }
    }

    /** One batch: the first {@code ?} unattributed rows whose video has a licensor now, each looked up by its key. */
    static final String BATCH_SQL = String.join("\n",
            "UPDATE content_watch_hourly h SET licensor_id = b.licensor_id",
            "FROM (SELECT u.video_id, u.hour, k.licensor_id",
            "      FROM content_watch_hourly u JOIN videos k ON k.video_id = u.video_id",
            "      WHERE u.licensor_id IS NULL AND k.licensor_id IS NOT NULL",
            "      LIMIT ?) AS b",
            "WHERE h.video_id = b.video_id AND h.hour = b.hour AND h.licensor_id IS NULL");

    private Reattribution() {}

    public static Result run(JdbcConfig jdbc, int batchSize, Duration pause) throws SQLException, InterruptedException {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        try (Connection c = Batches.open(jdbc)) {
            long[] r = Batches.drain(c, BATCH_SQL, ps -> ps.setInt(1, batchSize), pause);
            return new Result(r[0], r[1]);
        }
    }
}
