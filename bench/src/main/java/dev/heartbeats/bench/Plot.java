package dev.heartbeats.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The report's picture (JFreeChart, rendered headless): bounded throughput per job and parallelism against the
 * consumer ceilings, and live latency percentiles against the rate, side by side over a footer naming the run.
 */
final class Plot {
    private static final int PANEL_W = 700, H = 600, FOOTER = 28;
    static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c), new Color(0xd62728), new Color(0x9467bd)};

    private Plot() {}

    static void write(Results res, Path file) throws IOException {
        String footer = res.startedAt + "   " + res.machine + "   load " + res.loadAtStart + " -> " + res.loadAtEnd
                + "   " + res.settings.getOrDefault("records", "") + " records, " + res.settings.getOrDefault("viewers", "") + " viewers";
        write(file, footer, List.of(throughput(res), latency(res)));
    }

    /** Draws the charts left to right, each {@link #PANEL_W} wide, with one line of text under them. */
    static void write(Path file, String footer, List<JFreeChart> charts) throws IOException {
        int w = PANEL_W * charts.size();
        BufferedImage img = new BufferedImage(w, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, H);
        for (int i = 0; i < charts.size(); i++) {
            charts.get(i).draw(g, new Rectangle2D.Double(PANEL_W * i, 0, PANEL_W, H - FOOTER));
        }
        g.setColor(Color.DARK_GRAY);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString(footer, 12, H - 10);
        g.dispose();
        ImageIO.write(img, "png", file.toFile());
    }

    private static JFreeChart throughput(Results res) {
        Map<String, TreeMap<Integer, List<Double>>> byJob = new LinkedHashMap<>();
        for (Results.BoundedRun r : res.bounded) {
            byJob.computeIfAbsent(r.job, k -> new TreeMap<>()).computeIfAbsent(r.parallelism, k -> new ArrayList<>()).add(r.throughput());
        }
        DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
        byJob.forEach((job, byParallelism) -> byParallelism.forEach((p, values) -> data.add(values, job, "parallelism " + p)));
        JFreeChart chart = ChartFactory.createBoxAndWhiskerChart("Bounded throughput (records/s; box: runs, line: median)", null, "records/s", data, true);
        CategoryPlot plot = chart.getCategoryPlot();
        BoxAndWhiskerRenderer renderer = (BoxAndWhiskerRenderer) plot.getRenderer();
        for (int i = 0; i < SERIES.length; i++) renderer.setSeriesPaint(i, SERIES[i]);
        renderer.setMeanVisible(false);
        renderer.setMaximumBarWidth(0.12);
        renderer.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new DecimalFormat("#,##0")));
        plot.getRangeAxis().setLowerBound(0);
        marker(plot, Stats.median(res.ceilingRead), "Kafka read ceiling", new Color(0x555555));
        marker(plot, Stats.median(res.ceilingParse), "read + parse ceiling", new Color(0x999999));
        style(chart);
        return chart;
    }

    private static JFreeChart latency(Results res) {
        List<Results.LiveRun> runs = new ArrayList<>(res.live);
        runs.sort(Comparator.comparingDouble(r -> r.rate));
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series("progress p50", runs, r -> Stats.median(r.progressLatencyMs)));
        data.addSeries(series("progress p99", runs, r -> Stats.percentile(r.progressLatencyMs, 99)));
        data.addSeries(series("progress max", runs, r -> Stats.max(r.progressLatencyMs)));
        data.addSeries(series("stop p99", runs, r -> Stats.percentile(r.stopLatencyMs, 99)));
        JFreeChart chart = ChartFactory.createXYLineChart("Live latency to the DB (ms, log scale) vs rate", "heartbeats/s", "ms",
                data, PlotOrientation.VERTICAL, true, false, false);
        XYPlot plot = chart.getXYPlot();
        double highest = 10_000;
        for (int i = 0; i < data.getSeriesCount(); i++) {
            if (data.getSeries(i).getItemCount() > 0) highest = Math.max(highest, data.getSeries(i).getMaxY());
        }
        LogarithmicAxis ms = new LogarithmicAxis("ms");
        ms.setRange(10, highest * 1.5);
        plot.setRangeAxis(ms);
        NumberAxis rate = (NumberAxis) plot.getDomainAxis();
        rate.setAutoRangeIncludesZero(true);
        rate.setNumberFormatOverride(new DecimalFormat("#,##0"));
        XYLineAndShapeRenderer lines = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < SERIES.length; i++) lines.setSeriesPaint(i, SERIES[i]);
        plot.setRenderer(lines);
        ValueMarker target = new ValueMarker(2000, new Color(0xcc0000), dashed());
        target.setLabel("target p99 2 s");
        target.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        target.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
        plot.addRangeMarker(target);
        style(chart);
        return chart;
    }

    private static XYSeries series(String name, List<Results.LiveRun> runs, ToDoubleFunction<Results.LiveRun> value) {
        XYSeries s = new XYSeries(name);
        for (Results.LiveRun r : runs) {
            double v = value.applyAsDouble(r);
            if (!Double.isNaN(v)) s.add(r.rate, Math.max(1, v));
        }
        return s;
    }

    private static void marker(CategoryPlot plot, double value, String label, Color color) {
        if (Double.isNaN(value)) return;
        ValueMarker m = new ValueMarker(value, color, dashed());
        m.setLabel(label + String.format(" (%,.0f)", value));
        m.setLabelAnchor(RectangleAnchor.TOP_LEFT);
        m.setLabelTextAnchor(TextAnchor.BOTTOM_LEFT);
        plot.addRangeMarker(m);
        plot.getRangeAxis().setUpperBound(Math.max(plot.getRangeAxis().getUpperBound(), value * 1.1));
    }

    static BasicStroke dashed() {
        return new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {6f, 4f}, 0f);
    }

    static void style(JFreeChart chart) {
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        chart.getPlot().setBackgroundPaint(Color.WHITE);
    }
}
