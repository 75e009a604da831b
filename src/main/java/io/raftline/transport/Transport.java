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
 * Raft copes with all of that.
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
