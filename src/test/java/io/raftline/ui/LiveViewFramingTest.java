package io.raftline.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.security.AdminAccess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The live view's pages may not be framed by another site's page. A loopback browser is an admin by default, so a
 * foreign page that framed {@code http://127.0.0.1:8080/} invisibly under its own buttons made the operator's clicks
 * crash nodes and cut the network (clickjacking): the framed page is of the server's own origin, and its bridge
 * passed the origin check and the loopback rule. And SockJS's iframe page, which any site may frame, loaded its
 * script from a CDN by default, running third-party code in the admin origin.
 */
class LiveViewFramingTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private static NodelessLiveView view;
    private static final HttpClient HTTP = TestHttp.builder().connectTimeout(TIMEOUT).build();

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

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + view.port() + path))
                .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertNotFramable(HttpResponse<String> r) {
        assertThat(r.headers().firstValue("X-Frame-Options")).as("X-Frame-Options").hasValue("SAMEORIGIN");
        assertThat(r.headers().firstValue("Content-Security-Policy")).as("Content-Security-Policy")
                .hasValue("frame-ancestors 'self'");
    }

    @Test
    void thePageMayNotBeFramedByAnotherSite() throws Exception {
        HttpResponse<String> page = get("/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<html");
        assertNotFramable(page);
        assertNotFramable(get("/js/app.js"));
    }

    @Test
    void theSockJsFramesMayNotBeFramedByAnotherSiteAndLoadNoThirdPartyScript() throws Exception {
        HttpResponse<String> iframe = get("/eventbus/iframe.html");
        assertThat(iframe.statusCode()).isEqualTo(200);
        assertNotFramable(iframe);
        assertThat(iframe.body()).doesNotContain("cdn.jsdelivr.net")
                .contains("/vendor/sockjs-client/dist/sockjs.min.js");
        // The script it names is served here.
        HttpResponse<String> script = get("/vendor/sockjs-client/dist/sockjs.min.js");
        assertThat(script.statusCode()).isEqualTo(200);
        assertNotFramable(get("/eventbus/info"));
    }
}
