package dev.heartbeats.cluster;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one job jar of the image against the distribution it runs on: it carries what the distribution lacks (the
 * jobs, the Kafka and JDBC connectors, the Kafka client, the database drivers), no class of Flink's runtime (those
 * come from lib/, parent-first, so a copy would be dead weight or a version conflict), and every
 * META-INF/services file of the jars it bundles, merged (a lost line is a connector or driver that cannot be found).
 */
class DistributionIT {
    static Distribution dist;
    static Set<String> jobJar;

    @BeforeAll
    static void read() throws IOException {
        dist = Distribution.at(Path.of(System.getProperty("cluster.dist")));
        jobJar = entries(dist.jobJar());
    }

    @Test
    void usrlibHoldsExactlyTheImagesJar() throws IOException {
        try (var files = Files.list(dist.dir.resolve("usrlib"))) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(Distribution.JOB_JAR);
        }
    }

    @Test
    void theJobJarCarriesWhatTheDistributionLacks() {
        assertThat(jobJar).contains(
                "dev/heartbeats/segments/SegmentsJob.class", "dev/heartbeats/watchtime/WatchTimeJob.class",
                "dev/heartbeats/adimpressions/AdImpressionsJob.class",
                "org/apache/flink/connector/kafka/source/KafkaSource.class", "org/apache/flink/connector/jdbc/core/table/JdbcDynamicTableFactory.class",
                "org/apache/kafka/clients/consumer/KafkaConsumer.class", "org/postgresql/Driver.class", "com/yugabyte/Driver.class");
    }

    /** What the jobs do not run stays out of their jar: the generator, the catalog loader and its CSV library, the tools. */
    @Test
    void theJobJarCarriesNoToolOrGenerator() {
        assertThat(jobJar).noneMatch(e -> e.startsWith("dev/heartbeats/generator/") || e.startsWith("dev/heartbeats/schema/")
                || e.startsWith("dev/heartbeats/local/") || e.startsWith("org/apache/commons/csv/") || e.startsWith("org/flywaydb/")
                || e.startsWith("catalog/"));
    }

    @Test
    void theJobJarCarriesNoClassOfFlinksRuntime() throws IOException {
        Set<String> lib = new HashSet<>();
        try (var jars = Files.list(dist.dir.resolve("lib"))) {
            for (Path j : jars.filter(p -> p.toString().endsWith(".jar")).toList()) lib.addAll(entries(j));
        }
        Set<String> both = new TreeSet<>();
        for (String e : jobJar) if (e.endsWith(".class") && e.startsWith("org/apache/flink/") && lib.contains(e)) both.add(e);
        assertThat(both).as("classes of lib/ that the job jar carries too").isEmpty();
    }

    @Test
    void everyServiceFileOfTheBundledJarsIsMerged() throws IOException {
        Path classpath = Path.of(System.getProperty("bundle.classpath"));
        Map<String, Set<String>> expected = new TreeMap<>();
        int bundled = 0;
        for (String path : Files.readString(classpath).trim().split(File.pathSeparator)) {
            try (JarFile jar = new JarFile(path)) {
                if (!isBundled(jar)) continue;
                bundled++;
                for (JarEntry e : List.copyOf(jar.stream().toList())) {
                    if (!e.getName().startsWith("META-INF/services/") || e.isDirectory()) continue;
                    expected.computeIfAbsent(e.getName(), k -> new LinkedHashSet<>()).addAll(services(new String(jar.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8)));
                }
            }
        }
        assertThat(bundled).as("bundled dependency jars found in " + classpath).isGreaterThan(5);
        assertThat(expected).containsKeys("META-INF/services/org.apache.flink.table.factories.Factory", "META-INF/services/java.sql.Driver");
        try (JarFile jar = new JarFile(dist.jobJar().toFile())) {
            for (Map.Entry<String, Set<String>> e : expected.entrySet()) {
                JarEntry merged = jar.getJarEntry(e.getKey());
                assertThat(merged).as(e.getKey() + " in the job jar").isNotNull();
                assertThat(services(new String(jar.getInputStream(merged).readAllBytes(), StandardCharsets.UTF_8)))
                        .as(e.getKey()).containsAll(e.getValue());
            }
        }
    }

    /** Whether the shade plugin took this jar: its classes are in the job jar. */
    private static boolean isBundled(JarFile jar) {
        return jar.stream().filter(e -> e.getName().endsWith(".class") && !e.getName().startsWith("META-INF/"))
                .findFirst().map(e -> jobJar.contains(e.getName())).orElse(false);
    }

    private static List<String> services(String file) {
        List<String> out = new ArrayList<>();
        for (String line : file.split("\n")) {
            String l = line.replaceAll("#.*", "").trim();
            if (!l.isEmpty()) out.add(l);
        }
        return out;
    }

    private static Set<String> entries(Path jar) throws IOException {
        Set<String> out = new HashSet<>();
        try (JarFile j = new JarFile(jar.toFile())) {
            j.stream().forEach(e -> out.add(e.getName()));
        }
        return out;
    }
}
