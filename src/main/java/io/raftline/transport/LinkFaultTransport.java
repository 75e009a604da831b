package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link Transport} that applies {@link LinkFaults} (per-link loss and delay) before handing a message to
 * another transport, which applies the cluster-wide faults. Wrapping keeps the two concerns apart and works
 * with any transport underneath.
 *
 * <p>A message meets each fault once, in the order of its path: its link's when the node sends it (a message sent
 * into a cut is lost then, {@code partition} or {@code paused}, as without a link fault; otherwise it may be lost,
 * {@code link drop}, or held for the link's delay), then the network's (loss, delay, duplication) when it leaves the
 * link and reaches the inner transport: at once, or when the link's delay ends. A copy the link holds is "in the
 * network" like one the network's delay holds, through the same {@link ConditionedSend#hold}: lost if its link is cut
 * while it is held (a partition, a pause or a crash of either end), even by a cut that healed before it lands, and
 * shown in the sender's outbox meanwhile.
 *
 * <p>A partition also cuts what arrives ({@link #register}): one process's partition is then symmetric for its own
 * nodes even when the other processes do not know it.
 *
 * <p>{@link #sendAll} keeps the batch whole where it can: the messages no link fault touches (or delays by zero)
 * go to the inner transport's {@code sendAll} in one call, so they can still share a frame; the faulted ones take
 * the same per-message path as {@link #send}.
 */
public final class LinkFaultTransport implements Transport {

    private final Vertx vertx;
    private final Transport inner;
    private final LinkFaults faults;
    private final NetworkConditioner network;
    private final EventBusTransport.DropListener drops;
    private final ConditionedSend held;

    /**
     * Wraps a transport.
     *
     * @param vertx   for the delay timers
     * @param inner   the transport that delivers
     * @param faults  the per-link faults
     * @param network the cluster-wide faults the inner transport applies: their cuts apply to what a link holds too
     * @param drops   told about messages lost on a faulty link ({@code link drop}, or the cut's reason)
     */
    public LinkFaultTransport(Vertx vertx, Transport inner, LinkFaults faults, NetworkConditioner network,
            EventBusTransport.DropListener drops) {
        this.vertx = vertx;
        this.inner = inner;
        this.faults = faults;
        this.network = network;
        this.drops = drops;
        this.held = new ConditionedSend(vertx, network, drops);
    }

    @Override
    public void send(Message m) {
        if (passesNow(m)) {
            inner.send(m);
        }
    }

    @Override
    public void sendAll(List<Message> messages) {
        List<Message> through = new ArrayList<>(messages.size());
        for (Message m : messages) {
            if (passesNow(m)) {
                through.add(m);
            }
        }
        if (!through.isEmpty()) {
            inner.sendAll(through);
        }
    }

    /**
     * Applies the link's fault to {@code m}: true if it goes on to the inner transport now; otherwise it was
     * dropped (and reported) or is held for its delay and then handed to the inner transport, unless its link was
     * cut meanwhile.
     */
    private boolean passesNow(Message m) {
        LinkFaults.Condition c = faults.get(m.from(), m.to());
        if (c == null) {
            return true;
        }
        // A cut comes first, as in the network's own verdict: what is sent into it is lost now, not held past it.
        if (!held.stillConnected(m)) {
            return false;
        }
        long delay = faults.draw(c);
        if (delay < 0) {
            drops.dropped(m, "link drop");
            return false;
        }
        if (delay > 0) {
            held.hold(m, delay, inner::send);
            return false;
        }
        return true;
    }

    /**
     * Registers the node's handler behind the partitions this process knows: a message from a node on the other side
     * of a partition is lost when it arrives ({@code partition}), as it is when it is sent. Within one process the
     * send already cut it; with one node per process the sender's process may not know the partition (it was set on
     * this process's admin port or live view only), and a partition that cut a node's sends alone let the others'
     * heartbeats reach it: the node a user "isolated" never called an election, and went on acknowledging entries.
     */
    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        return inner.register(nodeId, m -> {
            if (!network.faults().connected(m.from(), m.to())) {
                drops.dropped(m, "partition");
                return;
            }
            handler.handle(m);
        });
    }

    /**
     * The inner transport's figures (a copy the link delays is held in the network, counted in the sender's outbox
     * with the network's held copies, not in the transport).
     */
    @Override
    public TransportQueues queues(int nodeId) {
        return inner.queues(nodeId);
    }

    /** The same link faults (they are between nodes) in front of the inner transport's view of the group. */
    @Override
    public Transport group(int group) {
        return group == 0 ? this : new LinkFaultTransport(vertx, inner.group(group), faults, network, drops);
    }
}
