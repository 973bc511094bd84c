package dev.heartbeats.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The report of a run with bounded and live results: its tables, its history lines, and a picture that draws. */
class ReportTest {
    @Test
    void writesTablesHistoryAndPlot(@TempDir Path dir) throws Exception {
        Results res = new Results();
        res.startedAt = "2026-12-05T07:00:00Z";
        res.machine = "test machine";
        res.loadAtStart = res.loadAtEnd = "0.1 0.1 0.1";
        res.commit = "abc1234";
        res.label = "";
        res.settings.put("records", "1000");
        res.ceilingRead.add(900_000.0);
        res.ceilingParse.add(400_000.0);
        for (int run = 0; run < 2; run++) {
            Results.BoundedRun r = new Results.BoundedRun();
            r.job = "segments";
            r.parallelism = 1;
            r.records = 1_000_000;
            r.runningToEndMs = run == 0 ? 8_000 : 10_000;
            r.jvmCpuSeconds = 10;
            r.rowCounts.put("watch_segments", 42L);
            res.bounded.add(r);
        }
        for (String where : List.of(ClusterBench.WHERE, Results.MINICLUSTER)) {
            Results.BoundedRun r = new Results.BoundedRun();
            r.where = where;
            r.job = "segments";
            r.parallelism = 1;
            r.records = 1_000_000;
            r.startupMs = where.equals(Results.MINICLUSTER) ? 2_000 : 9_000;
            r.runningToEndMs = where.equals(Results.MINICLUSTER) ? 8_000 : 10_000;
            r.jvmCpuSeconds = 12;
            res.cluster.add(r);
        }
        Results.LiveRun live = new Results.LiveRun();
        live.job = "segments";
        live.rate = 30_000;
        live.achievedRate = 29_990;
        live.sent = 300_000;
        live.measuredSeconds = 10;
        live.viewers = 150_000;
        live.progressLatencyMs.addAll(List.of(300.0, 500.0, 900.0));
        live.stopLatencyMs.addAll(List.of(1_200.0));
        res.live.add(live);

        Path readme = dir.resolve("README.md");
        Files.writeString(readme, "# bench\n" + Report.START + "\nold\n" + Report.END + "\n");
        Report.write(res, readme, dir.resolve("report"), true);

        String text = Files.readString(readme);
        assertThat(text).doesNotContain("\nold\n")
                .contains("| segments | 1 | **112,500** | 100,000-125,000 | 28% |")
                .contains("| segments | 30,000/s | 29,990/s | 500 / 900 / 900 (3) | 1,200 / 1,200 / 1,200 (1) |")
                .contains("| segments | application cluster (processes) | 1 | **100,000** | 100,000-100,000 | 9.0 | 12.00 |")
                .contains("| segments | MiniCluster (this JVM) | 1 | **125,000** | 125,000-125,000 | 2.0 | 12.00 |");
        assertThat(Files.readAllLines(dir.resolve("report/history-bounded.csv"))).hasSize(2);
        BufferedImage png = ImageIO.read(dir.resolve("report/bench.png").toFile());
        assertThat(png.getWidth()).isEqualTo(1400);
        assertThat(png.getHeight()).isEqualTo(600);
        assertThat(distinctColours(png)).as("a drawn chart, not a blank image").isGreaterThan(10);
    }

    private static long distinctColours(BufferedImage img) {
        return java.util.stream.IntStream.range(0, img.getWidth() * img.getHeight())
                .map(i -> img.getRGB(i % img.getWidth(), i / img.getWidth())).distinct().count();
    }
}
