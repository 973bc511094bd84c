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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job image, read from k8s/image/Dockerfile (no Docker engine needed): base image version, the one usrlib jar
 * against every FlinkDeployment's jarURI and the bundle module (jobs/bundle, artifact heartbeat-jobs), the build
 * script's staging, the JSON log layout, and the image tag against the project version. The bundle jar's content is
 * checked when jobs/bundle is part of the build.
 */
class ImageTest {
    static final Path DOCKERFILE = Repo.k8s().resolve("image/Dockerfile");
    static final String BUNDLE_MODULE = "jobs/bundle";
    static final String BUNDLE_ARTIFACT = "heartbeat-jobs";
    static final String JAR_URI = "local://" + ImageChecks.USRLIB + BUNDLE_ARTIFACT + ".jar";

    /** The jarURIs of every overlay's FlinkDeployments. */
    static Set<String> jarUrisOfOverlays() {
        Set<String> uris = new TreeSet<>();
        for (String overlay : Repo.overlays()) {
            Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment").forEach(fd -> uris.add(Manifests.str(fd, "spec.job.jarURI")));
        }
        return uris;
    }

    /** The jarURI of the base (what every broken-manifest IMAGE case is compared with). */
    static Set<String> jarUrisOfBase() {
        Set<String> uris = new TreeSet<>();
        Manifests.parse("base", Kustomize.render(Repo.k8s().resolve("base"))).ofKind("FlinkDeployment")
                .forEach(fd -> uris.add(Manifests.str(fd, "spec.job.jarURI")));
        return uris;
    }

    @Test
    void dockerfileMatchesThePomAndTheManifests() {
        assertThat(ImageChecks.check(Repo.read(DOCKERFILE), Repo.rootPomProperty("flink.version"), jarUrisOfOverlays())).isEmpty();
    }

    @Test
    void everyJobRunsFromTheOneBundleJar() {
        assertThat(jarUrisOfOverlays()).containsExactly(JAR_URI);
        assertThat(ImageChecks.usrlibCopies(Repo.read(DOCKERFILE))).containsExactly(Map.entry(ImageChecks.USRLIB + BUNDLE_ARTIFACT + ".jar",
                "jars/" + BUNDLE_ARTIFACT + ".jar"));
    }

    @Test
    void theBuildScriptStagesTheBundleJarAndTheJsonLayout() {
        String script = Repo.read(Repo.root().resolve("scripts/k8s-build-image.sh"));
        assertThat(script).contains("bundle_module=\"" + BUNDLE_MODULE + "\"", "bundle_artifact=\"" + BUNDLE_ARTIFACT + "\"",
                "jar=\"$root/$bundle_module/target/$bundle_artifact-$version.jar\"", "cp \"$jar\" \"$ctx/jars/$bundle_artifact.jar\"",
                "log4j-layout-template-json:$log4j_version", "-DoutputDirectory=\"$ctx/lib\" -Dmdep.stripVersion=true");
        // The staged name is the one the Dockerfile copies into Flink's lib directory.
        assertThat(Repo.read(DOCKERFILE)).contains("COPY --chown=flink:flink lib/log4j-layout-template-json.jar /opt/flink/lib/log4j-layout-template-json.jar");
    }

    /**
     * The schema tool (the shaded jar of module schema, classifier tool) is in the image outside usrlib, where the schema
     * Job and the JobManagers' init containers run it with Flink's lib on the class path; the build stages it.
     */
    @Test
    void theSchemaToolIsInTheImageOutsideTheJobsClassPath() throws IOException {
        String dockerfile = Repo.read(DOCKERFILE);
        assertThat(dockerfile).contains("COPY --chown=flink:flink tools/heartbeat-schema.jar /opt/heartbeats/heartbeat-schema.jar");
        assertThat(ImageChecks.usrlibCopies(dockerfile).values()).doesNotContain("tools/heartbeat-schema.jar");
        assertThat(dockerfile).containsPattern("(?m)^USER flink$");
        String script = Repo.read(Repo.root().resolve("scripts/k8s-build-image.sh"));
        assertThat(script).contains("schema_module=\"schema\"", "schema_jar=\"heartbeat-schema\"",
                "tool_jar=\"$root/$schema_module/target/$schema_module-$version-tool.jar\"", "cp \"$tool_jar\" \"$ctx/tools/$schema_jar.jar\"",
                "-pl \"$bundle_module,$schema_module\"");
        String pom = Repo.read(Repo.root().resolve("schema/pom.xml"));
        assertThat(pom).contains("<shadedClassifierName>tool</shadedClassifierName>", "<exclude>org.apache.flink:*</exclude>",
                "<mainClass>dev.heartbeats.schema.SchemaTool</mainClass>");
        // Every container that runs the tool names the image's path and its main class (the maintenance CronJobs run
        // other main classes of the same jar: ReadersManifestsTest).
        for (String overlay : Repo.overlays()) {
            var m = Kustomize.renderOverlay(overlay);
            int tools = 0;
            for (var r : m.resources) {
                for (var c : Manifests.containers(r)) {
                    if (String.valueOf(c.get("command")).contains("heartbeat-schema.jar") && String.valueOf(c.get("command")).contains("SchemaTool")) {
                        assertThat(Manifests.list(c.get("command"))).containsExactly("java", "-cp", "/opt/heartbeats/heartbeat-schema.jar:/opt/flink/lib/*",
                                "dev.heartbeats.schema.SchemaTool");
                        tools++;
                    }
                }
            }
            assertThat(tools).as("schema Job + an init container per job").isEqualTo(5);
        }
    }

