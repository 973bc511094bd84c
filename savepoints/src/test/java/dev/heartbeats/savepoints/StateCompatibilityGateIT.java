package dev.heartbeats.savepoints;

import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.local.Jobs;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The state-compatibility gate: every job of the current code restores every golden savepoint under
 * savepoints/golden/ (every release still supported), with allowNonRestoredState=false, reads the rest of the
 * golden input and must end with exactly the contract's tables over the whole input (see {@link RestoreCheck}).
 * A failure says which golden, which operator uid and which state, and why.
 */
class StateCompatibilityGateIT {

    @Test
    void everyJobOfTheCurrentCodeHasAGoldenOfTheNewestRelease() {
        List<Path> releases = Goldens.releases();
        assertThat(releases).as("golden savepoints under " + Goldens.dir() + " (create them: scripts/savepoints-regenerate.sh)").isNotEmpty();
        Path newest = releases.get(releases.size() - 1);
        TreeSet<String> have = new TreeSet<>();
        for (Path job : Goldens.jobs(newest)) have.add(job.getFileName().toString());
        assertThat(have).as("jobs with a golden savepoint in " + newest + ": a new stateful job needs one"
                + " (scripts/savepoints-regenerate.sh --release " + newest.getFileName() + " --force while it is unreleased)")
                .containsAll(Jobs.all().keySet());
    }

    @TestFactory
    List<DynamicTest> everyJobRestoresEveryGolden() {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path release : Goldens.releases()) {
            for (Path dir : Goldens.jobs(release)) {
                String job = dir.getFileName().toString();
                tests.add(DynamicTest.dynamicTest(release.getFileName() + "/" + job, () -> {
                    JobLauncher.Job current = Jobs.all().get(job);
                    assertThat(current).as("golden " + dir + " is of job '" + job + "', which the current code no longer has;"
                            + " remove the directory if dropping that job is intended").isNotNull();
                    RestoreCheck.Result r = RestoreCheck.run(GateEnvironment.shared(), dir, current);
                    System.out.println("gate: " + r);
                }));
            }
        }
        return tests;
    }
}
