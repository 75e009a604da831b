package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.security.FrameAuthenticator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageCodec;

/**
 * What Raftline's event-bus codecs share: within one JVM ({@link #transform}) the immutable record is handed over
 * as is; across a clustered event bus it is one {@link RaftWireFormat} frame behind a 4-byte length, and a frame
 * that does not decode is a {@link SerializationException} naming what was wrong, never a crash of the receiver.
 *
 * <p>With a {@link FrameAuthenticator} (a clustered bus with {@code security.cluster_secret}) the frame is followed by
 * its tag, inside the length, and a frame whose tag does not verify is a {@link FrameAuthenticationException} before a
 * byte of it is decoded.
 *
 * @param <T> the immutable record carried
 */
abstract class FramedCodec<T> implements MessageCodec<T, T> {

    private final String name;
    private final String what;
    private final FrameAuthenticator auth;

    /**
     * @param name the codec name senders put in their {@code DeliveryOptions}
     * @param what what a frame holds, for error messages ("raft message")
     * @param auth tags and verifies frames on the wire, or null for none
     */
    FramedCodec(String name, String what, FrameAuthenticator auth) {
        this.name = name;
        this.what = what;
        this.auth = auth;
    }

    /** Registers {@code codec} on {@code bus} unless it already is (several transports may share one Vert.x). */
    static void registerOnce(EventBus bus, MessageCodec<?, ?> codec) {
        try {
            bus.registerCodec(codec);
        } catch (IllegalStateException alreadyRegistered) {
            // Registered by an earlier transport on the same Vert.x instance: fine.
        }
    }

    /** The frame of {@code value}. */
    abstract byte[] encode(T value);

    /** The value of a frame; throws {@link SerializationException} if it does not decode. */
    abstract T decode(byte[] frame);

    @Override
    public final void encodeToWire(Buffer buffer, T value) {
        byte[] bytes = encode(value);
        if (auth == null) {
            buffer.appendInt(bytes.length).appendBytes(bytes);
        } else {
            buffer.appendInt(bytes.length + FrameAuthenticator.TAG_BYTES).appendBytes(bytes).appendBytes(auth.tag(bytes));
        }
    }

    @Override
    public final T decodeFromWire(int pos, Buffer buffer) {
        if (pos < 0 || pos + 4 > buffer.length()) {
            throw new SerializationException("truncated " + what + ": no length at offset " + pos);
        }
        int length = buffer.getInt(pos);
        if (length < 0 || (long) pos + 4 + length > buffer.length()) {
            throw new SerializationException(what + " length " + length + " exceeds the "
                    + (buffer.length() - pos - 4) + " bytes available");
        }
        if (auth == null) {
            return decode(buffer.getBytes(pos + 4, pos + 4 + length));
        }
        if (length < FrameAuthenticator.TAG_BYTES) {
            throw new FrameAuthenticationException("a " + what + " of " + length + " bytes carries no authentication"
                    + " tag (is security.cluster_secret set on every node?)");
        }
        int end = pos + 4 + length - FrameAuthenticator.TAG_BYTES;
        byte[] frame = buffer.getBytes(pos + 4, end);
        if (!auth.verify(frame, buffer.getBytes(end, end + FrameAuthenticator.TAG_BYTES))) {
            throw new FrameAuthenticationException("a " + what + " whose authentication tag does not verify (written"
                    + " without this cluster's security.cluster_secret, or altered)");
        }
        return decode(frame);
    }

    @Override
    public final T transform(T value) {
        return value;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final byte systemCodecID() {
        return -1;
    }
}