    /**
     * The logConfiguration of every FlinkDeployment uses JsonTemplateLayout, which Flink's distribution lacks: the image
     * adds it, in the log4j version Flink 2.2 ships (the root pom's log4j.version equals Flink's own).
     */
    @Test
    void theJsonLogLayoutIsInTheImageInFlinksLog4jVersion() throws IOException {
        for (String overlay : Repo.overlays()) {
            for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                Object conf = Manifests.map(Manifests.at(fd, "spec.logConfiguration")).get("log4j-console.properties");
                assertThat(String.valueOf(conf)).as(Manifests.id(fd)).contains("layout.type = JsonTemplateLayout");
            }
        }
        String flinkParent = "org/apache/flink/flink-parent/" + Repo.rootPomProperty("flink.version");
        Path m2 = Path.of(System.getProperty("maven.repo.local", System.getProperty("user.home") + "/.m2/repository"));
        Path pom = m2.resolve(flinkParent).resolve("flink-parent-" + Repo.rootPomProperty("flink.version") + ".pom");
        assertThat(pom).as("Flink's parent pom in the local Maven repository (resolved by every build of this project)").isRegularFile();
        Matcher m = Pattern.compile("<log4j.version>([^<]+)</log4j.version>").matcher(Files.readString(pom));
        assertThat(m.find()).isTrue();
        assertThat(Repo.rootPomProperty("log4j.version")).as("the root pom's log4j.version is Flink's, so the layout jar matches Flink's log4j-core")
                .isEqualTo(m.group(1));
    }

    @Test
    void imageTagsAreTheProjectVersionInDevelopmentAndImmutableInProd() {
        String version = Repo.projectVersion();
        assertThat(Repo.read(Repo.k8s().resolve("base/kustomization.yaml"))).contains("newTag: \"" + version + "\"");
        for (Map<String, Object> fd : Kustomize.renderOverlay("local").ofKind("FlinkDeployment")) {
            assertThat(Manifests.str(fd, "spec.image")).isEqualTo("heartbeats/flink-jobs:" + version);
            assertThat(Manifests.str(fd, "spec.imagePullPolicy")).as("a locally loaded image is never pulled").isEqualTo("Never");
        }
        for (Map<String, Object> fd : Kustomize.renderOverlay("prod").ofKind("FlinkDeployment")) {
            String image = Manifests.str(fd, "spec.image");
            String tag = image.substring(image.lastIndexOf(':') + 1);
            assertThat(tag).as(Manifests.id(fd) + ": an immutable build tag <version>-<commit>, never -SNAPSHOT")
                    .matches("\\d+\\.\\d+\\.\\d+-[0-9a-f]{7,40}").doesNotContain("SNAPSHOT");
            assertThat(Manifests.str(fd, "spec.imagePullPolicy")).isEqualTo("IfNotPresent");
        }
    }

    /** Any overlay: a mutable tag (-SNAPSHOT, latest, no tag) is never pulled only if not present. */
    @Test
    void noMutableTagWithIfNotPresent() {
        List<String> problems = new ArrayList<>();
        for (String overlay : Repo.overlays()) {
            for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                problems.addAll(ImageChecks.pullPolicyProblems(overlay + " " + Manifests.id(fd), Manifests.str(fd, "spec.image"),
                        Manifests.str(fd, "spec.imagePullPolicy")));
            }
        }
        assertThat(problems).isEmpty();
        assertThat(ImageChecks.pullPolicyProblems("x", "heartbeats/flink-jobs:0.1.0-SNAPSHOT", "IfNotPresent")).isNotEmpty();
        assertThat(ImageChecks.pullPolicyProblems("x", "heartbeats/flink-jobs:0.1.0-SNAPSHOT", null)).as("the default is IfNotPresent").isNotEmpty();
        assertThat(ImageChecks.pullPolicyProblems("x", "heartbeats/flink-jobs:latest", "IfNotPresent")).isNotEmpty();
        assertThat(ImageChecks.pullPolicyProblems("x", "heartbeats/flink-jobs:0.1.0-1a2b3c4", "IfNotPresent")).isEmpty();
    }

    /**
     * The bundle's shaded jar holds every entry class the FlinkDeployments name. Runs once jobs/bundle is a module of
     * the build (issue 13; k8s/pom.xml then depends on it, so the jar is built before these tests): a missing jar fails.
     */
    @Test
    void theBundleJarHoldsEveryDeploymentsEntryClass() throws IOException {
        Path module = Repo.root().resolve(BUNDLE_MODULE);
        Assumptions.assumeTrue(Files.isRegularFile(module.resolve("pom.xml")),
                BUNDLE_MODULE + " is not in this tree yet (issue 13): the bundle jar's content is checked once it is");
        assertThat(Repo.artifactId(module)).isEqualTo(BUNDLE_ARTIFACT);
        Path jar = module.resolve("target").resolve(BUNDLE_ARTIFACT + "-" + Repo.projectVersion() + ".jar");
        assertThat(jar).as("the bundle jar, built before the k8s module's tests (mvn -pl k8s -am verify builds it; "
                + "by hand: mvn -DskipTests package -pl " + BUNDLE_MODULE + " -am)").isRegularFile();
        try (ZipFile z = new ZipFile(jar.toFile())) {
            for (String overlay : Repo.overlays()) {
                for (Map<String, Object> fd : Kustomize.renderOverlay(overlay).ofKind("FlinkDeployment")) {
                    String entryClass = Manifests.str(fd, "spec.job.entryClass");
                    assertThat(z.getEntry(entryClass.replace('.', '/') + ".class")).as(jar.getFileName() + " holds " + entryClass).isNotNull();
                }
            }
        }
    }
}
