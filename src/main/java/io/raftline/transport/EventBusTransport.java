package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;

/**
 * Sends Raft messages over the Vert.x event bus, one address per node: {@code raft.rpc.<nodeId>}.
 *
 * <p>Every send first asks the {@link NetworkConditioner}: that is where partitions, loss, delay and
 * duplication are injected. Messages are fire-and-forget (no reply, no ack): Raft's own responses and
 * retries are the acknowledgement. Within one JVM {@link RaftMessageCodec} hands the immutable record
 * over without serializing it; on a clustered event bus the same codec writes {@link RaftWireFormat}.
 */
public final class EventBusTransport implements Transport {

    /** Prefix of the per-node address; the node id follows. */
    public static final String ADDRESS_PREFIX = "raft.rpc.";

    /** Told about each message the network lost, so the event stream can draw it. */
    @FunctionalInterface
    public interface DropListener {
        /**
         * A message was lost.
         *
         * @param m      the message
         * @param reason {@code partition}, {@code paused} or {@code drop}
         */
        void dropped(Message m, String reason);
    }

    private final Vertx vertx;
    private final EventBus bus;
    private final NetworkConditioner conditioner;
    private final DropListener dropListener;
    private final DeliveryOptions options = new DeliveryOptions().setCodecName(RaftMessageCodec.NAME);

    /**
     * Creates the transport and registers the codec on this Vert.x instance's event bus (once).
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener) {
        this.vertx = vertx;
        this.bus = vertx.eventBus();
        this.conditioner = conditioner;
        this.dropListener = dropListener;
        RaftMessageCodec.registerOnce(bus);
    }

    /**
     * The address a node receives on.
     *
     * @param nodeId the node
     * @return {@code raft.rpc.<nodeId>}
     */
    public static String address(int nodeId) {
        return ADDRESS_PREFIX + nodeId;
    }

    @Override
    public void send(Message m) {
        NetworkConditioner.Verdict v = conditioner.decide(m.from(), m.to());
        if (v.dropped()) {
            dropListener.dropped(m, v.dropReason());
            return;
        }
        String address = address(m.to());
        for (long delay : v.delaysMs()) {
            if (delay <= 0) {
                bus.send(address, m, options);
            } else {
                vertx.setTimer(delay, t -> {
                    // The faults may have changed while the message was in flight (a partition appeared).
                    String blocked = conditioner.blocked(m.from(), m.to());
                    if (blocked != null) {
                        dropListener.dropped(m, blocked);
                    } else {
                        bus.send(address, m, options);
                    }
                });
            }
        }
    }

    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        MessageConsumer<Message> consumer = bus.consumer(address(nodeId), msg -> handler.handle(msg.body()));
        return consumer.completion().map(v -> consumer::unregister);
    }
}
