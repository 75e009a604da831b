package io.raftline.transport;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Decides the fate of every message a transport sends: delivered (after a delay, possibly twice) or lost.
 * It is how fault injection reaches Raft without any test hook in the node: partitions, random loss, delay,
 * duplication and paused nodes are all just things that happen to messages.
 *
 * <p>Thread-safe: several node event loops send concurrently. The fault settings live in one atomically
 * replaced value; the random draws come from this conditioner's own seeded generator (guarded by a lock),
 * so a run with a given seed and the same order of sends makes the same choices.
 */
public final class NetworkConditioner {

    /**
     * What happens to one message.
     *
     * @param dropReason why it is lost ({@code partition}, {@code paused}, {@code drop}), or null
     * @param delaysMs   one delay per copy to deliver (two copies when duplicated); empty when dropped
     */
    public record Verdict(String dropReason, long[] delaysMs) {

        /** Whether the message is lost. */
        public boolean dropped() {
            return dropReason != null;
        }
    }

    private static final long[] NOW = {0};

    private final AtomicReference<NetworkFaults> faults = new AtomicReference<>(NetworkFaults.NONE);
    private final AtomicReference<Set<Integer>> paused = new AtomicReference<>(Set.of());
    /**
     * Nodes of this process that crashed and have not restarted. Unlike a pause this cuts nothing a node sends now (a
     * message that reaches a down node is refused by it, {@code receiver down}); it only loses the copies held in the
     * network for such a node, so that nothing held across a crash reaches the node's next incarnation. What the node
     * sent before it crashed still lands, as packets a process wrote before it died still arrive.
     */
    private final AtomicReference<Set<Integer>> down = new AtomicReference<>(Set.of());
    private final SplittableRandom random;
    /** Copies delayed "in the network" (a timer holds them), by a unique id; read by the live view. */
    private final java.util.concurrent.ConcurrentHashMap<Long, InNetwork> inNetwork = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong inNetworkIds = new java.util.concurrent.atomic.AtomicLong();
    /**
     * Held copies whose link a partition, a pause or a crash cut while they were held, by id, with the reason: lost when
     * they land, even if the cut healed meanwhile (a message in flight when a link is cut does not wait for it to heal).
     */
    private final java.util.concurrent.ConcurrentHashMap<Long, String> cutWhileHeld =
            new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * A copy of a message the network holds back (injected delay) before delivering it.
     *
     * @param message     the message
     * @param dueAtMillis when it is delivered, epoch ms
     */
    public record InNetwork(io.raftline.raft.message.Message message, long dueAtMillis) {
    }

    /**
     * Creates a conditioner for a healthy network.
     *
     * @param seed seed of its random draws
     */
    public NetworkConditioner(long seed) {
        this.random = new SplittableRandom(seed);
    }

    /**
     * Notes that a copy is held back for {@code delayMs} (a transport calls this when it starts the copy's timer). A
     * copy whose link is cut already as it enters is marked lost at once: the change that cut it may have looked for
     * held copies just before this one was added.
     *
     * @param m       the message
     * @param delayMs its delay
     * @return the handle to give {@link #leftNetwork} when the copy lands or is lost
     */
    public long enteredNetwork(io.raftline.raft.message.Message m, long delayMs) {
        long id = inNetworkIds.incrementAndGet();
        inNetwork.put(id, new InNetwork(m, System.currentTimeMillis() + delayMs));
        // Looked at after the put: a cut set before this look is seen here, one set after it finds the copy held.
        String cut = heldCut(m.from(), m.to());
        if (cut != null) {
            cutWhileHeld.putIfAbsent(id, cut);
        }
        return id;
    }

    /**
     * Notes that a held copy left the network (delivered or lost), and says whether its link was cut while it was held.
     *
     * @param handle what {@link #enteredNetwork} returned
     * @return {@code partition} or {@code paused} if a cut of its link began while it was held, {@code receiver down}
     *         if its receiver crashed meanwhile (it is lost, whether or not the cut has healed or the node restarted
     *         since), otherwise null
     */
    public String leftNetwork(long handle) {
        inNetwork.remove(handle);
        return cutWhileHeld.remove(handle);
    }

    /**
     * Why a copy held on the link {@code from -> to} cannot land now: the link is cut ({@link #blocked}), or its
     * receiver is down ({@code receiver down}).
     */
    private String heldCut(int from, int to) {
        String blocked = blocked(from, to);
        if (blocked != null) {
            return blocked;
        }
        return down.get().contains(to) ? "receiver down" : null;
    }

