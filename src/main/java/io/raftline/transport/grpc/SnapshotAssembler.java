package io.raftline.transport.grpc;

import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.SnapshotRequest;
import java.util.Arrays;

/**
 * Rebuilds one InstallSnapshot message from the chunks of its client stream, checking the stream's shape as
 * it goes: the header comes in the first chunk and only there, no chunk follows the one marked {@code last},
 * and the bytes never exceed what the header announced (nor {@code maxBytes}), so a confused or hostile
 * sender cannot make the receiver buffer without bound. {@link #finish()} requires the exact announced size.
 *
 * <p>Not thread-safe: one assembler belongs to one stream, whose chunks arrive on one event loop.
 */
final class SnapshotAssembler {

    private final long maxBytes;
    private SnapshotHeader header;
    private byte[] data;
    private int received;
    private boolean last;
    private int chunks;

    /**
     * Creates an assembler for one stream.
     *
     * @param maxBytes largest snapshot accepted
     */
    SnapshotAssembler(long maxBytes) {
        this.maxBytes = Math.min(maxBytes, Integer.MAX_VALUE - 8);
    }

    /**
     * Adds the next chunk.
     *
     * @param chunk the chunk
     * @throws SerializationException if the stream is malformed
     */
    void add(SnapshotChunk chunk) {
        chunks++;
        if (last) {
            throw new SerializationException("snapshot chunk " + chunks + " arrived after the last one");
        }
        if (header == null) {
            if (!chunk.hasHeader()) {
                throw new SerializationException("the first snapshot chunk carries no header");
            }
            header = chunk.getHeader();
            long total = header.getTotalBytes();
            if (total < 0 || total > maxBytes) {
                throw new SerializationException("snapshot " + header.getIndex() + " announces "
                        + Long.toUnsignedString(total) + " bytes, more than the limit " + maxBytes);
            }
            // Grows with what arrives rather than trusting the announcement with one large allocation.
            data = new byte[(int) Math.min(total, 1 << 20)];
        } else if (chunk.hasHeader()) {
            throw new SerializationException("snapshot chunk " + chunks + " repeats the header");
        }
        int n = chunk.getData().size();
        if ((long) received + n > header.getTotalBytes()) {
            throw new SerializationException("snapshot " + header.getIndex() + " announced " + header.getTotalBytes()
                    + " bytes but more arrived (" + ((long) received + n) + " after chunk " + chunks + ")");
        }
        if (received + n > data.length) {
            data = Arrays.copyOf(data, (int) Math.min(header.getTotalBytes(), Math.max(2L * data.length,
                    (long) received + n)));
        }
        chunk.getData().copyTo(data, received);
        received += n;
        last = chunk.getLast();
    }

    /**
     * The message, once the stream ended.
     *
     * @return the InstallSnapshot message
     * @throws SerializationException if no chunk, no last chunk, or fewer bytes than announced arrived
     */
    SnapshotRequest finish() {
        if (header == null) {
            throw new SerializationException("the snapshot stream ended without any chunk");
        }
        if (!last) {
            throw new SerializationException("the snapshot stream of " + header.getIndex()
                    + " ended without its last chunk (" + received + " of " + header.getTotalBytes() + " bytes)");
        }
        byte[] exact = received == data.length ? data : Arrays.copyOf(data, received);
        return ProtoMapping.snapshotRequest(header, exact);
    }

    /**
     * The Raft group whose replica installs the snapshot, from the header (0 until the header arrived, and for a
     * group-0 snapshot).
     *
     * @return the group as it came off the wire (a uint32)
     */
    int group() {
        return header == null ? 0 : header.getGroup();
    }

    /**
     * The node the header says sent the snapshot, so a receiver can check it against the peer's certificate before it
     * buffers the rest of the stream.
     *
     * @return the header's {@code from}, or -1 until the header arrived
     */
    int sender() {
        return header == null ? -1 : header.getFrom();
    }

    /**
     * The node the header says the snapshot is for, so a receiver can refuse a snapshot for a node it does not serve
     * before it buffers the rest of the stream.
     *
     * @return the header's {@code to}, or -1 until the header arrived
     */
    int recipient() {
        return header == null ? -1 : header.getTo();
    }

    /**
     * Chunks seen so far.
     *
     * @return the count
     */
    int chunks() {
        return chunks;
    }
}
