package io.raftline.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.security.AdminAccess;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the bridge's HTTP fallbacks take from a client before any token is asked. SockJS reads a send's body as a JSON
 * array and takes each element's text: an element that is no string (null, an object, an array) became a null frame,
 * and the session threw a NullPointerException that the process logged as an unhandled error with its stack trace, once
 * per request of any client that reaches the port (no token needed to open a session); a body that is not JSON at all
 * got a 500. And the JSONP transport took commands as a form's field, the one kind of body a page of another site can
 * send without Origin in older browsers.
 */
class BridgeHttpSendTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static NodelessLiveView view;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(TIMEOUT).build();

    @BeforeAll
    static void start() throws Exception {
        view = new NodelessLiveView(new AdminAccess("", true));
    }

    @AfterAll
    static void stop() throws Exception {
        if (view != null) {
            view.close();
        }
    }

    /** A request as the page's SockJS client sends it: a browser names the page's origin on every POST. */
    private static HttpResponse<String> send(String method, String path, String contentType, String body)
            throws Exception {
        return send(method, path, contentType, body, "http://127.0.0.1:" + view.port());
    }

    private static HttpResponse<String> send(String method, String path, String contentType, String body,
            String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + view.port() + path))
                .timeout(TIMEOUT).method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (origin != null && "POST".equals(method)) {
            b.header("Origin", origin);
        }
        HttpRequest request = b.build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            // The JDK client reuses a pooled keep-alive connection and, unlike a browser, does not resend a POST when
            // that connection turns out to have been closed ("header parser received no bytes"; as in
            // BridgeSecurityTest): sent again once. The SockJS session lives in the URL, not the connection.
            Throwable cause = e;
            while (cause != null && !(cause instanceof java.io.EOFException)) {
                cause = cause.getCause();
            }
            if (cause == null && !String.valueOf(e.getMessage()).contains("received no bytes")) {
                throw e;
            }
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        }
    }

    /**
     * SockJS's send is a POST of text/plain, which a page of any site can make a browser send without a preflight. A
     * browser names the page's origin on every POST, so a send without an Origin is not from the live view's page and
     * is refused (403 forbidden_origin) before the bridge reads it; one naming another site was refused already; one
     * naming the server's origin, as the page's client does, is taken. Before, a send without an Origin was taken.
     */
    @Test
    void aSendWithoutTheOriginOfThePageIsRefused() throws Exception {
        assertThat(send("POST", "/eventbus/000/s3/xhr", null, null, null).body()).startsWith("o");
        String command = new io.vertx.core.json.JsonArray().add(new JsonObject().put("type", "send")
                .put("address", ControlHandler.ADDRESS).put("replyAddress", "r3")
                .put("body", new JsonObject().put("action", "heal")).encode()).encode();
        for (String origin : java.util.Arrays.asList(null, "http://evil.example")) {
            HttpResponse<String> refused = send("POST", "/eventbus/000/s3/xhr_send", "text/plain", command, origin);
            assertThat(refused.statusCode()).as("a send with Origin %s", origin).isEqualTo(403);
            assertThat(new JsonObject(refused.body()).getString("error")).isEqualTo("forbidden_origin");
        }
        // Nothing reached the bridge: the next poll holds no reply (only a heartbeat, after SockJS's 25 s, is not
        // waited for: a send taken now answers on the same poll).
        assertThat(send("POST", "/eventbus/000/s3/xhr_send", "text/plain", command).statusCode()).isEqualTo(204);
        String poll = send("POST", "/eventbus/000/s3/xhr", null, null).body();
        assertThat(poll).contains("\\\"ok\\\":true").contains("r3");
        assertThat(poll.split("\"address\\\\\":\\\\\"r3", -1)).as("exactly one reply on r3: %s", poll)
                .hasSize(2);
    }

    @Test
    void aSendWhoseFramesAreNotStringsIsRefusedNamingTheRule() throws Exception {
        assertThat(send("POST", "/eventbus/000/s1/xhr", null, null).body()).startsWith("o");
        for (String body : List.of("[null]", "[{\"type\":\"ping\"}]", "[[]]", "[\"x\", {}]", "not json", "", "{}")) {
            HttpResponse<String> r = send("POST", "/eventbus/000/s1/xhr_send", "text/plain", body);
            assertThat(r.statusCode()).as("xhr_send of %s", body).isEqualTo(400);
            JsonObject error = new JsonObject(r.body());
            assertThat(error.getString("error")).isEqualTo("bad_request");
            assertThat(error.getString("message")).contains("JSON array of strings");
        }
        // A well-formed send still reaches the bridge: a command, answered on its reply address.
        String command = new JsonObject().put("type", "send").put("address", ControlHandler.ADDRESS)
                .put("replyAddress", "r").put("body", new JsonObject().put("action", "heal")).encode();
        HttpResponse<String> ok = send("POST", "/eventbus/000/s1/xhr_send", "text/plain",
                new io.vertx.core.json.JsonArray().add(command).encode());
        assertThat(ok.statusCode()).isEqualTo(204);
        assertThat(send("POST", "/eventbus/000/s1/xhr", null, null).body()).contains("\\\"ok\\\":true");
    }

    @Test
    void theJsonpTransportIsOff() throws Exception {
        assertThat(send("GET", "/eventbus/000/s2/jsonp?c=cb", null, null).statusCode()).isEqualTo(404);
        String frame = new JsonObject().put("type", "send").put("address", ControlHandler.ADDRESS)
                .put("body", new JsonObject().put("action", "heal")).encode();
        assertThat(send("POST", "/eventbus/000/s2/jsonp_send", "application/x-www-form-urlencoded",
                "d=" + java.net.URLEncoder.encode("[" + io.vertx.core.json.Json.encode(frame) + "]",
                        java.nio.charset.StandardCharsets.UTF_8)).statusCode()).isEqualTo(404);
    }
}
