package io.raftline.api.http;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Turns the raw path after {@code /v1/kv/} into a key, and a raw query parameter into text. Keys may contain any Unicode, including {@code /}, so
 * the raw (still percent-encoded) path is decoded strictly here: malformed escapes or bytes that are not
 * UTF-8 are refused rather than guessed at, and {@code +} stays a plus sign (it means space only in forms).
 */
final class KeyPath {

    private KeyPath() {
    }

    /**
     * Decodes a percent-encoded path segment.
     *
     * @param raw the raw text
     * @return the decoded text
     * @throws IllegalArgumentException if an escape is malformed or the bytes are not UTF-8
     */
    static String decode(String raw) {
        return decode(raw, "key");
    }

    /**
     * A query parameter decoded as strictly as a key: Vert.x's own decoder turns bytes that are not UTF-8 into
     * U+FFFD, so a prefix or a cursor such as {@code startAfter=%FF} would silently become another text (a cursor
     * past every key: an empty last page). {@code +} is a space here, as in every query string.
     *
     * @param rawQuery the raw query string (null: none)
     * @param name     the parameter (its first occurrence counts)
     * @return the decoded value, "" for a name without {@code =}, or null if absent
     * @throws IllegalArgumentException naming the parameter if an escape is malformed or the bytes are not UTF-8
     */
    static String queryParam(String rawQuery, String name) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        for (String part : rawQuery.split("&", -1)) {
            int eq = part.indexOf('=');
            String rawName = (eq < 0 ? part : part.substring(0, eq)).replace("+", "%20");
            String decodedName;
            try {
                decodedName = decode(rawName, "parameter name");
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (decodedName.equals(name)) {
                return eq < 0 ? "" : decode(part.substring(eq + 1).replace("+", "%20"), name);
            }
        }
        return null;
    }

    /**
     * A query parameter's name, decoded as strictly as a key.
     *
     * @param raw the name as it came, {@code +} already made {@code %20}
     * @return the name
     * @throws IllegalArgumentException if an escape is malformed or the bytes are not UTF-8
     */
    static String decodeParamName(String raw) {
        return decode(raw, "parameter name");
    }

    /**
     * The first malformed %-escape of a raw (still percent-encoded) path or query part, described with the rule it
     * breaks, for an answer that says what is wrong in the client's own terms; null if every escape is well formed.
     *
     * @param raw the raw text
     * @return e.g. {@code invalid %-escape '%ZZ' at position 0: a '%' must be ...}, or null
     */
    static String badEscape(String raw) {
        for (int i = raw.indexOf('%'); i >= 0; i = raw.indexOf('%', i + 3)) {
            if (i + 2 >= raw.length() || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
                return badEscapeAt(raw, i);
            }
        }
        return null;
    }

    private static String badEscapeAt(String raw, int at) {
        String escape = raw.substring(at, Math.min(raw.length(), at + 3));
        return (at + 2 >= raw.length() ? "truncated" : "invalid") + " %-escape '" + escape + "' at position " + at
                + ": a '%' must be followed by two hexadecimal digits (a '%' itself is written %25)";
    }

    /** The value of an ASCII hexadecimal digit, or -1 ({@link Character#digit} also takes other scripts' digits). */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
            return (c | 0x20) - 'a' + 10;
        }
        return -1;
    }

    /** Whether {@code raw} is ASCII without a %-escape: the common key, taken as it is (checked on every request). */
    private static boolean isPlainAscii(String raw) {
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%' || c >= 0x80) {
                return false;
            }
        }
        return true;
    }

    /**
     * Decodes {@code raw} as UTF-8 bytes, each %-escape one byte. A request line reaches Vert.x as bytes read one to a
     * character (ISO-8859-1), so a character in 0x80..0xFF here is a byte a client sent without escaping it: it counts
     * as that byte, as if %-escaped. Taken as the character it reads as, a raw {@code café} (UTF-8) was stored as
     * the key {@code cafÃ©}, which no other client names, and raw bytes that are not UTF-8 were stored where their
     * %-escapes are refused.
     */
    private static String decode(String raw, String what) {
        if (isPlainAscii(raw)) {
            return raw;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length());
        for (int i = 0; i < raw.length(); i++) {
            char c = raw.charAt(i);
            if (c == '%') {
                if (i + 2 >= raw.length() || hex(raw.charAt(i + 1)) < 0 || hex(raw.charAt(i + 2)) < 0) {
                    throw new IllegalArgumentException(what + ": " + badEscapeAt(raw, i));
                }
                out.write(hex(raw.charAt(i + 1)) * 16 + hex(raw.charAt(i + 2)));
                i += 2;
            } else if (c >= 0x80 && c <= 0xff) {
                out.write(c);
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                if (Character.isHighSurrogate(c) && i + 1 < raw.length()) {
                    b = raw.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
                    i++;
                }
                out.write(b, 0, b.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8 after %-decoding");
        }
    }
}
