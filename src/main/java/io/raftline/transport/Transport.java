package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import java.util.List;

/**
 * How Raft messages travel between nodes. The node verticle only sends and receives {@link Message} values;
 * whether they cross the local event bus, a clustered one or gRPC is the transport's business, so the
 * transports are interchangeable without touching the Ready loop.
 *
 * <p>Delivery is best effort, like a network: messages may be lost, delayed, duplicated or reordered, and
 * Raft copes with all of that. What a transport keeps is the order of one link: between two nodes, within one Raft
 * group, the messages that arrive without an injected delay arrive in the order they were sent, the two copies of a
 * duplicated message one after the other where the message was. Only a delay (the network's or a link's) reorders,
 * and, over gRPC, a snapshot, which travels on a call of its own beside the stream.
 */
public interface Transport {

    /**
     * Sends a message to {@code m.to()}. Never blocks and never fails the caller: an undeliverable message
     * is simply lost (and reported to the listener).
     *
     * @param m the message
     */
    void send(Message m);

    /**
     * Sends everything one Ready of one node has for the network, in order. A transport that can put the messages
     * for one peer into one frame (one event-bus message, one gRPC stream message) does so: fewer, larger
     * messages cost less per message than one send each. The default sends them one by one. Like {@link #send},
     * it never blocks and never fails the caller; each message is delivered or lost on its own.
     *
     * @param messages the messages, in the order the node produced them (any recipients)
     */
    default void sendAll(List<Message> messages) {
        for (Message m : messages) {
            send(m);
        }
    }

    /**
     * Starts delivering the messages addressed to {@code nodeId} to {@code handler}, on the context of the
     * caller (a node verticle registers from its own event loop).
     *
     * @param nodeId  the local node
     * @param handler receives its messages
     * @return a registration, completed once messages can arrive; close it to stop receiving
     */
    Future<Registration> register(int nodeId, Handler<Message> handler);

    /**
     * This transport as seen by one Raft group of a sharded cluster ({@code "groups": G}): messages sent through the
     * view reach only handlers registered through the same group's view on the recipient, and node ids keep meaning
     * nodes (processes), so network faults between two nodes hit all their groups alike. Group 0 is the transport
     * itself, unchanged on the wire: a cluster of one group speaks exactly as before groups existed. A transport that
     * multiplexes groups carries them over the same connection per peer.
     *
     * @param group the group, 0 to G-1
     * @return the view of that group
     * @throws UnsupportedOperationException if this transport carries one group only and {@code group} is not 0
     */
    default Transport group(int group) {
        if (group == 0) {
            return this;
        }
        throw new UnsupportedOperationException(getClass().getSimpleName() + " carries a single Raft group");
    }

    /**
     * What waits in this transport for or from a local node (see {@link TransportQueues}), read from any thread; a
     * transport that does not count answers {@link TransportQueues#EMPTY}.
     *
     * @param nodeId a node registered here (through this view, for one group's view)
     * @return the figures now
     */
    default TransportQueues queues(int nodeId) {
        return TransportQueues.EMPTY;
    }

    /** An active {@link #register} that can be undone. */
    interface Registration {
        /**
         * Stops the delivery.
         *
         * @return completes once no more messages arrive
         */
        Future<Void> close();
    }
}
