package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.util.TimeUtils;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static dev.heartbeats.k8s.support.Manifests.at;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sizing rules of k8s/README.md ("Sizing"), checked on the rendered overlays. Inputs: the contract's peak of
 * 100,000 heartbeats/s, 2x headroom (a 10-minute outage at peak drains within 10 minutes), and per-slot throughput
 * of 40,000 heartbeats/s for the segments job (DataStream) and 60,000 for the Table API jobs: conservative planning
 * figures below what bench/README.md measured on a shared 2-core machine (README "Sizing"); update PER_SLOT with
 * measurements on the target hardware.
 */
class SizingTest {
    static final int PEAK = 100_000;
    static final int HEADROOM = 2;
    static final Map<String, Integer> PER_SLOT = Map.of("segments", 40_000, "watch-time", 60_000, "ad-impressions", 60_000, "archive", 100_000);

    @Test
    void prodHandlesTwiceThePeak() {
        Manifests prod = Kustomize.renderOverlay("prod");
        int partitions = ((Number) at(prod.get("KafkaTopic", "heartbeats"), "spec.partitions")).intValue();
        for (Map<String, Object> fd : prod.ofKind("FlinkDeployment")) {
            String job = Manifests.name(fd);
            int parallelism = ((Number) at(fd, "spec.job.parallelism")).intValue();
            int slots = Integer.parseInt(Manifests.map(at(fd, "spec.flinkConfiguration")).get("taskmanager.numberOfTaskSlots").toString());
            double cpu = ((Number) at(fd, "spec.taskManager.resource.cpu")).doubleValue();
            long capacity = (long) parallelism * PER_SLOT.get(job);
            assertThat(capacity).as(job + ": parallelism " + parallelism + " x " + PER_SLOT.get(job) + "/s per slot >= " + HEADROOM + " x peak")
                    .isGreaterThanOrEqualTo((long) HEADROOM * PEAK);
            assertThat(partitions % parallelism).as(job + ": every subtask reads as many partitions (" + partitions + " / " + parallelism + ")").isZero();
            assertThat(cpu).as(job + ": one core per slot").isGreaterThanOrEqualTo(slots);
            long perSlotMemory = MemorySize.parse(at(fd, "spec.taskManager.resource.memory").toString()).getMebiBytes() / slots;
            assertThat(perSlotMemory).as(job + ": MiB per slot (RocksDB block cache and write buffers)").isGreaterThanOrEqualTo(2048);
            assertThat(at(fd, "spec.taskManager.resource.ephemeralStorage")).as(job + ": room for RocksDB on local disk").isNotNull();
        }
    }

    /**
     * The autoscaler of every prod job (k8s/README.md, "Autoscaling"): on, within bounds that keep every subtask
     * reading as many partitions (max parallelism a divisor of the partition count, never above it nor above the key
     * groups), from a minimum of two up through the starting parallelism; a utilization band around the target; and
     * metrics trusted again only after a rescale's restart is over.
     */
    @Test
    void prodAutoscalerBoundsFitThePartitions() {
        Manifests prod = Kustomize.renderOverlay("prod");
        int partitions = ((Number) at(prod.get("KafkaTopic", "heartbeats"), "spec.partitions")).intValue();
        for (Map<String, Object> fd : prod.ofKind("FlinkDeployment")) {
            String job = Manifests.name(fd);
            Map<String, Object> conf = Manifests.map(at(fd, "spec.flinkConfiguration"));
            assertThat(conf.get("job.autoscaler.enabled")).as(job + ": autoscaler on").isEqualTo("true");
            int min = Integer.parseInt(conf.get("job.autoscaler.vertex.min-parallelism").toString());
            int max = Integer.parseInt(conf.get("job.autoscaler.vertex.max-parallelism").toString());
            int parallelism = ((Number) at(fd, "spec.job.parallelism")).intValue();
            int keyGroups = Integer.parseInt(conf.get("pipeline.max-parallelism").toString());
            assertThat(min).as(job + ": min parallelism").isGreaterThanOrEqualTo(2).isLessThanOrEqualTo(parallelism);
            assertThat(max).as(job + ": max parallelism").isGreaterThanOrEqualTo(parallelism).isGreaterThanOrEqualTo(min)
                    .isLessThanOrEqualTo(partitions).isLessThanOrEqualTo(keyGroups);
            assertThat(partitions % max).as(job + ": max parallelism " + max + " divides the " + partitions + " partitions").isZero();
            double target = Double.parseDouble(conf.get("job.autoscaler.utilization.target").toString());
            double low = Double.parseDouble(conf.get("job.autoscaler.utilization.min").toString());
            double high = Double.parseDouble(conf.get("job.autoscaler.utilization.max").toString());
            assertThat(target).as(job + ": utilization target inside its band").isGreaterThan(low).isLessThan(high);
            assertThat(high).as(job + ": headroom above the band").isLessThan(1.0);
            Duration restart = TimeUtils.parseDuration(conf.get("job.autoscaler.restart.time").toString());
            Duration stabilization = TimeUtils.parseDuration(conf.get("job.autoscaler.stabilization.interval").toString());
            Duration window = TimeUtils.parseDuration(conf.get("job.autoscaler.metrics.window").toString());
            assertThat(stabilization).as(job + ": no metrics from a rescale's restart").isGreaterThanOrEqualTo(restart);
            assertThat(window).as(job + ": the metrics window spans several checkpoint intervals")
                    .isGreaterThanOrEqualTo(TimeUtils.parseDuration(conf.get("execution.checkpointing.interval").toString()).multipliedBy(10));
        }
    }

    @Test
    void localRunsOneSmallTaskManagerPerJob() {
        for (Map<String, Object> fd : Kustomize.renderOverlay("local").ofKind("FlinkDeployment")) {
            int parallelism = ((Number) at(fd, "spec.job.parallelism")).intValue();
            int slots = Integer.parseInt(Manifests.map(at(fd, "spec.flinkConfiguration")).get("taskmanager.numberOfTaskSlots").toString());
            assertThat((parallelism + slots - 1) / slots).as(Manifests.id(fd) + " TaskManagers").isEqualTo(1);
            assertThat(MemorySize.parse(at(fd, "spec.taskManager.resource.memory").toString()).getMebiBytes()).isLessThanOrEqualTo(2048);
        }
    }
}
