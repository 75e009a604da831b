package io.raftline.api.resp;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * The replies of one batch, encoded a piece of about {@link #PIECE_BYTES} at a time, so that a connection copies into
 * buffers only what its client is reading: the connection writes a piece, and the next one only once the socket's
 * write queue has room. Encoding a batch whole copied all of it at once (128 GETs of a 1 MiB value: 128 MiB, and as
 * much again in the socket's queue) whether or not the client ever read it. Arrays and maps are encoded element by
 * element and a large bulk string a slice at a time, so no reply of any size is copied whole.
 *
 * <p>The pieces, in order, are byte for byte what {@link RespReply#writeTo} would append for every reply.
 */
final class ReplyEncoder {

    /** About how many bytes one piece holds (one small reply may take it a little past). */
    static final int PIECE_BYTES = 64 * 1024;

    /** What is left to encode, in order: replies, and the rest of a bulk string begun ({@link Slice}). */
    private final Deque<Object> parts = new ArrayDeque<>();
    private final int protocol;
    private long remaining;

    /** The rest of a bulk string's bytes, from {@code from}, then its CRLF. */
    private record Slice(RespReply.Bulk bulk, int from) {
    }

    /**
     * Starts encoding {@code replies}.
     *
     * @param replies  the replies, in order
     * @param protocol the protocol the connection speaks (2 or 3)
     */
    ReplyEncoder(List<RespReply> replies, int protocol) {
        this.protocol = protocol;
        for (RespReply r : replies) {
            parts.addLast(r);
            remaining += r.size(protocol);
        }
    }

    /** The bytes of the replies not yet returned by {@link #next}. */
    long remaining() {
        return remaining;
    }

    /** Whether every reply has been returned. */
    boolean done() {
        return parts.isEmpty();
    }

    /**
     * The next piece.
     *
     * @return at least one byte, and about {@link #PIECE_BYTES} or the rest when less is left
     * @throws java.util.NoSuchElementException when {@link #done()}
     */
    Buffer next() {
        if (parts.isEmpty()) {
            throw new java.util.NoSuchElementException("every reply was encoded");
        }
        Buffer out = Buffer.buffer((int) Math.min(remaining, PIECE_BYTES + 64L));
        while (!parts.isEmpty() && out.length() < PIECE_BYTES) {
            Object part = parts.pollFirst();
            int room = PIECE_BYTES - out.length();
            if (part instanceof Slice s) {
                int n = Math.min(s.bulk().length() - s.from(), room);
                s.bulk().appendTo(out, s.from(), n);
                if (s.from() + n < s.bulk().length()) {
                    parts.addFirst(new Slice(s.bulk(), s.from() + n));
                } else {
                    out.appendString("\r\n");
                }
            } else if (part instanceof RespReply.Array a) {
                a.writeHeader(out);
                pushAll(a.items());
            } else if (part instanceof RespReply.KeyValues m) {
                m.writeHeader(out, protocol);
                pushAll(m.keysAndValues());
            } else if (part instanceof RespReply.Bulk b && b.length() > room) {
                b.writeHeader(out);
                parts.addFirst(new Slice(b, 0));
            } else {
                ((RespReply) part).writeTo(out, protocol);
            }
        }
        remaining -= out.length();
        return out;
    }

    /** Puts an aggregate's elements first, in their order. */
    private void pushAll(List<RespReply> items) {
        for (int i = items.size() - 1; i >= 0; i--) {
            parts.addFirst(items.get(i));
        }
    }
}
