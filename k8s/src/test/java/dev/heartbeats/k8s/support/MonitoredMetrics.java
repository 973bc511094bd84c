package dev.heartbeats.k8s.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every Prometheus metric name the monitoring of k8s/ queries: the Grafana dashboard's panel and variable queries and
 * the PrometheusRule's alert expressions. {@link #names(Path)} is the list a real cluster's scrape must contain (a
 * renamed metric otherwise shows up as a blank panel or an alert that can never fire).
 */
public final class MonitoredMetrics {
    private MonitoredMetrics() {}

    public static final String DASHBOARD = "k8s/components/monitoring/dashboards/heartbeat-sessions.json";
    public static final String RULES = "k8s/components/monitoring/prometheusrule.yaml";

    /** PromQL words that look like metric names but are not: keywords and aggregation modifiers. */
    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "by", "without", "on", "ignoring", "group_left",
            "group_right", "bool", "offset", "atan2", "inf", "nan");
    private static final Pattern STRING = Pattern.compile("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`");
    private static final Pattern MATCHERS = Pattern.compile("\\{[^{}]*}");
    private static final Pattern RANGE = Pattern.compile("\\[[^\\[\\]]*]");
    private static final Pattern GROUPING = Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^()]*\\)");
    private static final Pattern IDENTIFIER = Pattern.compile("(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:])");
    /** A Prometheus metric name. */
    public static final Pattern METRIC_NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    /** The metric names the dashboard and the alert rules of the repository at {@code repoRoot} query, sorted. */
    public static SortedSet<String> names(Path repoRoot) {
        SortedSet<String> names = new TreeSet<>();
        for (String expr : expressions(repoRoot)) names.addAll(namesIn(expr));
        return names;
    }

    /** Every PromQL expression of the dashboard (panel targets, variable queries) and of the alert rules. */
    public static List<String> expressions(Path repoRoot) {
        List<String> out = new ArrayList<>(dashboardExpressions(repoRoot));
        out.addAll(ruleExpressions(repoRoot));
        return out;
    }

    public static List<String> dashboardExpressions(Path repoRoot) {
        List<String> out = new ArrayList<>();
        try {
            JsonNode dash = new ObjectMapper().readTree(Files.readString(repoRoot.resolve(DASHBOARD)));
            for (JsonNode p : dash.path("panels")) {
                for (JsonNode t : p.path("targets")) if (t.hasNonNull("expr")) out.add(t.get("expr").asText());
            }
            for (JsonNode v : dash.path("templating").path("list")) {
                JsonNode q = v.path("query");
                String query = q.isObject() ? q.path("query").asText("") : v.path("type").asText().equals("query") ? q.asText("") : "";
                Matcher m = Pattern.compile("^label_values\\((.*),\\s*[A-Za-z_][A-Za-z0-9_]*\\)$").matcher(query.trim());
                if (m.find()) out.add(m.group(1));
                else if (!query.isBlank()) out.add(query);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    public static List<String> ruleExpressions(Path repoRoot) {
        List<String> out = new ArrayList<>();
        Map<String, Object> rule = Yaml.load(Repo.read(repoRoot.resolve(RULES)));
        for (Object g : Manifests.list(Manifests.at(rule, "spec.groups"))) {
            for (Object r : Manifests.list(Manifests.at(g, "rules"))) {
                Object expr = Manifests.map(r).get("expr");
                if (expr != null) out.add(expr.toString());
            }
        }
        return out;
    }

    /** The metric names of one PromQL expression: identifiers that are not in strings, label matchers, ranges,
     *  grouping clauses, function calls or keywords. */
    public static SortedSet<String> namesIn(String expr) {
        String s = STRING.matcher(expr).replaceAll(" ");
        String prev;
        do {
            prev = s;
            s = MATCHERS.matcher(s).replaceAll(" ");
        } while (!s.equals(prev));
        s = RANGE.matcher(s).replaceAll(" ");
        s = GROUPING.matcher(s).replaceAll(" ");
        SortedSet<String> out = new TreeSet<>();
        Matcher m = IDENTIFIER.matcher(s);
        while (m.find()) {
            String word = m.group(1);
            String after = s.substring(m.end()).stripLeading();
            if (after.startsWith("(")) continue; // a function
            if (KEYWORDS.contains(word.toLowerCase())) continue;
            out.add(word);
        }
        return out;
    }
}
