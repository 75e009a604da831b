package io.raftline.api.resp;

import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One reply, as a value: commands build replies without knowing which protocol the connection speaks, and
 * {@link #writeTo} encodes them for RESP2 or RESP3 at the end. The few types RESP3 adds are written in their RESP2
 * form on a RESP2 connection, as Redis does (a null is {@code $-1}, a map a flat array of keys and values).
 */
public sealed interface RespReply {

    /** {@code +OK}. */
    RespReply OK = new Simple("OK");

    /** The null reply: RESP2 {@code $-1}, RESP3 {@code _}. */
    RespReply NIL = new Nil();

    /** The null array, EXEC's answer to a transaction a watched key's change aborted: RESP2 {@code *-1}, RESP3 null. */
    RespReply NIL_ARRAY = new NilArray();

    /**
     * Appends this reply's bytes.
     *
     * @param out      where to
     * @param protocol 2 or 3
     */
    void writeTo(Buffer out, int protocol);

    /**
     * How many bytes {@link #writeTo} appends, without encoding: what a batch's replies would take of the port's
     * {@link ReplyBudget} before they are encoded.
     *
     * @param protocol 2 or 3
     * @return the bytes
     */
    long size(int protocol);

    /** Bytes of a line holding {@code n} in decimal after a type byte, with its CRLF. */
    private static long line(long n) {
        if (n == Long.MIN_VALUE) {
            return 3 + 20;
        }
        int digits = n < 0 ? 2 : 1;
        for (long v = Math.abs(n); v >= 10; v /= 10) {
            digits++;
        }
        return 3 + digits;
    }

    /**
     * A simple string ({@code +text}): status replies such as OK and PONG.
     *
     * @param text the text, without CR or LF
     */
    record Simple(String text) implements RespReply {
        @Override
        public void writeTo(Buffer out, int protocol) {
            out.appendByte((byte) '+').appendString(text).appendString("\r\n");
        }

        @Override
        public long size(int protocol) {
            return 3 + (long) text.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    /**
     * An error ({@code -CODE message}): the first word is the error code clients match on (ERR, TRYAGAIN, NOPROTO).
     *
     * @param text the code and message, without CR or LF
     */
    record Error(String text) implements RespReply {
        /**
         * Replaces line breaks, which would end the reply early.
         *
         * @param text the code and message
         */
        public Error {
            text = text.replace('\r', ' ').replace('\n', ' ');
        }

        @Override
        public void writeTo(Buffer out, int protocol) {
            out.appendByte((byte) '-').appendString(text).appendString("\r\n");
        }

        @Override
        public long size(int protocol) {
            return 3 + (long) text.getBytes(StandardCharsets.UTF_8).length;
        }
    }

    /**
     * An integer ({@code :n}).
     *
     * @param value the number
     */
    record Int(long value) implements RespReply {
        @Override
        public void writeTo(Buffer out, int protocol) {
            out.appendByte((byte) ':').appendString(Long.toString(value)).appendString("\r\n");
        }

        @Override
        public long size(int protocol) {
            return line(value);
        }
    }

    /**
     * A bulk string ({@code $len} and the bytes): values, keys, INFO text.
     *
     * @param bytes the bytes, from position to limit, viewed read-only and never copied until encoded: a GET's reply
     *              is a view of the value the store holds ({@link io.raftline.kv.KvEntry#valueView()}), so a
     *              pipeline's replies waiting for a client that reads slowly hold no copies of the values
     */
    record Bulk(ByteBuffer bytes) implements RespReply {
        /**
         * Takes a read-only view of the bytes from the buffer's position to its limit.
         *
         * @param bytes the bytes
         */
        public Bulk {
            bytes = bytes.asReadOnlyBuffer().slice();
        }

        /**
         * A bulk string of an array's bytes (not copied: the array must not change).
         *
         * @param bytes the bytes
         */
        public Bulk(byte[] bytes) {
            this(ByteBuffer.wrap(bytes));
        }

        /**
         * A bulk string of text.
         *
         * @param text the text, sent as UTF-8
         * @return the reply
         */
        public static Bulk of(String text) {
            return new Bulk(text.getBytes(StandardCharsets.UTF_8));
        }

        /** How many bytes the string has. */
        int length() {
            return bytes.remaining();
        }

        /**
         * Appends {@code n} of the bytes from {@code from} on (a slice of a large value: see {@link ReplyEncoder}).
         *
         * @param out  where to
         * @param from the first byte
         * @param n    how many
         */
        void appendTo(Buffer out, int from, int n) {
            // Buffer.setBytes grows the buffer to pos + the view's limit: the view must start at 0.
            out.setBytes(out.length(), bytes.duplicate().position(from).limit(from + n).slice());
        }

        /** Appends {@code $len} and its CRLF: what comes before the bytes. */
        void writeHeader(Buffer out) {
            out.appendByte((byte) '$').appendString(Integer.toString(length())).appendString("\r\n");
        }

        @Override
        public void writeTo(Buffer out, int protocol) {
            writeHeader(out);
            appendTo(out, 0, length());
            out.appendString("\r\n");
        }

        @Override
        public long size(int protocol) {
            return line(length()) + length() + 2;
        }

        @Override
        public String toString() {
            return "Bulk[" + StandardCharsets.UTF_8.decode(bytes.duplicate()) + "]";
        }
    }

    /** The null reply (a missing key). */
    record Nil() implements RespReply {
        @Override
        public void writeTo(Buffer out, int protocol) {
            out.appendString(protocol >= 3 ? "_\r\n" : "$-1\r\n");
        }

        @Override
        public long size(int protocol) {
            return protocol >= 3 ? 3 : 5;
        }
    }

    /** The null array (RESP2 {@code *-1}; RESP3 has one null). */
    record NilArray() implements RespReply {
        @Override
        public void writeTo(Buffer out, int protocol) {
            out.appendString(protocol >= 3 ? "_\r\n" : "*-1\r\n");
        }

        @Override
        public long size(int protocol) {
            return protocol >= 3 ? 3 : 5;
        }
    }

    /**
     * An array ({@code *n} and n replies).
     *
     * @param items the elements
     */
    record Array(List<RespReply> items) implements RespReply {
        /**
         * Copies the list.
         *
         * @param items the elements
         */
        public Array {
            items = List.copyOf(items);
        }

        /** Appends {@code *n} and its CRLF: what comes before the elements. */
        void writeHeader(Buffer out) {
            out.appendByte((byte) '*').appendString(Integer.toString(items.size())).appendString("\r\n");
        }

        @Override
        public void writeTo(Buffer out, int protocol) {
            writeHeader(out);
            for (RespReply item : items) {
                item.writeTo(out, protocol);
            }
        }

        @Override
        public long size(int protocol) {
            long total = line(items.size());
            for (RespReply item : items) {
                total += item.size(protocol);
            }
            return total;
        }
    }

    /**
     * A map: RESP3 {@code %n} and n key/value pairs; on RESP2 a flat array of 2n elements.
     *
     * @param keysAndValues key, value, key, value, ...
     */
    record KeyValues(List<RespReply> keysAndValues) implements RespReply {
        /**
         * Checks that keys and values pair up.
         *
         * @param keysAndValues key, value, key, value, ...
         */
        public KeyValues {
            keysAndValues = List.copyOf(keysAndValues);
            if (keysAndValues.size() % 2 != 0) {
                throw new IllegalArgumentException("a map needs as many values as keys");
            }
        }

        /** Appends {@code %n} (RESP3) or {@code *2n} (RESP2) and its CRLF: what comes before the keys and values. */
        void writeHeader(Buffer out, int protocol) {
            out.appendByte((byte) (protocol >= 3 ? '%' : '*')).appendString(Integer.toString(count(protocol)))
                    .appendString("\r\n");
        }

        /** The count the header gives: pairs in RESP3, elements in RESP2. */
        private int count(int protocol) {
            return protocol >= 3 ? keysAndValues.size() / 2 : keysAndValues.size();
        }

        @Override
        public void writeTo(Buffer out, int protocol) {
            writeHeader(out, protocol);
            for (RespReply item : keysAndValues) {
                item.writeTo(out, protocol);
            }
        }

        @Override
        public long size(int protocol) {
            long total = line(count(protocol));
            for (RespReply item : keysAndValues) {
                total += item.size(protocol);
            }
            return total;
        }
    }
}
