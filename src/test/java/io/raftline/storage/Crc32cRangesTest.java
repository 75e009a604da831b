package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The checksum of a range, composed from prefix CRCs, is the one computed over its bytes, for every kind of range. */
class Crc32cRangesTest {

    private static int direct(byte[] salt, byte[] bytes, int off, int len) {
        CRC32C crc = new CRC32C();
        if (salt != null) {
            crc.update(salt);
        }
        crc.update(bytes, off, len);
        return (int) crc.getValue();
    }

    @Test
    void everyRangeHasTheChecksumComputedOverItsBytes() {
        Random random = new Random(7);
        for (int size : new int[] {0, 1, 63, 64, 65, 200, 4096, 70_000}) {
            byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            byte[] salt = new byte[Wal.SALT_BYTES];
            random.nextBytes(salt);
            for (byte[] s : new byte[][] {null, salt}) {
                Crc32cRanges ranges = new Crc32cRanges(bytes, s);
                for (int i = 0; i < 300; i++) {
                    int off = size == 0 ? 0 : random.nextInt(size + 1);
                    int len = random.nextInt(size - off + 1);
                    assertThat(ranges.checksum(off, len)).as("size %d, %d+%d, salt %s", size, off, len, s != null)
                            .isEqualTo(direct(s, bytes, off, len));
                }
                // The edges: whole array, empty ranges at both ends, ranges ending on a kept prefix.
                assertThat(ranges.checksum(0, size)).isEqualTo(direct(s, bytes, 0, size));
                assertThat(ranges.checksum(0, 0)).isEqualTo(direct(s, bytes, 0, 0));
                assertThat(ranges.checksum(size, 0)).isEqualTo(direct(s, bytes, size, 0));
                for (int off = 0; off + 128 <= size && off < 512; off += 17) {
                    assertThat(ranges.checksum(off, 128 - off % 64)).isEqualTo(direct(s, bytes, off, 128 - off % 64));
                }
            }
        }
    }

    @Test
    void shiftingByLengthsOfEveryByteCarriesACrcOverThatManyZeros() {
        // Carrying the CRC of "a" over n zero bytes, then XOR with the CRC of those n zeros, is the CRC of "a" + zeros.
        byte[] a = {1, 2, 3};
        for (int n : new int[] {1, 255, 256, 65_535, 65_536, 1 << 20, (1 << 24) + 3}) {
            byte[] zeros = new byte[n];
            CRC32C c = new CRC32C();
            c.update(a);
            int crcA = (int) c.getValue();
            c.update(zeros);
            int whole = (int) c.getValue();
            c.reset();
            c.update(zeros);
            int crcZeros = (int) c.getValue();
            assertThat(Crc32cRanges.multiply(Crc32cRanges.shift(n), crcA) ^ crcZeros).as("n=%d", n).isEqualTo(whole);
        }
    }
}
