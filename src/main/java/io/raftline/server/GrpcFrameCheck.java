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
 * sees the bytes, so that a compressed message can neither stall nor flood the node:
 *
 * <ul>
 *   <li>A message marked compressed where the call named no compression the node can undo (no {@code grpc-encoding},
 *       or another than gzip), or with a flag byte other than 0 and 1, is answered INTERNAL naming the rule
 *       (grpc-java's status for it). Vert.x 5.0.7's deframer ({@code Http2GrpcMessageDeframer.next}) threw
 *       {@code UnsupportedOperationException("Handle me")} there: the exception escaped to the event loop, which logged
 *       it twice per call with its stack, and the call was never answered, its stream held until the client gave up.
 *   <li>A gzip message is inflated here, on the event loop, at most to the server's largest message, and passed on
 *       uncompressed; one that inflates beyond is answered RESOURCE_EXHAUSTED, one that is not gzip INTERNAL. Vert.x
 *       inflated it whole, without a bound: a review's 1 MiB message of zeros (1 GiB inflated) held a leader's event
 *       loop for a minute (78 blocked-thread warnings) and grew the process from 250 MiB to 4 GiB; two at once would
 *       run a default heap out of memory. Any client that reaches the port could send one, before the Raft service's
 *       certificate check too.
 * </ul>
 *
 * <p>The check is a wrapper of the request (Vert.x's own {@link HttpServerRequestWrapper}, which the gRPC server takes
 * as it takes a request, an internal type of Vert.x like the connection's channel {@link AcceptedConnections} reads).
 * Uncompressed messages pass through unchanged and uncopied ({@link GrpcMessageReader}: the chunk itself or slices of
 * it); only a prefix split across chunks (5 bytes) and a gzip message (at most the largest message's bytes) are held.
 * Once a call is refused, the rest of its bytes and its end are dropped, so the gRPC server never meets the message.
 */
final class GrpcFrameCheck extends HttpServerRequestWrapper {

    private final GrpcMessageReader reader;
    private boolean refused;

    private GrpcFrameCheck(HttpServerRequestInternal delegate, long maxMessageBytes) {
        super(delegate);
        this.reader = new GrpcMessageReader(delegate.getHeader("grpc-encoding"), maxMessageBytes);
    }

    /**
     * The request to give Vert.x's gRPC server.
     *
     * @param request         a gRPC call
     * @param maxMessageBytes the largest message the server takes (its {@code maxMessageSize}): a gzip message may
     *                        inflate to that much
     * @return the call, its messages checked as they arrive (the request itself if Vert.x hands another kind)
     */
    static HttpServerRequest checked(HttpServerRequest request, long maxMessageBytes) {
        String type = request.getHeader("content-type");
        if (type != null && type.regionMatches(true, 0, "application/grpc-web-text", 0, 25)) {
            return request; // base64 text: its prefixes are not bytes on the wire
        }
        return request instanceof HttpServerRequestInternal internal
                ? new GrpcFrameCheck(internal, maxMessageBytes) : request;
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
            GrpcMessageReader.Refusal refusal = reader.feed(chunk, handler);
            if (refusal != null) {
                refuse(refusal);
                delegate.handler(c -> { });
            }
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

    private void refuse(GrpcMessageReader.Refusal refusal) {
        refused = true;
        String encoded = URLEncoder.encode(refusal.message(), StandardCharsets.UTF_8).replace("+", "%20");
        HttpServerResponse response = delegate.response();
        if (response.ended() || response.closed()) {
            return;
        }
        String status = String.valueOf(refusal.status());
        if (!response.headWritten()) {
            response.setStatusCode(200).putHeader("content-type", "application/grpc")
                    .putHeader("grpc-status", status).putHeader("grpc-message", encoded).end();
        } else {
            response.putTrailer("grpc-status", status).putTrailer("grpc-message", encoded).end();
        }
    }
}
