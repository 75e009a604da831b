package io.raftline.transport;

import io.raftline.security.FrameAuthenticator;
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
        super(NAME, "raft batch", auth);
    }

    /**
     * Registers the codec on {@code bus} unless it already is (several transports may share one Vert.x instance).
     *
     * @param bus the event bus
     */
    public static void registerOnce(EventBus bus) {
        registerOnce(bus, new RaftBatchCodec());
    }

    /**
     * Registers the codec, authenticating frames with {@code auth}, unless a codec of this name already is.
     *
     * @param bus  the event bus
     * @param auth tags and verifies frames, or null for none
     */
    public static void registerOnce(EventBus bus, FrameAuthenticator auth) {
        registerOnce(bus, new RaftBatchCodec(auth));
    }

    @Override
    byte[] encode(RaftBatch batch) {
        return RaftWireFormat.encodeBatch(batch.messages());
    }

    @Override
    RaftBatch decode(byte[] frame) {
        return new RaftBatch(RaftWireFormat.decodeBatch(frame));
    }
}
