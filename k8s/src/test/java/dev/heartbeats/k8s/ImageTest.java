package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.ImageChecks;
import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job image, read from k8s/image/Dockerfile (no Docker engine needed): base image version, usrlib jars against
 * the manifests' jarURIs and the job modules, the build script's staging, and the image tag and version labels
 * against the project version. When the shaded jars are built, their content is checked too.
 */
class ImageTest {
    static final Path DOCKERFILE = Repo.k8s().resolve("image/Dockerfile");

    /** The jarURIs of the base FlinkDeployments (plain YAML, no kustomize needed). */
    static Set<String> jarUrisOfBase() {
        Set<String> uris = new TreeSet<>();
        for (Manifests m : baseFlinkFiles()) {
            for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) uris.add(Manifests.str(fd, "spec.job.jarURI"));
        }
        return uris;
    }

    static List<Manifests> baseFlinkFiles() {
        List<Manifests> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(Repo.k8s().resolve("base/flink"))) {
            for (Path f : files.sorted().toList()) out.add(Manifests.parse(f.toString(), Repo.read(f)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Job module directory name -> artifactId, from jobs/pom.xml's modules. */
    static Map<String, String> jobModules() {
        Map<String, String> out = new HashMap<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Repo.read(Repo.root().resolve("jobs/pom.xml")));
        while (m.find()) out.put(m.group(1), Repo.artifactId(Repo.root().resolve("jobs").resolve(m.group(1))));
        return out;
    }

    @Test
    void dockerfileMatchesThePomAndTheManifests() {
        assertThat(ImageChecks.check(Repo.read(DOCKERFILE), Repo.rootPomProperty("flink.version"), jarUrisOfBase())).isEmpty();
    }

    @Test
    void everyOverlayUsesTheJarsTheImageHas() {
        Kustomize.assumeKubectl();
        for (String overlay : Repo.overlays()) {
            Set<String> uris = new TreeSet<>();
            Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment").forEach(fd -> uris.add(Manifests.str(fd, "spec.job.jarURI")));
            assertThat(ImageChecks.check(Repo.read(DOCKERFILE), Repo.rootPomProperty("flink.version"), uris)).as(overlay).isEmpty();
        }
    }

    @Test
    void theImageHoldsOneJarPerJobModuleNamedAfterItsArtifact() {
        Set<String> expected = new TreeSet<>();
        jobModules().values().forEach(a -> expected.add(ImageChecks.USRLIB + a + ".jar"));
        assertThat(ImageChecks.usrlibCopies(Repo.read(DOCKERFILE)).keySet()).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void eachDeploymentsJarIsTheModuleThatHoldsItsEntryClass() {
        for (Manifests m : baseFlinkFiles()) {
            for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
                String entryClass = Manifests.str(fd, "spec.job.entryClass");
                String source = "src/main/java/" + entryClass.replace('.', '/') + ".java";
                List<String> owners = jobModules().entrySet().stream()
                        .filter(e -> Files.isRegularFile(Repo.root().resolve("jobs").resolve(e.getKey()).resolve(source)))
                        .map(Map.Entry::getValue).toList();
                assertThat(owners).as(entryClass + " is in exactly one job module").hasSize(1);
                assertThat(Manifests.str(fd, "spec.job.jarURI")).as(Manifests.id(fd))
                        .isEqualTo("local://" + ImageChecks.USRLIB + owners.get(0) + ".jar");
            }
        }
    }

    @Test
    void theBuildScriptStagesTheJarsTheDockerfileCopies() {
        String script = Repo.read(Repo.root().resolve("scripts/k8s-build-image.sh"));
        Matcher m = Pattern.compile("(?m)^modules=\\(([^)]*)\\)").matcher(script);
        assertThat(m.find()).as("scripts/k8s-build-image.sh lists its modules=(...)").isTrue();
        assertThat(m.group(1).trim().split("\\s+")).containsExactlyInAnyOrderElementsOf(jobModules().keySet());
        // jobs/<m>/target/<m>-job-<version>-job.jar is staged as jars/<m>-job.jar: the artifactId must be <m>-job.
        jobModules().forEach((dir, artifact) -> assertThat(artifact).isEqualTo(dir + "-job"));
        assertThat(script).contains("jobs/$m/target/$m-job-$version-job.jar", "jars/$m-job.jar");
    }

    @Test
    void imageTagAndVersionLabelsAreTheProjectVersion() {
        String version = Repo.projectVersion();
        assertThat(Repo.read(Repo.k8s().resolve("base/kustomization.yaml"))).contains("newTag: \"" + version + "\"");
        for (Manifests m : baseFlinkFiles()) {
            for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
                assertThat(Manifests.str(fd, "spec.image")).isEqualTo("heartbeats/flink-jobs:" + version);
                assertThat(Manifests.map(Manifests.at(fd, "metadata.labels")).get("app.kubernetes.io/version")).isEqualTo(version);
                assertThat(Manifests.map(Manifests.at(fd, "spec.podTemplate.metadata.labels")).get("app.kubernetes.io/version")).isEqualTo(version);
            }
        }
        if (Kustomize.kubectl() != null) {
            for (String overlay : Repo.overlays()) {
                for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                    assertThat(Manifests.str(fd, "spec.image")).as(overlay).endsWith(":" + version);
                }
            }
        }
    }

    static Map<String, Path> shadedJars() {
        String version = Repo.projectVersion();
        Map<String, Path> jars = new HashMap<>();
        jobModules().forEach((dir, artifact) -> jars.put(artifact, Repo.root().resolve("jobs").resolve(dir).resolve("target")
                .resolve(artifact + "-" + version + "-job.jar")));
        Assumptions.assumeTrue(jars.values().stream().allMatch(Files::isRegularFile),
                "shaded job jars not built (mvn -DskipTests package): skipped");
        return jars;
    }

    @Test
    void eachShadedJarHoldsItsDeploymentsEntryClass() throws IOException {
        Map<String, Path> jars = shadedJars();
        for (Manifests m : baseFlinkFiles()) {
            for (Map<String, Object> fd : m.ofKind("FlinkDeployment")) {
                String jarName = Manifests.str(fd, "spec.job.jarURI").replaceAll(".*/", "").replace(".jar", "");
                try (ZipFile z = new ZipFile(jars.get(jarName).toFile())) {
                    assertThat(z.getEntry(Manifests.str(fd, "spec.job.entryClass").replace('.', '/') + ".class"))
                            .as(jarName + " holds " + Manifests.str(fd, "spec.job.entryClass")).isNotNull();
                }
            }
        }
    }

    /**
     * All jars in usrlib end up on every job's user classpath (Flink's usrlib rule), so the classes the three shaded
     * jars share must be the same classes. True by construction when one Maven run builds them (as
     * scripts/k8s-build-image.sh does); checked when the jars in target/ come from one build (within 3 minutes).
     */
    @Test
    void shadedJarsOfOneBuildShareOnlyIdenticalClasses() throws IOException {
        Map<String, Path> jars = shadedJars();
        long oldest = Long.MAX_VALUE, newest = 0;
        for (Path p : jars.values()) {
            long t = Files.getLastModifiedTime(p).toMillis();
            oldest = Math.min(oldest, t);
            newest = Math.max(newest, t);
        }
        Assumptions.assumeTrue(newest - oldest <= 180_000, "the shaded jars in jobs/*/target come from different builds "
                + "(built " + (newest - oldest) / 1000 + " s apart): skipped; k8s-build-image.sh builds them together");
        Map<String, Long> crcByEntry = new HashMap<>();
        Map<String, String> firstJar = new HashMap<>();
        List<String> conflicts = new ArrayList<>();
        for (Map.Entry<String, Path> jar : jars.entrySet()) {
            try (ZipFile z = new ZipFile(jar.getValue().toFile())) {
                for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
                    ZipEntry entry = e.nextElement();
                    if (entry.isDirectory() || !entry.getName().endsWith(".class")) continue;
                    Long prev = crcByEntry.putIfAbsent(entry.getName(), entry.getCrc());
                    if (prev == null) firstJar.put(entry.getName(), jar.getKey());
                    else if (prev != entry.getCrc()) conflicts.add(entry.getName() + " differs between " + firstJar.get(entry.getName()) + " and " + jar.getKey());
                }
            }
        }
        assertThat(conflicts).as("classes that differ between the job jars (all are on each job's classpath)").isEmpty();
    }
}
