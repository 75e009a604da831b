package io.raftline.app;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One HTTP call of a client command ({@code kv}, {@code members}, {@code cluster}) to a node, and how its outcome
 * becomes output and an exit code: 0 with the answer on standard output, 1 with the node's error (its code and
 * message) on standard error. The commands are thin: the node does the work and says what went wrong.
 */
final class ApiCall {

    /**
     * The one HTTP client of the client commands, for nodes without TLS. HTTP/1.1: left at its default (HTTP/2), JDK
     * 17's client asks a plain-text port for an h2c upgrade, which a node's client port grants (it serves gRPC over
     * h2c), and then, on about one fresh connection in ten, misreads the frames that came with the {@code 101} (a
     * protocol error naming a frame of the body's bytes) or waits forever for the rest of a response body over about
     * 16 KiB. Every command runs on a fresh connection, so {@code snapshot save} or a {@code get} of a large value
     * failed or hung at random (docs/decisions.md). Over TLS the client agrees on HTTP/2 by ALPN, without an upgrade.
     */
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** How long a call waits for its answer unless it says otherwise. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private ApiCall() {
    }

    /** A node's answer: its status and its body's bytes as they came (a value need not be text). */
    record Answer(int status, byte[] body) {
        boolean ok() {
            return status / 100 == 2;
        }
    }

    /**
     * Sends a request and keeps the answer's bytes.
     *
     * @param target the node's URL and the token
     * @param method HTTP method
     * @param path   path and query
     * @param body   request body, or null
     * @return the answer
     * @throws IOException if the node cannot be reached
     */
    static Answer send(KvClientCommand.Target target, String method, String path, byte[] body) throws IOException {
        return send(target, method, path, body, TIMEOUT);
    }

    /**
     * Sends a request, waiting up to {@code timeout} for the answer, and keeps the answer's bytes.
     *
     * @return the answer
     * @throws IOException if the node cannot be reached, or the call failed after the request was sent
     *                     ({@link #nothingSent} tells them apart)
     */
    static Answer send(KvClientCommand.Target target, String method, String path, byte[] body, Duration timeout)
            throws IOException {
        HttpRequest.Builder b = target.request(path).timeout(timeout)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        if (body != null) {
            // Values are bytes; every other body (a transaction, a member) is JSON, which those endpoints require.
            b.header("Content-Type", path.startsWith("/v1/kv/") ? "application/octet-stream" : "application/json");
        }
        try {
            HttpResponse<byte[]> r = target.http().send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Answer(r.statusCode(), r.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    /**
     * Runs a call and reports it: the body on standard output (0), or the node's error on standard error (1); a node
     * that cannot be reached is 1 too, and so is a call whose connection was lost after the request was sent (a write
     * then may have been carried out).
     */
    static int report(RaftlineCommand root, String command, KvClientCommand.Target target, String method, String path,
            byte[] body) {
        return report(root, command, target, method, path, body, TIMEOUT, method.equals("GET") ? ""
                : "it may have been carried out; check before sending it again");
    }

    /**
     * Runs a call and reports it, as {@link #report(RaftlineCommand, String, KvClientCommand.Target, String, String,
     * byte[])} does, waiting up to {@code timeout} for the answer.
     *
     * @param ifLost what to say when the call failed after the request was sent (empty: nothing more)
     */
    static int report(RaftlineCommand root, String command, KvClientCommand.Target target, String method, String path,
            byte[] body, Duration timeout, String ifLost) {
        PrintStream out = root.out();
        PrintStream err = root.err();
        URI base = target.base();
        try {
            Answer a = send(target, method, path, body, timeout);
            if (a.ok()) {
                // The body's bytes as they came, then a newline (as redis-cli and etcdctl print a value): a value
                // that is not UTF-8 text must not be decoded and re-encoded, which replaced its bytes with U+FFFD.
                out.write(a.body(), 0, a.body().length);
                out.println();
                return 0;
            }
            err.println("raftline " + command + ": " + describe(a.status(), new String(a.body(),
                    StandardCharsets.UTF_8)));
            return Main.FAILURE;
        } catch (ClientTls.InvalidOption e) {
            err.println("raftline " + command + ": " + e.getMessage());
            return Main.USAGE;
        } catch (IOException e) {
            err.println("raftline " + command + ": " + failure(base, e, timeout, ifLost));
            return Main.FAILURE;
        }
    }

    /**
     * A failed call in words. "cannot reach" only when nothing was sent; a call that failed after its request was sent
     * (the node died before it answered, the connection reset, no answer in time) says so, and what that may mean: it
     * was reported as "cannot reach" too, which told the operator nothing was sent, while a membership change relayed
     * by a node killed part way had been made in some groups.
     *
     * @param ifLost what to add when the request was sent (empty: nothing)
     */
    static String failure(URI base, IOException e, Duration timeout, String ifLost) {
        if (nothingSent(e)) {
            return "cannot reach " + base + ": " + reason(e);
        }
        String what = e instanceof java.net.http.HttpTimeoutException
                ? base + " sent no answer within " + (timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s"
                        : timeout.toMillis() + " ms") + " of the request"
                : "the connection to " + base + " was lost after the request was sent (" + reason(e) + ")";
        return what + (ifLost.isEmpty() ? "" : ": " + ifLost);
    }

    /**
     * Whether a call that threw sent nothing: no connection was made (refused, connect timeout, unknown host) or its
     * TLS handshake failed, so the node handled no request.
     */
    static boolean nothingSent(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof java.net.ConnectException || t instanceof java.net.http.HttpConnectTimeoutException
                    || t instanceof java.net.UnknownHostException
                    || t instanceof java.nio.channels.UnresolvedAddressException
                    || t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why a call failed, in words: the JDK's HTTP client throws a {@link java.net.ConnectException} without a message
     * when nothing listens on the port, which printed as {@code cannot reach http://127.0.0.1:1: null}.
     *
     * @param e what the call threw
     * @return the first message of it or its causes, or what its kind means
     */
    static String reason(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
            if (t instanceof java.net.ConnectException) {
                return "connection refused (is a node listening there?)";
            }
        }
        return e.getClass().getSimpleName();
    }

    /** {@code 404 not_found: no such key}, or the status and body when it is not a Raftline error. */
    static String describe(int status, String body) {
        try {
            JsonObject e = new JsonObject(body);
            return status + " " + e.getString("error", "?") + ": " + e.getString("message", "");
        } catch (DecodeException | ClassCastException e) {
            return status + " " + body;
        }
    }

    /** A key or query value in a URL: percent-encoded, slashes kept in keys. */
    static String encode(String text, boolean keepSlashes) {
        String s = URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
        return keepSlashes ? s.replace("%2F", "/") : s;
    }
}
