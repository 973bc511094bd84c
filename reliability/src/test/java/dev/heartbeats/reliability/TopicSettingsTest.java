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

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Regression test (found by this suite, fixed in JobConfig): a dead-letter or late topic equal to the input topic used
 * to be accepted. The job then reads back what it routes:
 * every invalid (or too-late) record is routed again, forever, once per job reading the topic (three jobs: 3^n
 * copies after n rounds); {@link TopicLoopIT} shows it on a real broker. It is a misconfiguration that must fail at
 * start, naming the settings, like the others in {@link MisconfigurationTest}.
 */
class TopicSettingsTest {
    static Stream<Arguments> sameTopic() {
        List<Arguments> out = new ArrayList<>();
        for (JobLauncher.Job job : List.of(new SegmentsJob(), new WatchTimeJob(), new AdImpressionsJob())) {
            out.add(Arguments.of(job, "--dlq-topic", new String[] {"--input-topic", "heartbeats", "--dlq-topic", "heartbeats"}));
            out.add(Arguments.of(job, "--late-topic", new String[] {"--input-topic", "heartbeats", "--late-topic", "heartbeats"}));
            out.add(Arguments.of(job, "--dlq-topic", new String[] {"--dlq-topic", "heartbeats"}));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("sameTopic")
    void aDeadLetterOrLateTopicEqualToTheInputTopicFailsAtStart(JobLauncher.Job job, String named, String[] args) {
        assertThatThrownBy(() -> job.parse(args)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(named).hasMessageContaining("--input-topic");
    }
}
