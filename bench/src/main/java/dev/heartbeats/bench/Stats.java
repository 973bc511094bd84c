package dev.heartbeats.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Medians and percentiles of small samples (nearest-rank), the way the report quotes them. */
final class Stats {
    private Stats() {}

    static double median(Collection<? extends Number> values) {
        return percentile(values, 50);
    }

    /** Nearest-rank percentile; NaN for no values. */
    static double percentile(Collection<? extends Number> values, double p) {
        if (values.isEmpty()) return Double.NaN;
        List<Double> sorted = new ArrayList<>(values.size());
        for (Number n : values) sorted.add(n.doubleValue());
        sorted.sort(Double::compare);
        if (p >= 100) return sorted.get(sorted.size() - 1);
        if (p == 50 && sorted.size() % 2 == 0) {
            return (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2;
        }
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    static double max(Collection<? extends Number> values) {
        return values.stream().mapToDouble(Number::doubleValue).max().orElse(Double.NaN);
    }

    static double min(Collection<? extends Number> values) {
        return values.stream().mapToDouble(Number::doubleValue).min().orElse(Double.NaN);
    }
}
