package dev.heartbeats.common.tables;

import dev.heartbeats.common.sessionize.Segment;

import java.util.Objects;

/** A row of {@code watch_segments} (times in epoch ms). */
public class WatchSegment {
    public String userId;
    public String videoId;
    public long segmentStart;
    public long sessionStart;
    public long segmentEnd;
    public long startPosMs;
    public long endPosMs;
    public long heartbeats;

    public WatchSegment() {}

    public static WatchSegment of(String userId, String videoId, Segment s) {
        WatchSegment w = new WatchSegment();
        w.userId = userId;
        w.videoId = videoId;
        w.segmentStart = s.segmentStart;
        w.sessionStart = s.sessionStart;
        w.segmentEnd = s.segmentEnd;
        w.startPosMs = s.startPosMs;
        w.endPosMs = s.endPosMs;
        w.heartbeats = s.heartbeats;
        return w;
    }

    public static WatchSegment key(String userId, String videoId, long segmentStart) {
        WatchSegment w = new WatchSegment();
        w.userId = userId;
        w.videoId = videoId;
        w.segmentStart = segmentStart;
        return w;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof WatchSegment)) return false;
        WatchSegment w = (WatchSegment) o;
        return segmentStart == w.segmentStart && sessionStart == w.sessionStart && segmentEnd == w.segmentEnd
                && startPosMs == w.startPosMs && endPosMs == w.endPosMs && heartbeats == w.heartbeats
                && userId.equals(w.userId) && videoId.equals(w.videoId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(userId, videoId, segmentStart, sessionStart, segmentEnd, startPosMs, endPosMs, heartbeats);
    }

    @Override
    public String toString() {
        return "watch_segments(" + userId + ", " + videoId + ", start=" + segmentStart + ", session=" + sessionStart + ", end="
                + segmentEnd + ", pos " + startPosMs + ".." + endPosMs + ", n=" + heartbeats + ")";
    }
}
