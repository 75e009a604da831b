package io.raftline.server;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPInputStream;

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
 * Uncompressed messages pass through unchanged, chunk by chunk; only a prefix split across chunks (5 bytes) and a gzip
 * message (at most the largest message's bytes) are held. Once a call is refused, the rest of its bytes and its end are
 * dropped, so the gRPC server never meets the message.
 */
final class GrpcFrameCheck extends HttpServerRequestWrapper {

    /** gRPC's status for a message the server cannot decode (grpc-java's answer to these cases). */
    static final int INTERNAL = 13;

    /** gRPC's status for a message larger than the server takes. */
    static final int RESOURCE_EXHAUSTED = 8;

    /** The only compression undone here (and the only one Vert.x's gRPC server knows). */
    private static final String GZIP = "gzip";

    private static final int PREFIX = 5;

    private final boolean gzip;
    private final long maxMessageBytes;
    private final byte[] prefix = new byte[PREFIX];
    /** Bytes of the current message's prefix read so far (0 to 5). */
    private int prefixRead;
    /** Bytes of the current message's body still to come. */
    private long bodyLeft;
    /** The current message's compressed body as it arrives, or null while an uncompressed body passes through. */
    private Buffer compressed;
    /** Messages whose prefix began, the current one included. */
    private long messages;
    private boolean refused;

    private GrpcFrameCheck(HttpServerRequestInternal delegate, long maxMessageBytes) {
        super(delegate);
        this.gzip = GZIP.equalsIgnoreCase(delegate.getHeader("grpc-encoding"));
        this.maxMessageBytes = maxMessageBytes;
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
            Buffer out = Buffer.buffer();
            boolean ok = pass(chunk, out);
            if (out.length() > 0) {
                handler.handle(out); // the whole messages before a refused one are well formed
            }
            if (!ok) {
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

    /** Appends to {@code out} what the gRPC server may read of the chunk; false once the call is refused. */
    private boolean pass(Buffer chunk, Buffer out) {
        int i = 0;
        int n = chunk.length();
        while (i < n) {
            if (bodyLeft > 0) {
                int take = (int) Math.min(bodyLeft, n - i);
                (compressed != null ? compressed : out).appendBuffer(chunk, i, take);
                bodyLeft -= take;
                i += take;
                if (bodyLeft == 0 && compressed != null && !inflate(out)) {
                    return false;
                }
                continue;
            }
            if (prefixRead == 0) {
                messages++;
            }
            prefix[prefixRead++] = chunk.getByte(i++);
            if (prefixRead == PREFIX && !prefixDone(out)) {
                return false;
            }
        }
        return true;
    }

    /** Decides on a message whose prefix just arrived whole; false if the call is refused. */
    private boolean prefixDone(Buffer out) {
        prefixRead = 0;
        long length = Buffer.buffer(prefix).getUnsignedInt(1);
        byte flag = prefix[0];
        if (flag == 1 && gzip && length <= maxMessageBytes) {
            compressed = Buffer.buffer((int) Math.min(length, 64 * 1024));
            bodyLeft = length;
            return length > 0 || inflate(out);
        }
        if (flag != 0 && (flag != 1 || !gzip)) {
            String encoding = delegate.getHeader("grpc-encoding");
            return refuse(INTERNAL, "message " + messages + " of this call is marked compressed (or has a flag byte"
                    + " other than 0 and 1), but the call's grpc-encoding is " + (encoding == null ? "absent"
                    : "\"" + encoding + "\"") + ": send messages uncompressed, or compressed with grpc-encoding: gzip");
        }
        // Uncompressed, or larger than the server takes (its deframer refuses it by its length, unread): as it came.
        out.appendBytes(prefix);
        bodyLeft = length;
        return true;
    }

    /** Inflates the gzip message just received and appends it uncompressed; false if the call is refused. */
    private boolean inflate(Buffer out) {
        Buffer body = compressed;
        compressed = null;
        ByteArrayOutputStream inflated = new ByteArrayOutputStream();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body.getBytes()))) {
            byte[] piece = new byte[8192];
            for (int r; (r = in.read(piece)) > 0; ) {
                if ((long) inflated.size() + r > maxMessageBytes) {
                    return refuse(RESOURCE_EXHAUSTED, "message " + messages + " of this call inflates to more than "
                            + maxMessageBytes + " bytes, the largest message this server takes");
                }
                inflated.write(piece, 0, r);
            }
        } catch (IOException e) {
            return refuse(INTERNAL, "message " + messages + " of this call is not valid gzip (grpc-encoding: gzip): "
                    + e.getMessage());
        }
        out.appendByte((byte) 0).appendUnsignedInt(inflated.size()).appendBytes(inflated.toByteArray());
        return true;
    }

    private boolean refuse(int status, String message) {
        refused = true;
        String encoded = URLEncoder.encode(message, StandardCharsets.UTF_8).replace("+", "%20");
        HttpServerResponse response = delegate.response();
        if (response.ended() || response.closed()) {
            return false;
        }
        if (!response.headWritten()) {
            response.setStatusCode(200).putHeader("content-type", "application/grpc")
                    .putHeader("grpc-status", String.valueOf(status)).putHeader("grpc-message", encoded).end();
        } else {
            response.putTrailer("grpc-status", String.valueOf(status)).putTrailer("grpc-message", encoded).end();
        }
        return false;
    }
}
