package dev.heartbeats.bench;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The report's picture, drawn with java.awt (headless): bounded throughput per job and parallelism against the
 * consumer ceilings, and live latency percentiles against the rate.
 */
final class Plot {
    private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd)};
    private static final int W = 1400, H = 600;

    private Plot() {}

    static void write(Results res, Path file) throws IOException {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(res.startedAt + "   " + res.machine + "   load " + res.loadAtStart + " -> " + res.loadAtEnd
                + "   " + res.settings.getOrDefault("records", "") + " records, " + res.settings.getOrDefault("viewers", "") + " viewers", 20, H - 12);
        throughput(g, res, 70, 50, 560, 460);
        latency(g, res, 780, 50, 560, 460);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static void throughput(Graphics2D g, Results res, int x0, int y0, int w, int h) {
        // job -> parallelism -> throughputs
        Map<String, TreeMap<Integer, List<Double>>> byJob = new LinkedHashMap<>();
        for (Results.BoundedRun r : res.bounded) {
            byJob.computeIfAbsent(r.job, k -> new TreeMap<>()).computeIfAbsent(r.parallelism, k -> new ArrayList<>()).add(r.throughput());
        }
        double max = Math.max(Stats.median(res.ceilingRead), Stats.median(res.ceilingParse));
        for (var m : byJob.values()) for (var l : m.values()) max = Math.max(max, Stats.max(l));
        if (!(max > 0)) max = 1;
        max *= 1.1;
        title(g, "Bounded throughput (records/s, median of runs; whiskers min-max)", x0, y0);
        axes(g, x0, y0, w, h, max, false, "records/s");
        List<Integer> ps = new ArrayList<>();
        for (var m : byJob.values()) for (int p : m.keySet()) if (!ps.contains(p)) ps.add(p);
        ps.sort(Integer::compare);
        int groups = Math.max(1, ps.size());
        int jobs = Math.max(1, byJob.size());
        double groupW = w / (double) groups;
        double barW = Math.min(60, groupW * 0.7 / jobs);
        int j = 0;
        for (var e : byJob.entrySet()) {
            Color c = SERIES[j % SERIES.length];
            for (int gi = 0; gi < ps.size(); gi++) {
                List<Double> v = e.getValue().get(ps.get(gi));
                if (v == null) continue;
                double cx = x0 + groupW * gi + groupW / 2 - barW * jobs / 2 + barW * j;
                int top = yOf(Stats.median(v), max, y0, h, false);
                g.setColor(c);
                g.fillRect((int) cx, top, (int) barW - 4, y0 + h - top);
                g.setColor(Color.BLACK);
                int lo = yOf(Stats.min(v), max, y0, h, false), hi = yOf(Stats.max(v), max, y0, h, false);
                int mid = (int) (cx + (barW - 4) / 2);
                g.drawLine(mid, lo, mid, hi);
                g.drawLine(mid - 4, lo, mid + 4, lo);
                g.drawLine(mid - 4, hi, mid + 4, hi);
                g.drawString(String.format("%,.0f", Stats.median(v)), (int) cx - 4, top - 4);
            }
            legend(g, c, e.getKey(), x0 + w - 150, y0 + 14 + 16 * j, false);
            j++;
        }
        g.setColor(Color.DARK_GRAY);
        for (int gi = 0; gi < ps.size(); gi++) {
            g.drawString("parallelism " + ps.get(gi), (int) (x0 + groupW * gi + groupW / 2 - 35), y0 + h + 18);
        }
        hline(g, Stats.median(res.ceilingRead), max, x0, y0, w, h, new Color(0x555555), "Kafka read ceiling");
        hline(g, Stats.median(res.ceilingParse), max, x0, y0, w, h, new Color(0x999999), "read + parse ceiling");
    }

    private static void latency(Graphics2D g, Results res, int x0, int y0, int w, int h) {
        title(g, "Live latency to the DB (ms, log scale) vs rate", x0, y0);
        double max = 10_000;
        for (Results.LiveRun r : res.live) {
            max = Math.max(max, Stats.max(r.progressLatencyMs));
            max = Math.max(max, Stats.max(r.stopLatencyMs));
        }
        axes(g, x0, y0, w, h, max, true, "ms");
        List<Results.LiveRun> runs = new ArrayList<>(res.live);
        runs.sort((a, b) -> Double.compare(a.rate, b.rate));
        double maxRate = runs.stream().mapToDouble(r -> r.rate).max().orElse(1) * 1.1;
        String[] names = {"progress p50", "progress p99", "progress max", "stop p99"};
        for (int s = 0; s < names.length; s++) {
            Color c = SERIES[s % SERIES.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            int px = -1, py = -1;
            for (Results.LiveRun r : runs) {
                List<Double> l = s == 3 ? r.stopLatencyMs : r.progressLatencyMs;
                double v = s == 0 ? Stats.median(l) : s == 2 ? Stats.max(l) : Stats.percentile(l, 99);
                if (Double.isNaN(v)) continue;
                int x = (int) (x0 + r.rate / maxRate * w);
                int y = yOf(Math.max(1, v), max, y0, h, true);
                g.fillOval(x - 4, y - 4, 8, 8);
                if (px >= 0) g.drawLine(px, py, x, y);
                g.drawString(String.format("%,.0f", v), x + 6, y - 4);
                px = x;
                py = y;
            }
            g.setStroke(new BasicStroke(1f));
            legend(g, c, names[s], x0 + w - 150, y0 + h - 70 + 16 * s, false);
        }
        hline(g, 2000, max, x0, y0, w, h, new Color(0xcc0000), "target p99 2 s", true);
        g.setColor(Color.DARK_GRAY);
        for (Results.LiveRun r : runs) {
            int x = (int) (x0 + r.rate / maxRate * w);
            g.drawString(String.format("%,.0f/s", r.rate), x - 20, y0 + h + 18);
        }
    }

    private static void title(Graphics2D g, String t, int x0, int y0) {
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(t, x0, y0 - 16);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    }

    private static void axes(Graphics2D g, int x0, int y0, int w, int h, double max, boolean log, String unit) {
        g.setColor(Color.BLACK);
        g.drawLine(x0, y0 + h, x0 + w, y0 + h);
        g.drawLine(x0, y0, x0, y0 + h);
        g.setColor(new Color(0xdddddd));
        if (log) {
            for (double v = 1; v <= max; v *= 10) tick(g, v, max, x0, y0, w, h, true);
        } else {
            double step = niceStep(max / 6);
            for (double v = step; v <= max; v += step) tick(g, v, max, x0, y0, w, h, false);
        }
        // The unit is in the panel's title.
    }

    private static void tick(Graphics2D g, double v, double max, int x0, int y0, int w, int h, boolean log) {
        int y = yOf(v, max, y0, h, log);
        g.setColor(new Color(0xe4e4e4));
        g.drawLine(x0 + 1, y, x0 + w, y);
        g.setColor(Color.DARK_GRAY);
        g.drawString(v >= 1000 ? String.format("%,.0fk", v / 1000) : String.format("%,.0f", v), x0 - 48, y + 4);
    }

    private static void hline(Graphics2D g, double v, double max, int x0, int y0, int w, int h, Color c, String label) {
        hline(g, v, max, x0, y0, w, h, c, label, false);
    }

    private static void hline(Graphics2D g, double v, double max, int x0, int y0, int w, int h, Color c, String label, boolean log) {
        if (Double.isNaN(v)) return;
        int y = yOf(v, max, y0, h, log);
        g.setColor(c);
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f));
        g.drawLine(x0, y, x0 + w, y);
        g.setStroke(new BasicStroke(1f));
        g.drawString(label + String.format(" (%,.0f)", v), x0 + 8, y - 4);
    }

    private static void legend(Graphics2D g, Color c, String name, int x, int y, boolean unused) {
        g.setColor(c);
        g.fillRect(x, y - 9, 12, 10);
        g.setColor(Color.BLACK);
        g.drawString(name, x + 18, y);
    }

    private static int yOf(double v, double max, int y0, int h, boolean log) {
        if (log) {
            double lv = Math.log10(Math.max(1, v)), lm = Math.log10(max);
            return (int) (y0 + h - lv / lm * h);
        }
        return (int) (y0 + h - v / max * h);
    }

    private static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) if (m * p >= raw) return m * p;
        return 10 * p;
    }
}
