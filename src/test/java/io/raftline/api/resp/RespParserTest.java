package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The request parser: both request forms, any split of the stream, and every limit and malformation. */
class RespParserTest {

    private final List<List<String>> requests = new ArrayList<>();
    private final RespParser parser = new RespParser(8, 64, r -> requests.add(
            r.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList()));

    private void feed(String s) {
        parser.feed(Buffer.buffer(s.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void readsPipelinedArraysAndInlineCommandsInOrder() {
        feed("*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n  echo   a b \n");
        assertThat(requests).containsExactly(List.of("GET", "k"), List.of("PING"), List.of("SET", "k", ""),
                List.of("echo", "a", "b"));
        assertThat(parser.buffered()).isZero();
    }

    @Test
    void everySplitOfTheStreamGivesTheSameRequests() {
        String stream = "*3\r\n$3\r\nSET\r\n$5\r\nkey:1\r\n$7\r\nv\r\nalue\r\nPING\r\n*1\r\n$4\r\nQUIT\r\n";
        List<List<String>> expected = List.of(List.of("SET", "key:1", "v\r\nalue"), List.of("PING"), List.of("QUIT"));
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        for (int cut1 = 0; cut1 <= bytes.length; cut1++) {
            for (int cut2 = cut1; cut2 <= bytes.length; cut2++) {
                requests.clear();
                RespParser p = new RespParser(8, 64, r -> requests.add(
                        r.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList()));
                p.feed(Buffer.buffer().appendBytes(bytes, 0, cut1));
                p.feed(Buffer.buffer().appendBytes(bytes, cut1, cut2 - cut1));
                p.feed(Buffer.buffer().appendBytes(bytes, cut2, bytes.length - cut2));
                assertThat(requests).as("cut at %d and %d", cut1, cut2).isEqualTo(expected);
            }
        }
    }

    @Test
    void binaryArgumentsArriveByteForByte() {
        byte[] value = {0, (byte) 0xff, '\r', '\n', 7};
        List<byte[]> got = new ArrayList<>();
        RespParser p = new RespParser(8, 64, r -> got.add(r.get(1)));
        p.feed(Buffer.buffer("*2\r\n$4\r\nECHO\r\n$5\r\n").appendBytes(value).appendString("\r\n"));
        assertThat(got).hasSize(1);
        assertThat(got.get(0)).isEqualTo(value);
    }

    /**
     * Inline commands quote as Redis's do: split on spaces alone, {@code SET "k" "v"} stored the key {@code "k"} with
     * its quotes, where Redis (and every tutorial typed into {@code nc}) stores {@code k}.
     */
    @Test
    void inlineCommandsUnquoteAsRedisDoes() {
        feed("SET \"k\" \"v\"\r\nSET \"a b\" 'c d'\r\nSET \"x\\\"y\\n\\x41\\q\" 'it\\'s'\r\nECHO ab\"c d\" \"\"\r\n");
        assertThat(requests).containsExactly(List.of("SET", "k", "v"), List.of("SET", "a b", "c d"),
                List.of("SET", "x\"y\nAq", "it's"), List.of("ECHO", "abc d", ""));
        List<byte[]> got = new ArrayList<>();
        new RespParser(8, 64, r -> got.add(r.get(1))).feed(Buffer.buffer().appendString("ECHO ")
                .appendBytes(new byte[] {(byte) 0xff, '"', '\\', 'x', 'f', 'e', '"'}).appendString("\n"));
        assertThat(got.get(0)).isEqualTo(new byte[] {(byte) 0xff, (byte) 0xfe});
        for (String open : new String[] {"GET \"k\r\n", "GET 'k\r\n", "GET \"k\"x\r\n", "GET \"k\\\"\r\n"}) {
            RespParser p = new RespParser(8, 64, r -> { });
            assertThatThrownBy(() -> p.feed(Buffer.buffer(open))).as(open)
                    .isInstanceOf(RespProtocolException.class).hasMessage("unbalanced quotes in request");
        }
    }

    @Test
    void emptyArraysAndBlankLinesAreNoRequests() {
        feed("*0\r\n*-1\r\n\r\n   \r\nPING\r\n");
        assertThat(requests).containsExactly(List.of("PING"));
    }

    @Test
    void limitsAndMalformationsAreProtocolErrors() {
        assertError("*9\r\n", "invalid multibulk length");
        assertError("*x\r\n", "invalid multibulk length");
        assertError("*1\r\n$-1\r\n", "invalid bulk length");
        assertError("*1\r\n$65\r\n", "request larger than 64 bytes");
        assertError("*2\r\n$40\r\n" + "a".repeat(40) + "\r\n$30\r\n", "request larger than 64 bytes");
        assertError("*1\r\n:1\r\n", "expected '$', got ':'");
        assertError("*1\r\n$1\r\nab\r\n", "bulk string of 1 bytes is not followed by CRLF");
        assertError("*" + "1".repeat(40), "header line too long or not ended by CRLF");
        assertError("a".repeat(RespParser.MAX_INLINE_BYTES + 1), "too big inline request");
        assertError("a b c d e f g h i\r\n", "invalid multibulk length");
    }

    @Test
    void anInlineRequestIsBoundedByTheRequestLimitToo() {
        // Before AUTH a connection's limit is small; an inline line held up to 64 KiB whatever the limit said.
        feed("ECHO " + "a".repeat(50) + "\r\n");
        assertThat(requests).containsExactly(List.of("ECHO", "a".repeat(50)));
        assertError("a".repeat(65), "too big inline request");
    }

    @Test
    void anInlineRequestTrickledAByteAtATimeIsReadOnceWhereverItWasCut() {
        RespParser p = new RespParser(8, 16 * 1024, r -> requests.add(
                r.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList()));
        String stream = "ECHO " + "x".repeat(10_000) + "\r\nPING\n*1\r\n$4\r\nQUIT\r\nECHO y\r\n";
        for (byte b : stream.getBytes(StandardCharsets.UTF_8)) {
            p.feed(Buffer.buffer(new byte[] {b}));
        }
        assertThat(requests).containsExactly(List.of("ECHO", "x".repeat(10_000)), List.of("PING"), List.of("QUIT"),
                List.of("ECHO", "y"));
        assertThat(p.buffered()).isZero();
    }

    @Test
    void lengthsBeyondALongAreProtocolErrorsAndNothingAfterThemRuns() {
        // 9999999999999999999 > Long.MAX_VALUE: once wrapped negative, it read as an empty request and the GET
        // after it ran as inline commands. Redis answers "invalid multibulk length".
        assertThatThrownBy(() -> feed("*9999999999999999999\r\n$3\r\nGET\r\n$1\r\nk\r\n"))
                .isInstanceOf(RespProtocolException.class).hasMessage("invalid multibulk length");
        assertThat(requests).isEmpty();
        assertError("*9223372036854775808\r\n", "invalid multibulk length");
        assertError("*18446744073709551617\r\n", "invalid multibulk length");
        assertError("*1\r\n$9999999999999999999\r\n", "invalid bulk length");
        assertError("*1\r\n$18446744073709551617\r\n", "invalid bulk length");
        assertError("*1\r\n$-9223372036854775809\r\n", "invalid bulk length");
        // The extremes of a long are still read exactly: too many arguments, or an empty request.
        assertError("*9223372036854775807\r\n", "invalid multibulk length");
        List<String> names = new ArrayList<>();
        new RespParser(8, 64, r -> names.add(new String(r.get(0), StandardCharsets.UTF_8)))
                .feed(Buffer.buffer("*-9223372036854775808\r\nPING\r\n"));
        assertThat(names).containsExactly("PING");
    }

    private static void assertError(String input, String message) {
        RespParser p = new RespParser(8, 64, r -> { });
        assertThatThrownBy(() -> p.feed(Buffer.buffer(input))).as(input).isInstanceOf(RespProtocolException.class)
                .hasMessage(message);
    }

    @Test
    void repliesEncodeForEachProtocol() {
        RespReply reply = new RespReply.Array(List.of(RespReply.OK, RespReply.NIL, new RespReply.Int(-3),
                RespReply.Bulk.of("é"), new RespReply.Error("ERR bad\r\nthing"),
                new RespReply.KeyValues(List.of(RespReply.Bulk.of("k"), new RespReply.Int(1)))));
        Buffer v2 = Buffer.buffer();
        reply.writeTo(v2, 2);
        assertThat(v2.toString()).isEqualTo("*6\r\n+OK\r\n$-1\r\n:-3\r\n$2\r\né\r\n-ERR bad  thing\r\n*2\r\n$1\r\nk\r\n:1\r\n");
        Buffer v3 = Buffer.buffer();
        reply.writeTo(v3, 3);
        assertThat(v3.toString()).isEqualTo("*6\r\n+OK\r\n_\r\n:-3\r\n$2\r\né\r\n-ERR bad  thing\r\n%1\r\n$1\r\nk\r\n:1\r\n");
    }
}
