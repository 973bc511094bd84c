package dev.heartbeats.common.config;

import dev.heartbeats.common.contract.ContractParams;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Settings fail fast with a message that names the setting ({@code --name}). */
class SettingsTest {
    static final Option<Duration> GAP = Option.duration("gap", "30s", "a duration");
    static final Option<Integer> COUNT = Option.integer("count", 3, "a positive integer");
    static final Option<Double> RATE = Option.decimal("rate", 2.0, "a positive number");
    static final Option<Long> SIZE = Option.longValue("size", 0, "a non-negative long");
    static final Option<String> NAME = Option.string("name", "x", "a string");
    static final Option<String> OPTIONAL = Option.string("optional", null, "optional string");
    static final Option<Boolean> FLAG = Option.flag("flag", "a flag");
    static final Option<JobOptions.StartingOffsets> OFFSETS = Option.choice("offsets", JobOptions.StartingOffsets.EARLIEST,
            JobOptions.StartingOffsets.class, "a choice");
    static final List<Option<?>> ALL = List.of(GAP, COUNT, RATE, SIZE, NAME, FLAG, OFFSETS);

    static Settings parse(String... args) {
        return Settings.parse(args, ALL);
    }

    static JobConfig job(String... args) {
        return JobConfig.parse("test", args, List.of());
    }

    @Test
    void defaultsAndGivenValues() {
        Settings s = parse();
        assertThat(s.get(GAP)).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.get(COUNT)).isEqualTo(3);
        assertThat(s.get(FLAG)).isFalse();
        assertThat(s.get(OFFSETS)).isEqualTo(JobOptions.StartingOffsets.EARLIEST);
        s = parse("--gap", "500ms", "--count=7", "--rate", "1.5", "--flag", "--offsets", "committed-or-earliest", "--name", "n");
        assertThat(s.get(GAP)).isEqualTo(Duration.ofMillis(500));
        assertThat(s.get(COUNT)).isEqualTo(7);
        assertThat(s.get(RATE)).isEqualTo(1.5);
        assertThat(s.get(FLAG)).isTrue();
        assertThat(s.get(OFFSETS)).isEqualTo(JobOptions.StartingOffsets.COMMITTED_OR_EARLIEST);
        assertThat(s.isSet(GAP)).isTrue();
        assertThat(s.isSet(SIZE)).isFalse();
        assertThat(Settings.parse(s.toArgs().toArray(new String[0]), ALL).get(GAP)).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void aRepeatableSettingKeepsEveryValueInOrderAndTheOthersTheLast() {
        Option<List<String>> prop = Option.repeatable("prop", "a repeatable string");
        List<Option<?>> options = List.of(prop, NAME);
        Settings s = Settings.parse(new String[] {"--prop", "a=1", "--name", "first", "--prop=b=2", "--name", "second"}, options);
        assertThat(s.get(prop)).containsExactly("a=1", "b=2");
        assertThat(s.get(NAME)).isEqualTo("second");
        assertThat(Settings.parse(new String[0], options).get(prop)).isEmpty();
        assertThat(s.toArgs()).containsExactly("--prop", "a=1", "--prop", "b=2", "--name", "second");
        assertThat(Settings.parse(s.toArgs().toArray(new String[0]), options).get(prop)).containsExactly("a=1", "b=2");
        assertThat(s.toArgs(List.of(prop))).containsExactly("--prop", "a=1", "--prop", "b=2");
        assertThatThrownBy(() -> Settings.parse(new String[] {"--prop", ""}, options)).isInstanceOf(ConfigException.class).hasMessageStartingWith("--prop:");
        assertThat(Settings.help("usage", options)).contains("(repeatable)").doesNotContain("--prop <value>                a repeatable string (repeatable) [required]");
    }

