package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.vertx.core.eventbus.EventBus;

/**
 * Carries Raft {@link Message} records over the Vert.x event bus.
 *
 * <p>Locally the record itself is handed over: messages are immutable, so nothing is copied or serialized between
 * nodes of one JVM. Across a clustered event bus the message is written in {@link RaftWireFormat} behind a 4-byte
 * length, so a clustered deployment only has to register this codec.
 */
public final class RaftMessageCodec extends FramedCodec<Message> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-message-v" + RaftWireFormat.VERSION;

    /** Creates the codec, without frame authentication. */
    public RaftMessageCodec() {
        this(null);
    }

    /**
     * Creates the codec.
     *
     * @param auth tags and verifies frames on a clustered bus, or null for none
     */
    public RaftMessageCodec(FrameAuthenticator auth) {
        this(auth, null);
    }

    /**
     * Creates the codec.
     *
     * @param auth  tags and verifies frames with the cluster-wide key, or null
     * @param pairs tags and verifies frames with the key of their pair of nodes, or null
     */
    public RaftMessageCodec(FrameAuthenticator auth, PeerFrameKeys pairs) {
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
    public RaftMessageCodec(FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        super(NAME, "raft message", auth, pairs, groups);
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
        registerOnce(bus, new RaftMessageCodec(auth, pairs, groups));
    }

    @Override
    byte[] encode(Message m) {
        return RaftWireFormat.encode(m);
    }

    @Override
    Message decode(byte[] frame) {
        return RaftWireFormat.decode(frame);
    }

    @Override
    int receiver(Message value) {
        return value.to();
    }

    @Override
    boolean between(Message value, int from, int to) {
        return value.from() == from && value.to() == to;
    }
}
