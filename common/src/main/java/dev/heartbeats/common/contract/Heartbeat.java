package dev.heartbeats.common.contract;

import java.util.Objects;

/**
 * A valid heartbeat (contract section 1). A Flink POJO: public fields and a no-arg constructor, so that it
 * can be used on keyed streams; the ad fields are only meaningful when {@link #event} is {@link EventType#AD}.
 */
public class Heartbeat {
    public String userId;
    public String videoId;
    public long eventTime;
    public long positionMs;
    public EventType event = EventType.PLAY;
    /** Absent device: {@code null}. */
    public String deviceId;
    public String adId;
    public long adPositionMs;
    public long adDurationMs;
    /**
     * Not part of the contract: the Kafka partition the heartbeat was read from, and that partition's watermark just
     * after it (the largest event time up to it minus the out-of-orderness), set where too-late is decided. The keyed
     * operators keep their state for as long as a later heartbeat of the partition could still need it. -1 and
     * {@link Long#MIN_VALUE}: unknown. Not compared by {@link #equals}.
     */
    public int sourcePartition = -1;
    public long partitionWatermark = Long.MIN_VALUE;

    public Heartbeat() {}

    public static Heartbeat content(String userId, String videoId, long eventTime, long positionMs, EventType event, String deviceId) {
        Heartbeat h = new Heartbeat();
        h.userId = userId;
        h.videoId = videoId;
        h.eventTime = eventTime;
        h.positionMs = positionMs;
        h.event = event;
        h.deviceId = deviceId;
        return h;
    }

    public static Heartbeat ad(String userId, String videoId, long eventTime, long positionMs, String adId, long adPositionMs, long adDurationMs) {
        Heartbeat h = content(userId, videoId, eventTime, positionMs, EventType.AD, null);
        h.adId = adId;
        h.adPositionMs = adPositionMs;
        h.adDurationMs = adDurationMs;
        return h;
    }

    public boolean isContent() {
        return event != EventType.AD;
    }

    public Heartbeat copy() {
        Heartbeat h = content(userId, videoId, eventTime, positionMs, event, deviceId);
        h.adId = adId;
        h.adPositionMs = adPositionMs;
        h.adDurationMs = adDurationMs;
        h.sourcePartition = sourcePartition;
        h.partitionWatermark = partitionWatermark;
        return h;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Heartbeat)) return false;
        Heartbeat h = (Heartbeat) o;
        return eventTime == h.eventTime && positionMs == h.positionMs && adPositionMs == h.adPositionMs
                && adDurationMs == h.adDurationMs && Objects.equals(userId, h.userId) && Objects.equals(videoId, h.videoId)
                && event == h.event && Objects.equals(deviceId, h.deviceId) && Objects.equals(adId, h.adId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(userId, videoId, eventTime, positionMs, event, deviceId, adId, adPositionMs, adDurationMs);
    }

    @Override
    public String toString() {
        return HeartbeatJson.toJson(this);
    }
}
