package dev.heartbeats.common.sessionize;

import java.util.Objects;

/** A segment of one (user, video) pair, as the contract defines it; its key within the pair is {@link #segmentStart}. */
public class Segment {
    public long segmentStart;
    public long sessionStart;
    public long segmentEnd;
    public long startPosMs;
    public long endPosMs;
    public int heartbeats;

    public Segment() {}

    public Segment(long segmentStart, long sessionStart, long segmentEnd, long startPosMs, long endPosMs, int heartbeats) {
        this.segmentStart = segmentStart;
        this.sessionStart = sessionStart;
        this.segmentEnd = segmentEnd;
        this.startPosMs = startPosMs;
        this.endPosMs = endPosMs;
        this.heartbeats = heartbeats;
    }

    public long watchedMs() {
        return endPosMs - startPosMs;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Segment)) return false;
        Segment s = (Segment) o;
        return segmentStart == s.segmentStart && sessionStart == s.sessionStart && segmentEnd == s.segmentEnd
                && startPosMs == s.startPosMs && endPosMs == s.endPosMs && heartbeats == s.heartbeats;
    }

    @Override
    public int hashCode() {
        return Objects.hash(segmentStart, sessionStart, segmentEnd, startPosMs, endPosMs, heartbeats);
    }

    @Override
    public String toString() {
        return "Segment[" + segmentStart + ".." + segmentEnd + " pos " + startPosMs + ".." + endPosMs + " n=" + heartbeats + " session " + sessionStart + "]";
    }
}
