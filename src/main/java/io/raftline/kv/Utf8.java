package io.raftline.kv;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Comparator;

/**
 * Strict UTF-8 helpers and the key order.
 *
 * <p>Java's own encoder silently replaces unpaired surrogates with {@code '?'} and its decoder
 * replaces malformed input with U+FFFD; either would let two different strings share one
 * encoding, so commands would not survive a round trip. Here malformed text is refused instead.
 */
final class Utf8 {
    /**
     * Orders strings by Unicode code point, which for well-formed strings is the same as
     * comparing their UTF-8 bytes (what other Raft key-value stores and HTTP clients expect).
     * {@link String#compareTo} differs: it puts U+E000..U+FFFF after supplementary characters.
     */
    static final Comparator<String> CODE_POINT_ORDER = Utf8::compareCodePoints;

    private Utf8() {
    }

    /**
     * Returns the number of bytes {@code s} takes in UTF-8, or {@code -1} if it contains an
     * unpaired surrogate and so has no faithful UTF-8 encoding.
     */
    static int encodedLength(String s) {
        int bytes = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return -1;
                }
                i++;
                bytes += 4;
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /** Decodes {@code length} bytes at {@code offset}, refusing malformed UTF-8. */
    static String decode(byte[] bytes, int offset, int length) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(ByteBuffer.wrap(bytes, offset, length))
                .toString();
    }

    private static int compareCodePoints(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return Integer.compare(codePointRank(x), codePointRank(y));
            }
        }
        return Integer.compare(a.length(), b.length());
    }

    /**
     * Maps a UTF-16 unit so that unit order equals code point order: surrogates (which only
     * start code points above U+FFFF) move above U+E000..U+FFFF.
     */
    private static int codePointRank(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
