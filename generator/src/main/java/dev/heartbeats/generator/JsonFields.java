package dev.heartbeats.generator;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A heartbeat's JSON as an ordered list of (name, raw JSON text) that can be edited field by field, to derive invalid
 * records from valid ones. Only used for invalid records, which are rare, so it favours clarity over speed.
 */
final class JsonFields {
    private final List<String[]> fields = new ArrayList<>();

    static JsonFields of(Heartbeat h) {
        JsonFields j = new JsonFields();
        j.set("user_id", quote(h.userId));
        j.set("video_id", quote(h.videoId));
        j.set("event_time", Long.toString(h.eventTime));
        j.set("position_ms", Long.toString(h.positionMs));
        j.set("event", quote(h.event.wireName()));
        if (h.deviceId != null) j.set("device_id", quote(h.deviceId));
        if (h.event == EventType.AD) {
            j.set("ad_id", quote(h.adId));
            j.set("ad_position_ms", Long.toString(h.adPositionMs));
            j.set("ad_duration_ms", Long.toString(h.adDurationMs));
        }
        return j;
    }

    /** The heartbeat as an {@code ad} heartbeat (keeping its ad fields if it is one), for the ad-specific kinds. */
    static JsonFields ofAd(Heartbeat h) {
        if (h.event == EventType.AD) return of(h);
        return of(h).set("event", quote("ad")).set("ad_id", quote(SampleCatalog.adId(0)))
                .set("ad_position_ms", "1000").set("ad_duration_ms", "15000");
    }

    /** Replaces the field's value in place, or appends the field. */
    JsonFields set(String name, String rawJson) {
        for (String[] f : fields) {
            if (f[0].equals(name)) {
                f[1] = rawJson;
                return this;
            }
        }
        fields.add(new String[] {name, rawJson});
        return this;
    }

    /** Appends the field even if present (a repeated name). */
    JsonFields append(String name, String rawJson) {
        fields.add(new String[] {name, rawJson});
        return this;
    }

    JsonFields remove(String name) {
        fields.removeIf(f -> f[0].equals(name));
        return this;
    }

    String json() {
        StringBuilder sb = new StringBuilder(200).append('{');
        for (String[] f : fields) {
            if (sb.length() > 1) sb.append(',');
            sb.append('"').append(f[0]).append("\":").append(f[1]);
        }
        return sb.append('}').toString();
    }

    byte[] bytes() {
        return utf8(json());
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2);
        HeartbeatJson.quote(sb, s);
        return sb.toString();
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
