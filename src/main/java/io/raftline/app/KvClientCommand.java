package io.raftline.app;

import io.raftline.kv.KvCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code raftline.jar kv put|get|del|list|txn|watch}: the key-value API from a shell, through any node (followers
 * forward), with the node's errors and exit code 1 when it refuses.
 */
@Command(name = "kv", description = {"Read and write keys through any node's HTTP API.", ""},
        subcommands = {KvClientCommand.Put.class, KvClientCommand.Get.class, KvClientCommand.Del.class, KvClientCommand.List.class,
                KvClientCommand.Txn.class, KvClientCommand.Watch.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  java -jar raftline.jar kv put color blue",
            "  java -jar raftline.jar kv put logo --file logo.png      (or: ... kv put logo - < logo.png)",
            "  java -jar raftline.jar kv get color --consistency lease",
            "  java -jar raftline.jar kv list --prefix co --limit 10",
            "  java -jar raftline.jar kv watch --prefix co --from-revision 1",
            // Two lines, the second a continuation: on one the example is wider than the help and was wrapped
            // inside its JSON.
            "  java -jar raftline.jar kv txn \\",
            "    '{\"compare\":[{\"key\":\"lock\",\"exists\":false}],\"success\":[{\"put\":{\"key\":\"lock\",\"value\":\"me\"}}]}'"})
final class KvClientCommand implements Callable<Integer> {

    @ParentCommand
    private RaftlineCommand root;

    @Override
    public Integer call() {
        root.err().println("raftline kv: say put, get, del, list, txn or watch (java -jar raftline.jar kv --help)");
        return Main.USAGE;
    }

