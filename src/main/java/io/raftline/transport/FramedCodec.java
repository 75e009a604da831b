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
 *
 * <p>Every form starts with the sending process's number of Raft groups ({@code "groups"}, {@link GroupCountCheck}): a
 * receiver whose own number differs refuses the frame with a {@link GroupCountMismatchException} once it is
 * authenticated (a frame that does not verify is refused for that first), before any of it reaches a node. With a
 * tag, the count is under it with the frame: the receiver acts on the count, so a count altered on the wire is refused
 * as an altered frame ({@link FrameAuthenticationException}), never taken for a peer's configuration.
 * <pre>
 * wire = i32 length | u16 groups | frame                               (length counts what follows it)
 * wire = i32 length | u16 groups | frame | 32-byte tag                 (security.cluster_secret)
 * wire = i32 length | u16 groups | i32 from | i32 to | frame | 32-byte tag   (pair keys)
 * tag  = HMAC(cluster key, groups | frame)  or  HMAC(pair key, from | to | groups | frame)
 * </pre>
 *
 * @param <T> the immutable record carried
 */
abstract class FramedCodec<T> implements MessageCodec<T, T> {

    private final String name;
    private final String what;
    private final FrameAuthenticator auth;
    private final PeerFrameKeys pairs;
    /** This process's number of Raft groups: written on every frame, and the only one accepted. */
    private final int groups;
    /** {@link #groups} as written on the wire (big-endian), what the tag covers before the frame. */
    private final byte[] groupsBytes;

    /** Bytes of the group count after the length. */
    static final int GROUPS_BYTES = 2;

    /**
     * @param name   the codec name senders put in their {@code DeliveryOptions}
     * @param what   what a frame holds, for error messages ("raft message")
     * @param auth   tags and verifies frames on the wire with the cluster-wide key, or null
     * @param pairs  tags and verifies frames with the key of their pair of nodes, or null (at most one of the two)
     * @param groups this process's number of Raft groups, 1 to {@link GroupCountCheck#MAX}
     */
    FramedCodec(String name, String what, FrameAuthenticator auth, PeerFrameKeys pairs, int groups) {
        if (auth != null && pairs != null) {
            throw new IllegalArgumentException("frames carry one tag: the cluster-wide one or the pair's");
        }
        if (groups < 1 || groups > GroupCountCheck.MAX) {
            throw new IllegalArgumentException("groups must be 1.." + GroupCountCheck.MAX + ", got " + groups);
        }
        this.groups = groups;
        this.groupsBytes = new byte[] {(byte) (groups >>> 8), (byte) groups};
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
            byte[] tag = pairs.tag(to, groupsBytes, bytes);
            if (tag == null) {
                // The transport sends only to peers whose key is known; one forgotten since (its certificate revoked
                // by a list reloaded meanwhile) gets a tag nobody accepts. The send cannot be taken back here.
                tag = new byte[PeerFrameKeys.TAG_BYTES];
            }
            buffer.appendInt(GROUPS_BYTES + PeerFrameKeys.HEADER_BYTES + bytes.length + PeerFrameKeys.TAG_BYTES)
                    .appendUnsignedShort(groups).appendInt(pairs.self()).appendInt(to).appendBytes(bytes)
                    .appendBytes(tag);
        } else if (auth == null) {
            buffer.appendInt(GROUPS_BYTES + bytes.length).appendUnsignedShort(groups).appendBytes(bytes);
        } else {
            buffer.appendInt(GROUPS_BYTES + bytes.length + FrameAuthenticator.TAG_BYTES).appendUnsignedShort(groups)
                    .appendBytes(bytes).appendBytes(auth.tag(groupsBytes, bytes));
        }
    }

    @Override
    public final T decodeFromWire(int pos, Buffer buffer) {
        if (pos < 0 || pos + 4 > buffer.length()) {
            throw new SerializationException("truncated " + what + ": no length at offset " + pos);
        }
        int length = buffer.getInt(pos);
        if (length < GROUPS_BYTES || (long) pos + 4 + length > buffer.length()) {
            throw new SerializationException(what + " length " + length + " exceeds the "
                    + (buffer.length() - pos - 4) + " bytes available or leaves no room for the group count");
        }
        int theirs = buffer.getUnsignedShort(pos + 4);
        // What follows the count, as the forms without it were read.
        int at = pos + 4 + GROUPS_BYTES;
        length -= GROUPS_BYTES;
        T value;
        if (pairs != null) {
            value = decodePair(at, length, countAsReceived(buffer, pos), buffer);
        } else if (auth == null) {
            value = decode(buffer.getBytes(at, at + length));
        } else {
            if (length < FrameAuthenticator.TAG_BYTES) {
                throw new FrameAuthenticationException("a " + what + " of " + length + " bytes carries no"
                        + " authentication tag (is security.cluster_secret set on every node?)");
            }
            int end = at + length - FrameAuthenticator.TAG_BYTES;
            byte[] frame = buffer.getBytes(at, end);
            if (!auth.verify(countAsReceived(buffer, pos), frame,
                    buffer.getBytes(end, end + FrameAuthenticator.TAG_BYTES))) {
                throw new FrameAuthenticationException("a " + what + " whose authentication tag does not verify"
                        + " (written without this cluster's security.cluster_secret, or altered)");
            }
            value = decode(frame);
        }
        if (theirs != groups) {
            // Authenticated and decoded, so that the receiver can name the sender and report its messages dropped.
            throw new GroupCountMismatchException(theirs, groups, value);
        }
        return value;
    }

    /** The group count's bytes as received, which a tag covers with the frame (read only when there is a tag). */
    private static byte[] countAsReceived(Buffer buffer, int pos) {
        return buffer.getBytes(pos + 4, pos + 4 + GROUPS_BYTES);
    }

    /**
     * A frame with pair keys from {@code at} (its sender and receiver ids), {@code length} bytes with its tag, which
     * also covers {@code header} (the group count before the ids).
     */
    private T decodePair(int at, int length, byte[] header, Buffer buffer) {
        if (length < PeerFrameKeys.HEADER_BYTES + PeerFrameKeys.TAG_BYTES) {
            throw new FrameAuthenticationException(PeerGuard.Reason.BAD_MAC, 0, "a " + what + " of " + length
                    + " bytes carries no sender and tag (do all nodes have certificates naming their node and the"
                    + " same security.peer_identity?)");
        }
        int from = buffer.getInt(at);
        int to = buffer.getInt(at + 4);
        int start = at + PeerFrameKeys.HEADER_BYTES;
        int end = at + length - PeerFrameKeys.TAG_BYTES;
        byte[] frame = buffer.getBytes(start, end);
        PeerFrameKeys.Check check = pairs.verify(from, to, header, frame,
                buffer.getBytes(end, end + PeerFrameKeys.TAG_BYTES));
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
