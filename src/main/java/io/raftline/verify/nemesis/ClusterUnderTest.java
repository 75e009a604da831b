package io.raftline.verify.nemesis;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A running cluster the harness sends requests to and injects faults into. Every method answers a future that
 * completes within a bounded time (it fails rather than waits forever), except {@link #awaitLeader} and
 * {@link #compareReplicas}, which block their caller for at most the time they are given.
 */
public interface ClusterUnderTest extends AutoCloseable {

    /**
     * The node ids.
     *
     * @return the ids, ascending
     */
    default List<Integer> nodeIds() {
        return List.copyOf(new TreeSet<>(nodeUrls().keySet()));
    }

    /**
     * Where each node's HTTP API listens.
     *
     * @return node id → {@code http://127.0.0.1:port}
     */
    Map<Integer, URI> nodeUrls();

    /**
     * Where each node's Redis-protocol listener is.
     *
     * @return node id → {@code host:port}, for the nodes that run one
     */
    Map<Integer, String> respAddresses();

    /**
     * The current leader, as the cluster reports it: the leader of the highest term among the nodes that can
     * answer. A stalled former leader may still believe it leads; once another node was elected, this is the
     * other one.
     *
     * @return its id, or 0 if none is known
     */
    Future<Integer> leader();

    /**
     * Waits until a leader is known ({@link #leader()}), parking the calling thread: the one way a cluster's
     * starter, the nemesis's thread or a test waits for a leader. Never call it on an event loop.
     *
     * @param timeout how long at most
     * @return the leader's id
     * @throws Waits.TimedOutException if none was known in time
     * @throws InterruptedException    if the thread is interrupted meanwhile
     */
    default int awaitLeader(Duration timeout) throws InterruptedException {
        int[] leader = {0};
        Waits.eventually("a leader", timeout, () -> leader().map(id -> (leader[0] = id) != 0));
        return leader[0];
    }

    /**
     * Membership changes through the nodes' HTTP API ({@code /v1/members}), each driven until the leader's view
     * shows it.
     *
     * @return the cluster's membership client
     */
    MembershipClient membership();

    /**
     * Crashes a node: it stops at once, losing whatever it had not persisted.
     *
     * @param node the node
     * @return completes once it is down
     */
    Future<Void> crash(int node);

    /**
     * Restarts a crashed node from its log store.
     *
     * @param node the node
     * @return completes once it serves again
     */
    Future<Void> restart(int node);

    /**
     * Freezes a node (no ticks, its messages lost, clients refused).
     *
     * @param node the node
     * @return completes once paused
     */
    Future<Void> pause(int node);

    /**
     * Unfreezes a paused node.
     *
     * @param node the node
     * @return completes once resumed
     */
    Future<Void> resume(int node);

    /**
     * Stalls a node as {@code SIGSTOP} (or a long GC pause) would: it does nothing at all while wall time runs on,
     * and what reaches it meanwhile (messages, client requests) waits instead of being refused or lost.
     *
     * @param node the node
     * @return completes once it is stopped
     */
    Future<Void> stall(int node);

    /**
     * Lets a stalled node continue ({@code SIGCONT}): it handles what waited for it.
     *
     * @param node the node
     * @return completes once it runs again
     */
    Future<Void> unstall(int node);

    /**
     * Replaces the network faults ({@code PUT /v1/admin/network}: {@code partitions}, {@code dropRate},
     * {@code delayMs}, {@code duplicateRate}).
     *
     * @param faults the new faults
     * @return completes once in force
     */
    Future<Void> network(JsonObject faults);

    /**
     * Heals everything: stalled nodes continued (first: a stopped node answers nothing), no network faults,
     * paused nodes resumed, crashed nodes restarted.
     *
     * @return completes once done
     */
    Future<Void> healAll();

    /**
     * Waits until every node is up and not paused and a leader is known.
     *
     * @param timeout how long at most
     * @return completes when healthy, fails after the timeout
     */
    Future<Void> awaitHealthy(Duration timeout);

    /**
     * Every node's {@code /v1/state-hash} ({@code node}, {@code appliedIndex}, {@code stateHash}).
     *
     * @return node id → its answer (nodes that did not answer are missing)
     */
    Future<Map<Integer, JsonObject>> stateHashes();

    /**
     * Whether the replicas ended in the same state: waits until every node answers its state hash at one applied
     * index, then compares the hashes. Blocks the calling thread (never an event loop).
     *
     * @param timeout how long to wait for one applied index at most
     * @return the comparison, or why there was none
     * @throws InterruptedException if the thread is interrupted meanwhile
     */
    default RunRecord.Convergence compareReplicas(Duration timeout) throws InterruptedException {
        AtomicReference<Map<Integer, JsonObject>> last = new AtomicReference<>(Map.of());
        try {
            Waits.eventually("every node at one applied index", timeout, () -> stateHashes().map(hashes -> {
                last.set(hashes);
                return hashes.size() == nodeIds().size() && appliedIndexes(hashes).values().stream()
                        .distinct().count() == 1;
            }));
        } catch (Waits.TimedOutException e) {
            return new RunRecord.Convergence(false, false, 0, Map.of(), "not compared: the nodes did not reach one"
                    + " applied index within " + timeout.toSeconds() + " s (last seen " + appliedIndexes(last.get())
                    + ")");
        }
        long index = appliedIndexes(last.get()).values().iterator().next();
        Map<Integer, String> hashes = new TreeMap<>();
        last.get().forEach((id, h) -> hashes.put(id, h.getString("stateHash", "")));
        boolean agreed = hashes.values().stream().distinct().count() == 1;
        return new RunRecord.Convergence(true, agreed, index, hashes, agreed
                ? "all " + hashes.size() + " nodes have the same state hash at applied index " + index
                : "DIFFERENT state hashes at applied index " + index + ": " + hashes);
    }

    private static Map<Integer, Long> appliedIndexes(Map<Integer, JsonObject> stateHashes) {
        Map<Integer, Long> indexes = new TreeMap<>();
        stateHashes.forEach((id, h) -> indexes.put(id, h.getLong("appliedIndex", -1L)));
        return indexes;
    }

    /**
     * Where a browser can watch the run live (the admin port's live view).
     *
     * @return a URL
     */
    String liveViewUrl();

    /**
     * What a crash is in this cluster, for the report.
     *
     * @return e.g. {@code "SIGKILL of the node's process, then a new process on the same data"}
     */
    String crashMethod();

    /**
     * Ends the event recording with the checker's verdict (a {@code CheckVerdict} event) and closes it.
     *
     * @param verdict the verdict's fields (see {@code RaftEvent.CheckVerdict})
     * @return the recording's file
     */
    Future<Path> finishRecording(JsonObject verdict);

    /**
     * What the recording holds and misses, for the report.
     *
     * @return one sentence
     */
    String recordingNote();

    /** Stops every node and releases everything (bounded); a stalled node is continued or killed, never left stopped. */
    @Override
    void close();
}
