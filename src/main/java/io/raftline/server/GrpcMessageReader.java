package io.raftline.server;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/**
 * Follows the messages of one gRPC call through the chunks its body arrives in (each message: a flag byte, a 4-byte
 * length, the body), for {@link GrpcFrameCheck}: a message marked compressed where the call named no gzip is refused,
 * and a gzip message is inflated here, at most to the largest message, and handed on uncompressed.
 *
 * <p>What passes unchanged is handed on as slices of the chunk it came in, never copied: an uncompressed call (every
 * Raft frame over the gRPC transport, every KV call of the usual clients) costs a scan of its 5-byte prefixes and
 * nothing per byte of its bodies, and a chunk whose bytes all pass is handed on as it came. Only the bytes of a prefix
 * split between two chunks are held (5 at most), and a gzip message's compressed body (at most the largest message).
 * A pure class (no Vert.x context, no I/O), so that every way of cutting a call into chunks can be tested.
 */
final class GrpcMessageReader {

    /** Why a call is refused: gRPC's status and the message. */
    record Refusal(int status, String message) {
    }

    /** gRPC's status for a message the server cannot decode (grpc-java's answer to these cases). */
    static final int INTERNAL = 13;

    /** gRPC's status for a message larger than the server takes. */
    static final int RESOURCE_EXHAUSTED = 8;

    private static final int PREFIX = 5;

    private final boolean gzip;
    private final String encoding;
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
    private Refusal refusal;

    /**
     * Reads the messages of one call.
     *
     * @param encoding        the call's {@code grpc-encoding} header (null: none)
     * @param maxMessageBytes the largest message the server takes: a gzip message may inflate to that much
     */
    GrpcMessageReader(String encoding, long maxMessageBytes) {
        this.encoding = encoding;
        this.gzip = "gzip".equalsIgnoreCase(encoding);
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * Takes the next chunk of the call's body and hands on, in order, what the gRPC server may read of it.
     *
     * @param chunk the bytes as they arrived
     * @param out   receives the bytes to pass on (the chunk itself, slices of it, held prefix bytes, inflated messages)
     * @return null, or why the call is refused (then and from then on nothing more is handed on; the whole messages
     *         before the refused one were)
     */
    Refusal feed(Buffer chunk, Handler<Buffer> out) {
        if (refusal != null) {
            return refusal;
        }
        int n = chunk.length();
        int run = 0; // the first byte of this chunk that passes unchanged and was not handed on yet
        int i = 0;
        int prefixStart = prefixRead > 0 ? -prefixRead : 0; // where the current prefix began (< 0: an earlier chunk)
        while (i < n) {
            if (bodyLeft > 0) {
                int take = (int) Math.min(bodyLeft, n - i);
                if (compressed != null) {
                    compressed.appendBuffer(chunk, i, take);
                    run = i + take;
                }
                bodyLeft -= take;
                i += take;
                if (bodyLeft == 0 && compressed != null && !inflate(out)) {
                    return refusal;
                }
                continue;
            }
            if (prefixRead == 0) {
                messages++;
                prefixStart = i;
            }
            prefix[prefixRead++] = chunk.getByte(i++);
            if (prefixRead < PREFIX) {
                continue;
            }
            prefixRead = 0;
            long length = Buffer.buffer(prefix).getUnsignedInt(1);
            byte flag = prefix[0];
            if (flag == 0 || (flag == 1 && gzip && length > maxMessageBytes)) {
                // As it came (one larger than the server takes is refused by its deframer by its length, unread).
                if (prefixStart < 0) {
                    // Begun in an earlier chunk, whose bytes of it were held: they go out now, ahead of this chunk's.
                    out.handle(Buffer.buffer().appendBytes(prefix, 0, -prefixStart));
                }
                bodyLeft = length;
                continue;
            }
            // The prefix's bytes in this chunk do not pass; what came before them does.
            handOn(chunk, run, Math.max(prefixStart, run), out);
            run = i;
            if (flag != 1 || !gzip) {
                refusal = new Refusal(INTERNAL, "message " + messages + " of this call is marked compressed (or has a"
                        + " flag byte other than 0 and 1), but the call's grpc-encoding is " + (encoding == null
                        ? "absent" : "\"" + encoding + "\"") + ": send messages uncompressed, or compressed with"
                        + " grpc-encoding: gzip");
                return refusal;
            }
            compressed = Buffer.buffer((int) Math.min(length, 64 * 1024));
            bodyLeft = length;
            if (length == 0 && !inflate(out)) {
                return refusal;
            }
        }
        // A prefix begun in this chunk and not whole yet is held, not handed on.
        int end = prefixRead > 0 ? Math.max(prefixStart, 0) : n;
        if (run == 0 && end == n) {
            if (n > 0) {
                out.handle(chunk); // every byte passes unchanged: the chunk as it came
            }
        } else {
            handOn(chunk, run, end, out);
        }
        return null;
    }

    private static void handOn(Buffer chunk, int from, int to, Handler<Buffer> out) {
        if (to > from) {
            out.handle(chunk.slice(from, to));
        }
    }

    /** Inflates the gzip message just received and hands it on uncompressed; false if the call is refused. */
    private boolean inflate(Handler<Buffer> out) {
        Buffer body = compressed;
        compressed = null;
        ByteArrayOutputStream inflated = new ByteArrayOutputStream();
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body.getBytes()))) {
            byte[] piece = new byte[8192];
            for (int r; (r = in.read(piece)) > 0; ) {
                if ((long) inflated.size() + r > maxMessageBytes) {
                    refusal = new Refusal(RESOURCE_EXHAUSTED, "message " + messages + " of this call inflates to more"
                            + " than " + maxMessageBytes + " bytes, the largest message this server takes");
                    return false;
                }
                inflated.write(piece, 0, r);
            }
        } catch (IOException e) {
            refusal = new Refusal(INTERNAL, "message " + messages + " of this call is not valid gzip (grpc-encoding:"
                    + " gzip): " + e.getMessage());
            return false;
        }
        out.handle(Buffer.buffer().appendByte((byte) 0).appendUnsignedInt(inflated.size())
                .appendBytes(inflated.toByteArray()));
        return true;
    }
}