    /** {@code --url}, {@code --token} and the TLS options, shared by the client commands. */
    static final class Target {
        @Option(names = "--url", paramLabel = "URL", defaultValue = "http://127.0.0.1:8081",
                converter = Converters.HttpUrlConverter.class, description = "Any node's HTTP API. Default: ${DEFAULT-VALUE}.")
        URI url;
        @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:RAFTLINE_TOKEN}",
                description = "Bearer token: the cluster's security.client_token (or admin.token, which membership"
                        + " changes need off loopback). Default: the RAFTLINE_TOKEN environment variable, which keeps"
                        + " it out of the process list.")
        String token;
        @Option(names = "--cacert", paramLabel = "FILE", description = "PEM CA certificate(s) the node's certificate"
                + " must chain to (the cluster's tls.ca_file; bin/tls-ca.sh writes DIR/ca.pem). Calls the node over"
                + " https. Default for https URLs: the JVM's trust store.")
        java.nio.file.Path caCert;
        @Option(names = "--cert", paramLabel = "FILE", description = "PEM client certificate to present (with --key),"
                + " for nodes whose tls.client_auth asks for one (bin/tls-ca.sh DIR --client NAME). Calls over https.")
        java.nio.file.Path cert;
        @Option(names = "--key", paramLabel = "FILE", description = "PEM private key (PKCS#8) of --cert.")
        java.nio.file.Path key;
        /** The HTTP client with the TLS options, made on first use. */
        private java.net.http.HttpClient http;

        /**
         * The TLS options given.
         *
         * @return them ({@link ClientTls#NONE}-like when none was)
         */
        ClientTls tls() {
            return new ClientTls(caCert, cert, key);
        }

        /**
         * The node's URL: https when a TLS option was given.
         *
         * @return the URL to call
         */
        URI base() {
            return tls().apply(url);
        }

        /**
         * The HTTP client for this node: the shared one, or one with the TLS options.
         *
         * @return the client
         * @throws ClientTls.InvalidOption if the TLS options cannot be used
         */
        java.net.http.HttpClient http() throws ClientTls.InvalidOption {
            if (!tls().given()) {
                return ApiCall.HTTP;
            }
            if (http == null) {
                http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
                        .sslContext(tls().context()).build();
            }
            return http;
        }

        /**
         * A target outside the command line (a backup from code).
         *
         * @param url   a node's HTTP API
         * @param token the bearer token, or null
         * @return the target
         */
        static Target of(URI url, String token) {
            Target t = new Target();
            t.url = url;
            t.token = token;
            return t;
        }

        /**
         * Starts a request to this node with the token, if any.
         *
         * @param path path and query
         * @return the request builder
         */
        HttpRequest.Builder request(String path) {
            HttpRequest.Builder b = HttpRequest.newBuilder(base().resolve(path));
            if (token != null && !token.isEmpty()) {
                b.header("Authorization", "Bearer " + token);
            }
            return b;
        }
    }

    /**
     * {@code kv put KEY VALUE}, {@code kv put KEY -} (standard input) or {@code kv put KEY --file PATH}: the value
     * given as text is sent as its UTF-8 bytes; one read from standard input or a file is sent byte for byte, so a
     * value that is not text (an image, a serialized object) can be written too. A value read is bounded by the
     * largest value a node stores ({@link KvCommand#MAX_VALUE_BYTES}): a larger one is refused before anything is
     * sent, rather than read whole into memory and refused by the node.
     */
    @Command(name = "put", description = {"Write a value under KEY; prints {\"revision\":N}.",
            "The value is VALUE's UTF-8 bytes, or the exact bytes of standard input (VALUE -) or of a file"
                    + " (--file PATH), so a value that is not text can be written. A value is at most "
                    + KvCommand.MAX_VALUE_BYTES + " bytes (1 MiB; a node may allow less: service.max_body_bytes)."},
            footerHeading = "%nExamples:%n",
            footer = {
                "  java -jar raftline.jar kv put color blue",
                "  java -jar raftline.jar kv put logo --file logo.png",
                "  gzip -c notes.txt | java -jar raftline.jar kv put notes.gz -",
                // %% is the help's escape of %: a bare one made picocli print a warning with every kv put --help.
                "  printf %%s - | java -jar raftline.jar kv put dash -      (a value that is a single dash)"})
    static final class Put implements Callable<Integer> {
        /** The VALUE (or --file PATH) that means standard input. */
        static final String STDIN = "-";

        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1", description = "The value as text (sent as"
                + " UTF-8); - reads it from standard input, byte for byte.")
        private String value;
        @Option(names = "--file", paramLabel = "PATH", description = "Read the value from PATH, byte for byte (- is"
                + " standard input). Not with VALUE.")
        private java.nio.file.Path file;
        @Option(names = "--if-revision", paramLabel = "R", description = "Compare-and-set: only if the key's revision"
                + " is R (0: it must not exist).")
        private Long ifRevision;

        @Override
        public Integer call() {
            requireRevision(spec, "--if-revision", ifRevision);
            if (value != null && file != null) {
                throw Main.invalidValue(spec, "--file", "give the value either as VALUE or with --file PATH, not"
                        + " both (got VALUE '" + value + "' and --file " + file + ")");
            }
            if (value == null && file == null) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing the value: give"
                        + " VALUE, - (standard input) or --file PATH");
            }
            byte[] body;
            if (value != null && !value.equals(STDIN)) {
                body = value.getBytes(StandardCharsets.UTF_8);
            } else {
                boolean stdin = value != null || file.toString().equals(STDIN);
                String source = stdin ? "standard input" : file.toString();
                try {
                    body = stdin ? readBounded(kv.root.in(), source) : readFile(file);
                } catch (TooLarge e) {
                    kv.root.err().println("raftline kv put: " + e.getMessage());
                    return Main.FAILURE;
                } catch (IOException e) {
                    kv.root.err().println("raftline kv put: cannot read " + source + ": " + e);
                    return Main.USAGE;
                }
            }
            return ApiCall.report(kv.root, "kv put", target, "PUT", "/v1/kv/"
                    + ApiCall.encode(key, true) + (ifRevision == null ? "" : "?ifRevision=" + ifRevision), body);
        }

        /** A value read that is larger than any node stores: nothing was sent. */
        static final class TooLarge extends IOException {
            private static final long serialVersionUID = 1L;

            TooLarge(String source, String size) {
                super(source + " holds " + size + " bytes, more than the largest value a node stores ("
                        + KvCommand.MAX_VALUE_BYTES + " bytes, 1 MiB): nothing was sent");
            }
        }

        private static byte[] readFile(java.nio.file.Path path) throws IOException {
            if (java.nio.file.Files.isRegularFile(path)) {
                long size = java.nio.file.Files.size(path);
                if (size > KvCommand.MAX_VALUE_BYTES) {
                    throw new TooLarge(path.toString(), String.valueOf(size));
                }
            }
            // A regular file may grow while it is read, and a FIFO has no size: the read is bounded either way.
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(path)) {
                return readBounded(in, path.toString());
            }
        }

        /** At most {@link KvCommand#MAX_VALUE_BYTES} bytes to the end of {@code in}, which is not closed. */
        private static byte[] readBounded(java.io.InputStream in, String source) throws IOException {
            byte[] bytes = in.readNBytes(KvCommand.MAX_VALUE_BYTES + 1);
            if (bytes.length > KvCommand.MAX_VALUE_BYTES) {
                throw new TooLarge(source, "more than " + KvCommand.MAX_VALUE_BYTES);
            }
            return bytes;
        }
    }

    /** {@code kv get KEY}. */
    @Command(name = "get", description = "Print the value of KEY, its bytes as stored, then a newline (exit 1 if it"
            + " does not exist).")
    static final class Get implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Option(names = "--consistency", paramLabel = "KIND", defaultValue = "linearizable",
                description = "linearizable, lease or stale. Default: ${DEFAULT-VALUE}.")
        private String consistency;
        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            try {
                io.raftline.node.ReadConsistency.parse(consistency); // the node's own rule
            } catch (IllegalArgumentException e) {
                throw Main.invalidValue(spec, "--consistency", e.getMessage());
            }
            return ApiCall.report(kv.root, "kv get", target, "GET", "/v1/kv/"
                    + ApiCall.encode(key, true) + "?consistency=" + ApiCall.encode(consistency, false), null);
        }
    }

    /** {@code kv del KEY}. */
    @Command(name = "del", description = "Delete KEY; prints {\"deleted\":0|1,\"revision\":N}.")
    static final class Del implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "KEY")
        private String key;
        @Option(names = "--if-revision", paramLabel = "R", description = "Compare-and-delete: only at revision R.")
        private Long ifRevision;
        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            requireRevision(spec, "--if-revision", ifRevision);
            return ApiCall.report(kv.root, "kv del", target, "DELETE", "/v1/kv/"
                    + ApiCall.encode(key, true) + (ifRevision == null ? "" : "?ifRevision=" + ifRevision), null);
        }
    }

    /** {@code kv list}. */
    @Command(name = "list", description = "List keys under a prefix, a page at a time (the JSON of GET /v1/kv).")
    static final class List implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "Key prefix (default: all).")
        private String prefix;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Page size. Default:"
                + " ${DEFAULT-VALUE}.")
        private int limit;
        @Option(names = "--start-after", paramLabel = "KEY", defaultValue = "", description = "The \"next\" of the"
                + " previous page.")
        private String startAfter;
        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            if (limit < 1 || limit > io.raftline.api.KvRequests.MAX_LIMIT) {
                throw Main.invalidValue(spec, "--limit", "must be in 1.." + io.raftline.api.KvRequests.MAX_LIMIT
                        + " (was " + limit + ")");
            }
            return ApiCall.report(kv.root, "kv list", target, "GET", "/v1/kv?prefix="
                    + ApiCall.encode(prefix, false) + "&limit=" + limit + "&startAfter="
                    + ApiCall.encode(startAfter, false), null);
        }
    }

    /** {@code kv txn JSON}. */
    @Command(name = "txn", description = "Run a transaction given as the JSON of POST /v1/txn"
            + " (docs/http-api.md#transactions).")
    static final class Txn implements Callable<Integer> {
        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Parameters(index = "0", paramLabel = "JSON")
        private String json;

        @Override
        public Integer call() {
            return ApiCall.report(kv.root, "kv txn", target, "POST", "/v1/txn",
                    json.getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * {@code kv watch}: every change under a prefix, one JSON object per line, as {@code GET /v1/watch} streams
     * them. When the stream breaks (the node restarts, loses its leader), it reconnects to the same node with the
     * last id the stream sent (the last change's, or the stream's start, or the progress of a quiet watch), so
     * nothing is missed or printed twice, on a sharded cluster too (the id names every group's position), and keeps
     * trying while the node answers 503 (down or restarting, as a crashed node of a local cluster answers until it is
     * back); it stops after {@code --count} changes, on Ctrl-C, or when the node refuses (a revision that was
     * compacted away: exit 1 with the oldest one available; any refusal of the first request).
     */
    @Command(name = "watch", description = {"Print every change under a prefix as it is applied, one JSON object per"
            + " line; reconnects with Last-Event-ID when the stream breaks.",
            // A line of its own: within the sentence, the help wrapped it inside its quotes ("|"\n delete").
            "A line: {\"type\":\"put\",\"key\":\"w/a\",\"value\":\"1\",\"revision\":2,...} (\"type\":\"delete\" for a"
            + " deletion)."})
    static final class Watch implements Callable<Integer> {
        /** Pause before reconnecting a broken stream. */
        private static final Duration RECONNECT_DELAY = Duration.ofSeconds(1);

        @ParentCommand
        private KvClientCommand kv;
        @Mixin
        private Target target;
        @Option(names = "--prefix", paramLabel = "P", defaultValue = "", description = "Key prefix (default: all).")
        private String prefix;
        @Option(names = "--from-revision", paramLabel = "R", description = "Start with the changes at revision R and"
                + " after (default: only changes from now on).")
        private Long fromRevision;
        @picocli.CommandLine.Spec
        private picocli.CommandLine.Model.CommandSpec spec;
        @Option(names = "--count", paramLabel = "N", description = "Stop after N changes, N >= 1 (default: run until"
                + " Ctrl-C).")
        private Long count;

        /** The id to resume from: the last the stream sent, with a change or without one. */
        private String lastId;
        private long printed;

        @Override
        public Integer call() throws InterruptedException {
            requireRevision(spec, "--from-revision", fromRevision);
            if (count != null && count < 1) {
                // Zero changes asked for would still print the first one: the count is checked after a print.
                throw Main.invalidValue(spec, "--count", "must be at least 1 (was " + count + ")");
            }
            PrintStream err = kv.root.err();
            String path = "/v1/watch?prefix=" + ApiCall.encode(prefix, false)
                    + (fromRevision == null ? "" : "&fromRevision=" + fromRevision);
            boolean connectedOnce = false;
            while (true) {
                HttpRequest.Builder request = target.request(path)
                        .header("Accept", "text/event-stream");
                if (lastId != null) {
                    request.header("Last-Event-ID", lastId);
                }
                try {
                    HttpResponse<Stream<String>> r = target.http().send(request.build(),
                            HttpResponse.BodyHandlers.ofLines());
                    try (Stream<String> lines = r.body()) {
                        if (r.statusCode() != 200) {
                            String body = String.join("\n", (Iterable<String>) lines::iterator);
                            String refusal = "raftline kv watch: " + ApiCall.describe(r.statusCode(), body);
                            if (r.statusCode() != 503 || !connectedOnce) {
                                err.println(refusal);
                                return Main.FAILURE;
                            }
                            // Once the stream ran, a 503 is what broke it, not a refusal of the watch: the node is
                            // down or restarting (node_down, as a node of a local cluster answers until it is back)
                            // or busy (overloaded) for now.
                            err.println(refusal + "; reconnecting");
                        } else {
                            connectedOnce = true;
                            if (follow(lines.iterator())) {
                                return 0;
                            }
                        }
                    }
                } catch (ClientTls.InvalidOption e) {
                    err.println("raftline kv watch: " + e.getMessage());
                    return Main.USAGE;
                } catch (IOException e) {
                    if (!connectedOnce) {
                        err.println("raftline kv watch: cannot reach " + target.url + ": " + ApiCall.reason(e));
                        return Main.FAILURE;
                    }
                    err.println("raftline kv watch: " + ApiCall.reason(e) + "; reconnecting");
                } catch (UncheckedIOException e) {
                    // The response's lines report a connection cut in the middle of the stream (the node's process
                    // killed or restarted) this way: a break like any other.
                    err.println("raftline kv watch: the stream broke: " + ApiCall.reason(e.getCause())
                            + "; reconnecting");
                }
                Thread.sleep(RECONNECT_DELAY.toMillis());
            }
        }

        /** Prints the changes of one stream until it ends; true once {@code --count} changes were printed. */
        private boolean follow(Iterator<String> lines) {
            PrintStream out = kv.root.out();
            PrintStream err = kv.root.err();
            String id = null;
            String event = null;
            String data = null;
            while (lines.hasNext()) {
                String line = lines.next();
                if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    event = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data = line.substring(6);
                } else if (line.isEmpty() && data == null) {
                    // An id without data (the stream's start, or the progress of a quiet watch) moves the position to
                    // resume from without an event, as EventSource does: a stream that breaks before its first change
                    // resumes at its start, not "from now" again.
                    if (id != null) {
                        lastId = id;
                    }
                    id = null;
                    event = null;
                } else if (line.isEmpty()) {
                    if ("error".equals(event)) {
                        err.println("raftline kv watch: the stream ended: " + data + "; reconnecting");
                    } else {
                        out.println(data);
                        out.flush();
                        lastId = id;
                        if (count != null && ++printed >= count) {
                            return true;
                        }
                    }
                    id = null;
                    event = null;
                    data = null;
                }
            }
            return false;
        }
    }

    /**
     * Refuses a negative revision as bad usage (exit 2) before anything is sent: the node would answer 400, and a
     * value the command line can tell is wrong is the command line's to refuse, as its other options are.
     */
    static void requireRevision(picocli.CommandLine.Model.CommandSpec spec, String option, Long revision) {
        if (revision != null && revision < 0) {
            throw Main.invalidValue(spec, option, "must be a revision, an integer >= 0 (was " + revision + ")");
        }
    }
}
