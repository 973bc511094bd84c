package dev.heartbeats.local;

import dev.heartbeats.archive.ArchiveJob;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.config.Settings;
import dev.heartbeats.schema.Migrations;
import dev.heartbeats.segments.SegmentsJob;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code hb restate}'s settings: which go to the jobs, what the jobs get, and the refusals (the runs are in {@link RestatementIT}). */
class RestateCommandTest {
    @Test
    void ownSettingsAreSplitFromTheJobsAndTheJobsGetARestatementIntoTheSchema() {
        List<String> jobArgs = new ArrayList<>();
        List<String> own = new ArrayList<>();
        RestateCommand.split(new String[] {"--job", "segments", "--from", "2026-10-01T00:00:00Z", "--to=2026-10-02T00:00:00Z",
            "--bootstrap-servers", "kafka:9092", "--archive", "/data/archive", "--jdbc-url", "jdbc:postgresql://db/hb?ssl=true", "--max-session", "6h"},
                jobArgs, own);
        assertThat(own).containsExactly("--job", "segments", "--from", "2026-10-01T00:00:00Z", "--to=2026-10-02T00:00:00Z", "--archive", "/data/archive");
        assertThat(jobArgs).containsExactly("--bootstrap-servers", "kafka:9092", "--jdbc-url", "jdbc:postgresql://db/hb?ssl=true", "--max-session", "6h");

        Settings s = Settings.parse(own.toArray(new String[0]), RestateCommand.OPTIONS);
        List<String> args = RestateCommand.restateArgs(jobArgs, s, "restate_oct");
        JobConfig cfg = new SegmentsJob().parse(args.toArray(new String[0]));
        assertThat(cfg.jdbc.url).isEqualTo("jdbc:postgresql://db/hb?ssl=true&currentSchema=restate_oct");
        assertThat(Migrations.currentSchema(cfg.jdbc.url)).isEqualTo("restate_oct");
        assertThat(cfg.restatement.archiveDir).isEqualTo("file:///data/archive");
        assertThat(cfg.restatement.fromMs).isEqualTo(java.time.Instant.parse("2026-10-01T00:00:00Z").toEpochMilli());
        assertThat(cfg.restatement.warmUpMs).as("M + G + L + F + out-of-orderness with M = 6h").isEqualTo(6 * 3_600_000L + 30_000 + 600_000 + 300_000 + 5_000);
        assertThat(cfg.bounded).isTrue();
        assertThat(cfg.dlqTopic).isEqualTo("heartbeats-dlq-restated");
        assertThat(cfg.lateTopic).isEqualTo("heartbeats-late-restated");
        assertThat(cfg.groupId).as("its own writer fence").isEqualTo("heartbeat-segments-restate");
    }

    @Test
    void schemaUrls() {
        assertThat(RestateCommand.withSchema("jdbc:postgresql://db/hb", "s1")).isEqualTo("jdbc:postgresql://db/hb?currentSchema=s1");
        assertThat(RestateCommand.withSchema("jdbc:postgresql://db/hb?currentSchema=old&ssl=true", "s1")).isEqualTo("jdbc:postgresql://db/hb?ssl=true&currentSchema=s1");
        assertThat(RestateCommand.withoutSchema("jdbc:postgresql://db/hb?currentSchema=old")).isEqualTo("jdbc:postgresql://db/hb");
        assertThat(Migrations.currentSchema("jdbc:postgresql://db/hb")).isNull();
    }

    @Test
    void refusalsNameTheSetting() {
        assertThatThrownBy(() -> RestateCommand.schemaName(RestateCommand.INTO, "Restate-Oct")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--into:");
        assertThatThrownBy(() -> RestateCommand.schemaName(RestateCommand.SWAP_IN, "public")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--swap-in:");
        assertThatThrownBy(() -> RestateCommand.jobs("archive")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--job:");
        assertThatThrownBy(() -> new SegmentsJob().parse("--archive-dir", "/a", "--restate-from", "2026-10-01T00:30:00Z", "--restate-to", "2026-10-02T00:00:00Z"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--restate-from:").hasMessageContaining("whole UTC hour");
        assertThatThrownBy(() -> new SegmentsJob().parse("--restate-from", "2026-10-01T00:00:00Z", "--restate-to", "2026-10-02T00:00:00Z"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--archive-dir:");
        assertThatThrownBy(() -> new SegmentsJob().parse("--archive-dir", "/a", "--restate-from", "2026-10-02T00:00:00Z", "--restate-to", "2026-10-01T00:00:00Z"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--restate-to:");
        assertThatThrownBy(() -> new ArchiveJob().parse("--bootstrap-servers", "kafka:9092")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--archive-dir:");
        assertThatThrownBy(() -> new ArchiveJob().parse("--archive-dir", "/a", "--restate-from", "2026-10-01T00:00:00Z", "--restate-to", "2026-10-02T00:00:00Z"))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("--restate-from:");
    }
}
