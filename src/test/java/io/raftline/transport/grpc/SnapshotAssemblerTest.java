package io.raftline.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.SnapshotRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The receiving side of InstallSnapshot: chunks are checked as they arrive, the total when the stream ends. */
class SnapshotAssemblerTest {

    private static SnapshotHeader header(long total) {
        return SnapshotHeader.newBuilder().setFrom(1).setTo(2).setTerm(3).setIndex(50).setSnapshotTerm(2)
                .addAllVoters(List.of(1, 2, 3)).setTotalBytes(total).build();
    }

    private static SnapshotChunk chunk(SnapshotHeader h, int from, int n, boolean last) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        SnapshotChunk.Builder c = SnapshotChunk.newBuilder().setData(ByteString.copyFrom(b)).setLast(last);
        if (h != null) {
            c.setHeader(h);
        }
        return c.build();
    }

    @Test
    void chunksAreReassembledInOrder() {
        SnapshotAssembler a = new SnapshotAssembler(Long.MAX_VALUE);
        SnapshotHeader h = header(2_500_000);
        a.add(chunk(h, 0, 1_000_000, false));
        a.add(chunk(null, 1_000_000, 1_000_000, false));
        a.add(chunk(null, 2_000_000, 500_000, true));
        SnapshotRequest s = a.finish();
        assertThat(s.snapshot().data()).hasSize(2_500_000);
        for (int i = 0; i < 2_500_000; i += 99_991) {
            assertThat(s.snapshot().data()[i]).isEqualTo((byte) i);
        }
        assertThat(s.snapshot().metadata().voters()).containsExactly(1, 2, 3);
        assertThat(a.chunks()).isEqualTo(3);
    }

    @Test
    void aSizeMismatchIsRejected() {
        SnapshotAssembler fewer = new SnapshotAssembler(Long.MAX_VALUE);
        fewer.add(chunk(header(100), 0, 60, true));
        assertThatThrownBy(fewer::finish).isInstanceOf(SerializationException.class)
                .hasMessageContaining("announced 100 bytes but 60 arrived");

        SnapshotAssembler more = new SnapshotAssembler(Long.MAX_VALUE);
        more.add(chunk(header(100), 0, 60, false));
        assertThatThrownBy(() -> more.add(chunk(null, 60, 41, true))).isInstanceOf(SerializationException.class)
                .hasMessageContaining("announced 100 bytes but more arrived");
    }

    @Test
    void theStreamMustHaveOneHeaderFirstAndEndWithItsLastChunk() {
        assertThatThrownBy(() -> new SnapshotAssembler(Long.MAX_VALUE).add(chunk(null, 0, 10, true)))
                .hasMessageContaining("first snapshot chunk carries no header");
        SnapshotAssembler twice = new SnapshotAssembler(Long.MAX_VALUE);
        twice.add(chunk(header(20), 0, 10, false));
        assertThatThrownBy(() -> twice.add(chunk(header(20), 10, 10, true))).hasMessageContaining("repeats the header");
        SnapshotAssembler after = new SnapshotAssembler(Long.MAX_VALUE);
        after.add(chunk(header(10), 0, 10, true));
        assertThatThrownBy(() -> after.add(chunk(null, 10, 0, true))).hasMessageContaining("after the last one");
        SnapshotAssembler unfinished = new SnapshotAssembler(Long.MAX_VALUE);
        unfinished.add(chunk(header(20), 0, 20, false));
        assertThatThrownBy(unfinished::finish).hasMessageContaining("ended without its last chunk");
        assertThatThrownBy(() -> new SnapshotAssembler(Long.MAX_VALUE).finish()).hasMessageContaining("without any chunk");
    }

    @Test
    void anAnnouncementBeyondTheLimitIsRefusedBeforeAnyAllocation() {
        assertThatThrownBy(() -> new SnapshotAssembler(1000).add(chunk(header(1001), 0, 1, false)))
                .isInstanceOf(SerializationException.class).hasMessageContaining("more than the limit 1000");
        assertThatThrownBy(() -> new SnapshotAssembler(Long.MAX_VALUE).add(chunk(header(-1L), 0, 1, false)))
                .hasMessageContaining("18446744073709551615");
    }

    /**
     * Adding the chunks of a snapshot allocates its size once: each byte is copied once as it arrives, into pieces of
     * at most {@link SnapshotAssembler#BLOCK_BYTES} (and of no more than the header announced), never into a buffer
     * that is grown by copying what it holds into one twice as large. It ran on the event loop: a 1 GiB snapshot
     * copied 1 GiB more in steps of up to 512 MiB there (32 MiB here allocated 63 MiB). Joining the pieces, once, is
     * {@link SnapshotAssembler#finish()}'s, which the endpoint runs off the event loop for a snapshot of several.
     */
    @Test
    void addingChunksCopiesEachByteOnceAndNeverRegrowsABuffer() {
        int total = 32 << 20;
        int chunkBytes = 256 * 1024;
        SnapshotHeader h = header(total);
        List<SnapshotChunk> chunks = new java.util.ArrayList<>();
        for (int from = 0; from < total; from += chunkBytes) {
            chunks.add(chunk(from == 0 ? h : null, from, chunkBytes, from + chunkBytes == total));
        }
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean)
                java.lang.management.ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        SnapshotAssembler a = new SnapshotAssembler(Long.MAX_VALUE);
        long before = threads.getThreadAllocatedBytes(tid);
        for (SnapshotChunk c : chunks) {
            a.add(c);
        }
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(allocated).as("bytes allocated while adding %d bytes of chunks", total)
                .isLessThanOrEqualTo(total + (1L << 20));
        byte[] data = a.finish().snapshot().data();
        assertThat(data).hasSize(total);
        for (int i = 0; i < total; i += 1_000_003) {
            assertThat(data[i]).isEqualTo((byte) i);
        }
        assertThat(data[total - 1]).isEqualTo((byte) (total - 1));
    }

    /** A snapshot of one piece is handed on as it is, with no join to run anywhere. */
    @Test
    void aSnapshotOfOnePieceNeedsNoJoin() {
        SnapshotAssembler small = new SnapshotAssembler(Long.MAX_VALUE);
        small.add(chunk(header(1000), 0, 600, false));
        small.add(chunk(null, 600, 400, true));
        assertThat(small.joinsPieces()).isFalse();
        assertThat(small.finish().snapshot().data()).hasSize(1000);
        SnapshotAssembler large = new SnapshotAssembler(Long.MAX_VALUE);
        large.add(chunk(header(SnapshotAssembler.BLOCK_BYTES + 1), 0, SnapshotAssembler.BLOCK_BYTES, false));
        large.add(chunk(null, SnapshotAssembler.BLOCK_BYTES, 1, true));
        assertThat(large.joinsPieces()).isTrue();
        assertThat(large.finish().snapshot().data()).hasSize(SnapshotAssembler.BLOCK_BYTES + 1);
    }
}
