package dev.heartbeats.local;

import dev.heartbeats.common.config.JobConfig;
import dev.heartbeats.common.pipeline.HeartbeatIngest;
import dev.heartbeats.common.pipeline.JobLauncher;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamEdge;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.streaming.runtime.partitioner.ForwardPartitioner;
import org.apache.flink.streaming.runtime.partitioner.KeyGroupStreamPartitioner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A restatement reads the archive with one reader so that every Kafka partition comes in offset order; each job's graph
 * must keep that order up to its keyed steps. A step at the job's parallelism right after the reader would be fed round
 * robin: a pair's heartbeats would then reach its keyed state out of order and with other partition watermarks than
 * live (the ad-impressions job's ad filter once did that, and a restated hour counted some ad views twice).
 */
class RestatementOrderTest {
    @Test
    void everyTableJobKeepsThePartitionOrderFromTheArchiveToItsKeyedSteps(@TempDir Path archive) throws Exception {
        for (JobLauncher.Job job : Jobs.all().values()) {
            JobConfig cfg = job.parse("--archive-dir", archive.toString(), "--restate-from", "2026-10-01T00:00:00Z",
                    "--restate-to", "2026-10-01T01:00:00Z", "--parallelism", "4");
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            job.configure(env, cfg);
            job.workflow().build(env, cfg);
            StreamGraph graph = env.getStreamGraph();
            StreamNode source = graph.getStreamNodes().stream()
                    .filter(n -> HeartbeatIngest.ARCHIVE_SOURCE_UID.equals(n.getTransformationUID())).findFirst().orElseThrow();
            assertThat(source.getParallelism()).as(job.name() + ": the archive's reader").isEqualTo(1);

            List<String> keyed = new ArrayList<>();
            Deque<StreamNode> ordered = new ArrayDeque<>(List.of(source));
            while (!ordered.isEmpty()) {
                StreamNode node = ordered.poll();
                for (StreamEdge e : node.getOutEdges()) {
                    if (e.getOutputTag() != null) continue; // dead letters and too-late records: no order needed
                    StreamNode next = graph.getStreamNode(e.getTargetId());
                    if (e.getPartitioner() instanceof KeyGroupStreamPartitioner) {
                        keyed.add(next.getOperatorName());
                        continue;
                    }
                    assertThat(e.getPartitioner()).as(job.name() + ": " + node.getOperatorName() + " -> " + next.getOperatorName())
                            .isInstanceOf(ForwardPartitioner.class);
                    assertThat(next.getParallelism()).as(job.name() + ": " + next.getOperatorName()).isEqualTo(1);
                    ordered.add(next);
                }
            }
            assertThat(keyed).as(job.name() + ": keyed steps reached from the archive").isNotEmpty();
        }
    }
}
