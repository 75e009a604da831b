package io.raftline.transport;

import io.raftline.raft.message.Message;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * How every transport applies the {@link NetworkConditioner} to what a node sends, so the event bus and gRPC
 * inject partitions, loss, delay and duplication identically and differ only in how a message or a batch for one
 * peer leaves the process.
 */
public final class ConditionedSend {

    private final Vertx vertx;
    private final NetworkConditioner conditioner;
    private final EventBusTransport.DropListener drops;

    /**
     * @param vertx       for the timers of delayed copies
     * @param conditioner the faults to apply
     * @param drops       told about every message the network loses
     */
    public ConditionedSend(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops) {
        this.vertx = vertx;
        this.conditioner = conditioner;
        this.drops = drops;
    }

    /**
     * Routes the messages of one send. One verdict per message, in order: the same random draws as sending them
     * one by one. A message let through at once, exactly once, and {@code batchable}, joins its peer's batch,
     * handed to {@code sendBatch} at the end (peers in order of first appearance); a dropped one is reported; any
     * other goes alone through {@link #deliver}, after what was already gathered for its peer, so that a copy sent
     * at once does not overtake the messages sent before it.
     *
     * @param messages  the messages, in the order the node produced them
     * @param batchable which messages may share a frame
     * @param sendBatch sends one peer's batch now (a single message may arrive as a batch of one)
     * @param sendNow   sends one message now
     */
    public void route(List<Message> messages, Predicate<Message> batchable,
                      BiConsumer<Integer, List<Message>> sendBatch, Consumer<Message> sendNow) {
        Map<Integer, List<Message>> batches = new LinkedHashMap<>();
        for (Message m : messages) {
            NetworkConditioner.Verdict v = conditioner.decide(m.from(), m.to());
            if (v.dropped()) {
                drops.dropped(m, v.dropReason());
            } else if (v.delaysMs().length == 1 && v.delaysMs()[0] <= 0 && batchable.test(m)) {
                batches.computeIfAbsent(m.to(), to -> new ArrayList<>()).add(m);
            } else {
                List<Message> before = batches.remove(m.to());
                if (before != null) {
                    sendBatch.accept(m.to(), before);
                }
                deliver(m, v, sendNow);
            }
        }
        batches.forEach(sendBatch);
    }

    /**
     * Applies the partitions and paused nodes in force now to messages the conditioner let through earlier and that
     * leave the node only now: held in a sharded node's outbox, waiting for a stream to open, or hopping to the
     * context of the link they go on. A message whose link was cut meanwhile is lost, reported with the reason a send
     * into the cut gets ({@code partition} or {@code paused}), so that what crosses a cut is never what was queued
     * before it. No random draw: loss, delay and duplication were decided once, at the send.
     *
     * @param messages the messages about to leave
     * @return those that may go, in order: {@code messages} itself when none is cut
     */
    public List<Message> stillConnected(List<Message> messages) {
        List<Message> going = messages;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (!stillConnected(m)) {
                if (going == messages) {
                    going = new ArrayList<>(messages.subList(0, i));
                }
            } else if (going != messages) {
                going.add(m);
            }
        }
        return going;
    }

    /**
     * Why messages from {@code from} to {@code to} cannot leave now ({@code partition} or {@code paused}), or null if
     * they can: for what is already on its way in pieces, whose remaining pieces a cut keeps on this side.
     *
     * @param from the sending node
     * @param to   the receiving node
     * @return the reason, or null
     */
    public String blocked(int from, int to) {
        return conditioner.blocked(from, to);
    }

    /**
     * Whether one message may leave now (see {@link #stillConnected}); if not, it was reported lost.
     *
     * @param m the message about to leave
     * @return true if its link is up
     */
    public boolean stillConnected(Message m) {
        String blocked = conditioner.blocked(m.from(), m.to());
        if (blocked == null) {
            return true;
        }
        drops.dropped(m, blocked);
        return false;
    }

    /**
     * Sends the copies of a message the conditioner let through, each after its delay ({@link #hold}).
     *
     * @param m       the message
     * @param v       its verdict, not a drop
     * @param sendNow sends one copy now
     */
    public void deliver(Message m, NetworkConditioner.Verdict v, Consumer<Message> sendNow) {
        for (long delay : v.delaysMs()) {
            if (delay <= 0) {
                sendNow.accept(m);
            } else {
                hold(m, delay, sendNow);
            }
        }
    }

    /**
     * Holds one copy "in the network" for {@code delayMs}, then hands it to {@code land} on the caller's context. The
     * cluster-wide delay and a link's delay ({@link LinkFaultTransport}) both hold copies here, so a held copy meets
     * cuts the same way whichever delay holds it: one whose link was cut at any time while it was held (a partition
     * appeared, a node at either end was paused, the receiver crashed) is dropped instead, with the reason of that
     * cut ({@code partition}, {@code paused}, {@code receiver down}), even if the cut healed before
     * the copy landed: a message does not wait in a cut link for it to heal. The held copy shows in
     * {@link NetworkConditioner#inNetworkFrom} until it lands or is lost. No random draw.
     *
     * @param m       the message
     * @param delayMs how long it is held, above zero
     * @param land    what is done with it once held, if it was not lost
     */
    public void hold(Message m, long delayMs, Consumer<Message> land) {
        long held = conditioner.enteredNetwork(m, delayMs);
        vertx.setTimer(delayMs, t -> {
            String cut = conditioner.leftNetwork(held);
            if (cut != null) {
                drops.dropped(m, cut);
            } else if (stillConnected(m)) {
                land.accept(m);
            }
        });
    }
}
