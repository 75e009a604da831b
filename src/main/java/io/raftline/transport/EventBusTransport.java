package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Message;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerGuard;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.List;

/**
 * Sends Raft messages over the Vert.x event bus, one address per node: {@code raft.rpc.<nodeId>}.
 *
 * <p>Every send first asks the {@link NetworkConditioner} (through {@link ConditionedSend}, as gRPC does): that is
 * where partitions, loss, delay and duplication are injected. Messages are fire-and-forget (no reply, no ack): Raft's own responses and
 * retries are the acknowledgement. Within one JVM {@link RaftMessageCodec} hands the immutable record
 * over without serializing it; on a clustered event bus the same codec writes {@link RaftWireFormat}.
 *
 * <p>{@link #sendAll} sends everything it has for one peer as one event-bus message, a {@link RaftBatch}
 * ({@link RaftBatchCodec}): one frame, one delivery, one handler call on the receiver, which hands the messages to
 * its node in order. Only the messages the conditioner lets through at once, exactly once, join the batch; a
 * message it drops, delays or duplicates travels on its own, so every fault behaves as before. A peer with a
 * single message gets that message alone, not a batch of one.
 *
 * <p>On a clustered bus with {@code security.cluster_secret}, the codecs tag every frame ({@link FrameAuthenticator})
 * and the consumer refuses a frame whose tag does not verify before any of it reaches the node, counting it in the
 * {@link PeerGuard}. Which member sent a frame is not authenticated: every member holds the secret, and Vert.x does not
 * expose the TLS peer of a delivered message (docs/security.md).
 */
public final class EventBusTransport implements Transport {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventBusTransport.class);

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

    private final EventBus bus;
    private final DeliveryOptions options = new DeliveryOptions().setCodecName(RaftMessageCodec.NAME);
    private final DeliveryOptions batchOptions = new DeliveryOptions().setCodecName(RaftBatchCodec.NAME);
    private final ConditionedSend sending;
    private final PeerGuard guard;
    /** The Raft group this view carries (0: the transport itself). */
    private final int group;
    /** The transport of group 0, which makes the other groups' views once each and keeps them. */
    private final EventBusTransport base;
    private final java.util.Map<Integer, EventBusTransport> groups;

    /**
     * Creates the transport and registers the codec on this Vert.x instance's event bus (once).
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener) {
        this(vertx, conditioner, dropListener, null, null);
    }

    /**
     * Creates the transport, authenticating the frames of a clustered bus when {@code auth} is given.
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages
     * @param auth         tags and verifies frames on the wire, or null for none
     * @param guard        counts and logs refused frames (required with {@code auth})
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener,
            FrameAuthenticator auth, PeerGuard guard) {
        if (auth != null && guard == null) {
            throw new IllegalArgumentException("frame authentication needs a guard to report refusals to");
        }
        this.bus = vertx.eventBus();
        this.sending = new ConditionedSend(vertx, conditioner, dropListener);
        this.guard = guard;
        this.group = 0;
        this.base = this;
        this.groups = new java.util.concurrent.ConcurrentHashMap<>();
        RaftMessageCodec.registerOnce(bus, auth);
        RaftBatchCodec.registerOnce(bus, auth);
    }

    private EventBusTransport(EventBusTransport base, int group) {
        this.bus = base.bus;
        this.sending = base.sending;
        this.guard = base.guard;
        this.group = group;
        this.base = base;
        this.groups = base.groups;
    }

    /**
     * Group {@code g}'s view: the same bus (one connection per pair of processes on a clustered bus) and the same
     * network faults, on addresses of its own ({@link #address(int, int)}).
     */
    @Override
    public Transport group(int g) {
        if (g < 0) {
            throw new IllegalArgumentException("group must be >= 0, got " + g);
        }
        return g == 0 ? base : groups.computeIfAbsent(g, k -> new EventBusTransport(base, k));
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

    /**
     * The address a node's replica of a Raft group receives on.
     *
     * @param nodeId the node
     * @param group  the group
     * @return {@code raft.rpc.<nodeId>} for group 0, {@code raft.rpc.<nodeId>.<group>} for the others
     */
    public static String address(int nodeId, int group) {
        return group == 0 ? address(nodeId) : ADDRESS_PREFIX + nodeId + "." + group;
    }

    @Override
    public void send(Message m) {
        sendAll(List.of(m));
    }

    @Override
    public void sendAll(List<Message> messages) {
        sending.route(messages, m -> true, this::sendBatch, this::sendNow);
    }

    private void sendBatch(int to, List<Message> batch) {
        if (batch.size() == 1) {
            sendNow(batch.get(0));
        } else {
            bus.send(address(to, group), new RaftBatch(batch), batchOptions);
        }
    }

    private void sendNow(Message m) {
        bus.send(address(m.to(), group), m, options);
    }

    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        // One address carries single messages and batches; a batch is handed over message by message, in order.
        String address = address(nodeId, group);
        MessageConsumer<Object> consumer = bus.consumer(address, msg -> {
            Object body;
            try {
                // Decoded (and its tag verified) here, on first access: a refused frame reaches nothing.
                body = msg.body();
            } catch (FrameAuthenticationException e) {
                if (guard != null) {
                    guard.refused("the clustered event bus (" + address + ")",
                            new PeerGuard.Refusal(PeerGuard.Reason.BAD_MAC, e.getMessage()));
                }
                return;
            } catch (SerializationException e) {
                LOG.warn("node {}: an undecodable Raft frame from the event bus was dropped: {}", nodeId,
                        e.getMessage());
                return;
            }
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
