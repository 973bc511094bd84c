package dev.heartbeats.common.parse;

import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Contract section 1: what is a valid heartbeat, and a readable reason for every kind of invalid record. */
class HeartbeatParserTest {
    static final String BASE = "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5";
    static final String AD = BASE + ",\"event\":\"ad\",\"ad_id\":\"a\",\"ad_position_ms\":1000,\"ad_duration_ms\":15000";

    private final HeartbeatParser parser = new HeartbeatParser();

    /** The base record plus {@code fields} (each "name":value), closed. */
    static String with(String fields) {
        return BASE + (fields.isEmpty() ? "" : "," + fields) + "}";
    }

    static String ad(String fields) {
        return AD + (fields.isEmpty() ? "" : "," + fields) + "}";
    }

    Heartbeat valid(String json) {
        return valid(json.getBytes(StandardCharsets.UTF_8));
    }

    Heartbeat valid(byte[] value) {
        Heartbeat h = new Heartbeat();
        String reason = parser.parse(value, h);
        assertThat(reason).as("reason for %s", preview(value)).isNull();
        return h;
    }

    String invalid(String json) {
        return invalid(json.getBytes(StandardCharsets.UTF_8));
    }

    String invalid(byte[] value) {
        Heartbeat h = new Heartbeat();
        String reason = parser.parse(value, h);
        assertThat(reason).as("reason for %s", preview(value)).isNotNull().isNotBlank();
        return reason;
    }

    static String preview(byte[] value) {
        if (value == null) return "null";
        String s = new String(value, StandardCharsets.UTF_8);
        return s.length() > 200 ? s.substring(0, 200) + "…(" + value.length + " bytes)" : s;
    }

