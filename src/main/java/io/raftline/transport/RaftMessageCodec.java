package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Message;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * Carries Raft {@link Message} records over the Vert.x event bus.
 *
 * <p>Locally ({@link #transform}) the record itself is handed over: messages are immutable, so nothing is
 * copied or serialized between nodes of one JVM. Across a clustered event bus the message is written in
 * {@link RaftWireFormat} behind a 4-byte length, so a clustered deployment only has to register this codec.
 */
public final class RaftMessageCodec implements MessageCodec<Message, Message> {

    /** The codec name senders put in their {@code DeliveryOptions}. */
    public static final String NAME = "raftline-raft-message-v" + RaftWireFormat.VERSION;

    /**
     * Registers the codec on {@code bus} unless it already is (it may be shared by several transports of one
     * Vert.x instance, and the event bus refuses a second registration under the same name).
     *
     * @param bus the event bus
     */
    public static void registerOnce(EventBus bus) {
        try {
            bus.registerCodec(new RaftMessageCodec());
        } catch (IllegalStateException alreadyRegistered) {
            // Registered by an earlier transport on the same Vert.x instance: fine.
        }
    }

    @Override
    public void encodeToWire(Buffer buffer, Message m) {
        byte[] bytes = RaftWireFormat.encode(m);
        buffer.appendInt(bytes.length).appendBytes(bytes);
    }

    @Override
    public Message decodeFromWire(int pos, Buffer buffer) {
        if (pos < 0 || pos + 4 > buffer.length()) {
            throw new SerializationException("truncated raft message: no length at offset " + pos);
        }
        int length = buffer.getInt(pos);
        if (length < 0 || (long) pos + 4 + length > buffer.length()) {
            throw new SerializationException("raft message length " + length + " exceeds the "
                    + (buffer.length() - pos - 4) + " bytes available");
        }
        return RaftWireFormat.decode(buffer.getBytes(pos + 4, pos + 4 + length));
    }

    @Override
    public Message transform(Message m) {
        return m;
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