    /**
     * After a change of faults, pauses or crashes: marks the held copies whose link is cut now (the first cut's
     * reason).
     */
    private void markCutCopies() {
        inNetwork.forEach((id, copy) -> {
            String cut = heldCut(copy.message().from(), copy.message().to());
            if (cut != null) {
                cutWhileHeld.putIfAbsent(id, cut);
            }
        });
        // A copy that landed while this ran may have been marked after its timer looked: forget it.
        cutWhileHeld.keySet().retainAll(inNetwork.keySet());
    }

    /**
     * The copies a node sent that the network still holds, soonest delivered first (the node's outbox as the live
     * view shows it). Callable from any thread.
     *
     * @param from the sender
     * @return the held copies
     */
    public java.util.List<InNetwork> inNetworkFrom(int from) {
        java.util.List<InNetwork> out = new java.util.ArrayList<>();
        for (InNetwork c : inNetwork.values()) {
            if (c.message().from() == from) {
                out.add(c);
            }
        }
        out.sort(java.util.Comparator.comparingLong(InNetwork::dueAtMillis));
        return out;
    }

    /**
     * Decides what happens to a message from {@code from} to {@code to}.
     *
     * @param from sender
     * @param to recipient
     * @return the verdict
     */
    public Verdict decide(int from, int to) {
        String blocked = blocked(from, to);
        if (blocked != null) {
            return new Verdict(blocked, new long[0]);
        }
        NetworkFaults f = faults.get();
        if (f.dropRate() == 0 && f.duplicateRate() == 0 && f.delayMaxMs() == 0) {
            return new Verdict(null, NOW);
        }
        synchronized (random) {
            if (f.dropRate() > 0 && random.nextDouble() < f.dropRate()) {
                return new Verdict("drop", new long[0]);
            }
            boolean dup = f.duplicateRate() > 0 && random.nextDouble() < f.duplicateRate();
            long[] delays = new long[dup ? 2 : 1];
            for (int i = 0; i < delays.length; i++) {
                delays[i] = f.delayMaxMs() == 0 ? 0 : random.nextInt(f.delayMinMs(), f.delayMaxMs() + 1);
            }
            return new Verdict(null, delays);
        }
    }

    /**
     * Whether the link is cut right now, without any random draw (used again when a delayed message lands).
     *
     * @param from sender
     * @param to recipient
     * @return {@code paused} or {@code partition}, or null if the link is up
     */
    public String blocked(int from, int to) {
        Set<Integer> p = paused.get();
        if (p.contains(from) || p.contains(to)) {
            return "paused";
        }
        return faults.get().connected(from, to) ? null : "partition";
    }

    /**
     * Replaces the network faults at once.
     *
     * @param next the new faults
     */
    public void setFaults(NetworkFaults next) {
        faults.set(next);
        markCutCopies();
    }

    /**
     * The current network faults.
     *
     * @return the faults
     */
    public NetworkFaults faults() {
        return faults.get();
    }

    /**
     * Heals the network (partitions, loss, delay, duplication). Paused nodes stay paused: pausing is a node
     * fault, undone by resuming the node.
     */
    public void heal() {
        faults.set(NetworkFaults.NONE);
    }

    /**
     * Marks a node paused (every message to or from it is lost) or running again.
     *
     * @param node the node
     * @param isPaused whether it is paused
     */
    public void setPaused(int node, boolean isPaused) {
        mark(paused, node, isPaused);
    }

    /** Puts {@code node} in or out of {@code set}, then marks the held copies that change cut. */
    private void mark(AtomicReference<Set<Integer>> set, int node, boolean in) {
        set.updateAndGet(old -> {
            Set<Integer> next = new TreeSet<>(old);
            if (in) {
                next.add(node);
            } else {
                next.remove(node);
            }
            return Set.copyOf(next);
        });
        markCutCopies();
    }

    /**
     * Marks a node down (crashed) or running again (restarted). A down node's links stay up for what is sent now (a
     * message reaching it is refused by the node, {@code receiver down}), but every copy the network holds for it
     * while it is down is lost when it lands ({@code receiver down}), even if the node has restarted by then: a crash
     * ends the node's connections, and nothing held across it reaches the node's next incarnation. Copies the node
     * sent before its crash still land (a message already sent is on the wire): Raft must cope with a dead node's old
     * messages arriving late, and the fault injection keeps that case.
     *
     * @param node   the node
     * @param isDown whether it is down
     */
    public void setDown(int node, boolean isDown) {
        mark(down, node, isDown);
    }

    /**
     * The paused nodes.
     *
     * @return their ids
     */
    public Set<Integer> pausedNodes() {
        return paused.get();
    }

    /**
     * The whole state as the admin API reports it.
     *
     * @return the faults plus {@code pausedNodes}
     */
    public JsonObject toJson() {
        return faults.get().toJson().put("pausedNodes", new JsonArray(new java.util.ArrayList<>(new TreeSet<>(paused.get()))));
    }
}
