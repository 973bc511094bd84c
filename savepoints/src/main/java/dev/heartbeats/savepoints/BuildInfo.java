package dev.heartbeats.savepoints;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The project and Flink versions of this build (Maven filters them into savepoints-build.properties). */
public final class BuildInfo {
    private BuildInfo() {}

    private static final Properties PROPS = load();

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("/savepoints-build.properties")) {
            if (in == null) throw new IllegalStateException("savepoints-build.properties is missing from the classpath (build the savepoints module with Maven)");
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    public static String projectVersion() {
        return PROPS.getProperty("project.version");
    }

    public static String flinkVersion() {
        return PROPS.getProperty("flink.version");
    }

    /** The release a build of {@code version} prepares: {@code 0.2.0-SNAPSHOT} → {@code 0.2.0}. */
    public static String release(String version) {
        return version.endsWith("-SNAPSHOT") ? version.substring(0, version.length() - "-SNAPSHOT".length()) : version;
    }
}
