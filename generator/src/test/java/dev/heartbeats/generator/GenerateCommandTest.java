package dev.heartbeats.generator;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.Option;
import dev.heartbeats.common.config.Settings;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GenerateCommandTest {
    private static final long NOW = Instant.parse("2026-03-01T12:00:00Z").toEpochMilli();

    private static GeneratorConfig config(String... args) {
        return GenerateCommand.config(Settings.parse(args, GenerateCommand.OPTIONS), NOW);
    }

    @Test
    void defaultsAreACleanBoundedRun() {
        GeneratorConfig c = config();
        assertThat(c.maxRecords()).isEqualTo(GenerateCommand.DEFAULT_RECORDS);
        assertThat(c.viewers()).isEqualTo(1000);
        assertThat(c.seed()).isEqualTo(1);
        assertThat(c.adversityTotal()).isZero();
        // A pre-load simulates the past: 1,000,000 records of 1,000 viewers (one heartbeat each 5 s) end now.
        assertThat(c.startTime()).isEqualTo(NOW - 5_000_000); // 5,000 s
    }

    @Test
    void adversityPresetAndIndividualFractions() {
        GeneratorConfig c = config("--adversity", "all", "--invalid", "0", "--too-late", "0.01", "--records", "5000", "--seed", "9",
                "--viewers", "20", "--start-time", "2026-02-01T23:30:00Z");
        assertThat(c.outOfOrder()).isEqualTo(0.03);
        assertThat(c.duplicates()).isEqualTo(0.02);
        assertThat(c.lateWithin()).isEqualTo(0.02);
        assertThat(c.tooLate()).isEqualTo(0.01);
        assertThat(c.invalid()).isZero();
        assertThat(c.maxRecords()).isEqualTo(5000);
        assertThat(c.seed()).isEqualTo(9);
        assertThat(c.viewers()).isEqualTo(20);
        assertThat(c.startTime()).isEqualTo(Instant.parse("2026-02-01T23:30:00Z").toEpochMilli());
        assertThat(config("--duplicates", "0.1").duplicates()).isEqualTo(0.1);
    }

    @Test
    void liveModeStartsNowUnboundedWithViewersFromTheRate() {
        GeneratorConfig c = config("--rate", "200");
        assertThat(c.startTime()).isEqualTo(NOW);
        assertThat(c.viewers()).isEqualTo(1000);
        assertThat(c.maxRecords()).isEqualTo(GeneratorConfig.UNLIMITED);
        assertThat(config("--rate", "200", "--records", "77").maxRecords()).isEqualTo(77);
    }

    @Test
    void badSettingsAreNamed() {
        assertThatThrownBy(() -> config("--invalid", "2")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--invalid:");
        assertThatThrownBy(() -> config("--out-of-order", "lots")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--out-of-order:");
        assertThatThrownBy(() -> config("--start-time", "yesterday")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--start-time:");
        assertThatThrownBy(() -> config("--start-time", "1990-01-01T00:00:00Z")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("startTime");
        assertThatThrownBy(() -> config("--start-time", Instant.ofEpochMilli(NOW + 1).toString())).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--start-time:").hasMessageContaining("in the future");
        assertThatThrownBy(() -> config("--rate", "10", "--viewers", "5")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--viewers:");
        assertThatThrownBy(() -> config("--rate", "10", "--start-time", "2026-01-01T00:00:00Z")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("--start-time:");
        assertThatThrownBy(() -> config("--out-of-order", "0.6", "--duplicates", "0.6")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("more than 1");
        assertThatThrownBy(() -> config("--rate", "0")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--rate:");
    }

    @Test
    void helpListsEverySetting() {
        String help = GenerateCommand.help();
        for (Option<?> o : GenerateCommand.OPTIONS) assertThat(help).contains("--" + o.name);
    }
}
