package io.raftline.transport.grpc;

import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.raft.SerializationException;
import io.raftline.raft.message.SnapshotRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Rebuilds one InstallSnapshot message from the chunks of its client stream, checking the stream's shape as
 * it goes: the header comes in the first chunk and only there, no chunk follows the one marked {@code last},
 * and the bytes never exceed what the header announced (nor {@code maxBytes}), so a confused or hostile
 * sender cannot make the receiver buffer without bound. {@link #finish()} requires the exact announced size.
 *
 * <p>The bytes are copied once as they arrive, into pieces of at most {@link #BLOCK_BYTES}, each no larger than what the
 * header still announces, so memory grows with what arrived and never exceeds the announcement. A snapshot of one piece
 * is handed on as it is; a larger one is joined once by {@link #finish()}, which the endpoint then runs on a worker
 * ({@link #joinsPieces()}). The buffer used to grow by doubling on the event loop: a 1 GiB snapshot meant copies of up
 * to 512 MiB there, a stall of hundreds of milliseconds for every stream and timer of that loop.
 *
 * <p>Not thread-safe: one assembler belongs to one stream, whose chunks arrive on one event loop; {@link #finish()}
 * may run on another thread once the stream has ended (nothing is added after it).
 */
final class SnapshotAssembler {

    /** Largest piece the bytes are copied into as they arrive (4 MiB). */
    static final int BLOCK_BYTES = 4 << 20;

    private final long maxBytes;
    private SnapshotHeader header;
    private List<byte[]> pieces = new ArrayList<>();
    /** The piece being filled, and how much of it is. */
    private byte[] piece;
    private int pieceFill;
    private long received;
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
        } else if (chunk.hasHeader()) {
            throw new SerializationException("snapshot chunk " + chunks + " repeats the header");
        }
        int n = chunk.getData().size();
        if (received + n > header.getTotalBytes()) {
            throw new SerializationException("snapshot " + header.getIndex() + " announced " + header.getTotalBytes()
                    + " bytes but more arrived (" + (received + n) + " after chunk " + chunks + ")");
        }
        // Copied once, into pieces allocated as bytes arrive (never more than announced), rather than trusting the
        // announcement with one large allocation or growing one buffer by copying it.
        com.google.protobuf.ByteString bytes = chunk.getData();
        int off = 0;
        while (off < n) {
            if (piece == null || pieceFill == piece.length) {
                piece = new byte[(int) Math.min(BLOCK_BYTES, header.getTotalBytes() - received)];
                pieces.add(piece);
                pieceFill = 0;
            }
            int k = Math.min(n - off, piece.length - pieceFill);
            (off == 0 && k == n ? bytes : bytes.substring(off, off + k)).copyTo(piece, pieceFill); // a view, no copy
            off += k;
            pieceFill += k;
            received += k;
        }
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
        byte[] exact;
        if (pieces.size() == 1 && pieceFill == piece.length) {
            exact = piece;
        } else {
            exact = new byte[(int) received];
            int at = 0;
            for (byte[] p : pieces) {
                int k = (int) Math.min(p.length, received - at);
                System.arraycopy(p, 0, exact, at, k);
                at += k;
            }
        }
        pieces = List.of();
        piece = null;
        return ProtoMapping.snapshotRequest(header, exact);
    }

    /**
     * Whether {@link #finish()} joins several pieces into one array (a copy of the whole snapshot, to be run off the
     * event loop) rather than handing on the one piece as it is.
     *
     * @return true for a snapshot of more than one piece
     */
    boolean joinsPieces() {
        return pieces.size() > 1;
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