    static byte[] bytes(Object... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Object p : parts) {
            if (p instanceof String) {
                out.writeBytes(((String) p).getBytes(StandardCharsets.UTF_8));
            } else {
                for (int b : (int[]) p) out.write(b);
            }
        }
        return out.toByteArray();
    }

    static String repeat(String s, int n) {
        return s.repeat(n);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Valid records

    @Test
    void minimalRecord() {
        Heartbeat h = valid(with(""));
        assertThat(h.userId).isEqualTo("u");
        assertThat(h.videoId).isEqualTo("v");
        assertThat(h.eventTime).isEqualTo(1_700_000_000_000L);
        assertThat(h.positionMs).isEqualTo(5);
        assertThat(h.event).isEqualTo(EventType.PLAY);
        assertThat(h.deviceId).isNull();
        assertThat(h.adId).isNull();
    }

    @Test
    void allFields() {
        Heartbeat h = valid(ad("\"device_id\":\"d-1\""));
        assertThat(h.event).isEqualTo(EventType.AD);
        assertThat(h.deviceId).isEqualTo("d-1");
        assertThat(h.adId).isEqualTo("a");
        assertThat(h.adPositionMs).isEqualTo(1_000);
        assertThat(h.adDurationMs).isEqualTo(15_000);
        for (String e : new String[] {"play", "pause", "seek", "stop"}) {
            assertThat(valid(with("\"event\":\"" + e + "\",\"device_id\":\"d\"")).event.wireName()).isEqualTo(e);
        }
    }

    @Test
    void fieldOrderAndWhitespaceDoNotMatter() {
        Heartbeat h = valid(" \n{ \"position_ms\" : 7 ,\t\"event\":\"pause\", \"video_id\":\"v\",\"event_time\":1700000000001,\"user_id\":\"u\"}\r\n ");
        assertThat(h.positionMs).isEqualTo(7);
        assertThat(h.event).isEqualTo(EventType.PAUSE);
    }

    @Test
    void unknownFieldsAreIgnoredIncludingNestedOnes() {
        Heartbeat h = valid(with("\"x\":{\"a\":[1,2,{\"b\":null,\"user_id\":5}],\"c\":\"d\"},\"y\":[true,false,null,1.5e3,-0.0],"
                + "\"z\":123456789012345678901234567890,\"w\":\"\\u00e9\\uD83D\\uDE00\",\"v2\":{}"));
        assertThat(h.userId).isEqualTo("u");
        assertThat(h.positionMs).isEqualTo(5);
    }

    @Test
    void nullInAnOptionalFieldMeansAbsent() {
        Heartbeat h = valid(with("\"event\":null,\"device_id\":null"));
        assertThat(h.event).isEqualTo(EventType.PLAY);
        assertThat(h.deviceId).isNull();
        // on a non-ad event the ad fields are optional (ignored) too
        assertThat(valid(with("\"ad_id\":null,\"ad_position_ms\":null,\"ad_duration_ms\":null")).adId).isNull();
    }

    @Test
    void repeatedFieldLastOneWins() {
        assertThat(valid(with("\"position_ms\":7")).positionMs).isEqualTo(7);
        assertThat(valid(with("\"event\":\"bogus\",\"event\":\"seek\"")).event).isEqualTo(EventType.SEEK);
        assertThat(valid(with("\"user_id\":\"\",\"user_id\":\"second\"")).userId).isEqualTo("second");
        assertThat(valid(with("\"position_ms\":-1,\"position_ms\":3")).positionMs).isEqualTo(3);
        // ...also when the last one makes it invalid
        assertThat(invalid(with("\"position_ms\":-1"))).contains("position_ms");
        assertThat(invalid(with("\"user_id\":null"))).contains("missing").contains("user_id");
        assertThat(invalid(with("\"event\":\"play\",\"event\":\"bogus\""))).contains("event");
    }

    @Test
    void adFieldsAreIgnoredOnOtherEventsEvenWithWrongTypes() {
        for (String e : new String[] {"play", "pause", "seek", "stop"}) {
            Heartbeat h = valid(with("\"event\":\"" + e + "\",\"ad_id\":5,\"ad_position_ms\":\"x\",\"ad_duration_ms\":-1"));
            assertThat(h.adId).isNull();
            assertThat(h.adPositionMs).isZero();
            assertThat(h.adDurationMs).isZero();
            valid(with("\"event\":\"" + e + "\",\"ad_id\":\"\",\"ad_position_ms\":5.5,\"ad_duration_ms\":0,\"ad_id\":{\"a\":[1]}"));
            valid(with("\"event\":\"" + e + "\",\"ad_position_ms\":99999999999999999999999,\"ad_duration_ms\":[1]"));
        }
        // No event (play by default) as well.
        valid(with("\"ad_id\":true,\"ad_duration_ms\":0"));
    }

    @Test
    void parsedAdFieldsDoNotLeakIntoALaterNonAdRecord() {
        valid(ad(""));
        Heartbeat h = new Heartbeat();
        h.adId = "stale";
        h.adPositionMs = 1;
        h.adDurationMs = 2;
        assertThat(parser.parse(with("").getBytes(StandardCharsets.UTF_8), h)).isNull();
        assertThat(h.adId).isNull();
        assertThat(h.adPositionMs).isZero();
        assertThat(h.adDurationMs).isZero();
        // and a device id of an earlier record does not stick either
        assertThat(parser.parse(with("\"device_id\":\"d\"").getBytes(StandardCharsets.UTF_8), h)).isNull();
        assertThat(parser.parse(with("").getBytes(StandardCharsets.UTF_8), h)).isNull();
        assertThat(h.deviceId).isNull();
    }

    @Test
    void emptyDeviceIdIsAllowed() {
        assertThat(valid(with("\"device_id\":\"\"")).deviceId).isEmpty();
    }

    @Test
    void idsOf128CodePointsWithAstralCharactersAreAllowed() {
        String emoji128 = repeat("\uD83D\uDE00", 128); // 256 UTF-16 units, 128 code points
        assertThat(emoji128.length()).isEqualTo(256);
        String escaped128 = repeat("\\uD83D\\uDE00", 128);
        Heartbeat h = valid("{\"user_id\":\"" + emoji128 + "\",\"video_id\":\"" + escaped128 + "\",\"event_time\":1700000000000,\"position_ms\":0,"
                + "\"device_id\":\"" + emoji128 + "\",\"event\":\"ad\",\"ad_id\":\"" + emoji128 + "\",\"ad_position_ms\":0,\"ad_duration_ms\":1}");
        assertThat(h.userId).isEqualTo(emoji128);
        assertThat(h.videoId).isEqualTo(emoji128);
        assertThat(h.deviceId).isEqualTo(emoji128);
        assertThat(h.adId).isEqualTo(emoji128);
        assertThat(valid(with("\"user_id\":\"" + repeat("x", 128) + "\"")).userId).hasSize(128);
        assertThat(valid(with("\"user_id\":\"é\"")).userId).isEqualTo("é"); // raw 2-byte UTF-8
    }

    @Test
    void negativeZeroIsTheIntegerZero() {
        assertThat(valid(with("\"position_ms\":-0")).positionMs).isZero();
        assertThat(valid(ad("\"ad_position_ms\":-0")).adPositionMs).isZero();
    }

    @Test
    void eventTimeRangeIsHalfOpen() {
        assertThat(invalid(with("\"event_time\":946684799999"))).contains("event_time");
        assertThat(valid(with("\"event_time\":946684800000")).eventTime).isEqualTo(946_684_800_000L);
        assertThat(valid(with("\"event_time\":4102444799999")).eventTime).isEqualTo(4_102_444_799_999L);
        assertThat(invalid(with("\"event_time\":4102444800000"))).contains("event_time");
        assertThat(invalid(with("\"event_time\":0"))).contains("event_time");
        assertThat(invalid(with("\"event_time\":-1700000000000"))).contains("event_time");
    }

    @Test
    void extremeIntegersWithin64Bits() {
        assertThat(valid(with("\"position_ms\":9223372036854775807")).positionMs).isEqualTo(Long.MAX_VALUE);
        assertThat(valid(ad("\"ad_duration_ms\":9223372036854775807")).adDurationMs).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void eventGivenAsNullIsPlay() {
        assertThat(valid(with("\"event\":\"stop\",\"event\":null")).event).isEqualTo(EventType.PLAY);
    }

    @Test
    void aTenMegabyteValueInAnUnknownFieldIsFine() {
        String big = repeat("abcdefghij", 1_000_000); // 10 MB
        long start = System.nanoTime();
        assertThat(valid(with("\"blob\":\"" + big + "\"")).userId).isEqualTo("u");
        assertThat(invalid(with("\"user_id\":\"" + big + "\""))).contains("user_id").contains("128");
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms").isLessThan(5_000);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Invalid records: every kind of contract section 1, with a reason that names the field or problem

    @Test
    void emptyValueAndTombstone() {
        assertThat(invalid(new byte[0])).containsIgnoringCase("empty");
        assertThat(invalid((byte[]) null)).containsIgnoringCase("tombstone");
    }

    @Test
    void byteOrderMark() {
        assertThat(invalid(bytes(new int[] {0xEF, 0xBB, 0xBF}, with("")))).containsIgnoringCase("byte-order mark");
    }

    @Test
    void invalidUtf8() {
        // bad continuation byte
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xC3, 0x28}, "\"}"))).contains("UTF-8");
        // overlong encodings of '/' (2 and 3 bytes)
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xC0, 0xAF}, "\"}"))).contains("UTF-8");
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xE0, 0x80, 0xAF}, "\"}"))).contains("UTF-8");
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xF0, 0x80, 0x80, 0xAF}, "\"}"))).contains("UTF-8");
        // an encoded surrogate (U+D800 as ED A0 80)
        assertThat(invalid(bytes(BASE + ",\"user_id\":\"", new int[] {0xED, 0xA0, 0x80}, "\"}"))).contains("UTF-8");
        // truncated sequences: in the middle, and at the very end of the value
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xE2, 0x82}, "\"}"))).contains("UTF-8");
        assertThat(invalid(bytes(with(""), new int[] {0xF0, 0x9F, 0x98}))).contains("UTF-8");
        // bytes that never occur in UTF-8, and a code point above U+10FFFF
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xFF}, "\"}"))).contains("UTF-8");
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0xF4, 0x90, 0x80, 0x80}, "\"}"))).contains("UTF-8");
        // a lone continuation byte
        assertThat(invalid(bytes(BASE + ",\"x\":\"", new int[] {0x80}, "\"}"))).contains("UTF-8");
        // and the largest valid 4-byte sequence (U+10FFFF) is fine
        valid(bytes(BASE + ",\"x\":\"", new int[] {0xF4, 0x8F, 0xBF, 0xBF}, "\"}"));
    }

    @Test
    void loneSurrogateEscapes() {
        assertThat(invalid(with("\"user_id\":\"a\\ud800\""))).contains("user_id").contains("lone surrogate");
        assertThat(invalid(with("\"device_id\":\"\\udc00\""))).contains("device_id").contains("lone surrogate");
        assertThat(invalid(with("\"user_id\":\"\\ude00\\ud83d\""))).contains("lone surrogate"); // pair in the wrong order
        assertThat(invalid(with("\"user_id\":\"\\ud83dx\""))).contains("lone surrogate");
        // in a field name, and inside an unknown field (value, nested value, nested name)
        assertThat(invalid(with("\"\\ud800\":1"))).contains("field name").contains("lone surrogate");
        assertThat(invalid(with("\"x\":\"\\udfff\""))).contains("lone surrogate");
        assertThat(invalid(with("\"x\":{\"y\":[1,{\"z\":\"\\ud800\"}]}"))).contains("lone surrogate");
        assertThat(invalid(with("\"x\":{\"\\ud800\":1}"))).contains("lone surrogate");
        // also in an ad field of a non-ad event (the value as a whole must be valid)
        assertThat(invalid(with("\"ad_id\":\"\\ud800\""))).contains("lone surrogate");
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "[1,2]", "\"s\"", "5", "null", "true", "  "})
    void notAnObject(String json) {
        String reason = invalid(json);
        assertThat(reason).satisfiesAnyOf(r -> assertThat(r).contains("not a JSON object"), r -> assertThat(r).containsIgnoringCase("JSON"));
    }

    @Test
    void trailingGarbageAndTwoObjects() {
        assertThat(invalid(with("") + "x")).containsIgnoringCase("JSON");
        assertThat(invalid(with("") + "{}")).contains("trailing");
        assertThat(invalid(with("") + with(""))).contains("trailing");
        assertThat(invalid(with("") + " 1")).contains("trailing");
        assertThat(invalid(with("") + "]")).containsIgnoringCase("JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5",  // unterminated
            "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5,}", // trailing comma
            "{'user_id':'u','video_id':'v','event_time':1700000000000,'position_ms':5}",             // single quotes
            "{user_id:\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5}",     // unquoted name
            "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":05}", // leading zero
            "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":NaN}",
            "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":+5}",
            "{\"user_id\":\"u\" /* c */,\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5}",
            "{\"user_id\":\"u\tx\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5}", // raw control character
            "{\"user_id\":\"u\\x\",\"video_id\":\"v\",\"event_time\":1700000000000,\"position_ms\":5}", // bad escape
    })
    void malformedJson(String json) {
        assertThat(invalid(json)).containsIgnoringCase("JSON");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user_id", "video_id", "event_time", "position_ms"})
    void missingOrNullRequiredField(String field) {
        String full = with("");
        String without = full.replaceAll("\"" + field + "\":[^,}]+,?", "").replace(",}", "}");
        assertThat(without).doesNotContain(field);
        assertThat(invalid(without)).contains("missing").contains("'" + field + "'");
        assertThat(invalid(with("\"" + field + "\":null"))).contains("missing").contains("'" + field + "'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"event_time", "position_ms"})
    void integerFieldsOfTheWrongType(String field) {
        for (String v : new String[] {"5.0", "5e0", "5E3", "1.7e12", "\"5\"", "true", "false", "{}", "[]", "[5]", "{\"a\":5}"}) {
            assertThat(invalid(with("\"" + field + "\":" + v))).as(v).contains("'" + field + "'").contains("must be an integer");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"user_id", "video_id", "event", "device_id"})
    void stringFieldsOfTheWrongType(String field) {
        for (String v : new String[] {"5", "5.5", "true", "{}", "[]", "[\"u\"]", "{\"a\":\"u\"}"}) {
            assertThat(invalid(with("\"" + field + "\":" + v))).as(v).contains("'" + field + "'").contains("must be a string");
        }
    }

    @Test
    void adFieldsOfTheWrongTypeOnAnAdEvent() {
        assertThat(invalid(ad("\"ad_id\":5"))).contains("'ad_id'").contains("string");
        assertThat(invalid(ad("\"ad_position_ms\":1.0"))).contains("'ad_position_ms'").contains("integer");
        assertThat(invalid(ad("\"ad_duration_ms\":\"15000\""))).contains("'ad_duration_ms'").contains("integer");
        assertThat(invalid(ad("\"ad_duration_ms\":1.5e4"))).contains("'ad_duration_ms'").contains("integer");
    }

    @Test
    void integersBeyond64Bits() {
        assertThat(invalid(with("\"position_ms\":9223372036854775808"))).contains("position_ms").contains("64-bit");
        assertThat(invalid(with("\"event_time\":-9223372036854775809"))).contains("event_time").contains("64-bit");
        assertThat(invalid(with("\"position_ms\":123456789012345678901234567890"))).contains("position_ms").contains("64-bit");
        assertThat(invalid(ad("\"ad_position_ms\":18446744073709551616"))).contains("ad_position_ms").contains("64-bit");
    }

    @Test
    void negativePosition() {
        assertThat(invalid(with("\"position_ms\":-1"))).contains("position_ms").contains(">= 0");
        assertThat(invalid(with("\"position_ms\":-9223372036854775808"))).contains("position_ms");
    }

    @Test
    void idsOfZeroOr129CodePoints() {
        for (String field : new String[] {"user_id", "video_id"}) {
            assertThat(invalid(with("\"" + field + "\":\"\""))).contains("'" + field + "'").contains("1 to 128");
            assertThat(invalid(with("\"" + field + "\":\"" + repeat("x", 129) + "\""))).contains("'" + field + "'").contains("1 to 128");
            assertThat(invalid(with("\"" + field + "\":\"" + repeat("\uD83D\uDE00", 129) + "\""))).contains("'" + field + "'");
        }
        assertThat(invalid(with("\"device_id\":\"" + repeat("x", 129) + "\""))).contains("'device_id'").contains("128");
        assertThat(invalid(with("\"device_id\":\"" + repeat("\uD83D\uDE00", 129) + "\""))).contains("'device_id'");
        assertThat(invalid(ad("\"ad_id\":\"\""))).contains("'ad_id'");
        assertThat(invalid(ad("\"ad_id\":\"" + repeat("y", 129) + "\""))).contains("'ad_id'");
    }

    @Test
    void nulCharacterInIds() {
        for (String field : new String[] {"user_id", "video_id", "device_id"}) {
            assertThat(invalid(with("\"" + field + "\":\"a\\u0000b\""))).contains("'" + field + "'").contains("U+0000");
            assertThat(invalid(with("\"" + field + "\":\"\\u0000\""))).contains("'" + field + "'");
        }
        assertThat(invalid(ad("\"ad_id\":\"\\u0000\""))).contains("'ad_id'").contains("U+0000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"PLAY", "Play", "resume", "", "play ", "advert", "heartbeat"})
    void unknownEventName(String name) {
        assertThat(invalid(with("\"event\":\"" + name + "\""))).contains("'event'");
    }

    @Test
    void adEventMissingItsFields() {
        String base = BASE + ",\"event\":\"ad\"";
        assertThat(invalid(base + ",\"ad_position_ms\":0,\"ad_duration_ms\":1}")).contains("missing").contains("'ad_id'");
        assertThat(invalid(base + ",\"ad_id\":\"a\",\"ad_duration_ms\":1}")).contains("missing").contains("'ad_position_ms'");
        assertThat(invalid(base + ",\"ad_id\":\"a\",\"ad_position_ms\":0}")).contains("missing").contains("'ad_duration_ms'");
        assertThat(invalid(ad("\"ad_id\":null"))).contains("missing").contains("'ad_id'");
        assertThat(invalid(ad("\"ad_duration_ms\":null"))).contains("missing").contains("'ad_duration_ms'");
    }

    @Test
    void adRanges() {
        assertThat(invalid(ad("\"ad_duration_ms\":0"))).contains("'ad_duration_ms'").contains("> 0");
        assertThat(invalid(ad("\"ad_duration_ms\":-5"))).contains("'ad_duration_ms'");
        assertThat(invalid(ad("\"ad_position_ms\":-1"))).contains("'ad_position_ms'").contains(">= 0");
        assertThat(valid(ad("\"ad_position_ms\":0,\"ad_duration_ms\":1")).adDurationMs).isEqualTo(1);
        // An ad position beyond the duration is in range (the player may overshoot).
        assertThat(valid(ad("\"ad_position_ms\":20000,\"ad_duration_ms\":15000")).adPositionMs).isEqualTo(20_000);
    }

    @Test
    void deepNestingIsRejectedWithoutStackOverflow() {
        int depth = 10_000;
        String deepArray = "[".repeat(depth) + "]".repeat(depth);
        String deepObject = "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
        assertThat(invalid(with("\"x\":" + deepArray))).containsIgnoringCase("depth");
        assertThat(invalid(with("\"x\":" + deepObject))).containsIgnoringCase("depth");
        assertThat(invalid(with("\"user_id\":" + deepArray))).isNotEmpty();
        assertThat(invalid(deepArray)).isNotEmpty();
        assertThat(invalid("{\"a\":".repeat(depth))).isNotEmpty(); // deep and unterminated
        // Moderate nesting in an unknown field is valid JSON and is ignored.
        valid(with("\"x\":" + "[".repeat(100) + "]".repeat(100)));
    }

    @Test
    void theParserRecoversAfterAnInvalidRecord() {
        invalid(with("\"position_ms\":-1"));
        invalid(new byte[] {(byte) 0xFF});
        invalid(with("\"x\":" + "[".repeat(10_000)));
        assertThat(valid(with("")).positionMs).isEqualTo(5);
    }
}
