package io.raftline.storage;

import java.util.zip.CRC32C;

/**
 * The CRC32C of any range of one byte array, after an optional salt (as {@link Wal} checksums a record's body), in a
 * time that does not depend on the range's length.
 *
 * <p>It exists for {@link Wal}'s search for a valid record after a damaged one, which tries a checksum at every offset
 * whose bytes look like a record's header. Computed from scratch, each try costs the length that header claims, and
 * the bytes searched are mostly values a client chose: a value whose every third offset reads as the header of a
 * multi-megabyte record made that search quadratic, hours of recovery for a torn tail of a few MiB.
 *
 * <p>CRCs compose: the CRC of A followed by B is the CRC of A carried over |B| more bytes (in the polynomial
 * arithmetic, a product with x^(8|B|) modulo the CRC's polynomial) XOR the CRC of B, with the initial value and the
 * final XOR of the standard CRC cancelling out. So the CRC of a range follows from the CRCs of the array's two
 * prefixes that end where it starts and where it ends; they are kept at every {@value #STEP}th offset, and the bytes
 * between such an offset and the one asked for are read directly.
 *
 * <p>Polynomials are held reflected, as the CRC computes them: bit 31 is the coefficient of x^0, bit 0 that of x^31.
 * Not thread-safe.
 */
final class Crc32cRanges {

    /** The Castagnoli polynomial, reflected (without its x^32 term). */
    private static final int POLY = 0x82F63B78;
    /** The polynomial 1 (x^0). */
    private static final int ONE = 1 << 31;
    /** Bytes between two kept prefix CRCs. */
    private static final int STEP = 64;
    /** {@code POWERS[k][b]} = x^(8 * b * 256^k) mod P: the shift over a length assembled from its four bytes. */
    private static final int[][] POWERS = new int[4][256];

    static {
        int x = ONE >>> 1; // x^1
        int unit = ONE;
        for (int i = 0; i < 8; i++) {
            unit = multiply(unit, x); // x^8: one byte
        }
        for (int k = 0; k < 4; k++) {
            POWERS[k][0] = ONE;
            for (int b = 1; b < 256; b++) {
                POWERS[k][b] = multiply(POWERS[k][b - 1], unit);
            }
            unit = multiply(POWERS[k][255], unit); // x^(8 * 256^(k+1))
        }
    }

    private final byte[] bytes;
    /** {@code prefix[k]} = CRC32C of the array's first {@code k * STEP} bytes. */
    private final int[] prefix;
    /** CRC32C of the salt (0, the CRC of nothing, without one). */
    private final int saltCrc;
    private final CRC32C crc = new CRC32C();

    /**
     * Reads {@code bytes} once to keep its prefix CRCs.
     *
     * @param bytes the array whose ranges are asked for
     * @param salt  the bytes every checksum covers first, or null for none
     */
    Crc32cRanges(byte[] bytes, byte[] salt) {
        this.bytes = bytes;
        this.prefix = new int[bytes.length / STEP + 1];
        for (int k = 1; k < prefix.length; k++) {
            crc.update(bytes, (k - 1) * STEP, STEP);
            prefix[k] = (int) crc.getValue();
        }
        crc.reset();
        if (salt != null) {
            crc.update(salt);
        }
        saltCrc = salt == null ? 0 : (int) crc.getValue();
    }

    /**
     * The CRC32C of the salt followed by {@code len} bytes of the array from {@code off}: what {@link Wal} stores for a
     * record whose body is there.
     */
    int checksum(int off, int len) {
        int start = prefixCrc(off);
        int end = prefixCrc(off + len);
        // end = start carried over len bytes ^ range; salted = saltCrc carried over len bytes ^ range.
        return end ^ multiply(shift(len), start ^ saltCrc);
    }

    /** CRC32C of the first {@code n} bytes of the array. */
    private int prefixCrc(int n) {
        int k = n / STEP;
        int rest = n - k * STEP;
        if (rest == 0) {
            return prefix[k];
        }
        crc.reset();
        crc.update(bytes, k * STEP, rest);
        return multiply(shift(rest), prefix[k]) ^ (int) crc.getValue();
    }

    /** x^(8 * n) mod P: what carrying a CRC over {@code n} more bytes multiplies it by. */
    static int shift(int n) {
        return multiply(multiply(POWERS[0][n & 0xFF], POWERS[1][(n >>> 8) & 0xFF]),
                multiply(POWERS[2][(n >>> 16) & 0xFF], POWERS[3][n >>> 24]));
    }

    /** The product of two polynomials modulo P (both reflected). */
    static int multiply(int a, int b) {
        int product = 0;
        for (int m = ONE; m != 0; m >>>= 1) {
            if ((a & m) != 0) {
                product ^= b;
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return product;
    }
}
