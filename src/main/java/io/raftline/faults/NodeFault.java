package io.raftline.faults;

import io.raftline.node.RaftNode;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The faults an operator, the live view or the nemesis can inflict on one node, and how each is carried out.
 * One closed set, so the admin API, the UI's control channel and the nemesis cannot disagree on what
 * "pause" means or which actions exist.
 */
public enum NodeFault {
    /** Stop at once, losing what was not persisted ({@link RaftNode#crash()}). */
    CRASH("crash"),
    /** Recover from the log store and run again ({@link RaftNode#restart()}). */
    RESTART("restart"),
    /** Cut the node off: no ticks, every message to or from it lost, clients refused ({@link RaftNode#pause()}). */
    PAUSE("pause"),
    /** Undo {@link #PAUSE}. */
    RESUME("resume"),
    /** Stop the node as SIGSTOP would, with wall time running on and inputs held ({@link RaftNode#freeze()}). */
    FREEZE("freeze"),
    /** Undo {@link #FREEZE}: the held inputs are handled in order. */
    THAW("thaw");

    private final String wireName;

    NodeFault(String wireName) {
        this.wireName = wireName;
    }

    /**
     * The name used in URLs and control messages.
     *
     * @return e.g. {@code crash}
     */
    public String wireName() {
        return wireName;
    }

    /**
     * Looks a fault up by its wire name.
     *
     * @param name e.g. {@code pause}
     * @return the fault, or empty if there is none of that name
     */
    public static Optional<NodeFault> parse(String name) {
        return Arrays.stream(values()).filter(f -> f.wireName.equals(name)).findFirst();
    }

    /**
     * Every wire name, for error messages.
     *
     * @return the names in declaration order
     */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(NodeFault::wireName).toList();
    }

    /**
     * Inflicts this fault on {@code node}. A paused node is also cut off in the network, so messages to it are
     * drawn as lost in the live view rather than delivered and ignored. That mark follows the node's own pause: a
     * crash ends a pause (the node restarts unpaused), and a node that is down does not pause, so in both cases the
     * mark is lifted, or the node would run again cut off from everyone by a pause it no longer has.
     *
     * <p>A crashed node is marked down in the network until it is restarted
     * ({@link NetworkConditioner#setDown}): the copies the network holds back (injected delay) to or from it
     * meanwhile are lost, so none of what was on its way to the crashed incarnation reaches the next one.
     *
     * @param node    the node
     * @param network the network conditioner of the node's transport
     * @return completes when the node is in the new state
     */
    public Future<Void> applyTo(RaftNode node, NetworkConditioner network) {
        return switch (this) {
            case CRASH -> node.crash().onComplete(ar -> {
                network.setPaused(node.id(), false);
                network.setDown(node.id(), true);
            });
            case RESTART -> {
                // Lifted first: what is sent to the node from now on is for the incarnation that starts.
                network.setDown(node.id(), false);
                yield node.restart();
            }
            case PAUSE -> {
                // Marked first: whatever the node still sends once paused (an fsync's late acknowledgements) is lost.
                network.setPaused(node.id(), true);
                yield node.pause().compose(v -> node.status()).map(s -> {
                    if (!s.paused()) {
                        network.setPaused(node.id(), false); // down: nothing was paused
                    }
                    return (Void) null;
                });
            }
            case RESUME -> {
                network.setPaused(node.id(), false);
                yield node.resume();
            }
            case FREEZE -> node.freeze();
            case THAW -> node.thaw();
        };
    }
}
