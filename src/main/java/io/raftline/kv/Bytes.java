package io.raftline.kv;

/** Short, readable renderings of byte arrays for {@code toString}, so logs stay small. */
final class Bytes {
    private static final int PREVIEW_BYTES = 16;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Bytes() {
    }

    /** Renders up to 16 bytes as hex, followed by the total length when longer. */
    static String preview(byte[] bytes) {
        int shown = Math.min(bytes.length, PREVIEW_BYTES);
        StringBuilder sb = new StringBuilder(2 * shown + 24);
        appendHex(sb, bytes, shown);
        if (shown < bytes.length) {
            sb.append("...(").append(bytes.length).append(" bytes)");
        }
        return sb.toString();
    }

    /** {@link java.util.Arrays#hashCode(byte[])} of {@code bytes[offset, offset + length)}, without a copy. */
    static int hashCode(byte[] bytes, int offset, int length) {
        int h = 1;
        for (int i = offset; i < offset + length; i++) {
            h = 31 * h + bytes[i];
        }
        return h;
    }

    /** Renders all of {@code bytes} as lower-case hex. */
    static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(2 * bytes.length);
        appendHex(sb, bytes, bytes.length);
        return sb.toString();
    }

    private static void appendHex(StringBuilder sb, byte[] bytes, int count) {
        for (int i = 0; i < count; i++) {
            sb.append(HEX[(bytes[i] >> 4) & 0xF]).append(HEX[bytes[i] & 0xF]);
        }
    }
}
