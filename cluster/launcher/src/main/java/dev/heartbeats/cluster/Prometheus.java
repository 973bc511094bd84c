package dev.heartbeats.cluster;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Reads Prometheus text-format endpoints (Flink's Prometheus reporter): which metric names they export. */
public final class Prometheus {
    private Prometheus() {}

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public static String scrape(URI endpoint) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("GET " + endpoint + ": HTTP " + r.statusCode());
        return r.body();
    }

    /** The metric names (without labels) that the endpoints export right now. */
    public static Set<String> names(List<URI> endpoints) throws IOException, InterruptedException {
        Set<String> out = new TreeSet<>();
        for (URI e : endpoints) {
            for (String line : scrape(e).split("\n")) {
                if (line.isBlank() || line.startsWith("#")) continue;
                int end = 0;
                while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
                out.add(line.substring(0, end));
            }
        }
        return out;
    }
}
