package io.raftline.transport;

import io.raftline.security.PeerGuard;

/**
 * A frame of the clustered event bus that does not authenticate ({@link io.raftline.security.FrameAuthenticator},
 * {@link io.raftline.security.PeerFrameKeys}): its tag is missing or wrong, its sender is not the member that wrote it,
 * or its claimed sender is not known yet. It is refused before it is decoded (or, for messages that disagree with the
 * frame's authenticated header, before any of them reaches a node), and counted apart from frames that are merely
 * malformed, since it means a writer without the right key.
 */
public final class FrameAuthenticationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why, as counted in {@code raftline_peer_refusals_total}. */
    private final PeerGuard.Reason reason;
    /** The sender the frame claims (0: none read). */
    private final int claimedSender;

    /**
     * A frame whose tag does not verify.
     *
     * @param message what was wrong
     */
    public FrameAuthenticationException(String message) {
        this(PeerGuard.Reason.BAD_MAC, 0, message);
    }

    /**
     * A refused frame.
     *
     * @param reason        why
     * @param claimedSender the sender the frame claims, or 0
     * @param message       what was wrong
     */
    public FrameAuthenticationException(PeerGuard.Reason reason, int claimedSender, String message) {
        super(message);
        this.reason = reason;
        this.claimedSender = claimedSender;
    }

    /**
     * Why the frame was refused.
     *
     * @return the reason
     */
    public PeerGuard.Reason reason() {
        return reason;
    }

    /**
     * The sender the frame claims.
     *
     * @return its id, or 0 if none was read
     */
    public int claimedSender() {
        return claimedSender;
    }
}
