package io.raftline.server;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads the 5-byte prefix of every message of a gRPC call (a compressed flag and a length) before Vert.x's gRPC server
 * sees the bytes, and answers a call whose message is marked compressed, where the call named no compression it can
 * undo, with status INTERNAL naming the rule (as gRPC's own servers answer it). It exists because Vert.x 5.0.7's
 * deframer ({@code Http2GrpcMessageDeframer.next}) throws {@code UnsupportedOperationException("Handle me")} on a
 * message with the compressed flag in a call without {@code grpc-encoding}: the exception escaped to the event loop,
 * which logged it twice per call with its stack, and the call was never answered, its stream held until the client
 * gave up (a review sent one such message with curl: no answer in 10 s, two ERROR stack traces). Any client that
 * reaches the port could do it, before the Raft service's certificate check too.
 *
 * <p>The check is a wrapper of the request (Vert.x's own {@link HttpServerRequestWrapper}, which the gRPC server takes
 * as it takes a request, an internal type of Vert.x like the connection's channel {@link AcceptedConnections} reads):
 * the bytes of the call pass through unchanged, a few counters per call; nothing is buffered. Once a call is
 * refused, the rest of its bytes and its end are dropped, so the gRPC server never meets the message.
 */
final class GrpcFrameCheck extends HttpServerRequestWrapper {

    /** gRPC's status for a message the server cannot decode (grpc-java's answer to this same case). */
    static final int INTERNAL = 13;

    /** The only compression Vert.x's gRPC server undoes. */
    private static final String GZIP = "gzip";

    private final boolean mayBeCompressed;
    /** Bytes of the current message prefix read so far (0 to 5); 5 while the message's body is being skipped. */
    private int prefixRead;
    /** The current prefix's length field, as its bytes arrive. */
    private long length;
    /** Bytes of the current message's body still to come. */
    private long bodyLeft;
    /** Messages whose prefix arrived, the current one included. */
    private long messages;
    private boolean refused;

    private GrpcFrameCheck(HttpServerRequestInternal delegate) {
        super(delegate);
        this.mayBeCompressed = GZIP.equalsIgnoreCase(delegate.getHeader("grpc-encoding"));
    }

    /**
     * The request to give Vert.x's gRPC server.
     *
     * @param request a gRPC call
     * @return the call, its messages' prefixes checked as they arrive (the request itself if Vert.x hands another kind)
     */
    static HttpServerRequest checked(HttpServerRequest request) {
        String type = request.getHeader("content-type");
        if (type != null && type.regionMatches(true, 0, "application/grpc-web-text", 0, 25)) {
            return request; // base64 text: its prefixes are not bytes on the wire
        }
        return request instanceof HttpServerRequestInternal internal ? new GrpcFrameCheck(internal) : request;
    }

    @Override
    public HttpServerRequest handler(Handler<Buffer> handler) {
        if (handler == null) {
            return delegate.handler(null);
        }
        return delegate.handler(chunk -> {
            if (refused) {
                return;
            }
            int bad = firstBadPrefix(chunk);
            if (bad < 0) {
                handler.handle(chunk);
                return;
            }
            if (bad > 0) {
                handler.handle(chunk.slice(0, bad)); // the messages before it are whole and well formed
            }
            refuse();
        });
    }

    @Override
    public HttpServerRequest endHandler(Handler<Void> handler) {
        return delegate.endHandler(handler == null ? null : v -> {
            if (!refused) {
                handler.handle(v);
            }
        });
    }

    /** Where in the chunk a message prefix starts that may not be passed on, or -1; moves the counters on. */
    private int firstBadPrefix(Buffer chunk) {
        int i = 0;
        int n = chunk.length();
        while (i < n) {
            if (bodyLeft > 0) {
                int skip = (int) Math.min(bodyLeft, n - i);
                bodyLeft -= skip;
                i += skip;
                continue;
            }
            if (prefixRead == 5) {
                prefixRead = 0; // the previous message, empty or skipped whole, is over
            }
            byte b = chunk.getByte(i);
            if (prefixRead == 0) {
                messages++;
                if (b != 0 && (b != 1 || !mayBeCompressed)) {
                    return i;
                }
                length = 0;
            } else {
                length = (length << 8) | (b & 0xFF);
            }
            prefixRead++;
            i++;
            if (prefixRead == 5) {
                bodyLeft = length;
            }
        }
        return -1;
    }

    private void refuse() {
        refused = true;
        delegate.handler(chunk -> { });
        String message = "message " + messages + " of this call is marked compressed (or has a flag byte other than 0"
                + " and 1), but the call's grpc-encoding is " + (delegate.getHeader("grpc-encoding") == null ? "absent"
                : "\"" + delegate.getHeader("grpc-encoding") + "\"") + ": send messages uncompressed, or compressed"
                + " with grpc-encoding: gzip";
        String encoded = URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20");
        HttpServerResponse response = delegate.response();
        if (response.ended() || response.closed()) {
            return;
        }
        if (!response.headWritten()) {
            response.setStatusCode(200).putHeader("content-type", "application/grpc")
                    .putHeader("grpc-status", String.valueOf(INTERNAL)).putHeader("grpc-message", encoded).end();
        } else {
            response.putTrailer("grpc-status", String.valueOf(INTERNAL)).putTrailer("grpc-message", encoded).end();
        }
    }
}
