package dev.heartbeats.common.parse;

/** Strict UTF-8 and UTF-16 checks the JSON library does not make on its own. */
final class Utf8 {
    private Utf8() {}

    /**
     * Offset of the first byte that is not part of well-formed UTF-8 (RFC 3629: no overlong forms, no encoded
     * surrogates, nothing above U+10FFFF), or -1 when the whole array is well-formed.
     */
    static int firstInvalidByte(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xFF;
            int need;
            int min2 = 0x80, max2 = 0xBF;
            if (c >= 0xC2 && c <= 0xDF) {
                need = 1;
            } else if (c >= 0xE0 && c <= 0xEF) {
                need = 2;
                if (c == 0xE0) min2 = 0xA0; // overlong
                if (c == 0xED) max2 = 0x9F; // surrogates
            } else if (c >= 0xF0 && c <= 0xF4) {
                need = 3;
                if (c == 0xF0) min2 = 0x90; // overlong
                if (c == 0xF4) max2 = 0x8F; // > U+10FFFF
            } else {
                return i;
            }
            if (i + need >= n) return i; // truncated sequence
            int second = b[i + 1] & 0xFF;
            if (second < min2 || second > max2) return i;
            for (int k = 2; k <= need; k++) {
                int cont = b[i + k] & 0xFF;
                if (cont < 0x80 || cont > 0xBF) return i;
            }
            i += need + 1;
        }
        return -1;
    }

    /** Whether a decoded string holds a surrogate that is not part of a valid pair (from a {@code \ud800} escape). */
    static boolean hasLoneSurrogate(String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            }
        }
        return false;
    }
}
