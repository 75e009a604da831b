package io.raftline.api.resp;

/**
 * The bytes of replies one Redis-protocol port's connections hold: those a batch produced and not yet encoded, and
 * those written to a socket and not gone out to the client. The RESP counterpart of the HTTP and gRPC ports'
 * {@link io.raftline.api.AnswerBudget}. A connection runs up to 128 pipelined requests as one batch, and 128 GETs of a
 * 1 MiB value are 128 MiB of replies (an MGET up to 64 MiB); the port takes 4,096 connections. A review's connections
 * that each sent 256 GETs of a 1 MB value and read nothing made the node hold 255 MiB of heap and direct memory each
 * (the batch encoded whole, and its copy in the socket's queue), eight of them 950 MiB and growing; four that sent
 * MGETs of 64 values, 1.2 GiB.
 *
 * <p>A connection now encodes its replies a piece at a time as its client reads them ({@link ReplyEncoder}), so one
 * that does not read holds its batch's replies as they came (values the store or the read already holds), not copies.
 * Over this protocol a reply cannot be refused once its command ran (a write's cannot at all), so the budget slows
 * readers down instead: while the port's connections hold as much as its budget, no connection starts a batch that
 * reads the key-value state. The port can go past it by the reads already under way when it filled, at most one batch
 * per connection. Writes and connection commands are not held back (their replies are small, and a write's is owed),
 * but their bytes count. A connection whose replies stay out past the deadline, none going out, is closed
 * ({@link RespServer#dropStalled}): a client that does not read holds the budget for a while, not for ever.
 *
 * <p>Thread-safe: a port's connections run on several event loops. {@link RequestBudget} bounds the port's requests
 * waiting to start the same way.
 */
final class ReplyBudget extends PortBudget {

    /** What a port's connections' replies may hold together by default: as much as the HTTP and gRPC port's answers. */
    static final long DEFAULT_BYTES = io.raftline.api.AnswerBudget.DEFAULT_BYTES;

    ReplyBudget(long limit) {
        super(limit);
    }

    /** The bytes of replies not gone out yet. */
    long unsent() {
        return held();
    }
}
