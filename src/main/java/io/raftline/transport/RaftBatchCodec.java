package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries a {@link RaftBatch} over the Vert.x event bus, as {@link RaftMessageCodec} carries one message: within
 * one JVM ({@link #transform}) the immutable record is handed over as is; across a clustered event bus it is one
 * {@link RaftWireFormat#encodeBatch batch frame} behind a 4-byte length. A frame that does not decode is a
 * {@link SerializationException} naming what was wrong, never a crash of the receiver.
 */
public final class RaftBatchCodec implements MessageCodec<RaftBatch, RaftBatch> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-batch-v" + RaftWireFormat.VERSION;

    /**
     * Registers the codec on {@code bus} unless it already is (several transports may share one Vert.x instance).
     *
     * @param bus the event bus
     */
    public static void registerOnce(EventBus bus) {
        try {
            bus.registerCodec(new RaftBatchCodec());
        } catch (IllegalStateException alreadyRegistered) {
            // Registered by an earlier transport on the same Vert.x instance: fine.
        }
    }

    @Override
    public void encodeToWire(Buffer buffer, RaftBatch batch) {
        byte[] bytes = RaftWireFormat.encodeBatch(batch.messages());
        buffer.appendInt(bytes.length).appendBytes(bytes);
    }

    @Override
    public RaftBatch decodeFromWire(int pos, Buffer buffer) {
        if (pos < 0 || pos + 4 > buffer.length()) {
            throw new SerializationException("truncated raft batch: no length at offset " + pos);
        }
        int length = buffer.getInt(pos);
        if (length < 0 || (long) pos + 4 + length > buffer.length()) {
            throw new SerializationException("raft batch length " + length + " exceeds the "
                    + (buffer.length() - pos - 4) + " bytes available");
        }
        return new RaftBatch(RaftWireFormat.decodeBatch(buffer.getBytes(pos + 4, pos + 4 + length)));
    }

    @Override
    public RaftBatch transform(RaftBatch batch) {
        return batch;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public byte systemCodecID() {
        return -1;
    }
}
