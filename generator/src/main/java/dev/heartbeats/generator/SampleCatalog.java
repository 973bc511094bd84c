package dev.heartbeats.generator;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The generator's videos and ads: ids, lengths and metadata derived from the index alone (never from the seed),
 * so that the bundled catalog CSVs ({@code /catalog/videos.csv}, {@code /catalog/ads.csv}) match every generated
 * stream. Regenerate the CSVs with {@link #main}.
 */
public final class SampleCatalog {
    public static final int DEFAULT_VIDEOS = 200;
    public static final int DEFAULT_ADS = 20;
    public static final int LICENSORS = 8;
    public static final String VIDEOS_HEADER = "video_id,licensor_id,title,duration_ms";
    public static final String ADS_HEADER = "ad_id,advertiser_id,campaign_id,duration_ms";

    private static final String[] ADJECTIVES = {"Silent", "Golden", "Broken", "Distant", "Hidden", "Electric", "Last",
            "Northern", "Crimson", "Quiet", "Wild", "Paper"};
    private static final String[] NOUNS = {"River", "Harbor", "Signal", "Garden", "Empire", "Orbit", "Frontier", "Kitchen",
            "Detective", "Summer", "Machine", "Island", "Letters"};

    private SampleCatalog() {}

    public static String videoId(int index) {
        return id("v", index, 4);
    }

    public static String adId(int index) {
        return id("ad", index, 3);
    }

    /** 20 to 120 minutes, in whole seconds. */
    public static long videoDurationMs(int index) {
        return (20 * 60 + Math.floorMod(mix(index + 1_000_000_007L), 100 * 60 + 1)) * 1000L;
    }

    /** 30 s for about a quarter of the ads, 15 s for the rest. */
    public static long adDurationMs(int index) {
        return (mix(~index) & 3) == 0 ? 30_000 : 15_000;
    }

    /** Every 20th video is left out of the catalog on purpose: its rows must still count, with a NULL licensor. */
    public static boolean inCatalog(int videoIndex) {
        return videoIndex % 20 != 19;
    }

    public static String licensorId(int videoIndex) {
        return id("lic-", 1 + Math.floorMod(mix(videoIndex + 1_000_003L), LICENSORS), 2);
    }

    /** Some titles hold commas and quotes, so that the CSV round trip exercises quoting. */
    public static String title(int videoIndex) {
        long h = mix(videoIndex + 7_777_777L);
        String t = ADJECTIVES[(int) Math.floorMod(h, (long) ADJECTIVES.length)] + " "
                + NOUNS[(int) Math.floorMod(h >>> 20, (long) NOUNS.length)];
        if (videoIndex % 7 == 3) t += ", Part " + (2 + videoIndex % 3);
        if (videoIndex % 11 == 5) t += " \"Director's Cut\"";
        return t;
    }

    public static String advertiserId(int adIndex) {
        return id("adv-", 1 + adIndex % 6, 2);
    }

    public static String campaignId(int adIndex) {
        return id("camp-", 1 + adIndex / 2, 3);
    }

    public static void writeVideosCsv(Appendable out, int videos) throws IOException {
        out.append(VIDEOS_HEADER).append('\n');
        for (int i = 0; i < videos; i++) {
            if (!inCatalog(i)) continue;
            out.append(videoId(i)).append(',').append(licensorId(i)).append(',').append(csvField(title(i))).append(',')
                    .append(Long.toString(videoDurationMs(i))).append('\n');
        }
    }

    public static void writeAdsCsv(Appendable out, int ads) throws IOException {
        out.append(ADS_HEADER).append('\n');
        for (int i = 0; i < ads; i++) {
            out.append(adId(i)).append(',').append(advertiserId(i)).append(',').append(campaignId(i)).append(',')
                    .append(Long.toString(adDurationMs(i))).append('\n');
        }
    }

    /** Writes {@code videos.csv} and {@code ads.csv} for the default catalog into the directory given (default: the bundled one). */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "schema/src/main/resources/catalog");
        Files.createDirectories(dir);
        try (Writer w = Files.newBufferedWriter(dir.resolve("videos.csv"), StandardCharsets.UTF_8)) {
            writeVideosCsv(w, DEFAULT_VIDEOS);
        }
        try (Writer w = Files.newBufferedWriter(dir.resolve("ads.csv"), StandardCharsets.UTF_8)) {
            writeAdsCsv(w, DEFAULT_ADS);
        }
        System.out.println("wrote " + dir.resolve("videos.csv") + " and " + dir.resolve("ads.csv"));
    }

    static String csvField(String s) {
        if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) return s;
        return '"' + s.replace("\"", "\"\"") + '"';
    }

    /** {@code prefix} and {@code n} zero-padded to {@code width} digits, without String.format (hot path). */
    static String id(String prefix, long n, int width) {
        String digits = Long.toString(n);
        StringBuilder sb = new StringBuilder(prefix.length() + Math.max(width, digits.length())).append(prefix);
        for (int i = digits.length(); i < width; i++) sb.append('0');
        return sb.append(digits).toString();
    }

    /** SplitMix64's finalizer: a cheap, well-spread hash of a long. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }
}
