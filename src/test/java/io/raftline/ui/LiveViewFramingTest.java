package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPipeline;
import io.raftline.events.EventPublisher;
import io.raftline.events.PublisherOptions;
import io.raftline.faults.FaultControl;
import io.raftline.node.RaftNode;
import io.raftline.security.AdminAccess;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
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

    private static Vertx vertx;
    private static HttpServer server;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        PublisherOptions options = new PublisherOptions(10, 600, 2, 20_000, 1000);
        EventPublisher publisher = new EventPublisher(List.of(1, 2, 3), options, System::currentTimeMillis, null,
                new EventPipeline(options));
        Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>();
        FaultControl faults = new FaultControl(nodes, () -> List.of(1, 2, 3), new NetworkConditioner(1),
                new LinkFaults(2), publisher);
        ControlHandler control = new ControlHandler(vertx, nodes, faults, publisher,
                FixedNodes.refusing("no nodes here"));
        UiRouter ui = new UiRouter(vertx, control, Set.of(), new AdminAccess("", true));
        Router router = Router.router(vertx);
        await(vertx.deployVerticle(publisher), TIMEOUT);
        await(ui.mount(router), TIMEOUT);
        server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"), TIMEOUT);
    }

    @AfterAll
    static void stop() throws Exception {
        if (vertx != null) {
            await(vertx.close(), TIMEOUT);
        }
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.actualPort() + path))
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
