package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.config.LimitsConfig;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The limits every listener enforces before a router runs: connections per port, idle connections, a request whose
 * body does not arrive, and WebSocket frames. Each is shown holding against a client that tries.
 */
class ListenerLimitsTest {

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close(), Duration.ofSeconds(20));
    }

    private int serve(LimitsConfig limits) throws Exception {
        return deploy(limits).actualPort();
    }

    private HttpServerVerticle deploy(LimitsConfig limits) throws Exception {
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, vx -> {
            Router r = Router.router(vx);
            r.route("/ws").handler(ctx -> ctx.request().toWebSocket().onSuccess(ws -> ws.handler(b ->
                    ws.writeTextMessage("got " + b.length()))));
            r.route("/echo").handler(BodyHandler.create(false)).handler(ctx -> ctx.end("got " + ctx.body().length()));
            return r;
        }).limits(limits);
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        return server;
    }

    private static LimitsConfig limits(int connections, long idleMs, long requestMs, int wsFrame) {
        return new LimitsConfig(connections, idleMs, requestMs, 8192, 16384, wsFrame, 0);
    }

    /** Reads until the server closes; fails if it does not within 10 s. */
    private static String readToClose(Socket s) throws IOException {
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    private static void write(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    @Test
    void aRequestWhoseBodyArrivedIsNotKeptUntilTheNextSweep() throws Exception {
        HttpServerVerticle server = deploy(limits(16, 60_000, 60_000, 65536)); // the sweep runs once a second
        try (Socket s = new Socket("127.0.0.1", server.actualPort())) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 20; i++) {
                write(s, "PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
            }
            // Twenty exchanges in well under a second: without pruning, all twenty waited for the sweep (and kept
            // each request's objects alive through young collections); now each leaves as the next one comes in.
            assertThat(await(server.trackedRequests(), Duration.ofSeconds(5))).isLessThanOrEqualTo(1);
        }
    }

    @Test
    void connectionsBeyondTheLimitAreAnswered503AndClosed() throws Exception {
        int port = serve(limits(2, 60_000, 30_000, 65536));
        List<Socket> held = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket("127.0.0.1", port);
                held.add(s);
                // Proves the connection is established and counted: it is served.
                write(s, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
                s.setSoTimeout(10_000);
                byte[] buf = new byte[512];
                int n = s.getInputStream().read(buf);
                assertThat(new String(buf, 0, n, StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");
            }
            try (Socket third = new Socket("127.0.0.1", port)) {
                write(third, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
                String answer = readToClose(third);
                assertThat(answer).startsWith("HTTP/1.1 503").contains("Retry-After: 1");
                JsonObject body = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4));
                assertThat(body.getString("error")).isEqualTo("too_many_connections");
            }
            held.remove(0).close();
            // Once the server has seen the close, a new connection is served again.
            io.raftline.verify.nemesis.Waits.eventually("a free connection slot", () -> {
                try (Socket again = new Socket("127.0.0.1", port)) {
                    write(again, "GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
                    return readToClose(again).startsWith("HTTP/1.1 200");
                }
            });
        } finally {
            for (Socket s : held) {
                s.close();
            }
        }
    }

    @Test
    void anIdleConnectionIsClosed() throws Exception {
        int port = serve(limits(100, 300, 30_000, 65536));
        try (Socket idle = new Socket("127.0.0.1", port)) {
            long start = System.nanoTime();
            assertThat(readToClose(idle)).isEmpty();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(250);
        }
    }

    @Test
    void halfABodyIsCutAfterTheRequestTimeoutAndTheConnectionClosed() throws Exception {
        // The idle timeout is long: what closes the connection is the request's deadline.
        int port = serve(limits(100, 60_000, 500, 65536));
        try (Socket slow = new Socket("127.0.0.1", port)) {
            long start = System.nanoTime();
            write(slow, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + "x".repeat(50));
            String answer = readToClose(slow);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(answer).startsWith("HTTP/1.1 408");
            assertThat(new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getString("error"))
                    .isEqualTo("request_timeout");
            assertThat(ms).isBetween(400L, 9_000L);
        }
        // A whole body is served as usual.
        try (Socket fine = new Socket("127.0.0.1", port)) {
            write(fine, "POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 100\r\n\r\n"
                    + "x".repeat(100));
            assertThat(readToClose(fine)).startsWith("HTTP/1.1 200").endsWith("got 100");
        }
    }

    @Test
    void aWebSocketFrameAboveTheLimitClosesTheSocket() throws Exception {
        int port = serve(limits(100, 60_000, 30_000, 1024));
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocket ws = await(client.connect(new WebSocketConnectOptions().setHost("127.0.0.1").setPort(port)
                .setURI("/ws")), Duration.ofSeconds(10));
        CompletableFuture<String> reply = new CompletableFuture<>();
        CompletableFuture<Short> closed = new CompletableFuture<>();
        ws.textMessageHandler(reply::complete);
        ws.closeHandler(v -> closed.complete(ws.closeStatusCode()));
        ws.writeTextMessage("x".repeat(1000));
        assertThat(reply.get(10, TimeUnit.SECONDS)).isEqualTo("got 1000");
        ws.writeTextMessage("x".repeat(4000));
        Short code = closed.get(10, TimeUnit.SECONDS);
        assertThat(code).isIn((short) 1009, (short) 1002, (short) 1006);
        // Closed only now: a client that became garbage earlier would be closed by Vert.x's cleaner, socket and all.
        await(client.close(), Duration.ofSeconds(10));
    }

    private static LimitsConfig headDeadline(long headMs) {
        // Long idle and body timeouts: what closes a connection here is the head's deadline.
        return new LimitsConfig(100, 60_000, 30_000, 8192, 16384, 65536, 0, headMs);
    }

    /**
     * Sends {@code head} one byte every 200 ms, reading meanwhile; stops when the server closes the connection.
     *
     * @return how many bytes were sent before the server closed it, or -1 if it never did (the whole head was sent)
     */
    /**
     * Trickles {@code head} on {@code slow} and checks that the server closed the connection before the head was
     * complete, at least {@code minMs} and at most 5 s after the first byte.
     */
    private static void assertCutBeforeComplete(Socket slow, String head, long minMs) throws Exception {
        long start = System.nanoTime();
        int sent = trickle(slow, head);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertThat(sent).as("closed before the head was complete").isBetween(1, head.length() - 1);
        assertThat(ms).isBetween(minMs, 5_000L);
    }

    private static int trickle(Socket s, String head) throws IOException {
        s.setSoTimeout(200);
        byte[] bytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] buf = new byte[4096];
        for (int i = 0; i < bytes.length; i++) {
            try {
                s.getOutputStream().write(bytes[i]);
                s.getOutputStream().flush();
            } catch (IOException reset) {
                return i;
            }
            try {
                if (s.getInputStream().read(buf) < 0) {
                    return i + 1;
                }
            } catch (java.net.SocketTimeoutException stillOpen) {
                // 200 ms passed with the connection open: the next byte
            } catch (IOException reset) {
                return i + 1;
            }
        }
        return -1;
    }

    @Test
    void aHeadTrickledByteByByteIsCutAtTheHeadDeadline(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/openssl")), "openssl is needed to make certificates");
        // Over TLS: a plain HTTP/1.x connection is not shown to the server before its first head is complete (Vert.x
        // holds it to look for an h2c upgrade), docs/security.md; after the handshake, the deadline runs.
        Process ca = new ProcessBuilder("bin/tls-ca.sh", dir.toString()).redirectErrorStream(true).start();
        String out = new String(ca.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(ca.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ca.exitValue()).as(out).isZero();
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, vx -> {
            Router r = Router.router(vx);
            r.route("/echo").handler(ctx -> ctx.end("served"));
            return r;
        }).limits(headDeadline(1_000)).tls(new io.raftline.config.TlsConfig(dir.resolve("node.pem").toString(),
                dir.resolve("node-key.pem").toString(), ""));
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
        trust.load(null, null);
        try (InputStream in = Files.newInputStream(dir.resolve("ca.pem"))) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        // 100 bytes at 200 ms each: 20 s to send the whole head, far beyond the 1 s deadline.
        String head = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(62) + "\r\n\r\n";
        try (SSLSocket slow = (SSLSocket) ssl.getSocketFactory().createSocket("127.0.0.1", server.actualPort())) {
            slow.startHandshake();
            assertCutBeforeComplete(slow, head, 700);
        }
    }

    @Test
    void aKeptAliveConnectionMustSendItsNextHeadWithinTheDeadlineAfterTheResponse() throws Exception {
        int port = serve(headDeadline(1_000));
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            InputStream in = s.getInputStream();
            for (int i = 0; i < 2; i++) {
                // Each request within the deadline is served on the same connection.
                write(s, "GET /echo HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readResponse(in)).startsWith("HTTP/1.1 200");
            }
            // Then nothing: closed at the head deadline after the last response, long before the idle timeout.
            long start = System.nanoTime();
            assertThat(readToClose(s)).isEmpty();
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(900L, 5_000L);
        }
    }

    /** Reads one HTTP/1.1 response with a {@code Content-Length}, leaving the connection open. */
    private static String readResponse(InputStream in) throws IOException {
        StringBuilder answer = new StringBuilder();
        int length = -1;
        while (length < 0 || answer.length() < answer.indexOf("\r\n\r\n") + 4 + length) {
            int c = in.read();
            assertThat(c).as("the connection stays open while requests come in time").isNotNegative();
            answer.append((char) c);
            if (length < 0 && answer.toString().endsWith("\r\n\r\n")) {
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)")
                        .matcher(answer);
                assertThat(m.find()).as(answer.toString()).isTrue();
                length = Integer.parseInt(m.group(1));
            }
        }
        return answer.toString();
    }

    @Test
    void aPlainTextHeadTrickledToAPortWithoutGrpcIsCutAtTheHeadDeadline() throws Exception {
        // No gRPC (the admin port): no h2c, so the server sees the connection open and the deadline runs from there.
        int port = serve(headDeadline(1_000));
        String head = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(62) + "\r\n\r\n";
        try (Socket slow = new Socket("127.0.0.1", port)) {
            assertCutBeforeComplete(slow, head, 900);
        }
    }

    @Test
    void anHttp2ConnectionThatSendsNoRequestIsCutAtTheHeadDeadline() throws Exception {
        // A port that serves gRPC keeps h2c (prior knowledge), as the client ports do.
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, Router::router,
                vx -> request -> request.response().end()).limits(headDeadline(1_000));
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        int port = server.actualPort();
        try (Socket h2c = new Socket("127.0.0.1", port)) {
            // HTTP/2 with prior knowledge: the connection preface and an empty SETTINGS frame, then no HEADERS.
            write(h2c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            h2c.getOutputStream().write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
            h2c.getOutputStream().flush();
            long start = System.nanoTime();
            readToClose(h2c); // the server's SETTINGS (and a GOAWAY), then the close
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(900L, 5_000L);
        }
    }

    /**
     * A port that serves gRPC as a node's client port does (h2c on, for gRPC without TLS), with a 1 s head deadline:
     * gRPC calls get their message back, HTTP requests to {@code /echo} its size.
     */
    private HttpServerVerticle serveWithGrpc() throws Exception {
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, vx -> {
            Router r = Router.router(vx);
            r.route("/echo").handler(BodyHandler.create(false)).handler(ctx -> ctx.end("got " + ctx.body().length()));
            return r;
        }, vx -> GrpcServer.server(vx).callHandler(call -> call.last().onSuccess(m -> call.response().end(m))))
                .limits(headDeadline(1_000));
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        return server;
    }

    /** A gRPC client over h2c with prior knowledge, as the project's gRPC clients and Raft transport are. */
    private GrpcClient grpcClient() {
        return GrpcClient.client(vertx, new GrpcClientOptions(), new HttpClientOptions().setHttp2ClearTextUpgrade(false));
    }

    /** Makes one gRPC call with {@code text} and returns the answer's text. */
    private static String call(GrpcClient grpc, int port, String method, String text) throws Exception {
        return await(grpc.request(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                .compose(req -> req.fullMethodName("raftline.test.Echo/" + method).send(Buffer.buffer(text))
                        .compose(response -> response.last())), Duration.ofSeconds(10)).toString();
    }

    /** The port still serves what it served: a gRPC call over h2c with prior knowledge, kept-alive HTTP/1.1. */
    private void assertServesGrpcAndHttp(int port) throws Exception {
        GrpcClient grpc = grpcClient();
        try {
            assertThat(call(grpc, port, "Echo", "hello")).isEqualTo("hello");
        } finally {
            await(grpc.close(), Duration.ofSeconds(10));
        }
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            for (int i = 0; i < 2; i++) {
                write(s, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
                assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("got 3");
            }
        }
    }

    @Test
    void aFirstHeadTrickledToAPortWithH2cIsCutAtTheHeadDeadline() throws Exception {
        // Vert.x holds such a connection inside Netty until the head is complete (it might ask for an h2c upgrade);
        // the listener finds it among the connections Netty accepted and cuts it all the same.
        HttpServerVerticle server = serveWithGrpc();
        int port = server.actualPort();
        // 100 bytes at 200 ms each: 20 s to send the whole head; the idle timeout (60 s) never sees a quiet second.
        String head = "GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: " + "a".repeat(62) + "\r\n\r\n";
        try (Socket slow = new Socket("127.0.0.1", port)) {
            assertCutBeforeComplete(slow, head, 900);
        }
        assertThat(server.headTimeouts()).isEqualTo(1);
        assertServesGrpcAndHttp(port);
        assertThat(server.headTimeouts()).as("nothing legitimate cut").isEqualTo(1);
    }

    @Test
    void anHttp2PrefaceTrickledToAPortWithH2cIsCutAtTheHeadDeadline() throws Exception {
        // The HTTP/2 preface and the first SETTINGS frame: Vert.x shows an HTTP/2 connection only once that frame is in.
        HttpServerVerticle server = serveWithGrpc();
        String preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\0\0\0\4\0\0\0\0\0";
        try (Socket slow = new Socket("127.0.0.1", server.actualPort())) {
            assertCutBeforeComplete(slow, preface, 900);
        }
        assertThat(server.headTimeouts()).isEqualTo(1);
        assertServesGrpcAndHttp(server.actualPort());
    }

    /** One HTTP/2 frame read from the server. */
    private record ServerFrame(int type, int flags, int stream, byte[] payload) {
    }

    /** Reads the server's next frame; fails, saying {@code awaited}, if the connection closes first. */
    private static ServerFrame readFrame(InputStream in, String awaited) throws IOException {
        byte[] head = in.readNBytes(9);
        assertThat(head).as(awaited).hasSize(9);
        int length = (head[0] & 0xff) << 16 | (head[1] & 0xff) << 8 | (head[2] & 0xff);
        byte[] payload = in.readNBytes(length);
        assertThat(payload).hasSize(length);
        return new ServerFrame(head[3], head[4], readStreamId(head, 5), payload);
    }

    /** A 31-bit stream id at {@code at} (its reserved bit dropped). */
    private static int readStreamId(byte[] b, int at) {
        return (b[at] & 0x7f) << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
    }

    /** Reads the server's frames until one on {@code stream} ends it; fails if the connection closes first. */
    private static void readUntilStreamEnds(InputStream in, int stream) throws IOException {
        while (true) {
            ServerFrame f = readFrame(in, "the connection stays open until the answer");
            if (f.stream() == stream && (f.type() == 0 || f.type() == 1) && (f.flags() & 1) != 0) {
                return;
            }
        }
    }

    /** Reads the server's frames until a GOAWAY; returns its last stream id. */
    private static int readUntilGoAway(InputStream in) throws IOException {
        while (true) {
            ServerFrame f = readFrame(in, "a GOAWAY before the connection closes");
            if (f.type() == 7) {
                return readStreamId(f.payload(), 0);
            }
        }
    }

    @Test
    void aRequestThatCrossesTheFirstGoawayOfAQuietHttp2ConnectionIsServed() throws Exception {
        // A quiet HTTP/2 connection is closed in two steps: a GOAWAY that still admits every stream, then, a second
        // later, the shutdown that closes it once its streams end. A client whose next request crossed the first is
        // answered, not refused (with one GOAWAY naming the last stream, a gRPC call made right at the deadline
        // failed in the client).
        HttpServerVerticle server = serveWithGrpc();
        byte[] get = {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x01, 1, 'x'}; // GET / over http, :authority x (HPACK)
        try (Socket h2c = new Socket("127.0.0.1", server.actualPort())) {
            h2c.setSoTimeout(10_000);
            write(h2c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            h2c.getOutputStream().write(Http2Frames.frame(4, 0, 0, new byte[0]));
            h2c.getOutputStream().write(Http2Frames.frame(1, 0x5, 1, get));
            h2c.getOutputStream().flush();
            InputStream in = h2c.getInputStream();
            readUntilStreamEnds(in, 1);
            assertThat(readUntilGoAway(in)).as("the first GOAWAY's last stream: every stream still admitted")
                    .isEqualTo(Integer.MAX_VALUE);
            // This client did not heed it: its next request goes on this connection and is still served.
            h2c.getOutputStream().write(Http2Frames.frame(1, 0x5, 3, get));
            h2c.getOutputStream().flush();
            readUntilStreamEnds(in, 3);
            // Then the connection is closed (a read past the 10 s timeout would fail the test).
            while (in.read() != -1) {
                continue;
            }
        }
        assertThat(server.headTimeouts()).isEqualTo(1);
    }

    @Test
    void headersTrickledOnAnEstablishedHttp2ConnectionAreCutAtTheHeadDeadline() throws Exception {
        // After a first request, an HTTP/2 connection must keep a stream open or start one in time: a HEADERS frame
        // trickled byte by byte starts none (a stream exists once its whole header block is in).
        HttpServerVerticle server = serveWithGrpc();
        // GET / with a 60-byte header, HPACK: :method GET, :scheme http, :path / (static table), :authority x, and a
        // literal x-slow.
        java.io.ByteArrayOutputStream block = new java.io.ByteArrayOutputStream();
        block.write(new byte[] {(byte) 0x82, (byte) 0x86, (byte) 0x84, 0x01, 1, 'x', 0x00, 6});
        block.write("x-slow".getBytes(StandardCharsets.ISO_8859_1));
        block.write(60);
        block.write("a".repeat(60).getBytes(StandardCharsets.ISO_8859_1));
        byte[] endStreamAndHeaders = block.toByteArray();
        try (Socket h2c = new Socket("127.0.0.1", server.actualPort())) {
            h2c.setSoTimeout(10_000);
            write(h2c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            h2c.getOutputStream().write(Http2Frames.frame(4, 0, 0, new byte[0]));
            // The deadline runs from the end of the first stream, which is after this (and may be before its answer is
            // read here).
            long start = System.nanoTime();
            h2c.getOutputStream().write(Http2Frames.frame(1, 0x5, 1, endStreamAndHeaders));
            h2c.getOutputStream().flush();
            readUntilStreamEnds(h2c.getInputStream(), 1); // the first request is answered (404)
            // The next request's HEADERS, one byte every 200 ms: 84 bytes, 17 s; the idle timeout (60 s) sees none.
            String slow = new String(Http2Frames.frame(1, 0x5, 3, endStreamAndHeaders), StandardCharsets.ISO_8859_1);
            int sent = trickle(h2c, slow);
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(sent).as("closed before the HEADERS frame was complete").isBetween(1, slow.length() - 1);
            assertThat(ms).isBetween(900L, 5_000L);
        }
        assertThat(server.headTimeouts()).isEqualTo(1);
        assertServesGrpcAndHttp(server.actualPort());
    }

    @Test
    void anHttp2StreamOpenLongerThanTheHeadDeadlineKeepsItsConnection() throws Exception {
        // A Raft peer's link keeps one Stream call open for good: an open stream is not a late head.
        HttpServerVerticle server = new HttpServerVerticle("test listener", "127.0.0.1", 0, Router::router,
                vx -> GrpcServer.server(vx).callHandler(call -> call.last().onSuccess(m ->
                        vx.setTimer(2_500, t -> call.response().end(m))))).limits(headDeadline(1_000));
        await(vertx.deployVerticle(server), Duration.ofSeconds(10));
        GrpcClient grpc = grpcClient();
        try {
            assertThat(call(grpc, server.actualPort(), "Slow", "late")).isEqualTo("late");
        } finally {
            await(grpc.close(), Duration.ofSeconds(10));
        }
        assertThat(server.headTimeouts()).isZero();
    }

    @Test
    void aGrpcClientQuietBeyondTheHeadDeadlineCallsAgainOnANewConnection() throws Exception {
        // Its connection, with no stream open, gets a GOAWAY at the deadline; the client's next call opens another.
        HttpServerVerticle server = serveWithGrpc();
        GrpcClient grpc = grpcClient();
        try {
            assertThat(call(grpc, server.actualPort(), "Echo", "first")).isEqualTo("first");
            eventually("the quiet connection is shut down", Duration.ofSeconds(5), () -> server.headTimeouts() == 1);
            assertThat(call(grpc, server.actualPort(), "Echo", "second")).isEqualTo("second");
        } finally {
            await(grpc.close(), Duration.ofSeconds(10));
        }
        assertThat(server.headTimeouts()).isEqualTo(1);
    }

    @Test
    void theHeadDeadlineCanBeTurnedOff() throws Exception {
        int port = serve(headDeadline(0));
        try (Socket s = new Socket("127.0.0.1", port)) {
            // Half a head, then silence: with no deadline the connection stays (until the idle timeout, 60 s here).
            write(s, "GET /echo HTTP/1.1\r\n");
            s.setSoTimeout(2_000);
            assertThatThrownBy(() -> s.getInputStream().read()).isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }
}
