package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.vertx.core.eventbus.EventBus;
import java.nio.ByteBuffer;

/**
 * Carries a {@link FrameChunk} over the Vert.x event bus, behind the length, group count and tag of {@link
 * FramedCodec}, so that every chunk is authenticated (and its sender's number of groups checked) on its own before the
 * receiver keeps a byte of it:
 *
 * <pre>
 * frame = i32 from | i32 to | i64 transfer | i32 index | i32 count | i32 total | bytes
 * </pre>
 */
public final class FrameChunkCodec extends FramedCodec<FrameChunk> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-frame-chunk-v" + RaftWireFormat.VERSION;

    private static final int HEADER = 4 + 4 + 8 + 4 + 4 + 4;

    /**
     * Creates the codec.
     *
     * @param auth  tags and verifies frames with the cluster-wide key, or null
     * @param pairs tags and verifies frames with the key of their pair of nodes, or null
     */
    public FrameChunkCodec(FrameAuthenticator auth, PeerFrameKeys pairs) {
        this(auth, pairs, 1);
    }

    /**
     * Creates the codec of a process with {@code groups} Raft groups: its frames carry that number, and it refuses
     * frames that carry another ({@link GroupCountMismatchException}).
     *
     * @param auth   tags and verifies frames with the cluster-wide key, or null
     * @param pairs  tags and verifies frames with the key of their pair of nodes, or null
     * @param groups the process's configured number of Raft groups
     */
    public FrameChunkCodec(FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        super(NAME, "raft frame chunk", auth, pairs, groups);
    }

    /**
     * Registers the codec of a process with {@code groups} Raft groups, unless a codec of this name already is (the
     * first registration on a Vert.x instance decides: one process, one configuration).
     *
     * @param bus    the event bus
     * @param auth   the cluster-wide key, or null
     * @param pairs  the pair keys, or null
     * @param groups the process's configured number of Raft groups
     */
    public static void registerOnce(EventBus bus, FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        registerOnce(bus, new FrameChunkCodec(auth, pairs, groups));
    }

    @Override
    byte[] encode(FrameChunk c) {
        return ByteBuffer.allocate(HEADER + c.bytes().length).putInt(c.from()).putInt(c.to()).putLong(c.transfer())
                .putInt(c.index()).putInt(c.count()).putInt(c.total()).put(c.bytes()).array();
    }

    @Override
    FrameChunk decode(byte[] frame) {
        if (frame.length < HEADER) {
            throw new SerializationException("raft frame chunk: " + frame.length + " bytes, less than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(frame);
        int from = b.getInt();
        int to = b.getInt();
        long transfer = b.getLong();
        int index = b.getInt();
        int count = b.getInt();
        int total = b.getInt();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        try {
            return new FrameChunk(from, to, transfer, index, count, total, bytes);
        } catch (IllegalArgumentException e) {
            throw new SerializationException("raft frame chunk: " + e.getMessage());
        }
    }

    @Override
    int receiver(FrameChunk value) {
        return value.to();
    }

    @Override
    boolean between(FrameChunk value, int from, int to) {
        return value.from() == from && value.to() == to;
    }
}
