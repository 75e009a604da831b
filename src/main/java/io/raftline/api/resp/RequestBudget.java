package io.raftline.api.resp;

/**
 * The bytes of requests one Redis-protocol port's connections have parsed and not yet started, together: each
 * connection's {@link RequestQueue} is bounded (8 MiB), but nothing bounded their sum, and a client that pipelines and
 * never reads its replies fills its queue and leaves it full (the connection starts no request while its replies are
 * not read). A review's 60 such connections held about 240 MB of heap; the port takes 4,096 connections, tens of GiB.
 *
 * <p>At the budget the port fails nothing: it reads its sockets one read at a time. After each read a connection stops
 * reading until the requests that read brought have started (its queue is empty), as it does when its own queue is
 * full; the requests already queued still run, so the budget comes back as they start. A client that reads its
 * replies goes on, its pipeline cut to what one read brings; one that does not stops with at most one read's requests
 * queued, where it held 8 MiB. So the port goes past its budget by at most one read per connection (a chunk of the
 * socket, or the one request it completed). A connection that does not read its replies holds what it queued until
 * the port's deadline closes it ({@link RespServer#dropStalled}), as it holds the {@link ReplyBudget}.
 *
 * <p>Thread-safe: a port's connections run on several event loops.
 */
final class RequestBudget extends PortBudget {

    /** What a port's connections' queued requests may hold together by default: as much as its replies may. */
    static final long DEFAULT_BYTES = ReplyBudget.DEFAULT_BYTES;

    RequestBudget(long limit) {
        super(limit);
    }
}
