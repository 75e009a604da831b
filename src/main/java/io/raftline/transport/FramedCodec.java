package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.raftline.security.PeerGuard;
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
 * <p>With {@link PeerFrameKeys} instead (the same, with per-node certificates: docs/security.md) the frame is preceded
 * by its sender's and receiver's ids and followed by the tag of the pair's key: the receiver verifies it with the key
 * of the sender the header claims, then checks that every message of the frame has that sender and receiver.
 * <pre>
 * wire = i32 length | i32 from | i32 to | frame | 32-byte tag        (length counts what follows it)
 * </pre>
 *
 * @param <T> the immutable record carried
 */
abstract class FramedCodec<T> implements MessageCodec<T, T> {

    private final String name;
    private final String what;
    private final FrameAuthenticator auth;
    private final PeerFrameKeys pairs;

    /**
     * @param name  the codec name senders put in their {@code DeliveryOptions}
     * @param what  what a frame holds, for error messages ("raft message")
     * @param auth  tags and verifies frames on the wire with the cluster-wide key, or null
     * @param pairs tags and verifies frames with the key of their pair of nodes, or null (at most one of the two)
     */
    FramedCodec(String name, String what, FrameAuthenticator auth, PeerFrameKeys pairs) {
        if (auth != null && pairs != null) {
            throw new IllegalArgumentException("frames carry one tag: the cluster-wide one or the pair's");
        }
        this.name = name;
        this.what = what;
        this.auth = auth;
        this.pairs = pairs;
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

    /** The receiver of the (first) message of a value. */
    abstract int receiver(T value);

    /** Whether every message of a value goes from {@code from} to {@code to}. */
    abstract boolean between(T value, int from, int to);

    @Override
    public final void encodeToWire(Buffer buffer, T value) {
        byte[] bytes = encode(value);
        if (pairs != null) {
            int to = receiver(value);
            byte[] tag = pairs.tag(to, bytes);
            if (tag == null) {
                // The transport sends only to peers whose key is known; one forgotten since (its certificate revoked
                // by a list reloaded meanwhile) gets a tag nobody accepts. The send cannot be taken back here.
                tag = new byte[PeerFrameKeys.TAG_BYTES];
            }
            buffer.appendInt(PeerFrameKeys.HEADER_BYTES + bytes.length + PeerFrameKeys.TAG_BYTES)
                    .appendInt(pairs.self()).appendInt(to).appendBytes(bytes).appendBytes(tag);
        } else if (auth == null) {
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
        if (pairs != null) {
            return decodePair(pos, length, buffer);
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

    private T decodePair(int pos, int length, Buffer buffer) {
        if (length < PeerFrameKeys.HEADER_BYTES + PeerFrameKeys.TAG_BYTES) {
            throw new FrameAuthenticationException(PeerGuard.Reason.BAD_MAC, 0, "a " + what + " of " + length
                    + " bytes carries no sender and tag (do all nodes have certificates naming their node and the"
                    + " same security.peer_identity?)");
        }
        int from = buffer.getInt(pos + 4);
        int to = buffer.getInt(pos + 8);
        int start = pos + 4 + PeerFrameKeys.HEADER_BYTES;
        int end = pos + 4 + length - PeerFrameKeys.TAG_BYTES;
        byte[] frame = buffer.getBytes(start, end);
        PeerFrameKeys.Check check = pairs.verify(from, to, frame, buffer.getBytes(end, end + PeerFrameKeys.TAG_BYTES));
        if (check != PeerFrameKeys.Check.OK) {
            throw refusal(check, from, to);
        }
        T value = decode(frame);
        if (!between(value, from, to)) {
            throw new FrameAuthenticationException(PeerGuard.Reason.SENDER_MISMATCH, from, "node " + from
                    + " wrote a " + what + " whose messages claim another sender or receiver than " + from + " -> "
                    + to);
        }
        return value;
    }

    private FrameAuthenticationException refusal(PeerFrameKeys.Check check, int from, int to) {
        return switch (check.verdict()) {
            case UNKNOWN_SENDER -> new FrameAuthenticationException(PeerGuard.Reason.UNKNOWN_PEER, from, "a " + what
                    + " claims to come from node " + from + ", whose certificate this node has not verified (yet)");
            case NOT_FOR_ME -> new FrameAuthenticationException(PeerGuard.Reason.BAD_MAC, from, "a " + what
                    + " for node " + to + " arrived at node " + pairs.self());
            case OTHER_WRITER -> new FrameAuthenticationException(PeerGuard.Reason.SENDER_MISMATCH, from, "a " + what
                    + " claims to come from node " + from + " but node " + check.writer() + " wrote it (its tag is"
                    + " node " + check.writer() + "'s)");
            default -> new FrameAuthenticationException(PeerGuard.Reason.BAD_MAC, from, "a " + what + " claiming node "
                    + from + " whose tag does not verify (altered, another security.cluster_secret, or a key renewed"
                    + " since: the certificate is fetched again)");
        };
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
