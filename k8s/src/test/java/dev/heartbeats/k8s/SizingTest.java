package dev.heartbeats.k8s;

import dev.heartbeats.k8s.support.Kustomize;
import dev.heartbeats.k8s.support.Manifests;
import org.apache.flink.configuration.MemorySize;
import org.junit.jupiter.api.Test;

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
