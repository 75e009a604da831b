package io.raftline.api.resp;

/**
 * The bytes a client sent are not a RESP request, or break one of the listener's size limits. Redis answers such
 * input with {@code -ERR Protocol error: ...} and closes the connection, because it can no longer tell where the
 * next request starts; so does Raftline.
 */
public final class RespProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, in Redis's words where Redis has them
     */
    public RespProtocolException(String message) {
        super(message);
    }
}
