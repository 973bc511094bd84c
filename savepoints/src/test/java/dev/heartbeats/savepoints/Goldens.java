package dev.heartbeats.savepoints;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** The golden savepoints the gate restores: every {@code <release>/<job>/manifest.json} under the golden directory. */
final class Goldens {
    private Goldens() {}

    /** {@code -Dsavepoints.golden.dir} (Maven sets it to savepoints/golden), else {@code golden}. */
    static Path dir() {
        return Path.of(System.getProperty("savepoints.golden.dir", "golden")).toAbsolutePath().normalize();
    }

    /** Release directories, oldest first by version (numeric parts compared as numbers). */
    static List<Path> releases() {
        if (!Files.isDirectory(dir())) return List.of();
        try (Stream<Path> s = Files.list(dir())) {
            List<Path> out = new ArrayList<>(s.filter(Files::isDirectory).toList());
            out.sort(Comparator.comparing(p -> p.getFileName().toString(), Goldens::compareVersions));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The job directories (with a manifest) of a release, by job name. */
    static List<Path> jobs(Path release) {
        try (Stream<Path> s = Files.list(release)) {
            return s.filter(p -> Files.isRegularFile(p.resolve(GoldenManifest.FILE))).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path newest(String job) {
        List<Path> r = releases();
        for (int i = r.size() - 1; i >= 0; i--) {
            Path p = r.get(i).resolve(job);
            if (Files.isRegularFile(p.resolve(GoldenManifest.FILE))) return p;
        }
        throw new IllegalStateException("no golden savepoint of job " + job + " under " + dir() + " (scripts/savepoints-regenerate.sh)");
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("[.-]"), y = b.split("[.-]");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d+") && y[i].matches("\\d+") ? Long.compare(Long.parseLong(x[i]), Long.parseLong(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    }
}
