package dev.heartbeats.common.parse;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;

import java.io.IOException;

/**
 * Parses and validates one Kafka record value against contract section 1.
 *
 * <p>Never throws on input: {@link #parse} returns {@code null} for a valid heartbeat (filling {@code out}) or a
 * readable reason for an invalid one. It streams tokens (no tree) and reuses its field buffers, so one instance
 * per thread; it is not thread-safe.
 */
public final class HeartbeatParser {
    /** [2000-01-01, 2100-01-01) in epoch ms. */
    public static final long MIN_EVENT_TIME = 946_684_800_000L;
    public static final long MAX_EVENT_TIME_EXCLUSIVE = 4_102_444_800_000L;
    public static final int MAX_ID_LENGTH = 128;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    // Deeper nesting is refused as poison input (documented); strings, names and numbers may be as
                    // long as a record can be: ignored values are never converted.
                    .maxNestingDepth(256)
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNameLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .build())
            .build();

    // Indexes of the known fields.
    private static final int USER_ID = 0, VIDEO_ID = 1, EVENT_TIME = 2, POSITION_MS = 3, EVENT = 4, DEVICE_ID = 5,
            AD_ID = 6, AD_POSITION_MS = 7, AD_DURATION_MS = 8, FIELD_COUNT = 9;
    private static final String[] NAMES = {"user_id", "video_id", "event_time", "position_ms", "event", "device_id",
            "ad_id", "ad_position_ms", "ad_duration_ms"};

    // What the last occurrence of each known field held ("a repeated field name: the last one wins").
    private static final byte ABSENT = 0, NULL = 1, STRING = 2, INTEGER = 3, BIG_INTEGER = 4, OTHER = 5;
    private final byte[] kinds = new byte[FIELD_COUNT];
    private final String[] strings = new String[FIELD_COUNT];
    private final long[] longs = new long[FIELD_COUNT];
    private final String[] otherTypes = new String[FIELD_COUNT];

    /**
     * @return {@code null} if {@code value} is a valid heartbeat (then {@code out} holds it), else the reason.
     */
    public String parse(byte[] value, Heartbeat out) {
        if (value == null) return "empty value (Kafka tombstone)";
        if (value.length == 0) return "empty value";
        if (value.length >= 3 && value[0] == (byte) 0xEF && value[1] == (byte) 0xBB && value[2] == (byte) 0xBF) {
            return "value starts with a byte-order mark";
        }
        int badUtf8 = Utf8.firstInvalidByte(value);
        if (badUtf8 >= 0) return "value is not valid UTF-8 (bad byte at offset " + badUtf8 + ")";
        for (int i = 0; i < FIELD_COUNT; i++) {
            kinds[i] = ABSENT;
            strings[i] = null;
        }
        String reason;
        try (JsonParser p = FACTORY.createParser(value)) {
            reason = readObject(p);
        } catch (JsonProcessingException e) {
            return "malformed JSON: " + e.getOriginalMessage();
        } catch (IOException | RuntimeException e) {
            return "unreadable value: " + e;
        }
        return reason != null ? reason : validate(out);
    }

    private String readObject(JsonParser p) throws IOException {
        if (p.nextToken() != JsonToken.START_OBJECT) return "value is not a JSON object";
        JsonToken t;
        while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            if (Utf8.hasLoneSurrogate(name)) return "field name contains a lone surrogate escape";
            JsonToken v = p.nextToken();
            int idx = indexOf(name);
            if (idx < 0) {
                String r = skipValue(p, v);
                if (r != null) return r;
                continue;
            }
            switch (v) {
                case VALUE_STRING: {
                    String s = p.getText();
                    if (Utf8.hasLoneSurrogate(s)) return "field '" + name + "' contains a lone surrogate escape";
                    kinds[idx] = STRING;
                    strings[idx] = s;
                    break;
                }
                case VALUE_NUMBER_INT:
                    if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                        kinds[idx] = BIG_INTEGER;
                    } else {
                        kinds[idx] = INTEGER;
                        longs[idx] = p.getLongValue();
                    }
                    break;
                case VALUE_NULL:
                    kinds[idx] = NULL;
                    break;
                default: {
                    String r = skipValue(p, v);
                    if (r != null) return r;
                    kinds[idx] = OTHER;
                    otherTypes[idx] = typeName(v);
                }
            }
        }
        if (t != JsonToken.END_OBJECT) return "malformed JSON object";
        if (p.nextToken() != null) return "trailing content after the JSON object";
        return null;
    }

    /** Consumes a value of an ignored field, still checking every string in it (the whole value must be valid). */
    private static String skipValue(JsonParser p, JsonToken first) throws IOException {
        int depth = 0;
        JsonToken t = first;
        while (true) {
            if (t == null) return "malformed JSON: unexpected end of input";
            switch (t) {
                case START_OBJECT:
                case START_ARRAY:
                    depth++;
                    break;
                case END_OBJECT:
                case END_ARRAY:
                    depth--;
                    break;
                case FIELD_NAME:
                case VALUE_STRING:
                    if (Utf8.hasLoneSurrogate(p.getText())) return "a string contains a lone surrogate escape";
                    break;
                default:
                    // Scalars: Jackson has already checked their syntax.
            }
            if (depth == 0) return null;
            t = p.nextToken();
        }
    }

    private String validate(Heartbeat out) {
        String r;
        if ((r = requireId(USER_ID)) != null) return r;
        if ((r = requireId(VIDEO_ID)) != null) return r;
        if ((r = requireInteger(EVENT_TIME)) != null) return r;
        long eventTime = longs[EVENT_TIME];
        if (eventTime < MIN_EVENT_TIME || eventTime >= MAX_EVENT_TIME_EXCLUSIVE) {
            return "field 'event_time' must lie in [2000-01-01, 2100-01-01) as epoch ms, got " + eventTime;
        }
        if ((r = requireInteger(POSITION_MS)) != null) return r;
        if (longs[POSITION_MS] < 0) return "field 'position_ms' must be >= 0, got " + longs[POSITION_MS];

        EventType event = EventType.PLAY;
        switch (kinds[EVENT]) {
            case ABSENT:
            case NULL:
                break;
            case STRING:
                event = EventType.fromWireName(strings[EVENT]);
                if (event == null) return "field 'event' must be one of play, pause, seek, stop, ad; got " + abbreviate(strings[EVENT]);
                break;
            default:
                return wrongType(EVENT, "a string");
        }

        String deviceId = null;
        switch (kinds[DEVICE_ID]) {
            case ABSENT:
            case NULL:
                break;
            case STRING:
                deviceId = strings[DEVICE_ID];
                if (deviceId.codePointCount(0, deviceId.length()) > MAX_ID_LENGTH) {
                    return "field 'device_id' must have at most 128 characters";
                }
                if (deviceId.indexOf('\0') >= 0) return "field 'device_id' contains U+0000";
                break;
            default:
                return wrongType(DEVICE_ID, "a string");
        }

        out.userId = strings[USER_ID];
        out.videoId = strings[VIDEO_ID];
        out.eventTime = eventTime;
        out.positionMs = longs[POSITION_MS];
        out.event = event;
        out.deviceId = deviceId;
        out.adId = null;
        out.adPositionMs = 0;
        out.adDurationMs = 0;
        if (event == EventType.AD) {
            if ((r = requireId(AD_ID)) != null) return r;
            if ((r = requireInteger(AD_POSITION_MS)) != null) return r;
            if (longs[AD_POSITION_MS] < 0) return "field 'ad_position_ms' must be >= 0, got " + longs[AD_POSITION_MS];
            if ((r = requireInteger(AD_DURATION_MS)) != null) return r;
            if (longs[AD_DURATION_MS] <= 0) return "field 'ad_duration_ms' must be > 0, got " + longs[AD_DURATION_MS];
            out.adId = strings[AD_ID];
            out.adPositionMs = longs[AD_POSITION_MS];
            out.adDurationMs = longs[AD_DURATION_MS];
        }
        return null;
    }

    private String requireId(int idx) {
        if (kinds[idx] == ABSENT || kinds[idx] == NULL) return missing(idx);
        if (kinds[idx] != STRING) return wrongType(idx, "a string");
        String s = strings[idx];
        int len = s.codePointCount(0, s.length());
        if (len < 1 || len > MAX_ID_LENGTH) return "field '" + NAMES[idx] + "' must have 1 to 128 characters, got " + len;
        if (s.indexOf('\0') >= 0) return "field '" + NAMES[idx] + "' contains U+0000";
        return null;
    }

    private String requireInteger(int idx) {
        switch (kinds[idx]) {
            case ABSENT:
            case NULL:
                return missing(idx);
            case INTEGER:
                return null;
            case BIG_INTEGER:
                return "field '" + NAMES[idx] + "' is outside the signed 64-bit range";
            default:
                return wrongType(idx, "an integer");
        }
    }

    private String missing(int idx) {
        return "missing required field '" + NAMES[idx] + "'";
    }

    private String wrongType(int idx, String expected) {
        String got = kinds[idx] == STRING ? "a string" : kinds[idx] == INTEGER || kinds[idx] == BIG_INTEGER ? "an integer" : otherTypes[idx];
        return "field '" + NAMES[idx] + "' must be " + expected + ", got " + got;
    }

    private static String typeName(JsonToken t) {
        switch (t) {
            case VALUE_NUMBER_FLOAT: return "a number with a fraction or exponent";
            case VALUE_TRUE:
            case VALUE_FALSE: return "a boolean";
            case START_OBJECT: return "an object";
            case START_ARRAY: return "an array";
            default: return String.valueOf(t);
        }
    }

    private static int indexOf(String name) {
        switch (name) {
            case "user_id": return USER_ID;
            case "video_id": return VIDEO_ID;
            case "event_time": return EVENT_TIME;
            case "position_ms": return POSITION_MS;
            case "event": return EVENT;
            case "device_id": return DEVICE_ID;
            case "ad_id": return AD_ID;
            case "ad_position_ms": return AD_POSITION_MS;
            case "ad_duration_ms": return AD_DURATION_MS;
            default: return -1;
        }
    }

    private static String abbreviate(String s) {
        String q = s.length() > 40 ? s.substring(0, 40) + "…" : s;
        return "'" + q.replace('\0', '?') + "'";
    }
}
