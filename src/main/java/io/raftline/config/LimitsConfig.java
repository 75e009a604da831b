package io.raftline.config;

/**
 * Bounds on what clients may make a server hold: connections, bytes of a request's head, time, WebSocket frames and
 * the size of the key space. Each exists so that one careless or hostile client cannot exhaust a resource the whole
 * node needs (file descriptors, memory, event-loop time, disk); docs/security.md says what each one protects.
 *
 * @param maxConnections      open connections per listening port; more are closed at once (0: no limit)
 * @param idleTimeoutMs       a connection that sends and receives nothing this long is closed (0: never)
 * @param requestTimeoutMs    a request whose body has not fully arrived this long after its head is answered 408 and
 *                            its connection closed (a client that sends half a body holds nothing for long)
 * @param maxRequestLineBytes longest request line (method, path and query); longer ones get 414
 * @param maxHeaderBytes      largest request head (all headers together); larger ones get 431
 * @param maxWsFrameBytes     largest WebSocket frame (and message) the live view's bridge accepts
 * @param quotaBytes          the key space's size quota (keys + values, bytes): writes that would grow it beyond are
 *                            refused with 507 {@code quota_exceeded}; reads and deletes keep working (0: none)
 * @param requestHeadTimeoutMs a connection whose next request head has not fully arrived this long after the connection
 *                            opened or its previous response ended is closed (a head trickled byte by byte would
 *                            otherwise hold the connection until the idle timeout; 0: no deadline)
 */
public record LimitsConfig(int maxConnections, long idleTimeoutMs, long requestTimeoutMs, int maxRequestLineBytes,
        int maxHeaderBytes, int maxWsFrameBytes, long quotaBytes, long requestHeadTimeoutMs) {

    /** Default of {@code limits.request_head_timeout_ms}. */
    public static final long DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 10_000;

    /** The defaults. */
    public static final LimitsConfig DEFAULT = new LimitsConfig(4096, 120_000, 30_000, 8192, 16384, 65536, 0,
            DEFAULT_REQUEST_HEAD_TIMEOUT_MS);

    /**
     * Limits with the default request head deadline.
     *
     * @param maxConnections      open connections per listening port
     * @param idleTimeoutMs       idle connections are closed after this long
     * @param requestTimeoutMs    a request's body must arrive within this long
     * @param maxRequestLineBytes longest request line
     * @param maxHeaderBytes      largest request head
     * @param maxWsFrameBytes     largest WebSocket frame
     * @param quotaBytes          the key space's quota
     */
    public LimitsConfig(int maxConnections, long idleTimeoutMs, long requestTimeoutMs, int maxRequestLineBytes,
            int maxHeaderBytes, int maxWsFrameBytes, long quotaBytes) {
        this(maxConnections, idleTimeoutMs, requestTimeoutMs, maxRequestLineBytes, maxHeaderBytes, maxWsFrameBytes,
                quotaBytes, DEFAULT_REQUEST_HEAD_TIMEOUT_MS);
    }
}
