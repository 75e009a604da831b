package io.raftline.kv;

/**
 * Unsigned LEB128 varints: small numbers (lengths, near-future revisions) take one or two
 * bytes, which keeps the per-entry overhead of the log low. Reading lives with each reader so
 * that it can report offsets in its own terms.
 */
final class Varint {
    /** A 64-bit value needs at most ten 7-bit groups. */
    static final int MAX_BYTES = 10;

    private Varint() {
    }

    /** Returns how many bytes {@code value}, taken as unsigned, needs. */
    static int size(long value) {
        int bits = 64 - Long.numberOfLeadingZeros(value | 1);
        return (bits + 6) / 7;
    }

    /** Writes {@code value}, taken as unsigned, at {@code pos} and returns the next position. */
    static int write(byte[] out, int pos, long value) {
        while ((value & ~0x7FL) != 0) {
            out[pos++] = (byte) ((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out[pos++] = (byte) value;
        return pos;
    }
}
