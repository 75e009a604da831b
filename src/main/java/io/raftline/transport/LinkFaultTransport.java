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
 * <p>{@link #sendAll} keeps the batch whole where it can: the messages no link fault touches (or delays by zero)
 * go to the inner transport's {@code sendAll} in one call, so they can still share a frame; the faulted ones take
 * the same per-message path as {@link #send}.
 */
public final class LinkFaultTransport implements Transport {

    private final Vertx vertx;
    private final Transport inner;
    private final LinkFaults faults;
    private final EventBusTransport.DropListener drops;

    /**
     * Wraps a transport.
     *
     * @param vertx  for the delay timers
     * @param inner  the transport that delivers
     * @param faults the per-link faults
     * @param drops  told about messages lost on a faulty link (reason {@code link drop})
     */
    public LinkFaultTransport(Vertx vertx, Transport inner, LinkFaults faults, EventBusTransport.DropListener drops) {
        this.vertx = vertx;
        this.inner = inner;
        this.faults = faults;
        this.drops = drops;
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
     * dropped (and reported) or is handed to the inner transport after its delay.
     */
    private boolean passesNow(Message m) {
        LinkFaults.Condition c = faults.get(m.from(), m.to());
        if (c == null) {
            return true;
        }
        long delay = faults.draw(c);
        if (delay < 0) {
            drops.dropped(m, "link drop");
            return false;
        }
        if (delay > 0) {
            vertx.setTimer(delay, t -> inner.send(m));
            return false;
        }
        return true;
    }

    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        return inner.register(nodeId, handler);
    }

    /** The inner transport's figures (a delayed copy waits in the timer, not in the transport: not counted). */
    @Override
    public TransportQueues queues(int nodeId) {
        return inner.queues(nodeId);
    }

    /** The same link faults (they are between nodes) in front of the inner transport's view of the group. */
    @Override
    public Transport group(int group) {
        return group == 0 ? this : new LinkFaultTransport(vertx, inner.group(group), faults, drops);
    }
}
