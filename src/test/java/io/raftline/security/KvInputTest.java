package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.RawHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Inputs users hit: values sent with curl's default form content type, malformed queries, the empty key, keys
 * {@code .} and {@code ..}, oversized request lines and heads, and the bounds on keys and listings. Every answer is
 * a JSON error with the right status, and values are stored byte for byte.
 */
class KvInputTest {

    private static InJvmCluster cluster;
    private static URI node;

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 19)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("limits", new JsonObject().put("max_request_line_bytes", 2048).put("max_header_bytes", 4096)))
                .start();
        node = cluster.nodeUrls().get(1);
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static RawHttp.Answer send(String requestLine, String headers, byte[] body) throws Exception {
        return RawHttp.send(node, requestLine + " HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort()
                + (headers.isEmpty() ? "" : "\r\n" + headers), body);
    }

    private static String error(RawHttp.Answer a) {
        return new JsonObject(a.body()).getString("error");
    }

    @Test
    void aValueSentAsAFormIsStoredByteForByte() throws Exception {
        // What curl --data-binary @file sends: application/x-www-form-urlencoded, here over 1 KB with % & = +.
        byte[] value = "100% of a&b=c+d %zz ".repeat(120).getBytes(StandardCharsets.UTF_8);
        assertThat(value.length).isGreaterThan(1024);
        RawHttp.Answer put = send("PUT /v1/kv/form", "Content-Type: application/x-www-form-urlencoded", value);
        assertThat(put.status()).as(put.body()).isEqualTo(200);
        RawHttp.Answer get = send("GET /v1/kv/form", "", null);
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.body().getBytes(StandardCharsets.ISO_8859_1)).isEqualTo(value);
        RawHttp.Answer multipart = send("PUT /v1/kv/mp", "Content-Type: multipart/form-data; boundary=zz",
                "--zz\r\nnot a part".getBytes(StandardCharsets.UTF_8));
        assertThat(multipart.status()).isEqualTo(200);
        assertThat(send("GET /v1/kv/mp", "", null).body()).isEqualTo("--zz\r\nnot a part");
    }

    @Test
    void malformedQueriesAndTheEmptyKeyAre400() throws Exception {
        RawHttp.Answer prefix = send("GET /v1/kv?prefix=%ZZ", "", null);
        assertThat(prefix.status()).isEqualTo(400);
        assertThat(error(prefix)).isEqualTo("bad_request");
        RawHttp.Answer empty = send("GET /v1/kv/", "", null);
        assertThat(empty.status()).isEqualTo(400);
        assertThat(new JsonObject(empty.body()).getString("message")).isEqualTo("key must not be empty");
        assertThat(send("PUT /v1/kv/", "", new byte[] {1}).status()).isEqualTo(400);
    }

    /**
     * A malformed %-escape anywhere a key, a prefix or a parameter comes: a 400 naming the field and the rule. The
     * key's was Vert.x's "Invalid escape sequence: %ZZ" (or "Invalid position for escape character: 8"), a
     * parameter's its query decoder's "invalid hex byte 'ZZ' at index 14 of '/v1/kv?limit=%ZZ'", another path's
     * "bad request".
     */
    @Test
    void aMalformedEscapeIsA400NamingItsField() throws Exception {
        String[][] cases = {
            {"GET /v1/kv/%ZZ", "key", "'%ZZ' at position 0"},
            {"PUT /v1/kv/%ZZ", "key", "'%ZZ' at position 0"},
            {"DELETE /v1/kv/%ZZ", "key", "'%ZZ' at position 0"},
            {"GET /v1/kv/a/%ZZ/b?consistency=stale", "key", "'%ZZ' at position 2"},
            {"GET /v1/kv/%2E%ZZ", "key", "'%ZZ' at position 3"},
            {"GET /v1/kv/a%2", "key", "'%2' at position 1"},
            {"GET /v1/kv?prefix=%ZZ", "prefix", "'%ZZ' at position 0"},
            {"GET /v1/kv?prefix=a&startAfter=b%G1", "startAfter", "'%G1' at position 1"},
            {"GET /v1/kv?limit=%ZZ", "limit", "'%ZZ' at position 0"},
            {"GET /v1/kv/a?consistency=%ZZ", "consistency", "'%ZZ' at position 0"},
            {"PUT /v1/kv/a?ifRevision=1%", "ifRevision", "'%' at position 1"},
            {"GET /v1/watch?prefix=%ZZ", "prefix", "'%ZZ' at position 0"},
            {"GET /v1/watch?fromRevision=%ZZ", "fromRevision", "'%ZZ' at position 0"},
            {"GET /v1/snapshot?consistency=%ZZ", "consistency", "'%ZZ' at position 0"},
            {"GET /v1/members?group=%ZZ", "group", "'%ZZ' at position 0"},
            {"DELETE /v1/members/%ZZ", "path", "'%ZZ' at position 12"},
            {"GET /v1/%ZZ", "path", "'%ZZ' at position 4"},
            {"GET /v1/kv?%ZZ=1", "%ZZ", "'%ZZ' at position 0"},
        };
        for (String[] c : cases) {
            RawHttp.Answer a = send(c[0], "", c[0].startsWith("PUT") ? new byte[] {1} : null);
            assertThat(a.status()).as(c[0] + ": " + a.body()).isEqualTo(400);
            JsonObject body = new JsonObject(a.body());
            assertThat(body.getString("error")).isEqualTo("bad_request");
            assertThat(body.getString("field")).as(c[0]).isEqualTo(c[1]);
            assertThat(body.getString("message")).as(c[0]).startsWith(c[1] + ": ")
                    .contains("%-escape " + c[2] + ": a '%' must be followed by two hexadecimal digits");
        }
        // Bytes that are no UTF-8 name their field too.
        for (String[] c : new String[][] {{"GET /v1/kv/%FF", "key"}, {"GET /v1/kv?prefix=%FF", "prefix"},
            {"GET /v1/kv?startAfter=%FF", "startAfter"}, {"GET /v1/watch?prefix=%FF", "prefix"}}) {
            JsonObject body = new JsonObject(send(c[0], "", null).body());
            assertThat(body.getString("field")).as(c[0]).isEqualTo(c[1]);
            assertThat(body.getString("message")).isEqualTo(c[1] + " is not valid UTF-8 after %-decoding");
        }
        assertThat(new JsonObject(send("GET /v1/kv/", "", null).body()).getString("field")).isEqualTo("key");
    }

    @Test
    void dotKeysAreAddressedPercentEncoded() throws Exception {
        for (String[] k : new String[][] {{"%2E", "."}, {"%2E%2E", ".."}, {"a/%2E%2E/%2E%2E/b", "a/../../b"}}) {
            byte[] v = ("value of " + k[1]).getBytes(StandardCharsets.UTF_8);
            assertThat(send("PUT /v1/kv/" + k[0] + "?ifRevision=0", "", v).status()).as(k[1]).isEqualTo(200);
            RawHttp.Answer get = send("GET /v1/kv/" + k[0], "", null);
            assertThat(get.status()).as(k[1]).isEqualTo(200);
            assertThat(get.body()).isEqualTo("value of " + k[1]);
        }
        JsonObject list = new JsonObject(send("GET /v1/kv?prefix=.&consistency=stale", "", null).body());
        assertThat(list.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("key")))
                .containsExactly(".", "..");
        RawHttp.Answer del = send("DELETE /v1/kv/%2E%2E", "", null);
        assertThat(new JsonObject(del.body()).getInteger("deleted")).isEqualTo(1);
    }

    @Test
    void oversizedAndMalformedRequestsAreJsonErrors() throws Exception {
        RawHttp.Answer line = send("GET /v1/kv/" + "k".repeat(3000), "", null);
        assertThat(line.status()).isEqualTo(414);
        assertThat(error(line)).isEqualTo("uri_too_long");
        RawHttp.Answer head = send("GET /health", "X-Big: " + "h".repeat(5000), null);
        assertThat(head.status()).isEqualTo(431);
        assertThat(error(head)).isEqualTo("headers_too_large");
        RawHttp.Answer garbage = RawHttp.send(node, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope", null);
        assertThat(garbage.status()).isEqualTo(400);
        assertThat(error(garbage)).isEqualTo("bad_request");
    }

    @Test
    void aMalformedChunkedBodyIsA400AndNothingOfItIsWritten() throws Exception {
        // A first chunk that is fine, then a chunk-size line that is no hexadecimal number: Netty stops decoding there
        // and Vert.x closed the connection without a word; the client saw the connection end and no status.
        String head = "PUT /v1/kv/chunky HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort()
                + "\r\nTransfer-Encoding: chunked\r\n\r\n";
        RawHttp.Answer bad = RawHttp.exchange(node, head + "5\r\nhello\r\nzz\r\nworld\r\n0\r\n\r\n");
        assertThat(bad.status()).as(bad.head() + "\n" + bad.body()).isEqualTo(400);
        assertThat(bad.head()).containsIgnoringCase("Connection: close");
        assertThat(error(bad)).isEqualTo("bad_request");
        assertThat(new JsonObject(bad.body()).getString("message"))
                .startsWith("malformed request body: a chunk size is not a hexadecimal number");
        // The same for a body read by Vert.x's BodyHandler (a transaction's JSON), which failed the same way.
        RawHttp.Answer txn = RawHttp.exchange(node, "POST /v1/txn HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort()
                + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n\r\n");
        assertThat(txn.status()).as(txn.head() + "\n" + txn.body()).isEqualTo(400);
        assertThat(new JsonObject(txn.body()).getString("message"))
                .startsWith("malformed request body: a chunk size is not a hexadecimal number");
        // Nothing of the body was written, and the next connection is served as usual.
        assertThat(send("GET /v1/kv/chunky", "", null).status()).isEqualTo(404);
        RawHttp.Answer good = RawHttp.exchange(node, head.replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n")
                + "5\r\nhello\r\n0\r\n\r\n");
        assertThat(good.status()).as(good.body()).isEqualTo(200);
        assertThat(send("GET /v1/kv/chunky", "", null).body()).isEqualTo("hello");
    }

    @Test
    void aTransferCodingOtherThanChunkedIs501AndNothingIsWritten() throws Exception {
        // curl -H 'Transfer-Encoding: gzip' --data-binary sends the coding and a Content-Length: the coded bytes were
        // stored as the value (200), the coding unread and ignored.
        String head = "PUT /v1/kv/zipped HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort();
        RawHttp.Answer gzip = RawHttp.exchange(node, head + "\r\nTransfer-Encoding: gzip\r\nContent-Length: 5"
                + "\r\n\r\nhello");
        assertThat(gzip.status()).as(gzip.head() + "\n" + gzip.body()).isEqualTo(501);
        assertThat(gzip.head()).containsIgnoringCase("Connection: close");
        assertThat(error(gzip)).isEqualTo("not_implemented");
        assertThat(new JsonObject(gzip.body()).getString("message")).contains("Transfer-Encoding 'gzip'")
                .contains("chunked");
        RawHttp.Answer chunkedGzip = RawHttp.exchange(node, head + "\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
                + "5\r\nhello\r\n0\r\n\r\n");
        assertThat(chunkedGzip.status()).as(chunkedGzip.body()).isEqualTo(501);
        assertThat(send("GET /v1/kv/zipped", "", null).status()).as("the refused writes were not applied")
                .isEqualTo(404);
        RawHttp.Answer chunked = RawHttp.exchange(node, head + "\r\nTransfer-Encoding: Chunked\r\n"
                + "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
        assertThat(chunked.status()).as(chunked.body()).isEqualTo(200);
        assertThat(send("GET /v1/kv/zipped", "", null).body()).isEqualTo("hello");
    }

    @Test
    void anExpectationOtherThan100ContinueIs417() throws Exception {
        RawHttp.Answer unknown = send("PUT /v1/kv/expected", "Expect: foo", new byte[] {1});
        assertThat(unknown.status()).as(unknown.body()).isEqualTo(417);
        assertThat(error(unknown)).isEqualTo("expectation_failed");
        assertThat(new JsonObject(unknown.body()).getString("message")).contains("foo").contains("100-continue");
        assertThat(send("GET /v1/kv/expected", "", null).status()).as("the refused write was not applied")
                .isEqualTo(404);
        assertThat(send("GET /health", "Expect: foo", null).status()).isEqualTo(417);
    }

    @Test
    void expect100ContinueGetsAnInterimAnswerBeforeTheBodyIsSent() throws Exception {
        // The client waits for "100 Continue" before it sends the body (curl waits a second for it, then sends anyway;
        // this client waits for it, so without it the test ends in a read timeout instead of a 200).
        try (java.net.Socket socket = new java.net.Socket(node.getHost(), node.getPort())) {
            socket.setSoTimeout(15_000);
            java.io.OutputStream out = socket.getOutputStream();
            out.write(("PUT /v1/kv/continued HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort() + "\r\nExpect: "
                    + "100-Continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder interim = new StringBuilder();
            while (!interim.toString().endsWith("\r\n\r\n")) {
                int c = in.read();
                assertThat(c).as("the server closed before answering: " + interim).isNotNegative();
                interim.append((char) c);
            }
            assertThat(interim.toString()).startsWith("HTTP/1.1 100 Continue");
            out.write("hello".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            RawHttp.Answer answer = RawHttp.read(in);
            assertThat(answer.status()).as(answer.body()).isEqualTo(200);
        }
        assertThat(send("GET /v1/kv/continued", "", null).body()).isEqualTo("hello");
        // A body over the limit is refused before it is sent: no "100 Continue" first, a 413 instead, and the
        // connection closed at once (no body is coming); it was held for 11 s, until the listener's timeouts.
        try (java.net.Socket socket = new java.net.Socket(node.getHost(), node.getPort())) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write(("PUT /v1/kv/big HTTP/1.1\r\nHost: 127.0.0.1:" + node.getPort()
                    + "\r\nExpect: 100-continue\r\nContent-Length: 999999999\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            RawHttp.Answer tooLarge = RawHttp.read(socket.getInputStream());
            assertThat(tooLarge.status()).isEqualTo(413);
        }
    }

    @Test
    void keysAndListingsAreBounded() throws Exception {
        String longKey = "k".repeat(1025);
        RawHttp.Answer key = send("PUT /v1/kv/" + longKey, "", new byte[] {1});
        assertThat(key.status()).isEqualTo(400);
        assertThat(new JsonObject(key.body()).getString("message")).contains("1024");
        assertThat(send("PUT /v1/kv/" + "k".repeat(1024), "", new byte[] {1}).status()).isEqualTo(200);
        RawHttp.Answer limit = send("GET /v1/kv?limit=10001", "", null);
        assertThat(limit.status()).isEqualTo(400);
        assertThat(new JsonObject(limit.body()).getString("message")).contains("1..10000");
    }
}
