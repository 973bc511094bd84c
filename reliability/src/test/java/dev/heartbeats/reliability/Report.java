package dev.heartbeats.reliability;

import dev.heartbeats.common.tables.TableSnapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * One line per fault test in {@code target/reliability-report.md} (and on stdout): what was injected, what was
 * sent, what the tables and topics hold against what they must, and how long recovery took.
 */
final class Report {
    private static boolean started;

    private Report() {}

    static final String HEADER = "| test | fault | injected | records sent | rows expected/found (watch_segments, video_progress, content_watch_hourly, ad_impressions_hourly) "
            + "| DLQ expected / routed distinct / duplicates (per job: segments, watch-time, ad-impressions) | late expected / routed distinct / duplicates (per job) "
            + "| restarts (per job) | fault → tables correct | input end → tables correct | test time |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|\n";

    static void row(String test, String fault, String injected, Expect e, Verify.Outcome o, Map<String, Long> restarts,
                    long faultAt, long inputEndAt, long testStartedAt) {
        TableSnapshot t = o.tables;
        String tables = String.format("%d/%d, %d/%d, %d/%d, %d/%d",
                e.tables.watchSegments.size(), t.watchSegments.size(), e.tables.videoProgress.size(), t.videoProgress.size(),
                e.tables.contentWatchHourly.size(), t.contentWatchHourly.size(), e.tables.adImpressionsHourly.size(), t.adImpressionsHourly.size());
        StringBuilder dlq = new StringBuilder();
        StringBuilder late = new StringBuilder();
        for (String job : JobSet.NAMES) {
            Verify.Routed d = o.dlq.get(job);
            Verify.Routed l = o.late.get(job);
            if (d == null) continue;
            if (dlq.length() > 0) {
                dlq.append("; ");
                late.append("; ");
            }
            dlq.append(e.invalid.size()).append('/').append(d.distinct()).append('/').append(d.duplicates());
            late.append(e.tooLate.size()).append('/').append(l.distinct()).append('/').append(l.duplicates());
        }
        StringBuilder r = new StringBuilder();
        for (String job : JobSet.NAMES) {
            if (!restarts.containsKey(job)) continue;
            if (r.length() > 0) r.append(", ");
            r.append(restarts.get(job));
        }
        String line = String.format("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %.1f s |",
                test, fault, injected, e.sent, tables, dlq, late, r,
                faultAt > 0 ? String.format("%.1f s", (o.tablesCorrectAt - faultAt) / 1000.0) : "–",
                String.format("%.1f s", Math.max(0, o.tablesCorrectAt - inputEndAt) / 1000.0),
                (System.currentTimeMillis() - testStartedAt) / 1000.0);
        write(line);
    }

    /** A free-form line (e.g. a fail-fast case). */
    static synchronized void write(String line) {
        System.out.println("RELIABILITY " + line);
        String file = System.getProperty("reliability.report");
        if (file == null) return;
        try {
            Path p = Path.of(file);
            Files.createDirectories(p.getParent());
            if (!started) {
                Files.writeString(p, "# Reliability report\n\n" + HEADER, StandardCharsets.UTF_8);
                started = true;
            }
            Files.writeString(p, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
