package dev.heartbeats.common.tables;

import java.util.Objects;

/** A row of {@code video_progress}: the resume point of a (user, video) pair (times in epoch ms). */
public class VideoProgress {
    public String userId;
    public String videoId;
    public long positionMs;
    public long eventTime;
    public String deviceId;

    public VideoProgress() {}

    public static VideoProgress of(String userId, String videoId, long positionMs, long eventTime, String deviceId) {
        VideoProgress p = new VideoProgress();
        p.userId = userId;
        p.videoId = videoId;
        p.positionMs = positionMs;
        p.eventTime = eventTime;
        p.deviceId = deviceId;
        return p;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof VideoProgress)) return false;
        VideoProgress p = (VideoProgress) o;
        return positionMs == p.positionMs && eventTime == p.eventTime && userId.equals(p.userId) && videoId.equals(p.videoId)
                && Objects.equals(deviceId, p.deviceId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(userId, videoId, positionMs, eventTime, deviceId);
    }

    @Override
    public String toString() {
        return "video_progress(" + userId + ", " + videoId + ", pos=" + positionMs + ", t=" + eventTime + ", device=" + deviceId + ")";
    }
}
