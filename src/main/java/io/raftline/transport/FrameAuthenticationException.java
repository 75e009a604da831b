package io.raftline.transport;

/**
 * A frame of the clustered event bus whose authentication tag is missing or does not verify
 * ({@link io.raftline.security.FrameAuthenticator}): it is refused before it is decoded, and counted apart from frames
 * that are merely malformed, since it means a writer that does not hold the cluster's secret.
 */
public final class FrameAuthenticationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * @param message what was wrong
     */
    public FrameAuthenticationException(String message) {
        super(message);
    }
}
