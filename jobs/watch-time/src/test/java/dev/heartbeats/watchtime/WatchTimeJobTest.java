package dev.heartbeats.watchtime;

import dev.heartbeats.common.pipeline.TableUids;

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
class WatchTimeJobTest {
    /** The uids of the job graph, sorted; building fails if any operator lacks one. */
    static List<String> uids(String... args) {
        WatchTimeJob job = new WatchTimeJob();
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
        List<String> second = uids(); // the planner's node ids have moved on by now
        assertThat(second).isEqualTo(first);
        assertThat(first).doesNotContainNull().doesNotHaveDuplicates()
                .contains(WatchTimeJob.PAIR_HOURS_UID, WatchTimeJob.AGGREGATE_UID, WatchTimeJob.TO_CHANGES_UID, WatchTimeJob.SINK_UID,
                        WatchTimeJob.SQL_UID_PREFIX + "-lookup-join", WatchTimeJob.SQL_UID_PREFIX + "-local-group-aggregate");
        assertThat(first.stream().filter(u -> u.matches(".*\\d+_.*"))).as("no planner counter in a uid").isEmpty();
    }

    @Test
    void withoutMiniBatchTheOnePhaseAggregateCarriesTheSameUid() {
        List<String> uids = uids("--mini-batch-latency", "0s");
        assertThat(uids).contains(WatchTimeJob.AGGREGATE_UID)
                .noneMatch(u -> u.contains("mini-batch") || u.contains("local-group-aggregate"));
    }

    @Test
    void helpListsTheJobsOwnOptionsWithDefaults() {
        String help = new WatchTimeJob().help();
        assertThat(help).contains("--aggregate-state-ttl", "[default: 8d]", "--catalog-cache-ttl", "--catalog-cache-rows",
                "--mini-batch-latency", "--mini-batch-size", "--allowed-lateness", "--bounded");
    }

    @Test
    void aStateTtlThatCouldExpireAnOpenHourIsRefused() {
        assertThatThrownBy(() -> new WatchTimeJob().parse("--aggregate-state-ttl", "70min"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("--aggregate-state-ttl");
        assertThat(new WatchTimeJob().parse("--aggregate-state-ttl", "71min").get(WatchTimeJob.AGGREGATE_STATE_TTL).toMinutes()).isEqualTo(71);
    }

    @Test
    void theCatalogLookupTakesTheYugabyteSmartDriverUrl() {
        assertThat(uids("--jdbc-url", "jdbc:yugabytedb://db1:5433,db2:5433/heartbeats?load-balance=true"))
                .contains(WatchTimeJob.SQL_UID_PREFIX + "-lookup-join");
        assertThat(new YugabyteDbJdbcFactory().createDialect().defaultDriverName()).contains("com.yugabyte.Driver");
    }

    @Test
    void plannerOperatorNamesBecomeStableSlugs() {
        assertThat(TableUids.kind("GroupAggregate[12]")).isEqualTo("GroupAggregate");
        assertThat(TableUids.kind("*anonymous_datastream_source$3*[5]")).isEqualTo("anonymous_datastream_source");
        assertThat(TableUids.slug("LocalGroupAggregate")).isEqualTo("local-group-aggregate");
        assertThat(TableUids.slug("anonymous_datastream_source")).isEqualTo("anonymous-datastream-source");
    }
}
