package dev.heartbeats.local;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.segments.SegmentsJob;
import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Which state a start of {@code hb job} resumes from, by what the last run left (the refusal without any state needs
 * a broker and is in {@link JobResumeIT}).
 */
class JobStateTest {
    @TempDir
    Path dir;

    final JobConfig cfg = new SegmentsJob().parse("--bootstrap-servers", "kafka:9092", "--group-id", "g1");

    @Test
    void aCleanStopResumesFromItsSavepoint() throws Exception {
        JobState state = new JobState(dir, "segments", cfg);
        JobID id = JobID.generate();
        Path checkpoints = dir.resolve("checkpoints");
        state.started(id, checkpoints.toUri().toString(), new JobState.Plan(null, "fresh"));
        completedCheckpoint(checkpoints, id, 4);
        record(state, "stopped-with-savepoint", "file:/sp/savepoint-1");
        assertThat(state.plan(null, "hb job segments").path()).isEqualTo("file:/sp/savepoint-1");
        String other = Files.createDirectories(dir.resolve("other-savepoint")).toUri().toString();
        assertThat(state.plan(other, "hb job segments").path()).as("--from-savepoint wins").isEqualTo(other);
    }

    @Test
    void aRunWithoutASavepointResumesFromItsLastCompletedCheckpointElseFromWhereItStarted() throws Exception {
        JobState state = new JobState(dir, "segments", cfg);
        JobID id = JobID.generate();
        Path checkpoints = dir.resolve("checkpoints");
        state.started(id, checkpoints.toUri().toString(), new JobState.Plan("file:/sp/savepoint-0", "resumed"));
        assertThat(state.plan(null, "hb job segments").path()).as("no checkpoint yet").isEqualTo("file:/sp/savepoint-0");
        completedCheckpoint(checkpoints, id, 3);
        completedCheckpoint(checkpoints, id, 12);
        Files.createDirectories(checkpoints.resolve(id.toHexString()).resolve("chk-13")); // in progress: no _metadata
        completedCheckpoint(checkpoints, JobID.generate(), 40); // another job's
        assertThat(state.plan(null, "hb job segments").path()).isEqualTo(checkpoints.resolve(id.toHexString()).resolve("chk-12").toString());
    }

    @Test
    void stateOfAnotherGroupOrKafkaIsNotRestored() throws Exception {
        new JobState(dir, "segments", cfg).started(JobID.generate(), null, new JobState.Plan("file:/sp/x", "resumed"));
        for (List<String> other : List.of(List.of("--group-id", "g2"), List.of("--bootstrap-servers", "other:9092"), List.of("--input-topic", "hb2"))) {
            List<String> args = new java.util.ArrayList<>(List.of("--bootstrap-servers", "kafka:9092", "--group-id", "g1"));
            args.addAll(other);
            JobState state = new JobState(dir, "segments", new SegmentsJob().parse(args.toArray(new String[0])));
            assertThatThrownBy(() -> state.plan(null, "hb job segments")).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("--state-dir").hasMessageContaining("consumer group g1");
        }
    }

    @Test
    void aMissingSavepointFailsNamingTheSetting() {
        JobState state = new JobState(dir, "segments", cfg);
        assertThatThrownBy(() -> state.plan(dir.resolve("nope").toString(), "hb job segments")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("--from-savepoint");
    }

    @Test
    void ownSettingsAreSeparatedFromTheJobs() {
        List<String> job = new java.util.ArrayList<>();
        List<String> own = new java.util.ArrayList<>();
        JobCommand.split(new String[] {"--group-id", "g", "--state-dir", "/s", "--from-savepoint=/p", "--bounded", "--parallelism", "2"}, job, own);
        assertThat(job).containsExactly("--group-id", "g", "--bounded", "--parallelism", "2");
        assertThat(own).containsExactly("--state-dir", "/s", "--from-savepoint=/p");
    }

    @Test
    void theHelpListsTheJobsSettingsAndHowToStopAndResume() {
        String help = JobCommand.help(new SegmentsJob());
        assertThat(help).contains("--dead-letter-max-bytes", "--group-id", "--state-dir", "--from-savepoint", "--stop-timeout",
                "SIGTERM or Ctrl-C stops the job with a savepoint", "~/.hb/state/<job>-<group-id>");
    }

    private static void completedCheckpoint(Path checkpoints, JobID id, int n) throws Exception {
        Path chk = Files.createDirectories(checkpoints.resolve(id.toHexString()).resolve("chk-" + n));
        Files.writeString(chk.resolve("_metadata"), "x");
    }

    private static void record(JobState state, String key, String value) throws Exception {
        Properties r = state.read();
        r.setProperty(key, value);
        try (var out = Files.newOutputStream(state.dir.resolve(JobState.RECORD))) {
            r.store(out, null);
        }
    }
}
