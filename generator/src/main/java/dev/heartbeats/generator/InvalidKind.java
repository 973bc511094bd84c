package dev.heartbeats.generator;

import dev.heartbeats.common.contract.Heartbeat;

import java.util.function.Function;

import static dev.heartbeats.generator.JsonFields.of;
import static dev.heartbeats.generator.JsonFields.ofAd;
import static dev.heartbeats.generator.JsonFields.quote;
import static dev.heartbeats.generator.JsonFields.utf8;

/**
 * Every way a record can be invalid under contract section 1. Each kind derives its value from a valid heartbeat, so
 * that invalid records look like a real player's (same user, video and times) and break exactly one rule.
 */
public enum InvalidKind {
    // Not a JSON object in valid UTF-8
    NOT_JSON("not-json", h -> utf8("heartbeat " + h.userId + " " + h.videoId + " " + h.eventTime)),
    TRUNCATED_JSON("truncated-json", h -> {
        String j = of(h).json();
        return utf8(j.substring(0, j.length() / 2));
    }),
    NOT_OBJECT_ARRAY("not-an-object-array", h -> utf8("[" + of(h).json() + "]")),
    NOT_OBJECT_STRING("not-an-object-string", h -> utf8(quote(h.userId))),
    NOT_OBJECT_NULL("not-an-object-null", h -> utf8("null")),
    EMPTY_VALUE("empty-value", h -> new byte[0]),
    TOMBSTONE("tombstone", h -> null),
    BYTE_ORDER_MARK("byte-order-mark", h -> concat(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF}, of(h).bytes())),
    INVALID_UTF8_BYTE("invalid-utf8-byte", h -> rawBytesInDeviceId(h, 0xFF)),
    INVALID_UTF8_OVERLONG("invalid-utf8-overlong", h -> rawBytesInDeviceId(h, 0xC0, 0xAF)),
    INVALID_UTF8_SURROGATE("invalid-utf8-encoded-surrogate", h -> rawBytesInDeviceId(h, 0xED, 0xA0, 0x80)),
    INVALID_UTF8_TRUNCATED("invalid-utf8-truncated-sequence", h -> rawBytesInDeviceId(h, 0xE2, 0x82)),
    LONE_HIGH_SURROGATE("lone-surrogate-high", h -> of(h).set("user_id", "\"" + h.userId + "\\ud800\"").bytes()),
    LONE_LOW_SURROGATE("lone-surrogate-low", h -> of(h).set("video_id", "\"\\udc00" + h.videoId + "\"").bytes()),
    LONE_SURROGATE_UNKNOWN_FIELD("lone-surrogate-in-unknown-field", h -> of(h).set("player_note", "\"x\\ud83dy\"").bytes()),
    TRAILING_GARBAGE("trailing-garbage", h -> utf8(of(h).json() + " x")),
    TRAILING_SECOND_OBJECT("trailing-second-object", h -> utf8(of(h).json() + of(h).json())),

    // Required fields missing or null
    MISSING_USER_ID("missing-user_id", h -> of(h).remove("user_id").bytes()),
    MISSING_VIDEO_ID("missing-video_id", h -> of(h).remove("video_id").bytes()),
    MISSING_EVENT_TIME("missing-event_time", h -> of(h).remove("event_time").bytes()),
    MISSING_POSITION("missing-position_ms", h -> of(h).remove("position_ms").bytes()),
    NULL_USER_ID("null-user_id", h -> of(h).set("user_id", "null").bytes()),
    NULL_VIDEO_ID("null-video_id", h -> of(h).set("video_id", "null").bytes()),
    NULL_EVENT_TIME("null-event_time", h -> of(h).set("event_time", "null").bytes()),
    NULL_POSITION("null-position_ms", h -> of(h).set("position_ms", "null").bytes()),

    // Wrong types
    STRING_FOR_INTEGER("string-for-integer", h -> of(h).set("event_time", "\"" + h.eventTime + "\"").bytes()),
    FRACTION_FOR_INTEGER("fraction-for-integer", h -> of(h).set("position_ms", h.positionMs + ".0").bytes()),
    EXPONENT_FOR_INTEGER("exponent-for-integer", h -> of(h).set("position_ms", h.positionMs + "e0").bytes()),
    INTEGER_FOR_STRING("integer-for-string", h -> of(h).set("user_id", "42").bytes()),
    BOOLEAN_FOR_STRING("boolean-for-string", h -> of(h).set("video_id", "true").bytes()),
    BOOLEAN_FOR_INTEGER("boolean-for-integer", h -> of(h).set("position_ms", "false").bytes()),
    ARRAY_FOR_INTEGER("array-for-integer", h -> of(h).set("position_ms", "[" + h.positionMs + "]").bytes()),
    OBJECT_FOR_STRING("object-for-string", h -> of(h).set("user_id", "{\"id\":" + quote(h.userId) + "}").bytes()),
    INTEGER_FOR_EVENT("integer-for-event", h -> of(h).set("event", "1").bytes()),
    INTEGER_FOR_DEVICE_ID("integer-for-device_id", h -> of(h).set("device_id", "7").bytes()),
    STRING_FOR_AD_INTEGER("string-for-ad_duration_ms", h -> ofAd(h).set("ad_duration_ms", "\"15000\"").bytes()),
    INTEGER_ABOVE_64_BIT("integer-above-64-bit", h -> of(h).set("event_time", "9223372036854775808").bytes()),
    INTEGER_BELOW_64_BIT("integer-below-64-bit", h -> of(h).set("position_ms", "-9223372036854775809").bytes()),

    // Out of range
    EVENT_TIME_BEFORE_2000("event-time-before-2000", h -> of(h).set("event_time", "946684799999").bytes()),
    EVENT_TIME_FROM_2100("event-time-from-2100", h -> of(h).set("event_time", "4102444800000").bytes()),
    NEGATIVE_POSITION("negative-position", h -> of(h).set("position_ms", Long.toString(-1 - h.positionMs)).bytes()),
    // 129 code points, 193 UTF-16 chars: too long however it is counted.
    ID_TOO_LONG("id-too-long", h -> of(h).set("user_id", quote("u" + "\u00e9".repeat(64) + "\ud83d\ude00".repeat(64))).bytes()),
    DEVICE_ID_TOO_LONG("device_id-too-long", h -> of(h).set("device_id", quote("d-" + "x".repeat(127))).bytes()),
    EMPTY_USER_ID("empty-user_id", h -> of(h).set("user_id", "\"\"").bytes()),
    EMPTY_VIDEO_ID("empty-video_id", h -> of(h).set("video_id", "\"\"").bytes()),
    NUL_IN_ID("nul-in-id", h -> of(h).set("video_id", "\"" + h.videoId + "\\u0000\"").bytes()),
    NUL_IN_DEVICE_ID("nul-in-device_id", h -> of(h).set("device_id", "\"d\\u0000\"").bytes()),
    // "A repeated field name: the last one wins": a valid first value does not save an invalid last one.
    REPEATED_FIELD_LAST_INVALID("repeated-field-last-invalid", h -> of(h).append("position_ms", "-1").bytes()),
    UNKNOWN_EVENT("unknown-event", h -> of(h).set("event", "\"rewind\"").bytes()),
    UNKNOWN_EVENT_CASE("unknown-event-uppercase", h -> of(h).set("event", "\"PLAY\"").bytes()),

    // Ad heartbeats without their ad fields
    AD_MISSING_AD_ID("ad-missing-ad_id", h -> ofAd(h).remove("ad_id").bytes()),
    AD_MISSING_AD_POSITION("ad-missing-ad_position_ms", h -> ofAd(h).remove("ad_position_ms").bytes()),
    AD_MISSING_AD_DURATION("ad-missing-ad_duration_ms", h -> ofAd(h).remove("ad_duration_ms").bytes()),
    AD_NULL_AD_ID("ad-null-ad_id", h -> ofAd(h).set("ad_id", "null").bytes()),
    AD_EMPTY_AD_ID("ad-empty-ad_id", h -> ofAd(h).set("ad_id", "\"\"").bytes()),
    AD_ZERO_DURATION("ad-zero-duration", h -> ofAd(h).set("ad_duration_ms", "0").bytes()),
    AD_NEGATIVE_POSITION("ad-negative-position", h -> ofAd(h).set("ad_position_ms", "-1").bytes());

    private static final InvalidKind[] VALUES = values();
    private static final String RAW_MARK = "@RAW@";

    private final String label;
    private final Function<Heartbeat, byte[]> make;

    InvalidKind(String label, Function<Heartbeat, byte[]> make) {
        this.label = label;
        this.make = make;
    }

    public String label() {
        return label;
    }

    /** The invalid value derived from {@code base} ({@code null} for {@link #TOMBSTONE}). */
    public byte[] value(Heartbeat base) {
        return make.apply(base);
    }

    /** The kinds in a fixed cycle, so that any long enough stream holds every one. */
    static InvalidKind cycle(long n) {
        return VALUES[(int) (n % VALUES.length)];
    }

    /** The heartbeat's JSON with a device id holding the given raw bytes (which are not valid UTF-8). */
    private static byte[] rawBytesInDeviceId(Heartbeat h, int... raw) {
        String json = of(h).set("device_id", quote("d-" + RAW_MARK)).json();
        int at = json.indexOf(RAW_MARK);
        byte[] head = utf8(json.substring(0, at));
        byte[] tail = utf8(json.substring(at + RAW_MARK.length()));
        byte[] mid = new byte[raw.length];
        for (int i = 0; i < raw.length; i++) mid[i] = (byte) raw[i];
        return concat(concat(head, mid), tail);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = new byte[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
