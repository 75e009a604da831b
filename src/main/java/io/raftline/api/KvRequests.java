package io.raftline.api;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.node.KvView;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The one place that decides how a node handles a key-value request, whatever protocol it came in on: serve
 * it here, or forward it to the leader through the {@link LeaderLink}. Writes and linearizable or lease reads
 * go to the leader this node knows of; stale reads are served by whichever node is asked; a node that turns
 * out not to lead (it learns so on its own event loop) forwards to the leader it names. A request that was
 * already forwarded is never forwarded again: two nodes that each believe the other leads would otherwise
 * bounce it for ever, so the node answers with what it knows instead.
 *
 * <p>Results are domain values ({@link KvResult}, {@link GetResult}, {@link RangeResult}) and failures are
 * {@link NodeRequestException}s whose {@link NodeRequestException.Reason} says what the client may conclude;
 * the HTTP and gRPC front ends only translate them.
 */
public final class KvRequests {

    private final RaftNode node;
    private final LeaderLink leader;

    /**
     * Creates the request layer of one node.
     *
     * @param node   the node
     * @param leader how to reach the leader
     */
    public KvRequests(RaftNode node, LeaderLink leader) {
        this.node = node;
        this.leader = leader;
    }

    /** This node's id. */
    public int nodeId() {
        return node.id();
    }

    /** The leader this node knows of, or 0. */
    public int knownLeader() {
        return node.knownLeader();
    }

    /**
     * Applies a write (put, compare-and-set, delete) through the leader.
     *
     * @param command   the write
     * @param forwarded whether another node already forwarded it here
     * @return the result and who served it
     */
    public Future<Served<KvResult>> write(KvCommand command, boolean forwarded) {
        return serveOrForward(true, forwarded, () -> node.propose(command), l -> leader.write(l, command));
    }

    /**
     * Reads one key.
     *
     * @param key         the key
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return the entry (or its absence) and who served it
     */
    public Future<Served<GetResult>> get(String key, ReadConsistency consistency, boolean forwarded) {
        return serveOrForward(consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> new GetResult(v.get(key), v.appliedIndex())),
                l -> leader.get(l, key, consistency));
    }

    /**
     * Lists the keys with a prefix.
     *
     * @param prefix      the prefix ("" for all)
     * @param startAfter  the last key of the previous page ("" for the first page)
     * @param limit       most entries
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return the entries and who served them
     */
    public Future<Served<RangeResult>> range(String prefix, String startAfter, int limit, ReadConsistency consistency,
            boolean forwarded) {
        return serveOrForward(consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> range(v, prefix, startAfter, limit)),
                l -> leader.range(l, prefix, startAfter, limit, consistency));
    }

    /**
     * Reads several keys, and counts every key, at one point of the log.
     *
     * @param keys        the keys (may be empty)
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return one entry (or absence) per key, the key count, and who served them
     */
    public Future<Served<LookupResult>> lookup(List<String> keys, ReadConsistency consistency, boolean forwarded) {
        return serveOrForward(consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> lookup(v, keys)), l -> leader.lookup(l, keys, consistency));
    }

    private static LookupResult lookup(KvView view, List<String> keys) {
        List<Optional<KvEntry>> entries = new ArrayList<>(keys.size());
        for (String key : keys) {
            entries.add(view.get(key));
        }
        return new LookupResult(entries, view.size(), view.appliedIndex());
    }

    /** Whether the failure proves the request was not carried out at all, so asking another node is safe. */
    private static boolean refusedUntouched(Throwable t) {
        return t instanceof NodeRequestException e && switch (e.reason()) {
            case NOT_LEADER, NO_LEADER, NODE_DOWN, NODE_PAUSED, STATE_LOST -> true;
            default -> false;
        };
    }

    private static RangeResult range(KvView view, String prefix, String startAfter, int limit) {
        List<KvEntry> entries = view.range(prefix, startAfter, limit + 1);
        boolean more = entries.size() > limit;
        return new RangeResult(more ? entries.subList(0, limit) : entries, more, view.appliedIndex());
    }

    private <T> Future<Served<T>> serveOrForward(boolean needsLeader, boolean forwarded,
            java.util.function.Supplier<Future<T>> here, IntFunction<Future<Served<T>>> there) {
        int known = node.knownLeader();
        if (needsLeader && !forwarded && known != 0 && known != node.id()) {
            return there.apply(known).recover(t -> {
                // The node we took for the leader refused before doing anything (it crashed, was paused, or lost
                // leadership); if this node has learned of another leader meanwhile, ask that one once.
                int now = node.knownLeader();
                if (!refusedUntouched(t) || now == 0 || now == known) {
                    return Future.failedFuture(t);
                }
                return now == node.id() ? here.get().map(v -> new Served<>(v, node.id())) : there.apply(now);
            });
        }
        Function<T, Served<T>> mine = v -> new Served<>(v, node.id());
        return here.get().map(mine).recover(t -> {
            // The node learned on its own loop that someone else leads: follow its hint once.
            if (needsLeader && !forwarded && t instanceof NodeRequestException e
                    && e.reason() == NodeRequestException.Reason.NOT_LEADER && e.leaderHint() > 0
                    && e.leaderHint() != node.id()) {
                return there.apply(e.leaderHint());
            }
            return Future.failedFuture(t);
        });
    }
}
