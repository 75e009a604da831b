package io.raftline.api.resp;

/**
 * A command that cannot run as asked (wrong arity, a syntax error, a key Raftline cannot store): its message is the
 * whole error reply, code first ({@code ERR syntax error}), and the connection carries on with the next request.
 */
public final class RespError extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the error.
     *
     * @param reply the error reply's text, starting with its code (ERR, WRONGTYPE, NOPROTO...)
     */
    public RespError(String reply) {
        super(reply, null, false, false);
    }
}
