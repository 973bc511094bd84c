package dev.heartbeats.common.contract;

import java.nio.charset.StandardCharsets;

/** Writes a heartbeat as the contract's JSON value (used by the generator and for re-serialising records). */
public final class HeartbeatJson {
    private HeartbeatJson() {}

    public static String toJson(Heartbeat h) {
        StringBuilder sb = new StringBuilder(160);
        sb.append("{\"user_id\":");
        quote(sb, h.userId);
        sb.append(",\"video_id\":");
        quote(sb, h.videoId);
        sb.append(",\"event_time\":").append(h.eventTime);
        sb.append(",\"position_ms\":").append(h.positionMs);
        sb.append(",\"event\":\"").append(h.event == null ? "play" : h.event.wireName()).append('"');
        if (h.deviceId != null) {
            sb.append(",\"device_id\":");
            quote(sb, h.deviceId);
        }
        if (h.event == EventType.AD) {
            sb.append(",\"ad_id\":");
            quote(sb, h.adId);
            sb.append(",\"ad_position_ms\":").append(h.adPositionMs);
            sb.append(",\"ad_duration_ms\":").append(h.adDurationMs);
        }
        return sb.append('}').toString();
    }

    public static byte[] toBytes(Heartbeat h) {
        return toJson(h).getBytes(StandardCharsets.UTF_8);
    }

    /** JSON string escaping per RFC 8259. */
    public static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
