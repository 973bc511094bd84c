package dev.heartbeats.common.config;

import dev.heartbeats.common.contract.ContractParams;

import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * A job run that reads the archive for a range of time instead of Kafka (a restatement), and what the range means.
 *
 * <p>Restating {@code [from, to)} recomputes every output row whose time lies in the range ({@code segment_start},
 * the resume point's {@code event_time}, the {@code hour} of the hourly tables) and routes again the records whose
 * Kafka timestamp lies in it. Rows depend on records before and after them, so the job reads the archived records
 * with timestamps in {@code [from - warm-up, to + cool-down)}, every Kafka partition in offset order, through the same
 * parsing and routing as a live run: the warm-up rebuilds each partition's too-late state and the sessions open at
 * {@code from} (a session lasts at most M), the cool-down brings the later heartbeats that still change the range's
 * rows (a segment grows until its session ends; a heartbeat counts until it is L behind its partition's watermark).
 * Rows outside the range are not written, and the dead letters of records outside it are not sent again.
 *
 * <p>The defaults, M + G + L + F + out-of-orderness on each side, make the result equal to the live run's when the
 * input arrives about when it happens (event time within F ahead of and the warm-up behind its Kafka timestamp, and
 * some traffic on every partition within the warm-up) and every pair watching at {@code from} had a break (a pause
 * longer than G, or a stop) within the warm-up: sessions chain (one that reaches M ends and the next starts at the
 * following heartbeat), so a pair that watches without a break carries its session boundaries from the start of that
 * viewing. A partition that carried a backlog much older than that, or a player left running for longer than M, needs
 * a longer warm-up.
 */
public final class Restatement implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final Option<String> ARCHIVE_DIR = Option.string("archive-dir", null,
            "the archive of the input topic (a folder, file:///... or s3://...): where the archive job writes it; with --restate-from and "
                    + "--restate-to a job reads its input from here instead of Kafka").optional();
    public static final Option<String> RESTATE_FROM = Option.string("restate-from", null,
            "restatement: start of the range (inclusive), a whole UTC hour such as 2026-11-01T00:00:00Z; needs --archive-dir and --restate-to").optional();
    public static final Option<String> RESTATE_TO = Option.string("restate-to", null,
            "restatement: end of the range (exclusive), a whole UTC hour").optional();
    public static final Option<Duration> RESTATE_WARM_UP = Option.duration("restate-warm-up", "0s",
            "restatement: archived records this long before the range are read to rebuild state, not written "
                    + "(default: max-session + session-gap + allowed-lateness + max-clock-skew + out-of-orderness)").optional();
    public static final Option<Duration> RESTATE_COOL_DOWN = Option.duration("restate-cool-down", "0s",
            "restatement: archived records this long after the range are read for the changes they still make to the range's rows "
                    + "(default: the same as the warm-up)").optional();

    public static final List<Option<?>> OPTIONS = List.of(ARCHIVE_DIR, RESTATE_FROM, RESTATE_TO, RESTATE_WARM_UP, RESTATE_COOL_DOWN);

    private static final long HOUR_MS = 3_600_000L;

    public final String archiveDir;
    public final long fromMs;
    public final long toMs;
    public final long warmUpMs;
    public final long coolDownMs;

    public Restatement(String archiveDir, long fromMs, long toMs, long warmUpMs, long coolDownMs) {
        this.archiveDir = archiveDir;
        this.fromMs = fromMs;
        this.toMs = toMs;
        this.warmUpMs = warmUpMs;
        this.coolDownMs = coolDownMs;
    }

    /** The restatement the settings ask for, or {@code null} for a run from Kafka. */
    static Restatement of(Settings s, ContractParams p, long outOfOrdernessMs) {
        String fromText = s.get(RESTATE_FROM);
        String toText = s.get(RESTATE_TO);
        if (fromText == null && toText == null) {
            if (s.get(RESTATE_WARM_UP) != null) throw new ConfigException("--" + RESTATE_WARM_UP.name + ": only with --" + RESTATE_FROM.name + " and --" + RESTATE_TO.name);
            if (s.get(RESTATE_COOL_DOWN) != null) throw new ConfigException("--" + RESTATE_COOL_DOWN.name + ": only with --" + RESTATE_FROM.name + " and --" + RESTATE_TO.name);
            return null;
        }
        if (fromText == null) throw new ConfigException("--" + RESTATE_FROM.name + ": required with --" + RESTATE_TO.name);
        if (toText == null) throw new ConfigException("--" + RESTATE_TO.name + ": required with --" + RESTATE_FROM.name);
        String archive = s.get(ARCHIVE_DIR);
        if (archive == null) throw new ConfigException("--" + ARCHIVE_DIR.name + ": required for a restatement (the archive to read instead of Kafka)");
        long from = hour(RESTATE_FROM, fromText);
        long to = hour(RESTATE_TO, toText);
        if (to <= from) throw new ConfigException("--" + RESTATE_TO.name + ": " + toText + " must be after --" + RESTATE_FROM.name + " " + fromText);
        long margin = defaultMarginMs(p, outOfOrdernessMs);
        long warmUp = s.get(RESTATE_WARM_UP) != null ? s.get(RESTATE_WARM_UP).toMillis() : margin;
        long coolDown = s.get(RESTATE_COOL_DOWN) != null ? s.get(RESTATE_COOL_DOWN).toMillis() : warmUp;
        return new Restatement(archiveUri(archive), from, to, warmUp, coolDown);
    }

    /** M + G + L + F + out-of-orderness: see the class comment. */
    public static long defaultMarginMs(ContractParams p, long outOfOrdernessMs) {
        return p.maxSessionMs + p.sessionGapMs + p.allowedLatenessMs + p.maxClockSkewMs + outOfOrdernessMs;
    }

    /** A folder, or a URI with a scheme, as the URI Flink's file systems take. */
    public static String archiveUri(String archive) {
        if (archive.contains("://")) return archive;
        return java.nio.file.Path.of(archive).toAbsolutePath().toUri().toString();
    }

    private static long hour(Option<String> setting, String text) {
        Instant t;
        try {
            t = Instant.parse(text.trim());
        } catch (DateTimeParseException e) {
            throw new ConfigException("--" + setting.name + ": cannot parse '" + text + "': expected an instant such as 2026-11-01T00:00:00Z");
        }
        if (t.toEpochMilli() % HOUR_MS != 0) {
            throw new ConfigException("--" + setting.name + ": '" + text + "' must be a whole UTC hour (the hourly tables are restated hour by hour)");
        }
        return t.toEpochMilli();
    }

    /** The archived records read: [from - warm-up, to + cool-down). */
    public long readFromMs() {
        return fromMs - warmUpMs;
    }

    public long readToMs() {
        return toMs + coolDownMs;
    }

    /** Whether a row or record time lies in the restated range. */
    public boolean inRange(long epochMs) {
        return epochMs >= fromMs && epochMs < toMs;
    }

    @Override
    public String toString() {
        return "[" + Instant.ofEpochMilli(fromMs) + ", " + Instant.ofEpochMilli(toMs) + ") from " + archiveDir + " (reading "
                + Instant.ofEpochMilli(readFromMs()) + " .. " + Instant.ofEpochMilli(readToMs()) + ")";
    }
}
