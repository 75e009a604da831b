package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Future;
import io.vertx.core.Handler;

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
