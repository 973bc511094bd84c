package dev.heartbeats.common.tables;

import java.util.Objects;

/** A row of {@code content_watch_hourly} ({@link #hour} is the start of the UTC hour, epoch ms). */
public class ContentWatchHourly {
    public String videoId;
    public long hour;
    /** {@code null} when the video is missing from the catalog. */
    public String licensorId;
    public long watchedMs;
    public long viewers;

    public ContentWatchHourly() {}

    public static ContentWatchHourly of(String videoId, long hour, String licensorId, long watchedMs, long viewers) {
        ContentWatchHourly r = new ContentWatchHourly();
        r.videoId = videoId;
        r.hour = hour;
        r.licensorId = licensorId;
        r.watchedMs = watchedMs;
        r.viewers = viewers;
        return r;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ContentWatchHourly)) return false;
        ContentWatchHourly r = (ContentWatchHourly) o;
        return hour == r.hour && watchedMs == r.watchedMs && viewers == r.viewers && videoId.equals(r.videoId)
                && Objects.equals(licensorId, r.licensorId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(videoId, hour, licensorId, watchedMs, viewers);
    }

    @Override
    public String toString() {
        return "content_watch_hourly(" + videoId + ", hour=" + hour + ", licensor=" + licensorId + ", watched=" + watchedMs + ", viewers=" + viewers + ")";
    }
}
