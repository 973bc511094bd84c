package dev.heartbeats.local;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TestBed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A bounded {@code hb job} says what it does while it runs (records read of the input, rate, dead letters and late
 * records) and sums up when it ends (records, time, rows in the tables): a real {@code hb} process, as
 * {@code scripts/hb} starts it.
 */
class BoundedJobOutputIT {
    @Test
    void aBoundedRunPrintsProgressAndASummary(@TempDir Path dir) throws Exception {
        TestBed bed = TestBed.shared();
        Scenario s = bed.scenario("bounded-output");
        DifferentialRun run = DifferentialRun.send(s, GeneratorConfig.allAdversities(21).toBuilder().viewers(40).maxRecords(6_000).build());
        Routing routing = run.routing(ContractParams.DEFAULTS, 5_000);

        JobResumeIT.Hb hb = JobResumeIT.Hb.start(dir, "bounded", JobResumeIT.jobArgs(s, "--bounded", "--status-interval", "1s",
                "--state-dir", dir.resolve("state").toString()));
        assertThat(hb.awaitExit(Duration.ofMinutes(4))).as(hb.output()).isZero();
        String out = hb.output();

        assertThat(out).as("progress while it runs").containsPattern("segments: [\\d,]+ of 6,000 read \\([\\d.]+%\\), [\\d,]+/s");
        Matcher summary = Pattern.compile("segments: the job finished \\(bounded input read to its end\\): 6,000 of 6,000 read \\(100\\.0%\\).*"
                + "\\| dlq ([\\d,]+) late ([\\d,]+) in [\\d,.]+ s; rows in the tables: watch_segments ([\\d,]+) video_progress ([\\d,]+)").matcher(out);
        assertThat(summary.find()).as("the summary at the end:\n" + out).isTrue();
        assertThat(number(summary.group(1))).as("dead letters").isEqualTo(routing.invalid.size());
        assertThat(number(summary.group(2))).as("late records").isEqualTo(routing.tooLate.size());
        assertThat(number(summary.group(3))).as("watch_segments rows").isEqualTo(s.tables().watchSegments.size()).isPositive();
        assertThat(number(summary.group(4))).as("video_progress rows").isEqualTo(s.tables().videoProgress.size()).isPositive();
    }

    private static long number(String s) {
        return Long.parseLong(s.replace(",", ""));
    }
}
