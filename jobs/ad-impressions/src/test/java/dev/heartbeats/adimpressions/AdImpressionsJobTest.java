package dev.heartbeats.adimpressions;

import dev.heartbeats.common.config.ConfigException;
import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.pipeline.JobRuntime;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The job graph (no cluster): uids under pipeline.auto-generate-uids=false, options and their checks. */
class AdImpressionsJobTest {
    static List<String> uids(String... args) {
        AdImpressionsJob job = new AdImpressionsJob();
        JobConfig cfg = job.parse(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobRuntime.configure(env, cfg);
        try {
            job.workflow().build(env, cfg);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return env.getStreamGraph().getStreamNodes().stream().map(StreamNode::getTransformationUID).sorted().collect(Collectors.toList());
    }

    @Test
    void everyOperatorHasAUidAndTheTableApiUidsDoNotDependOnWhatTheJvmPlannedBefore() {
        List<String> first = uids();
        assertThat(uids()).isEqualTo(first);
        assertThat(first).doesNotContainNull().doesNotHaveDuplicates()
                .contains(AdImpressionsJob.AD_FILTER_UID, AdImpressionsJob.AD_VIEWS_UID, AdImpressionsJob.AGGREGATE_UID,
                        AdImpressionsJob.TO_CHANGES_UID, AdImpressionsJob.SINK_UID);
        assertThat(uids("--mini-batch-latency", "0s")).contains(AdImpressionsJob.AGGREGATE_UID)
                .noneMatch(u -> u.contains("local-group-aggregate"));
    }

    @Test
    void helpListsTheJobsOwnOptions() {
        assertThat(new AdImpressionsJob().help()).contains("--aggregate-state-ttl", "[default: 8d]", "--mini-batch-latency", "--session-gap", "--tolerance");
    }

    @Test
    void aStateTtlThatCouldExpireAnOpenHourIsRefused() {
        assertThatThrownBy(() -> new AdImpressionsJob().parse("--aggregate-state-ttl", "1h"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--aggregate-state-ttl");
    }
}
