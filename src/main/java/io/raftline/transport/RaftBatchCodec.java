package io.raftline.transport;

import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.vertx.core.eventbus.EventBus;

/**
 * Carries a {@link RaftBatch} over the Vert.x event bus, as {@link RaftMessageCodec} carries one message: within
 * one JVM the immutable record is handed over as is; across a clustered event bus it is one
 * {@link RaftWireFormat#encodeBatch batch frame} behind a 4-byte length.
 */
public final class RaftBatchCodec extends FramedCodec<RaftBatch> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-batch-v" + RaftWireFormat.VERSION;

    /** Creates the codec, without frame authentication. */
    public RaftBatchCodec() {
        this(null);
    }

    /**
     * Creates the codec.
     *
     * @param auth tags and verifies frames on a clustered bus, or null for none
     */
    public RaftBatchCodec(FrameAuthenticator auth) {
        this(auth, null);
    }

    /**
     * Creates the codec.
     *
     * @param auth  tags and verifies frames with the cluster-wide key, or null
     * @param pairs tags and verifies frames with the key of their pair of nodes, or null
     */
    public RaftBatchCodec(FrameAuthenticator auth, PeerFrameKeys pairs) {
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
    public RaftBatchCodec(FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        super(NAME, "raft batch", auth, pairs, groups);
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
        registerOnce(bus, new RaftBatchCodec(auth, pairs, groups));
    }

    @Override
    byte[] encode(RaftBatch batch) {
        return RaftWireFormat.encodeBatch(batch.messages());
    }

    @Override
    RaftBatch decode(byte[] frame) {
        return new RaftBatch(RaftWireFormat.decodeBatch(frame));
    }

    @Override
    int receiver(RaftBatch value) {
        return value.messages().get(0).to();
    }

    @Override
    boolean between(RaftBatch value, int from, int to) {
        return allBetween(value.messages(), from, to);
    }

    /** Whether every message goes from {@code from} to {@code to}. */
    static boolean allBetween(java.util.List<io.raftline.raft.message.Message> messages, int from, int to) {
        for (io.raftline.raft.message.Message m : messages) {
            if (m.from() != from || m.to() != to) {
                return false;
            }
        }
        return true;
    }
}
