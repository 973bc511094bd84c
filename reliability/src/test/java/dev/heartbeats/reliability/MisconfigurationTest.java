package dev.heartbeats.reliability;

import dev.heartbeats.adimpressions.AdImpressionsJob;
import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.segments.SegmentsJob;
import dev.heartbeats.watchtime.WatchTimeJob;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A missing or malformed setting fails every job at start, in its {@code parse} and in its {@code main}, before it
 * touches Kafka, the database or Flink, with a message that names the setting.
 */
class MisconfigurationTest {
    static final List<JobLauncher.Job> JOBS = List.of(new SegmentsJob(), new WatchTimeJob(), new AdImpressionsJob());

    /** {setting that must be named, arguments}. */
    static final String[][] COMMON_CASES = {
        {"--parallelism", "--parallelism", "0"},
        {"--parallelism", "--parallelism", "-2"},
        {"--parallelism", "--parallelism", "two"},
        {"--session-gap", "--session-gap", "abc"},
        {"--session-gap", "--session-gap", "0s"},
        {"--jdbc-url", "--jdbc-url", "mysql://db:3306/heartbeats"},
        {"--jdbc-url", "--jdbc-url", "jdbc:mysql://db:3306/heartbeats"},
        {"--checkpoint-dir", "--checkpoint-dir", "/no/scheme"},
        {"--foo", "--foo", "bar"},
        {"--foo", "--foo"},
        {"--bootstrap-servers", "--bootstrap-servers"},
        {"--bootstrap-servers", "--bootstrap-servers", ""},
        {"--max-rate", "--max-rate", "-1"},
        {"--max-rate", "--max-rate", "fast"},
        {"--tolerance", "--tolerance", "-5ms"},
        {"--allowed-lateness", "--allowed-lateness", "ten minutes"},
        {"--max-session", "--max-session", "0s"},
        {"--starting-offsets", "--starting-offsets", "sideways"},
        {"--checkpoint-interval", "--checkpoint-interval", "5ms"},
        {"--idle-timeout", "--idle-timeout", "0s"},
        {"--sink-batch-size", "--sink-batch-size", "0"},
        {"--sink-flush-interval", "--sink-flush-interval", "soon"},
        {"--out-of-orderness", "--out-of-orderness", "-1s"},
        {"--jdbc-password-file", "--jdbc-password-file", "/no/such/password/file"},
        {"--jdbc-password-file", "--jdbc-password-file", "/tmp"},
        {"--jdbc-auth-retry-time", "--jdbc-auth-retry-time", "a while"},
        {"--dead-letter-max-bytes", "--dead-letter-max-bytes", "0"},
        {"--dead-letter-max-bytes", "--dead-letter-max-bytes", "512"},
        {"--dead-letter-max-bytes", "--dead-letter-max-bytes", "1MiB"},
        {"--jdbc-ssl-mode", "--jdbc-ssl-mode", "prefer"},
        {"--jdbc-ssl-root-cert", "--jdbc-ssl-root-cert", "/no/such/ca.crt"},
        {"--kafka-security-protocol", "--kafka-security-protocol", "sasl_plaintext"},
        {"--kafka-sasl-user", "--kafka-sasl-user", "segments"},
        {"--kafka-sasl-user", "--kafka-security-protocol", "sasl-ssl"},
        {"--kafka-truststore", "--kafka-security-protocol", "ssl", "--kafka-truststore", "/no/such/ca.crt"},
        {"--kafka-property", "--kafka-property", "not.a.kafka.property=1"},
        {"--kafka-property", "--kafka-property", "ssl.key.password=hunter2"},
        {"--kafka-properties-file", "--kafka-properties-file", "/no/such/file"},
        {"segments", "segments", "--parallelism", "2"},
    };

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (JobLauncher.Job job : JOBS) {
            for (String[] c : COMMON_CASES) out.add(Arguments.of(job, c[0], List.of(c).subList(1, c.length)));
        }
        out.add(Arguments.of(new SegmentsJob(), "--state-cache-pairs", List.of("--state-cache-pairs", "-1")));
        out.add(Arguments.of(new SegmentsJob(), "--progress-min-interval", List.of("--progress-min-interval", "later")));
        for (JobLauncher.Job job : List.of(new WatchTimeJob(), new AdImpressionsJob())) {
            // An hourly total must outlive the time its hour can still change.
            out.add(Arguments.of(job, "--aggregate-state-ttl", List.of("--aggregate-state-ttl", "30min")));
            out.add(Arguments.of(job, "--mini-batch-size", List.of("--mini-batch-size", "0")));
        }
        out.add(Arguments.of(new WatchTimeJob(), "--catalog-cache-rows", List.of("--catalog-cache-rows", "0")));
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("cases")
    void failsFastNamingTheSetting(JobLauncher.Job job, String named, List<String> args) {
        String[] a = args.toArray(new String[0]);
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> job.parse(a)).isInstanceOf(ConfigException.class).hasMessageContaining(named);
        // main: the same, before any cluster, broker or database is contacted
        assertThatThrownBy(() -> JobLauncher.main(job, a)).isInstanceOf(ConfigException.class).hasMessageContaining(named);
        assertThat((System.nanoTime() - t0) / 1_000_000).as("ms to fail").isLessThan(5_000);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jobs")
    void theDefaultsAreValid(JobLauncher.Job job) {
        assertThat(job.parse().jobName).isEqualTo(job.name());
    }

    static Stream<JobLauncher.Job> jobs() {
        return JOBS.stream();
    }
}
