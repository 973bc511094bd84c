package dev.heartbeats.bench;

import dev.heartbeats.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cost curve's report: its table, the knee it names, the restore, the README block, and a plot that draws. */
class CurveReportTest {
    @Test
    void writesTheCurveTheKneeTheRestoreAndThePlot(@TempDir Path dir) throws Exception {
        Results res = results();
        res.curve.add(point(20_000, 400_000, 2_000, 5.0, 0.10));
        res.curve.add(point(100_000, 2_000_000, 10_000, 5.5, 0.15));
        res.curve.add(point(300_000, 6_000_000, 60_000, 9.0, 0.95));
        res.curve.add(point(1_000_000, 20_000_000, 250_000, 12.0, 1.00));
        Results.Restore r = new Results.Restore();
        r.viewers = 1_000_000;
        r.fromParallelism = 1;
        r.toParallelism = 2;
        r.savepointFormat = "canonical";
        r.buildSeconds = 180;
        r.savepointSeconds = 12.5;
        r.savepointBytes = 300L << 20;
        r.submitToRunningSeconds = 41.2;
        r.slowestSubtaskRestoreSeconds = 38.0;
        r.restoredStateBytes = 310L << 20;
        r.loadBefore = r.loadAfter = "1.00 1.00 1.00";
        res.restore = r;

        assertThat(CurveReport.knee(res.curve)).as("5.5 is within 25% of 5.0, 9.0 is not").isEqualTo(1);

        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# bench\n" + CurveReport.START + "\nold\n" + CurveReport.END + "\nafter\n");
        CurveReport.write(res, readme, dir.resolve("report"));

        String text = Files.readString(readme);
        assertThat(text).doesNotContain("\nold\n").endsWith(CurveReport.END + "\nafter\n")
                .contains("| 20,000 | 400,000 | **200,000** | 1.00 | 5.00 |")
                .contains("| 1,000,000 | 20,000,000 | **80,000** | 0.40 | 12.00 |")
                .contains("**Knee:** between 100,000 and 300,000 viewers")
                .contains("misses 0.95 times per heartbeat instead of 0.15")
                .contains("Throughput at 1,000,000 viewers: 80,000 records/s, 40% of the smallest audience's")
                .contains("| 180.0 | 12.5 | 300.0 MiB | **41.2** | 38.0 | 310.0 MiB |");
        assertThat(Files.readString(dir.resolve("report/curve.md"))).contains("![cost curve](report/curve.png)");

        BufferedImage png = ImageIO.read(dir.resolve("report/curve.png").toFile());
        assertThat(png.getWidth()).as("three panels").isEqualTo(2100);
        assertThat(png.getHeight()).isEqualTo(600);
        assertThat(java.util.stream.IntStream.range(0, png.getWidth() * png.getHeight())
                .map(i -> png.getRGB(i % png.getWidth(), i / png.getWidth())).distinct().count()).as("drawn charts").isGreaterThan(10);
    }

    @Test
    void noKneeWhenTheCostPerHeartbeatStaysFlat() {
        List<Results.CurvePoint> flat = List.of(point(20_000, 400_000, 2_000, 5.0, 0.1), point(100_000, 2_000_000, 10_000, 6.2, 0.1));
        assertThat(CurveReport.knee(flat)).isEqualTo(1);
        // A short smallest run carries the start-up: the knee is judged against the cheapest smaller audience.
        assertThat(CurveReport.knee(List.of(point(20_000, 100_000, 1_000, 10.0, 0.2), point(100_000, 500_000, 5_000, 5.0, 0.2),
                point(300_000, 1_500_000, 15_000, 6.0, 0.8), point(1_000_000, 5_000_000, 60_000, 9.0, 1.0)))).isEqualTo(2);
        Results res = results();
        res.curve.addAll(flat);
        assertThat(CurveReport.markdown(res)).contains("**Knee:** none up to 100,000 viewers: the JVM's CPU per million heartbeats stays within 25% of the cheapest smaller audience's (5.00 s)");
    }

    @Test
    void audienceSizesFailNamingTheSetting() {
        assertThat(CostCurve.viewers("20000, 100_000,1000000")).containsExactly(20_000L, 100_000L, 1_000_000L);
        assertThatThrownBy(() -> CostCurve.viewers("100000,20000")).isInstanceOf(ConfigException.class).hasMessageStartingWith("--viewers:");
        assertThatThrownBy(() -> CostCurve.viewers("20k")).isInstanceOf(ConfigException.class).hasMessageContaining("'20k'");
        assertThat(CostCurve.cachePairs(List.of("--progress-min-interval", "0s", "--state-cache-pairs", "500000"))).isEqualTo(500_000);
        assertThat(CostCurve.cachePairs(List.of())).isEqualTo(200_000);
    }

    private static Results results() {
        Results res = new Results();
        res.startedAt = "2026-12-05 09:00 UTC";
        res.machine = "test machine";
        res.loadAtStart = res.loadAtEnd = "0.5 0.5 0.5";
        res.commit = "abc1234";
        res.label = "";
        res.settings.put("heartbeats-per-viewer", "20");
        res.settings.put("state-cache-pairs", "200000");
        return res;
    }

    /** A measured run: {@code records} in {@code ms}, with that JVM CPU per million heartbeats and cache misses per heartbeat. */
    private static Results.CurvePoint point(long viewers, long records, double ms, double cpuPerMillion, double missesPerHeartbeat) {
        Results.BoundedRun r = new Results.BoundedRun();
        r.job = "segments";
        r.parallelism = 1;
        r.records = records;
        r.runningToEndMs = ms;
        r.jvmCpuSeconds = cpuPerMillion * records / 1e6;
        r.dbCpuSeconds = 1.5 * records / 1e6;
        r.heapInUseMax = 100L << 20;
        r.cacheMisses = Math.round(missesPerHeartbeat * records);
        r.loadAfter = "0.5 0.5 0.5";
        r.checkpoints = new CheckpointStats();
        r.checkpoints.completed = 1;
        r.checkpoints.durationsMs.add(1_500L);
        r.checkpoints.maxFullSize = viewers * 500;
        r.checkpoints.latestCheckpointedSize = viewers * 200;
        Results.CurvePoint p = new Results.CurvePoint();
        p.viewers = viewers;
        p.run = r;
        return p;
    }
}