    @Test
    void unknownSetting() {
        assertThatThrownBy(() -> parse("--gpa", "1s")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--gpa:").hasMessageContaining("unknown");
        assertThatThrownBy(() -> parse("--gpa=1s")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--gpa:");
        assertThatThrownBy(() -> parse("gap", "1s")).isInstanceOf(ConfigException.class).hasMessageContaining("'gap'");
    }

    @Test
    void missingValue() {
        assertThatThrownBy(() -> parse("--gap")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--gap:").hasMessageContaining("missing value");
        assertThatThrownBy(() -> parse("--count", "1", "--name")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--name:");
        // A string without a default is optional: left out, it reads as null.
        assertThat(Settings.parse(new String[0], List.of(OPTIONAL)).get(OPTIONAL)).isNull();
        assertThatThrownBy(() -> Settings.parse(new String[] {"--optional"}, List.of(OPTIONAL))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--optional:").hasMessageContaining("missing value");
    }

    @Test
    void malformedOrOutOfRangeDuration() {
        for (String bad : new String[] {"abc", "5 parsecs", "-1s", "1.5.2s", ""}) {
            assertThatThrownBy(() -> parse("--gap", bad)).as(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith("--gap:");
        }
    }

    @Test
    void malformedOrOutOfRangeNumbers() {
        for (String bad : new String[] {"x", "1.5", "0", "-3", "99999999999"}) {
            assertThatThrownBy(() -> parse("--count", bad)).as(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith("--count:");
        }
        for (String bad : new String[] {"x", "0", "-1", "Infinity", "NaN"}) {
            assertThatThrownBy(() -> parse("--rate", bad)).as(bad).isInstanceOf(ConfigException.class).hasMessageStartingWith("--rate:");
        }
        assertThatThrownBy(() -> parse("--size", "-1")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--size:");
        assertThatThrownBy(() -> parse("--offsets", "newest")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--offsets:");
        assertThatThrownBy(() -> parse("--name", "")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--name:");
    }

    @Test
    void jobConfigDefaultsAreTheContractParameters() {
        JobConfig cfg = job();
        ContractParams p = cfg.params;
        assertThat(p.sessionGapMs).isEqualTo(ContractParams.DEFAULTS.sessionGapMs);
        assertThat(p.maxRate).isEqualTo(ContractParams.DEFAULTS.maxRate);
        assertThat(p.toleranceMs).isEqualTo(ContractParams.DEFAULTS.toleranceMs);
        assertThat(p.allowedLatenessMs).isEqualTo(ContractParams.DEFAULTS.allowedLatenessMs);
        assertThat(p.maxSessionMs).isEqualTo(ContractParams.DEFAULTS.maxSessionMs);
        assertThat(p.maxClockSkewMs).isEqualTo(ContractParams.DEFAULTS.maxClockSkewMs).isEqualTo(300_000);
        assertThat(job("--max-clock-skew", "1min").params.maxClockSkewMs).isEqualTo(60_000);
        assertThat(cfg.groupId).isEqualTo("heartbeat-test");
        cfg = job("--session-gap", "5s", "--max-rate", "1.5", "--tolerance", "0ms", "--allowed-lateness", "1min", "--max-session", "1h");
        assertThat(cfg.params.sessionGapMs).isEqualTo(5_000);
        assertThat(cfg.params.maxRate).isEqualTo(1.5);
        assertThat(cfg.params.toleranceMs).isZero();
        assertThat(cfg.params.allowedLatenessMs).isEqualTo(60_000);
        assertThat(cfg.params.maxSessionMs).isEqualTo(3_600_000);
    }

    @Test
    void jobConfigValidation() {
        assertThatThrownBy(() -> job("--jdbc-url", "jdbc:mysql://localhost/x")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--jdbc-url:").hasMessageContaining("jdbc:postgresql:");
        assertThatThrownBy(() -> job("--jdbc-url", "postgresql://localhost/x")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--jdbc-url:");
        assertThat(job("--jdbc-url", "jdbc:yugabytedb://h:5433/yugabyte").jdbc.isYugabyteDriver()).isTrue();
        assertThatThrownBy(() -> job("--checkpoint-dir", "/tmp/ckpt")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--checkpoint-dir:").hasMessageContaining("scheme");
        assertThat(job("--checkpoint-dir", "file:///tmp/ckpt").checkpointDir).isEqualTo("file:///tmp/ckpt");
        assertThatThrownBy(() -> job("--session-gap", "0s")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--session-gap:");
        assertThatThrownBy(() -> job("--max-session", "0ms")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-session:");
        assertThatThrownBy(() -> job("--checkpoint-interval", "5ms")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--checkpoint-interval:");
        assertThatThrownBy(() -> job("--idle-timeout", "0s")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--idle-timeout:");
        assertThatThrownBy(() -> job("--max-rate", "0")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--max-rate:");
        assertThatThrownBy(() -> job("--allowed-lateness", "-1min")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--allowed-lateness:");
        assertThatThrownBy(() -> job("--parallelism", "0")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--parallelism:");
        assertThatThrownBy(() -> job("--no-such-setting", "1")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--no-such-setting:");
    }

    @Test
    void aJobOptionIsOnlyKnownToItsJob() {
        Option<Duration> own = Option.duration("progress-min-interval", "0s", "job option");
        assertThat(JobConfig.parse("j", new String[] {"--progress-min-interval", "2s"}, List.of(own)).get(own)).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> job("--progress-min-interval", "2s")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--progress-min-interval:");
        assertThatThrownBy(() -> job().get(own)).isInstanceOf(ConfigException.class).hasMessageStartingWith("--progress-min-interval:");
    }

    @Test
    void helpListsEverySetting() {
        String help = Settings.help("usage: x", JobConfig.options(List.of()));
        for (Option<?> o : JobOptions.COMMON) assertThat(help).contains("--" + o.name);
        assertThat(Settings.wantsHelp(new String[] {"--gap", "1s", "--help"})).isTrue();
        assertThat(Settings.wantsHelp(new String[] {"--gap", "1s"})).isFalse();
    }
}
