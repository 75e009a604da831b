package io.raftline.ui;

import io.raftline.events.EventPublisher;
import io.raftline.events.NdjsonRecorder;
import io.raftline.events.PublisherOptions;
import io.raftline.faults.FaultControl;
import io.raftline.node.MemoryLogStore;
import io.raftline.node.NodeOptions;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNodeVerticle;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Role;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.LinkFaultTransport;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.raftline.ui.ControlHandler;
import io.raftline.ui.UiRouter;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A 3-node cluster in one Vert.x instance with short timings, the event publisher (recording to NDJSON) and
 * the live view mounted on an ephemeral loopback port: what the browser tests drive. It wires the parts the
 * way the application does in local mode.
 */
final class LocalCluster implements AutoCloseable {

    static final List<Integer> MEMBERS = List.of(1, 2, 3);

    final Vertx vertx = Vertx.vertx();
    final NetworkConditioner network = new NetworkConditioner(7);
    final LinkFaults links = new LinkFaults(11);
    final EventPublisher publisher;
    final NdjsonRecorder recorder;
    final Map<Integer, RaftNodeVerticle> nodes = new LinkedHashMap<>();
    final ControlHandler control;
    final FaultControl faults;
    final UiRouter ui;
    private HttpServer server;

    private LocalCluster(Path recording) {
        publisher = new EventPublisher(MEMBERS, PublisherOptions.DEFAULTS, System::currentTimeMillis);
        recorder = recording == null ? null : new NdjsonRecorder(vertx, recording.toString(), 64L << 20);
        if (recorder != null) {
            publisher.addSink(recorder);
        }
        Transport transport = new LinkFaultTransport(vertx, new EventBusTransport(vertx, network,
                publisher::messageDropped), links, publisher::messageDropped);
        for (int id : MEMBERS) {
            RaftConfig config = RaftConfig.builder(id, MEMBERS).tickMs(10).heartbeatMs(50).electionTimeoutMs(300, 600)
                    .build();
            nodes.put(id, new RaftNodeVerticle(new NodeOptions(config, 100 + id, 10_000, 5_000), transport,
                    new MemoryLogStore(), publisher));
        }
        faults = new FaultControl(nodes, MEMBERS, network, links, publisher);
        control = new ControlHandler(vertx, nodes, faults, publisher);
        ui = new UiRouter(vertx, control, Set.of());
    }

    /**
     * Starts everything and waits until the HTTP port listens.
     *
     * @param recording where to record events as NDJSON, or null
     */
    static LocalCluster start(Path recording) throws Exception {
        LocalCluster c = new LocalCluster(recording);
        List<Future<?>> deployed = new ArrayList<>();
        deployed.add(c.vertx.deployVerticle(c.publisher));
        for (RaftNodeVerticle n : c.nodes.values()) {
            deployed.add(c.vertx.deployVerticle(n));
        }
        Router router = Router.router(c.vertx);
        Future<HttpServer> listening = Future.all(deployed).compose(v -> c.ui.mount(router))
                .compose(v -> c.vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
        c.server = listening.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        return c;
    }

    int port() {
        return server.actualPort();
    }

    String url() {
        return "http://127.0.0.1:" + port() + "/";
    }

    /** The node that leads, waiting up to {@code timeout} for one. */
    int awaitLeader(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (RaftNodeVerticle n : nodes.values()) {
                NodeStatus s = n.status().toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
                if (s.up() && s.role() == Role.LEADER) {
                    return s.id();
                }
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
        throw new AssertionError("no leader within " + timeout);
    }

    @Override
    public void close() {
        Future<Void> recorded = recorder == null ? Future.succeededFuture() : recorder.close();
        try {
            recorded.otherwiseEmpty().compose(v -> vertx.close()).toCompletionStage().toCompletableFuture()
                    .get(20, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cluster did not stop cleanly", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
