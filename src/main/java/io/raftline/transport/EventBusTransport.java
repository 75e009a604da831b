package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sends Raft messages over the Vert.x event bus, one address per node: {@code raft.rpc.<nodeId>}.
 *
 * <p>Every send first asks the {@link NetworkConditioner}: that is where partitions, loss, delay and
 * duplication are injected. Messages are fire-and-forget (no reply, no ack): Raft's own responses and
 * retries are the acknowledgement. Within one JVM {@link RaftMessageCodec} hands the immutable record
 * over without serializing it; on a clustered event bus the same codec writes {@link RaftWireFormat}.
 *
 * <p>{@link #sendAll} sends everything it has for one peer as one event-bus message, a {@link RaftBatch}
 * ({@link RaftBatchCodec}): one frame, one delivery, one handler call on the receiver, which hands the messages to
 * its node in order. Only the messages the conditioner lets through at once, exactly once, join the batch; a
 * message it drops, delays or duplicates takes the same per-message path as {@link #send}, so every fault
 * behaves as before. A peer with a single message gets that message alone, as {@link #send} would send it.
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
    private final DeliveryOptions batchOptions = new DeliveryOptions().setCodecName(RaftBatchCodec.NAME);

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
        RaftBatchCodec.registerOnce(bus);
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
        deliver(m, v);
    }

    @Override
    public void sendAll(List<Message> messages) {
        if (messages.size() == 1) {
            send(messages.get(0));
            return;
        }
        // One verdict per message, in order: the same random draws as sending them one by one.
        Map<Integer, List<Message>> batches = new LinkedHashMap<>();
        for (Message m : messages) {
            NetworkConditioner.Verdict v = conditioner.decide(m.from(), m.to());
            if (v.dropped()) {
                dropListener.dropped(m, v.dropReason());
            } else if (v.delaysMs().length == 1 && v.delaysMs()[0] <= 0) {
                batches.computeIfAbsent(m.to(), to -> new ArrayList<>()).add(m);
            } else {
                // A faulted message goes on its own; what is already batched for its peer goes first, so a copy
                // sent at once does not overtake the messages sent before it.
                List<Message> before = batches.remove(m.to());
                if (before != null) {
                    sendBatch(m.to(), before);
                }
                deliver(m, v);
            }
        }
        batches.forEach(this::sendBatch);
    }

    private void sendBatch(int to, List<Message> batch) {
        if (batch.size() == 1) {
            bus.send(address(to), batch.get(0), options);
        } else {
            bus.send(address(to), new RaftBatch(batch), batchOptions);
        }
    }

    /** Sends the copies of a message the conditioner let through, each after its delay. */
    private void deliver(Message m, NetworkConditioner.Verdict v) {
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
        // One address carries single messages and batches; a batch is handed over message by message, in order.
        MessageConsumer<Object> consumer = bus.consumer(address(nodeId), msg -> {
            Object body = msg.body();
            if (body instanceof RaftBatch batch) {
                for (Message m : batch.messages()) {
                    handler.handle(m);
                }
            } else {
                handler.handle((Message) body);
            }
        });
        return consumer.completion().map(v -> consumer::unregister);
    }
}
