package dev.heartbeats.local;

import dev.heartbeats.common.contract.ContractParams;
import dev.heartbeats.generator.GeneratorConfig;
import dev.heartbeats.common.pipeline.JobLauncher;
import dev.heartbeats.schema.catalog.CatalogLoader;
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

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole suite on one generated stream with every adversity: the three jobs, at parallelism 2, write exactly the
 * four tables the reference implementation computes; every job routes exactly the same records as too late and as
 * invalid; and the contract's cross-check holds (per video, hourly watched time = watched time of its segments).
 */
class PipelineDifferentialIT {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    @Test
    void allJobsMatchTheReferenceOnAStreamWithEveryAdversity() throws Exception {
        TestBed bed = TestBed.shared();
        CatalogLoader.loadDefaults(bed.jdbc());
        Scenario s = bed.scenario("pipeline-differential");
        DifferentialRun run = DifferentialRun.send(s, GeneratorConfig.allAdversities(7).toBuilder().viewers(150).maxRecords(50_000).build());

        for (JobLauncher.Job job : Jobs.all().values()) s.runBounded(job, "--parallelism", "2");

        ContractParams params = ContractParams.DEFAULTS;
        Routing routing = run.routing(params, 5_000);
        Set<String> tooLate = routing.tooLate;
        assertThat(tooLate).isNotEmpty();
        for (String job : Jobs.all().keySet()) {
            assertThat(DifferentialRun.routed(s, s.lateTopic, job)).as("too late, as routed by " + job).isEqualTo(tooLate);
            assertThat(DifferentialRun.routed(s, s.dlqTopic, job)).as("invalid, as routed by " + job).isEqualTo(routing.invalid);
        }

        ContractReference.Expected expected = routing.tables(params, catalog(bed));
        assertThat(expected.contentWatchHourly.stream().filter(r -> r.licensorId == null)).as("catalog misses exercised").isNotEmpty();
        assertThat(expected.adImpressionsHourly).isNotEmpty();
        TableSnapshot actual = s.tables();
        TableAssert.assertMatches(actual, expected);
        TableAssert.assertWatchTimeConsistent(actual);
    }

    private static Map<String, String> catalog(TestBed bed) throws Exception {
        Map<String, String> licensorByVideo = new HashMap<>();
        try (Connection c = bed.jdbc().connect(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT video_id, licensor_id FROM videos")) {
            while (rs.next()) licensorByVideo.put(rs.getString(1), rs.getString(2));
        }
        return licensorByVideo;
    }
}
