package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The client commands ({@code kv}, {@code members}, {@code cluster}) against a running 3-node cluster: what they
 * print, and exit code 1 with the node's error when it refuses.
 */
class ClientCommandsTest {

    private static InJvmCluster harness;
    private static String follower;

    @BeforeAll
    static void start() throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 23, 3000)).start();
        ClusterVerticle cluster = harness.verticle();
        int leader = await(cluster.awaitLeader(10_000));
        follower = cluster.nodeUrl(leader % 3 + 1);
    }

    @AfterAll
    static void stop() {
        harness.close();
    }

    @Test
    void kvCommandsWriteReadListAndDeleteThroughAFollower() {
        MainTest.Result put = MainTest.run("kv", "put", "dir/ключ one", "blue", "--url", follower);
        assertThat(put.code()).as(put.err()).isZero();
        long revision = new JsonObject(put.out().trim()).getLong("revision");
        MainTest.Result get = MainTest.run("kv", "get", "dir/ключ one", "--url", follower);
        assertThat(get.out().trim()).isEqualTo("blue");
        MainTest.Result cas = MainTest.run("kv", "put", "dir/ключ one", "red", "--if-revision", "1", "--url", follower);
        assertThat(cas.code()).isEqualTo(1);
        assertThat(cas.err()).contains("412 precondition_failed");
        MainTest.Result list = MainTest.run("kv", "list", "--prefix", "dir/", "--url", follower);
        assertThat(new JsonObject(list.out().trim()).getInteger("count")).isEqualTo(1);
        MainTest.Result txn = MainTest.run("kv", "txn", "{\"compare\":[{\"key\":\"dir/ключ one\",\"target\":\"revision\","
                + "\"op\":\"=\",\"value\":" + revision + "}],\"success\":[{\"delete\":{\"key\":\"dir/ключ one\"}}]}",
                "--url", follower);
        assertThat(new JsonObject(txn.out().trim()).getBoolean("succeeded")).isTrue();
        MainTest.Result gone = MainTest.run("kv", "get", "dir/ключ one", "--url", follower);
        assertThat(gone.code()).isEqualTo(1);
        assertThat(gone.err()).contains("404 not_found");
        MainTest.Result del = MainTest.run("kv", "del", "nothing", "--url", follower);
        assertThat(new JsonObject(del.out().trim()).getInteger("deleted")).isZero();
        assertThat(MainTest.run("kv").code()).isEqualTo(2);
        MainTest.Result unreachable = MainTest.run("kv", "get", "k", "--url", "http://127.0.0.1:1");
        assertThat(unreachable.code()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach");
    }

    @Test
    void kvGetPrintsAValueThatIsNotTextByteForByte() throws Exception {
        byte[] value = {0, (byte) 0xff, (byte) 0xfe, 'a', (byte) 0xc3};
        var put = ApiCall.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(follower + "/v1/kv/bin"))
                .PUT(java.net.http.HttpRequest.BodyPublishers.ofByteArray(value)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = Main.run(new String[] {"kv", "get", "bin", "--url", follower},
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        assertThat(code).as(err.toString(java.nio.charset.StandardCharsets.UTF_8)).isZero();
        // The stored bytes and a newline; each byte that is not UTF-8 used to come out as U+FFFD (ef bf bd).
        byte[] expected = java.util.Arrays.copyOf(value, value.length + System.lineSeparator().length());
        System.arraycopy(System.lineSeparator().getBytes(java.nio.charset.StandardCharsets.UTF_8), 0, expected,
                value.length, System.lineSeparator().length());
        assertThat(out.toByteArray()).isEqualTo(expected);
    }

    /** Runs the CLI with {@code stdin} as its standard input; standard output kept as bytes. */
    private static MainTest.Result runWithInput(byte[] stdin, java.io.ByteArrayOutputStream out, String... args) {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int code = Main.run(args, new java.io.ByteArrayInputStream(stdin),
                new java.io.PrintStream(out, true, java.nio.charset.StandardCharsets.UTF_8),
                new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        return new MainTest.Result(code, out.toString(java.nio.charset.StandardCharsets.UTF_8),
                err.toString(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** What {@code kv get KEY} prints, as bytes: the value's bytes, then a newline. */
    private static byte[] getBytes(String key) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        MainTest.Result get = runWithInput(new byte[0], out, "kv", "get", key, "--url", follower);
        assertThat(get.code()).as(get.err()).isZero();
        byte[] printed = out.toByteArray();
        int newline = System.lineSeparator().length();
        assertThat(new String(printed, printed.length - newline, newline, java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo(System.lineSeparator());
        return java.util.Arrays.copyOf(printed, printed.length - newline);
    }

    @Test
    void kvPutWritesAValueThatIsNotTextFromStandardInputOrAFileByteForByte() throws Exception {
        // Every byte value, a lone 0xff, an unfinished UTF-8 sequence at the end, and a trailing newline: bytes
        // no text VALUE can carry, and a newline a line-reading client would drop.
        byte[] value = new byte[260];
        for (int i = 0; i < 256; i++) {
            value[i] = (byte) i;
        }
        value[256] = (byte) 0xff;
        value[257] = '\n';
        value[258] = (byte) 0xe2;
        value[259] = (byte) 0x82;
        MainTest.Result fromStdin = runWithInput(value, new java.io.ByteArrayOutputStream(),
                "kv", "put", "bin/stdin", "-", "--url", follower);
        assertThat(fromStdin.code()).as(fromStdin.err()).isZero();
        assertThat(new JsonObject(fromStdin.out().trim()).getLong("revision")).isPositive();
        assertThat(getBytes("bin/stdin")).isEqualTo(value);

        java.nio.file.Path file = java.nio.file.Files.createTempFile("raftline-value", ".bin");
        try {
            java.nio.file.Files.write(file, value);
            MainTest.Result fromFile = MainTest.run("kv", "put", "bin/file", "--file", file.toString(),
                    "--url", follower);
            assertThat(fromFile.code()).as(fromFile.err()).isZero();
            assertThat(getBytes("bin/file")).isEqualTo(value);
            // --file - is standard input too; an empty input is the empty value.
            MainTest.Result empty = runWithInput(new byte[0], new java.io.ByteArrayOutputStream(),
                    "kv", "put", "bin/empty", "--file", "-", "--url", follower);
            assertThat(empty.code()).as(empty.err()).isZero();
            assertThat(getBytes("bin/empty")).isEmpty();

            // A value and a file: which one was meant? Refused as bad usage, nothing sent.
            MainTest.Result both = MainTest.run("kv", "put", "bin/both", "text", "--file", file.toString(),
                    "--url", follower);
            assertThat(both.code()).isEqualTo(Main.USAGE);
            assertThat(both.err()).contains("--file").contains("not both");
            MainTest.Result neither = MainTest.run("kv", "put", "bin/both", "--url", follower);
            assertThat(neither.code()).isEqualTo(Main.USAGE);
            assertThat(neither.err()).contains("VALUE, - (standard input) or --file PATH");
            assertThat(MainTest.run("kv", "get", "bin/both", "--url", follower).err()).contains("404 not_found");

            // Larger than any node stores: refused before sending, naming the limit (and the file's size).
            java.nio.file.Files.write(file, new byte[KvCommand.MAX_VALUE_BYTES + 1]);
            MainTest.Result bigFile = MainTest.run("kv", "put", "bin/big", "--file", file.toString(),
                    "--url", follower);
            assertThat(bigFile.code()).isEqualTo(Main.FAILURE);
            assertThat(bigFile.err()).contains(file + " holds " + (KvCommand.MAX_VALUE_BYTES + 1) + " bytes")
                    .contains(KvCommand.MAX_VALUE_BYTES + " bytes, 1 MiB").contains("nothing was sent");
            MainTest.Result bigStdin = runWithInput(new byte[KvCommand.MAX_VALUE_BYTES + 1],
                    new java.io.ByteArrayOutputStream(), "kv", "put", "bin/big", "-", "--url", follower);
            assertThat(bigStdin.code()).isEqualTo(Main.FAILURE);
            assertThat(bigStdin.err()).contains("standard input holds more than " + KvCommand.MAX_VALUE_BYTES);
            assertThat(MainTest.run("kv", "get", "bin/big", "--url", follower).err()).contains("404 not_found");
            // The largest value is not refused.
            MainTest.Result largest = runWithInput(new byte[KvCommand.MAX_VALUE_BYTES],
                    new java.io.ByteArrayOutputStream(), "kv", "put", "bin/big", "-", "--url", follower);
            assertThat(largest.code()).as(largest.err()).isZero();
            MainTest.Result missing = MainTest.run("kv", "put", "bin/x", "--file", file + ".missing",
                    "--url", follower);
            assertThat(missing.code()).isEqualTo(Main.USAGE);
            assertThat(missing.err()).contains("cannot read " + file + ".missing");
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    @Test
    void kvWatchPrintsEachChangeOnceFromARevisionOn() {
        MainTest.Result first = MainTest.run("kv", "put", "watch/a", "1", "--url", follower);
        long from = new JsonObject(first.out().trim()).getLong("revision");
        MainTest.run("kv", "put", "elsewhere", "x", "--url", follower);
        MainTest.run("kv", "put", "watch/b", "2", "--url", follower);
        MainTest.run("kv", "del", "watch/a", "--url", follower);
        MainTest.Result watch = MainTest.run("kv", "watch", "--prefix", "watch/", "--from-revision",
                String.valueOf(from), "--count", "3", "--url", follower);
        assertThat(watch.code()).as(watch.err()).isZero();
        java.util.List<JsonObject> changes = watch.out().lines().map(JsonObject::new).toList();
        assertThat(changes).extracting(c -> c.getString("type") + " " + c.getString("key"))
                .containsExactly("put watch/a", "put watch/b", "delete watch/a");
        assertThat(changes.get(0).getLong("revision")).isEqualTo(from);
        assertThat(changes.get(1).getString("value")).isEqualTo("2");
        // A value the command line can tell is wrong is bad usage, refused before any call (it was the node's 400).
        MainTest.Result bad = MainTest.run("kv", "watch", "--from-revision", "-3", "--url", follower);
        assertThat(bad.code()).isEqualTo(2);
        assertThat(bad.err()).contains("--from-revision").contains("must be a revision, an integer >= 0 (was -3)");
        for (String[] args : new String[][] {{"kv", "get", "k", "--consistency", "bogus"},
                {"kv", "list", "--limit", "0"}, {"kv", "put", "k", "v", "--if-revision", "-1"},
                {"kv", "del", "k", "--if-revision", "-1"}}) {
            MainTest.Result usage = MainTest.run(concat(args, "--url", follower));
            assertThat(usage.code()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(usage.err()).as(String.join(" ", args)).contains("Invalid value for option '--");
        }
        MainTest.Result unreachable = MainTest.run("kv", "watch", "--url", "http://127.0.0.1:1");
        assertThat(unreachable.code()).isEqualTo(1);
        assertThat(unreachable.err()).contains("cannot reach");
        // Zero changes is no watch: refused as bad usage before any call (it printed one change before).
        MainTest.Result none = MainTest.run("kv", "watch", "--prefix", "watch/", "--from-revision",
                String.valueOf(from), "--count", "0", "--url", follower);
        assertThat(none.code()).as(none.out()).isEqualTo(2);
        assertThat(none.out()).isEmpty();
        assertThat(none.err()).contains("--count").contains("must be at least 1 (was 0)");
    }

    /**
     * {@code kv watch} keeps the id a stream names before its first change: a stream that breaks before any change is
     * resumed from its start with {@code Last-Event-ID}, not "from now" again. The server is a stand-in that sends a
     * start and breaks, then answers the reconnection with one change.
     */
    @Test
    void kvWatchResumesAStreamThatBrokeBeforeItsFirstChangeFromItsStart() throws Exception {
        java.util.List<String> lastEventIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/watch", exchange -> {
            lastEventIds.add(String.valueOf(exchange.getRequestHeaders().getFirst("Last-Event-ID")));
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            String body = lastEventIds.size() == 1 ? ": watching from node 1\n\nid: 41\n\n"
                    : "id: 42:0\nevent: put\ndata: {\"type\":\"put\",\"key\":\"a\",\"revision\":42}\n\n";
            try (java.io.OutputStream out = exchange.getResponseBody()) {
                out.write(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        });
        server.start();
        try {
            MainTest.Result watch = MainTest.run("kv", "watch", "--count", "1", "--url",
                    "http://127.0.0.1:" + server.getAddress().getPort());
            assertThat(watch.code()).as(watch.err()).isZero();
            assertThat(watch.out().trim()).isEqualTo("{\"type\":\"put\",\"key\":\"a\",\"revision\":42}");
            assertThat(lastEventIds).containsExactly("null", "41");
        } finally {
            server.stop(0);
        }
    }

    /**
     * A stream that broke because its node went down is resumed once the node is back, however long that takes: a
     * node of a local cluster that crashed answers {@code 503 node_down} to the reconnection until it restarts, and
     * {@code kv watch} used to take that for a refusal and exit 1. The server is a stand-in: a start and a break, then
     * two 503s, then one change.
     */
    @Test
    void kvWatchKeepsReconnectingWhileItsNodeAnswers503() throws Exception {
        java.util.List<String> lastEventIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/watch", exchange -> {
            lastEventIds.add(String.valueOf(exchange.getRequestHeaders().getFirst("Last-Event-ID")));
            int attempt = lastEventIds.size();
            String body;
            if (attempt == 2 || attempt == 3) {
                body = "{\"error\":\"node_down\",\"message\":\"node 1 crashed\"}";
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.getResponseHeaders().set("Retry-After", "1");
                exchange.sendResponseHeaders(503, body.length());
            } else {
                body = attempt == 1 ? ": watching from node 1\n\nid: 41\n\n"
                        + "event: error\ndata: {\"error\":\"node_down\",\"message\":\"node 1 crashed\"}\n\n"
                        : "id: 42:0\nevent: put\ndata: {\"type\":\"put\",\"key\":\"a\",\"revision\":42}\n\n";
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
            }
            try (java.io.OutputStream out = exchange.getResponseBody()) {
                out.write(body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        });
        server.start();
        try {
            MainTest.Result watch = MainTest.run("kv", "watch", "--count", "1", "--url",
                    "http://127.0.0.1:" + server.getAddress().getPort());
            assertThat(watch.code()).as(watch.err()).isZero();
            assertThat(watch.out().trim()).isEqualTo("{\"type\":\"put\",\"key\":\"a\",\"revision\":42}");
            assertThat(lastEventIds).containsExactly("null", "41", "41", "41");
            assertThat(watch.err()).contains("503 node_down: node 1 crashed; reconnecting");
        } finally {
            server.stop(0);
        }
    }

    /**
     * A stream cut in the middle (its node's process killed: the connection closes before the response's last chunk)
     * is resumed from the last id, as a stream that ends with an error event is: the reader of the response's lines
     * reports the cut as an {@link java.io.UncheckedIOException}, which {@code kv watch} used to let through, exiting
     * with a stack trace instead of reconnecting. The server is a stand-in on a plain socket: a start and a cut, then
     * one change.
     */
    @Test
    void kvWatchResumesAStreamCutInTheMiddle() throws Exception {
        java.util.List<String> lastEventIds = new java.util.concurrent.CopyOnWriteArrayList<>();
        try (java.net.ServerSocket server = new java.net.ServerSocket(0, 8,
                java.net.InetAddress.getLoopbackAddress())) {
            Thread serving = new Thread(() -> {
                try {
                    for (int attempt = 1; attempt <= 2; attempt++) {
                        try (java.net.Socket s = server.accept()) {
                            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                                    s.getInputStream(), java.nio.charset.StandardCharsets.ISO_8859_1));
                            String lastEventId = "null";
                            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("last-event-id:")) {
                                    lastEventId = line.substring("last-event-id:".length()).trim();
                                }
                            }
                            lastEventIds.add(lastEventId);
                            String events = attempt == 1 ? ": watching from node 1\n\nid: 41\n\n"
                                    : "id: 42:0\nevent: put\ndata: {\"type\":\"put\",\"key\":\"a\",\"revision\":42}\n\n";
                            String response = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                                    + "Transfer-Encoding: chunked\r\n\r\n"
                                    + Integer.toHexString(events.length()) + "\r\n" + events + "\r\n"
                                    // The first response is cut before its last chunk; the second ends.
                                    + (attempt == 1 ? "" : "0\r\n\r\n");
                            java.io.OutputStream out = s.getOutputStream();
                            out.write(response.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                            out.flush();
                        }
                    }
                } catch (java.io.IOException e) {
                    // the server socket closed: the test is over
                }
            });
            serving.setDaemon(true);
            serving.start();
            MainTest.Result watch = MainTest.run("kv", "watch", "--count", "1", "--url",
                    "http://127.0.0.1:" + server.getLocalPort());
            assertThat(watch.code()).as(watch.err()).isZero();
            assertThat(watch.out().trim()).isEqualTo("{\"type\":\"put\",\"key\":\"a\",\"revision\":42}");
            assertThat(lastEventIds).containsExactly("null", "41");
            assertThat(watch.err()).contains("reconnecting");
        }
    }

    @Test
    void membersAndClusterCommandsShowAndChangeTheMembership() {
        MainTest.Result list = MainTest.run("members", "list", "--url", follower);
        assertThat(new JsonObject(list.out().trim()).getJsonArray("members")).hasSize(3);
        MainTest.Result add = MainTest.run("members", "add", "9", "http://127.0.0.1:1", "--learner", "--url", follower);
        assertThat(add.code()).as(add.err()).isZero();
        MainTest.Result promote = MainTest.run("members", "promote", "9", "--url", follower);
        assertThat(promote.code()).isEqualTo(1);
        assertThat(promote.err()).contains("409 learner_lagging");
        assertThat(MainTest.run("members", "remove", "9", "--url", follower).code()).isZero();
        MainTest.Result unknown = MainTest.run("members", "remove", "9", "--url", follower);
        assertThat(unknown.err()).contains("404 unknown_member");
        MainTest.Result status = MainTest.run("cluster", "status", "--url", follower);
        assertThat(new JsonObject(status.out().trim()).getInteger("leader")).isPositive();
    }

    private static String[] concat(String[] args, String... more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
        System.arraycopy(more, 0, all, args.length, more.length);
        return all;
    }
}
