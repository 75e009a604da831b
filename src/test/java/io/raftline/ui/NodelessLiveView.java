package io.raftline.ui;

import static io.raftline.verify.nemesis.Waits.await;

import io.raftline.events.EventPipeline;
import io.raftline.events.EventPublisher;
import io.raftline.events.PublisherOptions;
import io.raftline.events.ViewerFeed;
import io.raftline.faults.FaultControl;
import io.raftline.node.RaftNode;
import io.raftline.security.AdminAccess;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A live view without nodes, on a loopback port of its own: a publisher of cluster 1-3's events, the control handler
 * (its node commands refused) and {@link UiRouter}'s pages and bridge, as a process serves them. For the tests of what
 * the page and the bridge take from a browser, which need no Raft cluster behind them.
 */
final class NodelessLiveView {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    final Vertx vertx = Vertx.vertx();
    final EventPublisher publisher;
    final HttpServer server;

    /** With the default bounds of frames and of each browser's feed, and a default server. */
    NodelessLiveView(AdminAccess access) throws Exception {
        this(access, UiRouter.DEFAULT_FRAMES_PER_SECOND, ViewerFeed.Options.DEFAULTS, new HttpServerOptions());
    }

    NodelessLiveView(AdminAccess access, int framesPerSecond, ViewerFeed.Options feed, HttpServerOptions serverOptions)
            throws Exception {
        PublisherOptions options = new PublisherOptions(10, 600, 2, 20_000, 1000);
        publisher = new EventPublisher(List.of(1, 2, 3), options, System::currentTimeMillis, null,
                new EventPipeline(options));
        Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>();
        FaultControl faults = new FaultControl(nodes, () -> List.of(1, 2, 3), new NetworkConditioner(1),
                new LinkFaults(2), publisher);
        ControlHandler control = new ControlHandler(vertx, nodes, faults, publisher,
                FixedNodes.refusing("no nodes here"));
        UiRouter ui = new UiRouter(vertx, control, Set.of(), access, framesPerSecond, feed);
        Router router = Router.router(vertx);
        await(vertx.deployVerticle(publisher), TIMEOUT);
        await(ui.mount(router), TIMEOUT);
        server = await(vertx.createHttpServer(serverOptions).requestHandler(router).listen(0, "127.0.0.1"), TIMEOUT);
    }

    int port() {
        return server.actualPort();
    }

    void close() throws Exception {
        await(vertx.close(), TIMEOUT);
    }
}
