package io.raftline.ui;

import io.raftline.events.EventPublisher;
import io.raftline.events.EventSink;
import io.raftline.faults.FaultControl;
import io.raftline.faults.LocalNodeControl;
import io.raftline.node.RaftNode;
import io.raftline.security.AdminAccess;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;

/**
 * The live view served as in production (the real webroot, {@link UiRouter}'s SockJS bridge, an
 * {@link EventPublisher} with its pipeline and per-browser feeds) but with no Raft cluster behind it: the publisher is
 * told a {@link NodeCallTape} recorded from a real cluster, paced on a Vert.x timer. Why: a browser test can then
 * measure what the page itself costs at a given event rate, with the two cores left to the browser instead of to the
 * cluster being watched. The page cannot tell it from a live cluster (live mode, same frames); its commands other
 * than {@code state} fail, since there are no nodes.
 */
final class ReplayedLiveView implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    /** How often the player tells the calls that are due. */
    private static final long TICK_MS = 4;

    private final Vertx vertx = Vertx.vertx();
    private final EventPublisher publisher;
    private final HttpServer server;
    /** Events the publisher published (counted on its event loop). */
    private final AtomicLong published = new AtomicLong();

    /**
     * Starts the server on a free loopback port.
     *
     * @param members the recorded cluster's node ids
     * @param timing  its Raft timing, as the cluster announces it
     * @throws Exception if it does not start
     */
    ReplayedLiveView(List<Integer> members, JsonObject timing) throws Exception {
        publisher = new EventPublisher(members, timing);
        // A sink makes the publisher report everything (message and per-write events) from the first call on, as a
        // watched cluster does, so the snapshot a browser starts from holds the replayed logs.
        publisher.addSink(new EventSink() {
            @Override
            public void accept(JsonObject event) {
                published.incrementAndGet();
            }
        });
        Map<Integer, RaftNode> nodes = new ConcurrentSkipListMap<>();
        FaultControl faults = new FaultControl(nodes, () -> members, new NetworkConditioner(1), new LinkFaults(2),
                publisher);
        LocalNodeControl none = FixedNodes.refusing("a replayed cluster has no nodes");
        ControlHandler control = new ControlHandler(vertx, nodes, faults, publisher, none);
        UiRouter ui = new UiRouter(vertx, control, java.util.Set.of(), new AdminAccess("", true));
        Router router = Router.router(vertx);
        try {
            Waits.await(vertx.deployVerticle(publisher), TIMEOUT);
            Waits.await(ui.mount(router), TIMEOUT);
            server = Waits.await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"), TIMEOUT);
        } catch (Exception e) {
            Waits.await(vertx.close(), TIMEOUT);
            throw e;
        }
    }

    /**
     * The page's address.
     *
     * @return {@code http://127.0.0.1:port/}
     */
    String url() {
        return "http://127.0.0.1:" + server.actualPort() + "/";
    }

    /**
     * How many events the publisher has published so far.
     *
     * @return the count
     */
    long published() {
        return published.get();
    }

    /**
     * Tells the publisher the calls {@code [0, from)} at once (what happened before the load), and waits until they
     * are published.
     *
     * @param calls the tape
     * @param from  where the paced part starts
     * @throws Exception if the publisher does not flush in time
     */
    void tellAtOnce(List<NodeCallTape.Call> calls, int from) throws Exception {
        for (int i = 0; i < from; i++) {
            calls.get(i).call().accept(publisher); // the publisher only hands each fact to its pipeline
        }
        Waits.await(publisher.flushNow(), TIMEOUT);
    }

    /**
     * Tells the publisher the calls from {@code from} on, each when it is due: the tape's time runs {@code scale}
     * times as fast as real time, the scale asked again on every tick (so a caller can steer the event rate).
     *
     * @param calls the tape
     * @param from  the first call to tell
     * @param scale the tape's speed (2: twice as fast as recorded)
     * @param ended called once on the timer's loop when the tape is done
     */
    void play(List<NodeCallTape.Call> calls, int from, DoubleSupplier scale, Runnable ended) {
        long origin = calls.get(from).nanos();
        long[] state = {System.nanoTime(), 0, from}; // last tick, tape time elapsed (ns), next call
        vertx.setPeriodic(TICK_MS, id -> {
            long now = System.nanoTime();
            state[1] += (long) ((now - state[0]) * scale.getAsDouble());
            state[0] = now;
            int i = (int) state[2];
            while (i < calls.size() && calls.get(i).nanos() - origin <= state[1]) {
                calls.get(i++).call().accept(publisher);
            }
            state[2] = i;
            if (i >= calls.size()) {
                vertx.cancelTimer(id);
                ended.run();
            }
        });
    }

    @Override
    public void close() {
        try {
            Waits.await(vertx.close(), TIMEOUT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing", e);
        }
    }
}
