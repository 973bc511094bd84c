package dev.heartbeats.generator;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.heartbeats.common.contract.EventType;
import dev.heartbeats.common.contract.Heartbeat;
import dev.heartbeats.common.contract.HeartbeatJson;
import dev.heartbeats.common.parse.HeartbeatParser;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No input makes {@link HeartbeatParser#parse} throw, and what it accepts is a heartbeat the contract allows.
 *
 * <p>Two ways in:
 * <ul>
 *   <li>{@link #parseNeverThrows} is a Jazzer {@code @FuzzTest}. Without {@code JAZZER_FUZZ} (plain {@code mvn verify})
 *       Jazzer runs it in regression mode over its seed corpus ({@code HeartbeatParserFuzzTestInputs/} in the test
 *       resources, plus the empty input); with {@code JAZZER_FUZZ=1 mvn -pl common test
 *       -Dtest=HeartbeatParserFuzzTest#parseNeverThrows} it fuzzes, coverage-guided, for {@code maxDuration}.</li>
 *   <li>{@link #mutatedInputsNeverEscapeTheParser} always runs real inputs: 200k byte arrays mutated
 *       deterministically (fixed seed) from valid heartbeats, every {@link InvalidKind} and pathological shapes (deep
 *       nesting, huge numbers, escapes, broken UTF-8), so CI exercises the parser whether or not Jazzer fuzzes.</li>
 * </ul>
 *
 * <p>The properties checked for every input: nothing escapes {@code parse}; a fresh parser and a reused one (its
 * field buffers carried over from the previous input) give the same answer; a rejection has a non-empty reason; an
 * accepted value is valid UTF-8 and yields a heartbeat within the contract's ranges, which survives a round trip
 * through {@link HeartbeatJson} unchanged.
 */
class HeartbeatParserFuzzTest {
    /** Reused across inputs on purpose: state left behind by one input must never change the next one's result. */
    private static final ThreadLocal<HeartbeatParser> REUSED = ThreadLocal.withInitial(HeartbeatParser::new);

    @FuzzTest(maxDuration = "20s")
    void parseNeverThrows(byte[] input) {
        check(input);
    }

    @Test
    void mutatedInputsNeverEscapeTheParser() {
        List<byte[]> seeds = seeds();
        SplittableRandom rnd = new SplittableRandom(20260101L);
        int accepted = 0;
        int n = 200_000;
        long started = System.nanoTime();
        for (int i = 0; i < n; i++) {
            byte[] base = seeds.get(rnd.nextInt(seeds.size()));
            byte[] input = mutate(base, seeds, rnd);
            if (check(input)) accepted++;
        }
        long ms = (System.nanoTime() - started) / 1_000_000;
        // The mutations must leave a fair share of inputs valid (or the accepting paths would go untested) ...
        assertThat(accepted).as("accepted of %d", n).isBetween(n / 50, n - n / 50);
        System.out.printf("HeartbeatParserFuzzTest: %d mutated inputs in %d ms, %d accepted, %d rejected, none threw%n",
                n, ms, accepted, n - accepted);
    }

    @Test
    void pathologicalShapesAreRejectedWithAReason() {
        // ... and the pathological ones are rejected, not thrown.
        for (byte[] input : pathological()) {
            Heartbeat h = new Heartbeat();
            String reason = new HeartbeatParser().parse(input, h);
            assertThat(reason).as("reason for a %d-byte pathological input", input.length).isNotBlank();
        }
    }

    /** @return whether the input was accepted as a heartbeat */
    static boolean check(byte[] input) {
        Heartbeat fresh = new Heartbeat();
        Heartbeat reused = new Heartbeat();
        String r1;
        String r2;
        try {
            r1 = new HeartbeatParser().parse(input, fresh);
            r2 = REUSED.get().parse(input, reused);
        } catch (Throwable t) {
            throw new AssertionError("parse threw on " + preview(input), t);
        }
        // Plain checks on the hot path (AssertJ only to describe a failure): 200k inputs must stay cheap.
        if (!java.util.Objects.equals(r1, r2)) {
            assertThat(r2).as("reused parser vs fresh parser on %s", preview(input)).isEqualTo(r1);
        }
        if (r1 != null) {
            if (r1.isBlank()) throw new AssertionError("blank reason for " + preview(input));
            return false;
        }
        if (!reused.equals(fresh)) assertThat(reused).as("reused parser's heartbeat on %s", preview(input)).isEqualTo(fresh);
        assertWithinContract(fresh, input);
        Heartbeat again = new Heartbeat();
        String r3 = new HeartbeatParser().parse(HeartbeatJson.toBytes(fresh), again);
        if (r3 != null || !again.equals(fresh)) {
            throw new AssertionError("round trip of " + fresh + " (from " + preview(input) + "): reason " + r3 + ", got " + again);
        }
        return true;
    }

    static void assertWithinContract(Heartbeat h, byte[] input) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(input));
        } catch (CharacterCodingException e) {
            throw new AssertionError("accepted a value that is not valid UTF-8: " + preview(input));
        }
        require(!(input.length >= 3 && input[0] == (byte) 0xEF && input[1] == (byte) 0xBB && input[2] == (byte) 0xBF), "accepted a byte-order mark", h, input);
        assertId(h.userId, "user_id", 1, h, input);
        assertId(h.videoId, "video_id", 1, h, input);
        require(h.eventTime >= HeartbeatParser.MIN_EVENT_TIME && h.eventTime < HeartbeatParser.MAX_EVENT_TIME_EXCLUSIVE, "event_time out of range", h, input);
        require(h.positionMs >= 0, "negative position_ms", h, input);
        require(h.event != null, "no event", h, input);
        if (h.deviceId != null) assertId(h.deviceId, "device_id", 0, h, input);
        if (h.event == EventType.AD) {
            assertId(h.adId, "ad_id", 1, h, input);
            require(h.adPositionMs >= 0, "negative ad_position_ms", h, input);
            require(h.adDurationMs > 0, "ad_duration_ms not > 0", h, input);
        } else {
            require(h.adId == null, "ad_id on a content heartbeat", h, input);
        }
    }

    static void assertId(String s, String field, int minLength, Heartbeat h, byte[] input) {
        require(s != null, field + " missing", h, input);
        int len = s.codePointCount(0, s.length());
        require(len >= minLength && len <= HeartbeatParser.MAX_ID_LENGTH, field + " has " + len + " code points", h, input);
        require(s.indexOf('\0') < 0, field + " contains U+0000", h, input);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                require(i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)), field + " has a lone surrogate", h, input);
                i++;
            } else {
                require(!Character.isLowSurrogate(c), field + " has a lone surrogate", h, input);
            }
        }
    }

    private static void require(boolean ok, String what, Heartbeat h, byte[] input) {
        if (!ok) throw new AssertionError("accepted, but " + what + ": " + h + " from " + preview(input));
    }

    // -------------------------------------------------------------------------------------------------------------
    // Inputs

    static List<byte[]> seeds() {
        List<byte[]> out = new ArrayList<>();
        HeartbeatGenerator g = new HeartbeatGenerator(GeneratorConfig.allAdversities(7).toBuilder().viewers(20).maxRecords(400).build());
        List<Heartbeat> valid = new ArrayList<>();
        while (g.hasNext()) {
            GeneratedRecord r = g.next();
            if (r.value() != null) out.add(r.value());
            if (r.isValid()) valid.add(r.heartbeat());
        }
        for (int i = 0; i < InvalidKind.values().length; i++) {
            byte[] v = InvalidKind.values()[i].value(valid.get(i % valid.size()));
            if (v != null) out.add(v);
        }
        for (String s : List.of(
                "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1767261600000,\"position_ms\":0}",
                "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1767261600000,\"position_ms\":0,\"event\":\"ad\",\"ad_id\":\"a\",\"ad_position_ms\":0,\"ad_duration_ms\":1}",
                "{\"user_id\":\"\\ud83d\\ude00\",\"video_id\":\"v\\u00e9\",\"event_time\":1767261600000,\"position_ms\":1,\"event\":null,\"device_id\":\"\"}",
                "{\"x\":{\"y\":[1,2.5e3,-0,true,false,null,\"s\"]},\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1767261600000,\"position_ms\":9223372036854775807}",
                "{\"user_id\":\"u\",\"user_id\":\"w\",\"video_id\":\"v\",\"event_time\":946684800000,\"position_ms\":0,\"event\":\"stop\",\"ad_id\":7}")) {
            out.add(s.getBytes(StandardCharsets.UTF_8));
        }
        return out;
    }

    /** Pieces that steer the parser into its corners when spliced in. */
    private static final String[] TOKENS = {
        "{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud800", "\\udc00", "\\ud83d\\ude00", "\\u0000", "null", "true",
        "false", "-", "0", "-0", "1e3", "1.0", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999999999", "\"event\":\"ad\"", "\"event\":\"stop\"", "\"event\":\"seek\"", "\"ad_id\":\"a\"",
        "\"ad_position_ms\":2000", "\"ad_duration_ms\":0", "\"device_id\":null", "\"user_id\":\"", "\"position_ms\":-1",
        "\"event_time\":4102444800000", "\"event_time\":946684799999", "\u00e9", "\ud83d\ude00", " ", "\t", "\n", "/*", "'",
        "NaN", "Infinity", "\"video_id\":[]", "\"video_id\":{}"};

    private static final int[][] RAW_BYTES = {
        {0xFF}, {0xC0, 0xAF}, {0xED, 0xA0, 0x80}, {0xE2, 0x82}, {0xF4, 0x90, 0x80, 0x80}, {0xEF, 0xBB, 0xBF}, {0x00}, {0x80},
        {0xF0, 0x9F, 0x98, 0x80}, {0xC3, 0xA9}};

    static byte[] mutate(byte[] base, List<byte[]> seeds, SplittableRandom rnd) {
        byte[] b = base.clone();
        int rounds = 1 + rnd.nextInt(rnd.nextInt(8) == 0 ? 12 : 3);
        for (int k = 0; k < rounds; k++) {
            int at = b.length == 0 ? 0 : rnd.nextInt(b.length + 1);
            switch (rnd.nextInt(10)) {
                case 0: // flip a bit
                    if (b.length > 0) b[Math.min(at, b.length - 1)] ^= (byte) (1 << rnd.nextInt(8));
                    break;
                case 1: // set a random byte
                    if (b.length > 0) b[Math.min(at, b.length - 1)] = (byte) rnd.nextInt(256);
                    break;
                case 2: // delete a run
                    if (b.length > 0) {
                        int from = Math.min(at, b.length - 1);
                        int len = 1 + rnd.nextInt(Math.min(16, b.length - from));
                        b = concat(Arrays.copyOfRange(b, 0, from), Arrays.copyOfRange(b, from + len, b.length));
                    }
                    break;
                case 3: // insert a token
                case 4:
                    b = insert(b, at, TOKENS[rnd.nextInt(TOKENS.length)].getBytes(StandardCharsets.UTF_8));
                    break;
                case 5: { // insert raw bytes (broken UTF-8, BOM, NUL, ...)
                    int[] raw = RAW_BYTES[rnd.nextInt(RAW_BYTES.length)];
                    byte[] ins = new byte[raw.length];
                    for (int i = 0; i < raw.length; i++) ins[i] = (byte) raw[i];
                    b = insert(b, at, ins);
                    break;
                }
                case 6: { // splice a piece of another seed
                    byte[] other = seeds.get(rnd.nextInt(seeds.size()));
                    if (other.length > 0) {
                        int from = rnd.nextInt(other.length);
                        int len = 1 + rnd.nextInt(Math.min(40, other.length - from));
                        b = insert(b, at, Arrays.copyOfRange(other, from, from + len));
                    }
                    break;
                }
                case 7: // truncate
                    b = Arrays.copyOf(b, at);
                    break;
                case 8: { // duplicate a run (repeated fields, long strings)
                    if (b.length > 0) {
                        int from = Math.min(at, b.length - 1);
                        int len = 1 + rnd.nextInt(Math.min(32, b.length - from));
                        byte[] piece = Arrays.copyOfRange(b, from, from + len);
                        int times = 1 + rnd.nextInt(rnd.nextInt(20) == 0 ? 300 : 3);
                        for (int t = 0; t < times; t++) b = insert(b, from, piece);
                    }
                    break;
                }
                default: { // change a digit: moves numbers across range limits
                    for (int tries = 0; tries < 8 && b.length > 0; tries++) {
                        int i = rnd.nextInt(b.length);
                        if (b[i] >= '0' && b[i] <= '9') {
                            b[i] = (byte) ('0' + rnd.nextInt(10));
                            break;
                        }
                    }
                }
            }
        }
        return b;
    }

    static List<byte[]> pathological() {
        String head = "{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":1767261600000,\"position_ms\":0,\"x\":";
        List<byte[]> out = new ArrayList<>();
        out.add((head + "[".repeat(300) + "]".repeat(300) + "}").getBytes(StandardCharsets.UTF_8));
        out.add((head + "{\"a\":".repeat(257) + "1" + "}".repeat(257) + "}").getBytes(StandardCharsets.UTF_8));
        out.add("[".repeat(200_000).getBytes(StandardCharsets.UTF_8));
        out.add(("{\"user_id\":" + "[".repeat(100_000)).getBytes(StandardCharsets.UTF_8));
        out.add((head + "\"" + "\\ud800".repeat(10_000) + "\"}").getBytes(StandardCharsets.UTF_8));
        out.add(("{\"user_id\":\"u\",\"video_id\":\"v\",\"event_time\":" + "9".repeat(100_000) + ",\"position_ms\":0}").getBytes(StandardCharsets.UTF_8));
        out.add(("{\"user_id\":\"" + "x".repeat(1_000_000) + "\",\"video_id\":\"v\",\"event_time\":1767261600000,\"position_ms\":0}").getBytes(StandardCharsets.UTF_8));
        return out;
    }

    private static byte[] insert(byte[] b, int at, byte[] piece) {
        at = Math.min(at, b.length);
        byte[] out = new byte[b.length + piece.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(piece, 0, out, at, piece.length);
        System.arraycopy(b, at, out, at + piece.length, b.length - at);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    static String preview(byte[] v) {
        if (v == null) return "<null>";
        String s = new String(v, 0, Math.min(v.length, 300), StandardCharsets.ISO_8859_1);
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) sb.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02x", (int) c));
        return v.length + " bytes: " + sb + (v.length > 300 ? "..." : "");
    }
}
