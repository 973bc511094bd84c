package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.ImageChecks;
import dev.heartbeats.k8s.support.ManifestChecks;
import dev.heartbeats.k8s.support.Manifests;
import dev.heartbeats.k8s.support.Repo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deliberately broken manifests (src/test/resources/broken/): each one has a single defect and names, in its header,
 * the check that must catch it ({@code # check: SCHEMA|ADMISSION|CONFIG|ARGS|IMAGE}) and what the message must say
 * ({@code # expect: ...}). The control ({@code valid-control.yaml}, {@code # check: ALL}) passes every check, so a
 * broken file fails for its defect and nothing else.
 */
class BrokenManifestsTest {

    record Case(Path file, String check, List<String> expects) {
        @Override
        public String toString() {
            return file.getFileName().toString();
        }
    }

    static Path dir() throws URISyntaxException {
        return Path.of(BrokenManifestsTest.class.getResource("/broken").toURI());
    }

    static List<Case> cases() throws Exception {
        List<Case> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir())) {
            for (Path f : files.sorted().toList()) {
                String check = null;
                List<String> expects = new ArrayList<>();
                for (String line : Files.readAllLines(f)) {
                    if (line.startsWith("# check:")) check = line.substring("# check:".length()).trim();
                    if (line.startsWith("# expect:")) expects.add(line.substring("# expect:".length()).trim());
                }
                if (check == null) throw new IllegalStateException(f + " has no '# check:' line");
                out.add(new Case(f, check, expects));
            }
        }
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void eachBrokenManifestFailsItsCheckWithAClearMessage(Case c) throws IOException {
        String text = Files.readString(c.file);
        if (c.check.equals("IMAGE")) {
            List<String> errors = ImageChecks.check(text, Repo.rootPomProperty("flink.version"), ImageTest.jarUrisOfBase());
            report(c, errors);
            assertThat(errors).as(c + " must fail the image check").isNotEmpty();
            for (String e : c.expects) assertThat(errors).as(c + ": a message containing: " + e).anySatisfy(m -> assertThat(m).contains(e));
            return;
        }
        Manifests m = Manifests.parse("broken/" + c.file.getFileName(), text);
        if (c.check.equals("ALL")) {
            for (ManifestChecks check : ManifestChecks.values()) {
                assertThat(check.run(m)).as(c + " is the control: " + check + " must pass").isEmpty();
            }
            return;
        }
        ManifestChecks check = ManifestChecks.valueOf(c.check);
        List<String> errors = check.run(m);
        report(c, errors);
        assertThat(errors).as(c + " must fail " + check).isNotEmpty();
        assertThat(c.expects).as(c + " names what the message must say").isNotEmpty();
        for (String e : c.expects) {
            assertThat(errors).as(c + ": a " + check + " message containing: " + e).anySatisfy(msg -> assertThat(msg).contains(e));
        }
        // The other checks still pass: the defect is the one the file is about (schema defects may upset the rest).
        if (check != ManifestChecks.SCHEMA) {
            for (ManifestChecks other : EnumSet.complementOf(EnumSet.of(check, ManifestChecks.SCHEMA))) {
                assertThat(other.run(m)).as(c + ": only " + check + " should fail, but " + other + " does too").isEmpty();
            }
        }
    }

    @Test
    void everyCheckHasBrokenExamples() throws Exception {
        List<String> checks = cases().stream().map(Case::check).toList();
        for (ManifestChecks check : ManifestChecks.values()) assertThat(checks).as("broken examples for " + check).contains(check.name());
        assertThat(checks).contains("IMAGE", "ALL");
        assertThat(Arrays.stream(ManifestChecks.values()).map(Enum::name)).doesNotContain("ALL", "IMAGE");
    }

    private static void report(Case c, List<String> errors) {
        System.out.println("[" + c + "] " + c.check + ":");
        errors.forEach(e -> System.out.println("    " + e));
    }
}
