package io.raftline.api.resp;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits the byte stream of one connection into requests, as a Redis server reads them: an array of bulk strings
 * ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}, what every client library sends) or an inline command ({@code PING\r\n},
 * what {@code redis-benchmark}'s inline tests and a human on {@code nc} send). Bytes arrive in arbitrary pieces; the
 * parser keeps what it has not used yet and emits each complete request, in order, as its list of arguments.
 *
 * <p>Every size is bounded before memory is committed to it: the number of arguments, the bytes of one request (all
 * its arguments together, as the HTTP API bounds a body) and the length of an inline line. A request beyond a bound, or
 * bytes that are not RESP, throw {@link RespProtocolException}; the connection is then unusable and is closed after the
 * error reply. One exception, when asked ({@link #skipOversized}): a request of more arguments than the limit is read
 * to its end, its arguments dropped as they come, and emitted as an {@link Oversized} request the connection refuses.
 */
public final class RespParser {

    /** Longest inline command line, as Redis's 64 KiB query buffer limit for inline requests. */
    public static final int MAX_INLINE_BYTES = 64 * 1024;
    /**
     * Most arguments of a request read to its end when it has more than the limit ({@link #skipOversized}): Redis 6's
     * own limit of a request's arguments. Beyond, the request is a protocol error.
     */
    public static final int MAX_SKIPPED_ARGUMENTS = 1024 * 1024;
    /** The words of an oversized request kept for its error reply: its command and the first arguments. */
    static final int OVERSIZED_KEPT = 4;

    /**
     * A request that had more arguments than the limit, read to its end and dropped ({@link #skipOversized}): its first
     * {@link #OVERSIZED_KEPT} words, for the error reply, and how many it had. A list of those first words, so that it
     * queues as any request; the connection answers it with an error, never runs it.
     */
    public static final class Oversized extends java.util.AbstractList<byte[]> {

        private final List<byte[]> head;
        private final long words;

        Oversized(List<byte[]> head, long words) {
            this.head = head;
            this.words = words;
        }

        @Override
        public byte[] get(int index) {
            return head.get(index);
        }

        @Override
        public int size() {
            return head.size();
        }

        /**
         * How many words the request had, its command included.
         *
         * @return the count
         */
        public long words() {
            return words;
        }
    }

    private int maxArguments;
    private int maxRequestBytes;
    private boolean oneAtATime;
    /** Whether a request of more than maxArguments (up to MAX_SKIPPED_ARGUMENTS) is read and dropped, not an error. */
    private boolean skipOversized;
    /** Whether the array being read is such a request: its arguments after the first few are dropped as they come. */
    private boolean skipping;
    /** Arguments of the array being read so far (those dropped included). */
    private int read;
    private long emitted;
    private final Consumer<List<byte[]>> requests;
    private Buffer pending = Buffer.buffer();
    private int pos;
    /** Where the search for an inline request's newline goes on: no newline in {@code pending} from pos to here. */
    private int inlineScanned;
    /** Of the array being read: how many arguments it has (-1: none started) and the ones read so far. */
    private int expected = -1;
    private List<byte[]> args;
    private long argBytes;

    /**
     * Creates a parser.
     *
     * @param maxArguments     most arguments in one request (the command name included)
     * @param maxRequestBytes  most bytes of all arguments of one request together
     * @param requests         receives each complete request: the command name and its arguments, as bytes
     */
    public RespParser(int maxArguments, int maxRequestBytes, Consumer<List<byte[]>> requests) {
        this.maxArguments = maxArguments;
        this.maxRequestBytes = maxRequestBytes;
        this.requests = requests;
    }

    /**
     * Changes the limits from the next request on (a connection that authenticates gets larger ones).
     *
     * @param maxArguments    most arguments in one request (the command name included)
     * @param maxRequestBytes most bytes of all arguments of one request together
     * @param oneAtATime      whether {@link #feed} stops after each request it emits, keeping what follows for the
     *                        next call: a request's limits may depend on the one before it (an {@code AUTH})
     */
    public void limits(int maxArguments, int maxRequestBytes, boolean oneAtATime) {
        this.maxArguments = maxArguments;
        this.maxRequestBytes = maxRequestBytes;
        this.oneAtATime = oneAtATime;
    }

    /**
     * Whether a request of more arguments than the limit, up to {@link #MAX_SKIPPED_ARGUMENTS}, is read to its end and
     * dropped, and emitted as an {@link Oversized} for the connection to refuse, which keeps the connection; otherwise
     * (the default, and before a connection authenticates, as in Redis) it is a protocol error that closes it. Reading
     * it costs no more memory than a request within the limit: its arguments are dropped as they arrive, their bytes
     * are bounded by the request limit as any request's, and their count by {@link #MAX_SKIPPED_ARGUMENTS}.
     *
     * @param skip whether to skip such requests
     */
    public void skipOversized(boolean skip) {
        this.skipOversized = skip;
    }

    /**
     * Takes the next bytes of the stream and emits every request they complete (the first one only, one at a time;
     * an empty chunk goes on with the bytes kept).
     *
     * @param chunk the bytes, in arrival order
     * @throws RespProtocolException if the stream is not RESP or breaks a limit
     */
    public void feed(Buffer chunk) {
        pending.appendBuffer(chunk);
        long before = emitted;
        while ((!oneAtATime || emitted == before) && step()) {
            // every step consumed a request or an argument
        }
        if (pos > 0) {
            pending = pos == pending.length() ? Buffer.buffer() : pending.getBuffer(pos, pending.length());
            inlineScanned = Math.max(0, inlineScanned - pos);
            pos = 0;
        }
    }

    /** Bytes received but not yet part of a complete request (bounded by the limits). */
    public int buffered() {
        return pending.length() - pos;
    }

    /**
     * Whether part of a request has arrived and not the rest: bytes kept, or the arguments read so far of an array
     * (what a client that trickles a request makes the connection hold).
     */
    public boolean partial() {
        return expected >= 0 || buffered() > 0;
    }

    /** Reads one array header, one argument or one inline command; false when it needs more bytes. */
    private boolean step() {
        if (pos >= pending.length()) {
            return false;
        }
        if (expected < 0) {
            if (pending.getByte(pos) != '*') {
                return inline();
            }
            int eol = lineEnd(pos, 32);
            if (eol < 0) {
                return false;
            }
            long n = number(pos + 1, eol, "invalid multibulk length");
            pos = eol + 2;
            if (n > maxArguments && !(skipOversized && n <= MAX_SKIPPED_ARGUMENTS)) {
                throw new RespProtocolException("invalid multibulk length");
            }
            if (n <= 0) {
                return true; // "*0" and "*-1" are empty requests: Redis ignores them
            }
            expected = (int) n;
            skipping = n > maxArguments;
            read = 0;
            args = new ArrayList<>(Math.min(expected, 64));
            argBytes = 0;
            return true;
        }
        if (pending.getByte(pos) != '$') {
            throw new RespProtocolException("expected '$', got '" + printable(pending.getByte(pos)) + "'");
        }
        int eol = lineEnd(pos, 32);
        if (eol < 0) {
            return false;
        }
        long len = number(pos + 1, eol, "invalid bulk length");
        if (len < 0) {
            throw new RespProtocolException("invalid bulk length");
        }
        if (argBytes + len > maxRequestBytes) {
            throw new RespProtocolException("request larger than " + maxRequestBytes + " bytes");
        }
        int start = eol + 2;
        if (pending.length() - start < len + 2) {
            return false;
        }
        int end = start + (int) len;
        if (pending.getByte(end) != '\r' || pending.getByte(end + 1) != '\n') {
            throw new RespProtocolException("bulk string of " + len + " bytes is not followed by CRLF");
        }
        if (!skipping || read < OVERSIZED_KEPT) {
            args.add(pending.getBytes(start, end));
        }
        read++;
        argBytes += len;
        pos = end + 2;
        if (read == expected) {
            List<byte[]> request = skipping ? new Oversized(args, expected) : args;
            expected = -1;
            args = null;
            skipping = false;
            emitted++;
            requests.accept(request);
        }
        return true;
    }

    /**
     * An inline command: words separated by spaces, up to a newline (CRLF or LF), of at most
     * {@link #MAX_INLINE_BYTES} and at most the request limit (before AUTH a connection's limit is small, and an inline
     * line held four times it). The search for the newline goes on where the last chunk's ended: from the line's start
     * each time, a line trickled a byte at a time cost time quadratic in its length.
     */
    private boolean inline() {
        int max = Math.min(MAX_INLINE_BYTES, maxRequestBytes);
        int nl = -1;
        int limit = Math.min(pending.length(), pos + max + 1);
        for (int i = Math.max(pos, inlineScanned); i < limit; i++) {
            if (pending.getByte(i) == '\n') {
                nl = i;
                break;
            }
        }
        if (nl < 0) {
            inlineScanned = limit;
            if (pending.length() - pos > max) {
                throw new RespProtocolException("too big inline request");
            }
            return false;
        }
        int end = nl > pos && pending.getByte(nl - 1) == '\r' ? nl - 1 : nl;
        byte[] line = pending.getBytes(pos, end);
        pos = nl + 1;
        inlineScanned = pos;
        List<byte[]> words = words(line);
        if (words.size() > maxArguments) {
            if (!skipOversized) {
                throw new RespProtocolException("invalid multibulk length");
            }
            // Read whole already (an inline line is at most 64 KiB): refused as an array of as many words would be.
            emitted++;
            requests.accept(new Oversized(new ArrayList<>(words.subList(0, OVERSIZED_KEPT)), words.size()));
            return true;
        }
        if (!words.isEmpty()) {
            emitted++;
            requests.accept(words);
        }
        return true;
    }

    /**
     * The words of an inline command line, quoted as Redis quotes them (what {@code redis-cli} users and scripts write
     * on {@code nc}): separated by spaces or tabs; {@code "..."} holds spaces and the escapes {@code \n \r \t \b
     * \a \xHH}, a backslash before any other byte keeping that byte; {@code '...'} holds everything as it is but
     * {@code \'}; a quote inside a word opens a quoted part of it. Split on spaces alone, {@code SET "a b" c} was a
     * syntax error and {@code SET "k" "v"} stored the key {@code "k"}, quotes included, where Redis stores {@code k}.
     * The bytes are kept as they came: a line of bytes that are not UTF-8 no longer reads as U+FFFD.
     *
     * @throws RespProtocolException for a quote left open, or a closing quote followed by anything but a space
     */
    static List<byte[]> words(byte[] line) {
        List<byte[]> words = new ArrayList<>();
        java.io.ByteArrayOutputStream word = new java.io.ByteArrayOutputStream();
        int i = 0;
        while (true) {
            while (i < line.length && isBlank(line[i])) {
                i++;
            }
            if (i == line.length) {
                return words;
            }
            word.reset();
            while (i < line.length && !isBlank(line[i])) {
                byte b = line[i++];
                if (b == '"' || b == '\'') {
                    i = quoted(line, i, b, word);
                } else {
                    word.write(b);
                }
            }
            words.add(word.toByteArray());
        }
    }

    /** Reads a quoted part that starts at {@code i} (after its opening quote) into {@code word}; where it ends. */
    private static int quoted(byte[] line, int i, byte quote, java.io.ByteArrayOutputStream word) {
        while (i < line.length) {
            byte b = line[i++];
            if (b == quote) {
                if (i < line.length && !isBlank(line[i])) {
                    throw new RespProtocolException("unbalanced quotes in request");
                }
                return i;
            }
            if (b != '\\' || i == line.length) {
                word.write(b);
            } else if (quote == '\'') {
                if (line[i] == '\'') {
                    word.write('\'');
                    i++;
                } else {
                    word.write(b);
                }
            } else {
                byte e = line[i++];
                int hex = i + 2 <= line.length && e == 'x' ? hexByte(line[i], line[i + 1]) : -1;
                if (hex >= 0) {
                    word.write(hex);
                    i += 2;
                } else {
                    word.write(switch (e) {
                        case 'n' -> '\n';
                        case 'r' -> '\r';
                        case 't' -> '\t';
                        case 'b' -> '\b';
                        case 'a' -> 7;
                        default -> e;
                    });
                }
            }
        }
        throw new RespProtocolException("unbalanced quotes in request");
    }

    private static int hexByte(byte hi, byte lo) {
        int h = Character.digit(hi, 16);
        int l = Character.digit(lo, 16);
        return h < 0 || l < 0 ? -1 : h * 16 + l;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t';
    }

    /** The index of the CR of the CRLF that ends the line starting at {@code from}, or -1 if not arrived yet. */
    private int lineEnd(int from, int maxLine) {
        int limit = Math.min(pending.length() - 1, from + maxLine);
        for (int i = from; i < limit; i++) {
            if (pending.getByte(i) == '\r' && pending.getByte(i + 1) == '\n') {
                return i;
            }
        }
        if (pending.length() - from > maxLine) {
            throw new RespProtocolException("header line too long or not ended by CRLF");
        }
        return -1;
    }

    /**
     * The signed decimal number between {@code from} and {@code to}. Exact: a number beyond a long is an error, never
     * a wrapped value (a wrapped array length would read as an empty request, and the bytes after it as commands).
     */
    private long number(int from, int to, String error) {
        if (from >= to || to - from > 20) {
            throw new RespProtocolException(error);
        }
        boolean negative = pending.getByte(from) == '-';
        int i = negative ? from + 1 : from;
        if (i == to) {
            throw new RespProtocolException(error);
        }
        long n = 0;
        for (; i < to; i++) {
            int d = pending.getByte(i) - '0';
            if (d < 0 || d > 9) {
                throw new RespProtocolException(error);
            }
            // Accumulated as a negative number, whose range reaches Long.MIN_VALUE.
            if (n < (Long.MIN_VALUE + d) / 10) {
                throw new RespProtocolException(error);
            }
            n = n * 10 - d;
        }
        if (!negative && n == Long.MIN_VALUE) {
            throw new RespProtocolException(error);
        }
        return negative ? n : -n;
    }

    private static String printable(byte b) {
        return b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : String.format("\\x%02x", b & 0xff);
    }
}
