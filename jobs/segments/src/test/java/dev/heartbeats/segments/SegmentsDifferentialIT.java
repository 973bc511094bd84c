package dev.heartbeats.segments;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratedRecord;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.tables.TableSnapshot;
import dev.heartbeats.testing.ContractReference;
import dev.heartbeats.testing.DifferentialRun;
import dev.heartbeats.testing.Routing;
import dev.heartbeats.testing.Scenario;
import dev.heartbeats.testing.TableAssert;
import dev.heartbeats.testing.TestBed;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A generated stream with every adversity (out of order, duplicated, late within L, too late, invalid of every
 * kind), run through the job in bounded mode at parallelism 2, gives exactly the rows of the reference
 * implementation, and routes exactly the records it must.
 */
class SegmentsDifferentialIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @Test
    void generatedStreamWithEveryAdversityMatchesTheReference() throws Exception {
        Scenario s = TestBed.shared().scenario("differential-segments");
        GeneratorConfig config = GeneratorConfig.allAdversities(42).toBuilder().viewers(120).maxRecords(60_000).build();
        DifferentialRun run = DifferentialRun.send(s, config);
        assertThat(run.sent.stream().map(x -> x.record.kind())).contains(GeneratedRecord.Kind.values());

        s.runBounded(new SegmentsJob(), "--parallelism", "2");

        ContractParams params = ContractParams.DEFAULTS;
        Routing routing = run.routing(params, 5_000);
        Set<String> tooLate = routing.tooLate;
        assertThat(tooLate).isNotEmpty();
        assertThat(DifferentialRun.routed(s, s.lateTopic, SegmentsJob.NAME)).isEqualTo(tooLate);
        assertThat(DifferentialRun.routed(s, s.dlqTopic, SegmentsJob.NAME)).isEqualTo(routing.invalid);

        ContractReference.Expected expected = routing.tables(params, Map.of());
        TableSnapshot actual = s.tables();
        assertThat(expected.watchSegments).hasSizeGreaterThan(500);
        TableAssert.assertWatchSegments(actual.watchSegments, expected.watchSegments);
        TableAssert.assertVideoProgress(actual.videoProgress, expected.videoProgress);
    }
}
