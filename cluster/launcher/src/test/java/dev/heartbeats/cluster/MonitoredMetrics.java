package dev.heartbeats.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The Flink metric names that the monitoring component's dashboards query. */
final class MonitoredMetrics {
    private MonitoredMetrics() {}

    static SortedSet<String> names(Path repoRoot) throws IOException {
        SortedSet<String> names = new TreeSet<>();
        Pattern metric = Pattern.compile("\\bflink_[A-Za-z0-9_]+");
        try (Stream<Path> files = Files.walk(repoRoot.resolve("k8s/components/monitoring"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                Matcher m = metric.matcher(Files.readString(f));
                while (m.find()) names.add(m.group());
            }
        }
        return names;
    }
}
