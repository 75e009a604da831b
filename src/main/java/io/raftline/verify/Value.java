package io.raftline.verify;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * The bytes a write stores or a read returns, compared by content.
 *
 * <p>Raftline values are opaque bytes (HTTP bodies), but the checker must compare what a read
 * returned with what writes stored, and Java arrays compare by identity. This small immutable
 * wrapper gives values content equality, keeps the bytes from being changed after they are
 * recorded, and remembers whether they are UTF-8 text so that histories and explanations can show
 * {@code "v17"} rather than hex.
 */
public final class Value {

    private static final int PREVIEW_CHARS = 40;
    private static final int PREVIEW_BYTES = 20;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final byte[] bytes;
    private final String text;
    private final int hash;

    private Value(byte[] bytes, String text) {
        this.bytes = bytes;
        this.text = text;
        this.hash = Arrays.hashCode(bytes);
    }

    /**
     * Wraps a copy of {@code bytes}.
     *
     * @param bytes the value's bytes, copied
     * @return the value
     */
    public static Value of(byte[] bytes) {
        byte[] copy = Objects.requireNonNull(bytes, "bytes").clone();
        return new Value(copy, decodeUtf8(copy));
    }

    /**
     * Wraps the UTF-8 encoding of {@code text}.
     *
     * @param text the value as text
     * @return the value
     * @throws IllegalArgumentException if {@code text} has an unpaired surrogate, which has no
     *                                  UTF-8 encoding
     */
    public static Value of(String text) {
        Objects.requireNonNull(text, "text");
        try {
            ByteBuffer encoded = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(text));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return new Value(bytes, text);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("value text contains an unpaired surrogate", e);
        }
    }

    /**
     * Returns a copy of the bytes.
     *
     * @return the bytes
     */
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * Returns the number of bytes.
     *
     * @return the length in bytes
     */
    public int length() {
        return bytes.length;
    }

    /**
     * Returns the value as text if its bytes are well-formed UTF-8.
     *
     * @return the text, or empty for binary values
     */
    public Optional<String> text() {
        return Optional.ofNullable(text);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Value v && hash == v.hash && Arrays.equals(bytes, v.bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /**
     * Returns a short rendering: the text in quotes (shortened past 40 characters), or
     * {@code 0x} and up to 20 bytes of hex for binary values.
     *
     * @return the rendering
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        if (text != null) {
            sb.append('"');
            int shown = Math.min(text.length(), PREVIEW_CHARS);
            for (int i = 0; i < shown; i++) {
                char c = text.charAt(i);
                if (c == '"' || c == '\\') {
                    sb.append('\\').append(c);
                } else if (c < 0x20 || c == 0x7f) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
            sb.append('"');
            if (shown < text.length()) {
                sb.append("...(").append(text.length()).append(" chars)");
            }
        } else {
            sb.append("0x");
            int shown = Math.min(bytes.length, PREVIEW_BYTES);
            for (int i = 0; i < shown; i++) {
                sb.append(HEX[(bytes[i] >> 4) & 0xF]).append(HEX[bytes[i] & 0xF]);
            }
            if (shown < bytes.length) {
                sb.append("...(").append(bytes.length).append(" bytes)");
            }
        }
        return sb.toString();
    }

    private static String decodeUtf8(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
