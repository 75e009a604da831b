package io.raftline.api;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.NodeHost;
import io.raftline.node.RaftNode;
import io.raftline.node.WatchPosition;
import io.vertx.core.Future;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A {@link RaftNode} stand-in for the client APIs' tests, so that what a stream or an answer holds is exactly what
 * the test put there: node 1, which names itself leader; every watch it opens is recorded in {@link #sinks} for the
 * test to feed by hand and counted in {@link #cancelled} when the API cancels it; every proposal is recorded in
 * {@link #proposed} and answered as written at the next revision. Anything else the API asks of it fails the test.
 */
public final class StandInNode {

    /** The sinks of the watches the API opened, in order. */
    public final List<NodeHost.WatchSink> sinks = new CopyOnWriteArrayList<>();
    /** How many of those watches the API cancelled. */
    public final AtomicInteger cancelled = new AtomicInteger();
    /** The commands proposed, in order. */
    public final List<KvCommand> proposed = new CopyOnWriteArrayList<>();

    private final RaftNode node = (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(),
            new Class<?>[] {RaftNode.class}, (proxy, method, args) -> switch (method.getName()) {
                case "id", "knownLeader" -> 1;
                case "propose" -> {
                    proposed.add((KvCommand) args[0]);
                    yield Future.succeededFuture(new KvResult.Written(proposed.size()));
                }
                case "watch" -> {
                    sinks.add((NodeHost.WatchSink) args[args.length - 1]);
                    yield Future.succeededFuture(new RecordedWatch());
                }
                default -> throw new UnsupportedOperationException(method.getName());
            });

    /** @return the node to hand the API under test */
    public RaftNode node() {
        return node;
    }

    /** A watch from the start of history whose cancellation is counted. */
    private final class RecordedWatch implements NodeHost.Watch {
        @Override
        public void cancel() {
            cancelled.incrementAndGet();
        }

        @Override
        public List<WatchPosition> start() {
            return List.of(new WatchPosition(1, 0));
        }

        @Override
        public void requestProgress() {
        }
    }
}
