package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.SerializationException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The receiver's reassembly of chunked frames ({@link EventBusTransport.Assembly}): what a chunk announces is checked
 * against what arrives, nothing is held for what has not arrived, a frame is never finished with another frame's
 * chunks, and frames whose sender went silent are given up.
 */
class ChunkAssemblyTest {

    private static final long EXPIRY_NANOS =
            TimeUnit.MILLISECONDS.toNanos(EventBusTransport.Assembly.PARTIAL_FRAME_EXPIRY_MS);

    private static byte[] frame(int length) {
        byte[] b = new byte[length];
        new java.util.Random(length).nextBytes(b);
        return b;
    }

    private static FrameChunk chunk(int from, long transfer, byte[] frame, int piece, int index) {
        int count = (frame.length + piece - 1) / piece;
        return new FrameChunk(from, 2, transfer, index, count, frame.length,
                Arrays.copyOfRange(frame, index * piece, Math.min(frame.length, (index + 1) * piece)));
    }

    @Test
    void chunksInOrderMakeTheFrame() {
        var assembly = new EventBusTransport.Assembly();
        byte[] frame = frame(2_500);
        assertThat(assembly.add(chunk(1, 5, frame, 1_000, 0), 0)).isNull();
        assertThat(assembly.add(chunk(1, 5, frame, 1_000, 1), 0)).isNull();
        List<byte[]> whole = assembly.add(chunk(1, 5, frame, 1_000, 2), 0);
        assertThat(EventBusTransport.Assembly.join(whole)).isEqualTo(frame);
        assertThat(assembly.partial()).isZero();
    }

    @Test
    void aFirstChunkWhoseNumbersDisagreeIsRefusedAndNothingIsHeld() {
        var assembly = new EventBusTransport.Assembly();
        assertThatThrownBy(() -> assembly.add(new FrameChunk(1, 2, 7, 0, 1, Integer.MAX_VALUE - 8, new byte[60]), 0))
                .isInstanceOf(SerializationException.class).hasMessageContaining("announces 2147483639 bytes");
        assertThat(assembly.partial()).isZero();
    }

    @Test
    void aChunkOfTheWrongLengthDropsItsFrame() {
        var assembly = new EventBusTransport.Assembly();
        byte[] frame = frame(2_500);
        assembly.add(chunk(1, 5, frame, 1_000, 0), 0);
        FrameChunk shortOne = new FrameChunk(1, 2, 5, 1, 3, 2_500, new byte[999]);
        assertThatThrownBy(() -> assembly.add(shortOne, 0)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("holds 999 bytes");
        assertThat(assembly.partial()).isZero();
        assertThat(assembly.add(chunk(1, 5, frame, 1_000, 2), 0)).as("the rest of a dropped frame").isNull();
    }

    /** A sender that started again numbers its frames anew: its chunks do not finish what its earlier run began. */
    @Test
    void aChunkOfAnotherTransferDoesNotFinishAFrame() {
        var assembly = new EventBusTransport.Assembly();
        byte[] before = frame(3_000);
        byte[] after = frame(3_000);
        assembly.add(chunk(1, 5, before, 1_000, 0), 0);
        assembly.add(chunk(1, 5, before, 1_000, 1), 0);
        assertThat(assembly.add(chunk(1, 6, after, 1_000, 2), 0)).isNull();
        assertThat(assembly.partial()).as("the frame is dropped").isZero();
        assertThat(assembly.add(chunk(1, 5, before, 1_000, 2), 0)).isNull();
    }

    @Test
    void aFrameNoChunkAdvancedForTheExpiryIsGivenUp() {
        var assembly = new EventBusTransport.Assembly();
        byte[] frame = frame(3_000);
        long t0 = 1_000_000L;
        assembly.add(chunk(1, 5, frame, 1_000, 0), t0);
        assembly.add(chunk(1, 5, frame, 1_000, 1), t0 + EXPIRY_NANOS / 2);
        assertThat(assembly.expire(t0 + EXPIRY_NANOS)).as("advanced half an expiry ago").isEqualTo(1);
        assertThat(assembly.expire(t0 + EXPIRY_NANOS / 2 + EXPIRY_NANOS)).isZero();
        assertThat(assembly.add(chunk(1, 5, frame, 1_000, 2), t0 + 2 * EXPIRY_NANOS)).isNull();
    }

    @Test
    void atMostSoManyFramesArePutTogetherAndTheLeastRecentlyAdvancedGivesWay() {
        var assembly = new EventBusTransport.Assembly();
        int senders = EventBusTransport.Assembly.MAX_PARTIAL_FRAMES + 1;
        byte[] frame = frame(2_000);
        for (int from = 1; from <= senders; from++) {
            assembly.add(chunk(from, 5, frame, 1_000, 0), from);
        }
        assertThat(assembly.partial()).isEqualTo(EventBusTransport.Assembly.MAX_PARTIAL_FRAMES);
        assertThat(assembly.add(chunk(1, 5, frame, 1_000, 1), 100)).as("the first sender's, given way").isNull();
        assertThat(EventBusTransport.Assembly.join(assembly.add(chunk(senders, 5, frame, 1_000, 1), 100)))
                .isEqualTo(frame);
    }
}
