package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.vertx.core.eventbus.EventBus;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Carries {@link GroupBatches} over the Vert.x event bus: within one JVM the record as is; across a clustered bus one
 * frame, behind the 4-byte length and the sender's number of groups (and tag) of {@link FramedCodec}:
 *
 * <pre>
 * frame = i32 parts | parts × (i32 group | i32 length | length bytes of a RaftWireFormat batch frame)
 * </pre>
 */
public final class GroupBatchesCodec extends FramedCodec<GroupBatches> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-group-batches-v" + RaftWireFormat.VERSION;

    /**
     * Creates the codec.
     *
     * @param auth tags and verifies frames on a clustered bus, or null for none
     */
    public GroupBatchesCodec(FrameAuthenticator auth) {
        this(auth, null);
    }

    /**
     * Creates the codec.
     *
     * @param auth  tags and verifies frames with the cluster-wide key, or null
     * @param pairs tags and verifies frames with the key of their pair of nodes, or null
     */
    public GroupBatchesCodec(FrameAuthenticator auth, PeerFrameKeys pairs) {
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
    public GroupBatchesCodec(FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        super(NAME, "raft group batches", auth, pairs, groups);
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
        registerOnce(bus, new GroupBatchesCodec(auth, pairs, groups));
    }

    @Override
    byte[] encode(GroupBatches value) {
        return frame(value);
    }

    @Override
    GroupBatches decode(byte[] frame) {
        return parse(frame);
    }

    /** The frame of {@code value}, without length or tag (what {@link FrameChunk}s of a large frame carry). */
    static byte[] frame(GroupBatches value) {
        List<byte[]> frames = new ArrayList<>(value.parts().size());
        int size = 4;
        for (GroupBatches.Part p : value.parts()) {
            byte[] f = RaftWireFormat.encodeBatch(p.messages());
            frames.add(f);
            size += 8 + f.length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            b.putInt(value.parts().get(i).group()).putInt(frames.get(i).length).put(frames.get(i));
        }
        return b.array();
    }

    /** The value of a frame; throws {@link SerializationException} if it does not decode. */
    static GroupBatches parse(byte[] frame) {
        ByteBuffer b = ByteBuffer.wrap(frame);
        if (b.remaining() < 4) {
            throw new SerializationException("raft group batches: no part count");
        }
        int count = b.getInt();
        // Each part is at least its group, its length and a batch header.
        if (count <= 0 || count > b.remaining() / 8) {
            throw new SerializationException("raft group batches: bad part count " + count + " for "
                    + b.remaining() + " bytes");
        }
        List<GroupBatches.Part> parts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (b.remaining() < 8) {
                throw new SerializationException("raft group batches: part " + i + " of " + count + " is truncated");
            }
            int group = b.getInt();
            int length = b.getInt();
            if (group < 0 || length <= 0 || length > b.remaining()) {
                throw new SerializationException("raft group batches: part " + i + " has group " + group
                        + " and length " + length + " with " + b.remaining() + " bytes left");
            }
            byte[] batch = new byte[length];
            b.get(batch);
            parts.add(new GroupBatches.Part(group, RaftWireFormat.decodeBatch(batch)));
        }
        if (b.hasRemaining()) {
            throw new SerializationException("raft group batches: " + b.remaining() + " trailing bytes");
        }
        return new GroupBatches(parts);
    }

    @Override
    int receiver(GroupBatches value) {
        return value.parts().get(0).messages().get(0).to();
    }

    @Override
    boolean between(GroupBatches value, int from, int to) {
        return allBetween(value, from, to);
    }

    /** Whether every message of every part of {@code value} goes from {@code from} to {@code to}. */
    static boolean allBetween(GroupBatches value, int from, int to) {
        for (GroupBatches.Part p : value.parts()) {
            if (!RaftBatchCodec.allBetween(p.messages(), from, to)) {
                return false;
            }
        }
        return true;
    }
}
