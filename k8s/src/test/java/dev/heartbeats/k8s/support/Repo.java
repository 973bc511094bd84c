package dev.heartbeats.k8s.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Where things are: the repository, the k8s module, the reference CRDs and schemas (all inside the repository). */
public final class Repo {
    private Repo() {}

    public static Path root() {
        String r = System.getProperty("repo.root");
        Path p = r != null ? Path.of(r) : Path.of(System.getProperty("user.dir")).resolve("..");
        return p.toAbsolutePath().normalize();
    }

    public static Path k8s() {
        return root().resolve("k8s");
    }

    public static Path overlay(String name) {
        return k8s().resolve("overlays").resolve(name);
    }

    /** The overlays: every directory under k8s/overlays with a kustomization.yaml. */
    public static List<String> overlays() {
        try (Stream<Path> s = Files.list(k8s().resolve("overlays"))) {
            return s.filter(p -> Files.isRegularFile(p.resolve("kustomization.yaml")))
                    .map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The operators' CRDs the manifests are validated against: k8s/crds (copies of the releases, see its README). */
    public static Path crdsDir() {
        return k8s().resolve("crds");
    }

    public static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The project version (root pom's own version), as surefire passes it, else read from the pom. */
    public static String projectVersion() {
        String v = System.getProperty("project.version");
        return v != null ? v : pomValue(root().resolve("pom.xml"), "^  <version>([^<]+)</version>");
    }

    /** A property of the root pom, e.g. flink.version (read from the file: the test compares against the source). */
    public static String rootPomProperty(String name) {
        return pomValue(root().resolve("pom.xml"), "<" + Pattern.quote(name) + ">([^<]+)</" + Pattern.quote(name) + ">");
    }

    public static String pomValue(Path pom, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(read(pom));
        if (!m.find()) throw new IllegalStateException(pom + ": nothing matches " + regex);
        return m.group(1).trim();
    }

    /** The artifactId of a module's pom (the first one after the parent block). */
    public static String artifactId(Path moduleDir) {
        String pom = read(moduleDir.resolve("pom.xml")).replaceAll("(?s)<parent>.*?</parent>", "");
        Matcher m = Pattern.compile("<artifactId>([^<]+)</artifactId>").matcher(pom);
        if (!m.find()) throw new IllegalStateException(moduleDir + "/pom.xml has no artifactId");
        return m.group(1).trim();
    }
}
