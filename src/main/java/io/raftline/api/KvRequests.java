package io.raftline.api;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.node.KvView;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import io.raftline.shard.KeyGroups;
import io.raftline.shard.ReplicaSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *
 * <p>On a sharded cluster ({@code "groups": G}, the node a {@link ReplicaSet}) every request is served by the group
 * that owns its key ({@link KeyGroups}), through that group's replica here or that group's leader, wherever it is: the
 * leaders of different groups are usually different nodes. A listing and a multi-key lookup ask every group they
 * concern and merge the answers (each group's part is as fresh as asked; the parts are not one snapshot across
 * groups); a transaction whose keys span groups is refused ({@code cross_group}).
 */
public final class KvRequests {

    /** Entries a listing returns when the client names no {@code limit}, whichever API it came through. */
    public static final int DEFAULT_LIMIT = 100;
    /** The largest {@code limit} of a listing, whichever API it came through (forwarded ones too). */
    public static final int MAX_LIMIT = 10_000;
    /**
     * The most bytes of keys and values one listing page holds (it still holds its first entry, however large). A
     * page was bounded by its count only: 10,000 entries of values up to {@code max_body_bytes} each is an answer of
     * gigabytes, built whole in the node's heap, for one request. A page cut by this bound says {@code more}, with the
     * cursor of its last key, as one cut by {@code limit} does.
     */
    public static final long MAX_PAGE_BYTES = 4L * 1024 * 1024;
    /**
     * The most bytes of values the leader puts in its answer to one forwarded lookup (each key counted once), whatever
     * the forwarding node asked ({@link Fetch}): above it the answer holds the entries without their values, marked
     * {@link LookupResult#valuesWithheld()}, and no value is encoded. The answer was unbounded: built whole on the
     * leader's event loop in one buffer, read whole into the follower's heap, an EXISTS or MGET of 100 keys of 1 MiB
     * blocked the leader for 21 s and took nodes of 1 GiB of heap out of memory. The size of Redis's MGET reply limit.
     */
    public static final long MAX_LOOKUP_VALUE_BYTES = 64L * 1024 * 1024;
    /** What a listing page without values counts for each entry besides its key: the revisions and the length. */
    static final int ENTRY_METADATA_BYTES = 32;

    private final int self;
    private final List<? extends RaftNode> groups;
    private final KeyGroups keyGroups;
    private final LeaderLink leader;
    private final ReleaseGate gate;

    /**
     * Creates the request layer of one node whose cluster runs in this process ({@link ReleaseGate#NONE}).
     *
     * @param node   the node: one replica, or a {@link ReplicaSet} of a sharded cluster
     * @param leader how to reach the leader
     */
    public KvRequests(RaftNode node, LeaderLink leader) {
        this(node, leader, ReleaseGate.NONE);
    }

    /**
     * Creates the request layer of one node.
     *
     * @param node   the node: one replica, or a {@link ReplicaSet} of a sharded cluster
     * @param leader how to reach the leader
     * @param gate   what a write must pass before this node proposes it (the members' releases)
     */
    public KvRequests(RaftNode node, LeaderLink leader, ReleaseGate gate) {
        this.self = node.id();
        if (node instanceof ReplicaSet set) {
            this.groups = set.replicas();
            this.keyGroups = set.keyGroups();
        } else {
            this.groups = List.of(node);
            this.keyGroups = KeyGroups.ONE;
        }
        this.leader = leader;
        this.gate = gate;
    }

    /** This node's id. */
    public int nodeId() {
        return self;
    }

    /** The leader of group 0 this node knows of, or 0. */
    public int knownLeader() {
        return groups.get(0).knownLeader();
    }

    /**
     * The Raft group that owns a key: what a front end asks before it puts several writes of one client into one
     * command, since one command may only touch keys of one group.
     *
     * @param key the key
     * @return 0 to the number of groups - 1 (always 0 on a cluster of one group)
     */
    public int groupOf(String key) {
        return keyGroups.groupOf(key);
    }

    /**
     * Applies a write (put, compare-and-set, delete, transaction) through the leader of the group that owns its keys.
     *
     * @param command   the write
     * @param forwarded whether another node already forwarded it here
     * @return the result and who served it; fails with {@code cross_group} if its keys span groups
     */
    public Future<Served<KvResult>> write(KvCommand command, boolean forwarded) {
        int group = keyGroups.groupOf(command);
        if (group < 0) {
            return Future.failedFuture(ReplicaSet.crossGroup(self, keyGroups, command));
        }
        return propose(group, command, forwarded);
    }

    /**
     * Applies a write in a named group (what a forwarding node asked for).
     *
     * @param group     the group, which must own the write's keys
     * @param command   the write
     * @param forwarded whether another node already forwarded it here
     * @return the result and who served it
     * @throws IllegalArgumentException if the group does not exist or does not own the keys
     */
    public Future<Served<KvResult>> writeIn(int group, KvCommand command, boolean forwarded) {
        checkOwns(group, command.keys());
        return propose(group, command, forwarded);
    }

    /** A write in the group that owns its keys (already established: it is not hashed again). */
    private Future<Served<KvResult>> propose(int group, KvCommand command, boolean forwarded) {
        RaftNode node = groups.get(group);
        return serveOrForward(node, true, forwarded, () -> admitted(node, command),
                l -> leader.write(l, group, command));
    }

    /** Proposes once the gate lets the command through: at once for the kinds every member applies (most writes). */
    private Future<KvResult> admitted(RaftNode node, KvCommand command) {
        Future<Void> admitted = gate.admit(node, command);
        return admitted.succeeded() ? node.propose(command) : admitted.compose(v -> node.propose(command));
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
        int group = keyGroups.groupOf(key);
        RaftNode node = groups.get(group);
        return serveOrForward(node, consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> new GetResult(v.get(key), v.appliedIndex())),
                l -> leader.get(l, group, key, consistency));
    }

    /**
     * Reads one key in a named group (what a forwarding node asked for).
     *
     * @param group       the group, which must own the key
     * @param key         the key
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return the entry (or its absence) and who served it
     * @throws IllegalArgumentException if the group does not exist or does not own the key
     */
    public Future<Served<GetResult>> getIn(int group, String key, ReadConsistency consistency, boolean forwarded) {
        checkOwns(group, List.of(key));
        return get(key, consistency, forwarded);
    }

    /**
     * Lists the keys with a prefix, across every group: each group's first {@code limit} keys after the cursor (fewer
     * if they reach {@link #MAX_PAGE_BYTES}), merged in key order and cut where the first group that has more stopped,
     * then at {@code limit} and {@link #MAX_PAGE_BYTES} (so the page holds exactly the first keys of the whole key
     * space).
     *
     * @param prefix      the prefix ("" for all)
     * @param startAfter  the last key of the previous page ("" for the first page)
     * @param limit       most entries
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return the entries and who served them (this node when several groups answered)
     */
    public Future<Served<RangeResult>> range(String prefix, String startAfter, int limit, ReadConsistency consistency,
            boolean forwarded) {
        return range(prefix, startAfter, limit, consistency, forwarded, true);
    }

    /**
     * As {@link #range(String, String, int, ReadConsistency, boolean)}, with or without the values: a listing of keys
     * alone (Redis's KEYS and SCAN) gets entries that may hold no value ({@link KvEntry#withoutValue}, when the leader
     * served them), and its pages are bounded by {@link #MAX_PAGE_BYTES} of keys (and
     * {@value #ENTRY_METADATA_BYTES} bytes an entry), not of values, which it neither needs nor carries.
     *
     * @param prefix      the prefix ("" for all)
     * @param startAfter  the last key of the previous page ("" for the first page)
     * @param limit       most entries
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @param values      whether the entries must hold their values
     * @return the entries and who served them (this node when several groups answered)
     */
    public Future<Served<RangeResult>> range(String prefix, String startAfter, int limit, ReadConsistency consistency,
            boolean forwarded, boolean values) {
        if (groups.size() == 1) {
            return rangeIn(0, prefix, startAfter, limit, consistency, forwarded, values);
        }
        List<Future<Served<RangeResult>>> parts = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            parts.add(rangeIn(g, prefix, startAfter, limit, consistency, forwarded, values));
        }
        return Future.all(parts).map(done -> {
            List<KvEntry> merged = new ArrayList<>();
            boolean more = false;
            long applied = 0;
            // A group that has more keys than its part holds may have some below another group's last key: the page
            // ends at the smallest last key of such a part, or the next page (after the page's last key) skips them.
            KvEntry bound = null;
            for (Future<Served<RangeResult>> f : parts) {
                RangeResult r = f.result().value();
                merged.addAll(r.entries());
                applied = Math.max(applied, r.appliedIndex());
                if (r.more()) {
                    more = true;
                    KvEntry last = r.entries().get(r.entries().size() - 1);
                    bound = bound == null || KvEntry.KEY_ORDER.compare(last, bound) < 0 ? last : bound;
                }
            }
            merged.sort(KvEntry.KEY_ORDER);
            int n = pageLength(merged, limit, values);
            if (bound != null) {
                int at = 0;
                while (merged.get(at) != bound) {
                    at++;
                }
                n = Math.min(n, at + 1);
            }
            if (merged.size() > n) {
                more = true;
                merged = merged.subList(0, n);
            }
            return new Served<>(new RangeResult(merged, more, applied), servedBy(parts));
        });
    }

    /**
     * Lists the keys with a prefix that one group holds.
     *
     * @param group       the group
     * @param prefix      the prefix ("" for all)
     * @param startAfter  the last key of the previous page ("" for the first page)
     * @param limit       most entries
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @param values      whether the entries must hold their values (see
     *                    {@link #range(String, String, int, ReadConsistency, boolean, boolean)})
     * @return the entries and who served them
     */
    public Future<Served<RangeResult>> rangeIn(int group, String prefix, String startAfter, int limit,
            ReadConsistency consistency, boolean forwarded, boolean values) {
        checkOwns(group, List.of());
        RaftNode node = groups.get(group);
        return serveOrForward(node, consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> range(v, prefix, startAfter, limit, values)),
                l -> leader.range(l, group, prefix, startAfter, limit, consistency, values));
    }

    /**
     * As {@link #lookup(List, ReadConsistency, boolean, Fetch)}, with the values, up to
     * {@link #MAX_LOOKUP_VALUE_BYTES} of them in the leader's answer.
     *
     * @param keys        the keys (empty: count every key)
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @return the entries, the key count and who served them
     */
    public Future<Served<LookupResult>> lookup(List<String> keys, ReadConsistency consistency, boolean forwarded) {
        return lookup(keys, consistency, forwarded, Fetch.values(MAX_LOOKUP_VALUE_BYTES));
    }

    /**
     * Reads several keys, or counts every key. In a cluster of one group it is one read at one point of the log; on
     * a sharded cluster it is one read per group that owns one of the keys (the keys of a group are seen together),
     * and with no key one read of every group, whose counts are summed. Only the groups that own the keys are asked:
     * a group that has no leader at the moment (an election) must not hold up, or fail, reads of keys that all live
     * in other groups (regression: an MGET, or a pipeline of GETs, of keys of healthy groups waited for an unrelated
     * group's election and failed with it).
     *
     * @param keys        the keys (empty: count every key)
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @param fetch       whether the values are needed, and how many bytes of them an answer of the leader may carry
     *                    (on a sharded cluster, the answer of each group's leader)
     * @return one entry (or absence) per key, the key count (on a sharded cluster, of the groups asked: every key
     *         only when no key was named), and who served them
     */
    public Future<Served<LookupResult>> lookup(List<String> keys, ReadConsistency consistency, boolean forwarded,
            Fetch fetch) {
        if (groups.size() == 1) {
            return lookupIn(0, keys, consistency, forwarded, fetch);
        }
        List<List<String>> byGroup = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            byGroup.add(new ArrayList<>());
        }
        for (String key : keys) {
            byGroup.get(keyGroups.groupOf(key)).add(key);
        }
        // By group, null for a group that owns none of the keys (not asked, unless every group is: a count).
        List<Future<Served<LookupResult>>> byGroupParts = new ArrayList<>(groups.size());
        for (int g = 0; g < groups.size(); g++) {
            boolean asked = keys.isEmpty() || !byGroup.get(g).isEmpty();
            byGroupParts.add(asked ? lookupIn(g, byGroup.get(g), consistency, forwarded, fetch) : null);
        }
        List<Future<Served<LookupResult>>> parts = byGroupParts.stream().filter(java.util.Objects::nonNull).toList();
        return Future.all(parts).map(done -> {
            List<Optional<KvEntry>> entries = new ArrayList<>(keys.size());
            int[] next = new int[groups.size()];
            long total = 0;
            long applied = 0;
            boolean withheld = false;
            for (Future<Served<LookupResult>> f : parts) {
                total += f.result().value().totalKeys();
                applied = Math.max(applied, f.result().value().appliedIndex());
                withheld |= f.result().value().valuesWithheld();
            }
            for (String key : keys) {
                int g = keyGroups.groupOf(key);
                entries.add(byGroupParts.get(g).result().value().entries().get(next[g]++));
            }
            return new Served<>(new LookupResult(entries, total, applied, withheld), servedBy(parts));
        });
    }

    /**
     * Reads keys of one group, and counts that group's keys, at one point of its log.
     *
     * @param group       the group, which must own every key
     * @param keys        the keys (may be empty)
     * @param consistency how fresh the answer must be
     * @param forwarded   whether another node already forwarded it here
     * @param fetch       whether the values are needed, and how many bytes of them the leader's answer may carry
     *                    (served here, the entries hold their values, which cost nothing to hand over; the leader
     *                    that serves a forwarded lookup applies the bound as it encodes its answer, see
     *                    {@link ForwardCodec#lookup(Served, Fetch)})
     * @return one entry (or absence) per key, the group's key count, and who served them
     */
    public Future<Served<LookupResult>> lookupIn(int group, List<String> keys, ReadConsistency consistency,
            boolean forwarded, Fetch fetch) {
        checkOwns(group, keys);
        RaftNode node = groups.get(group);
        return serveOrForward(node, consistency != ReadConsistency.STALE, forwarded,
                () -> node.read(consistency).map(v -> lookup(v, keys)),
                l -> lookupThrough(l, group, keys, consistency, fetch));
    }

    /**
     * A lookup through the leader that asks it for each key once and puts each answer back in every place its key
     * holds: a client may name a key many times (a Redis MGET or EXISTS of 16,000 names of one 1 MiB value is a
     * request of 64 KB), and the leader encoded the value once per name, a 16 GiB answer.
     */
    private Future<Served<LookupResult>> lookupThrough(int leaderId, int group, List<String> keys,
            ReadConsistency consistency, Fetch fetch) {
        List<String> distinct = keys.stream().distinct().toList();
        if (distinct.size() == keys.size()) {
            return leader.lookup(leaderId, group, keys, consistency, fetch);
        }
        return leader.lookup(leaderId, group, distinct, consistency, fetch).map(s -> {
            Map<String, Optional<KvEntry>> byKey = new HashMap<>();
            for (int i = 0; i < distinct.size(); i++) {
                byKey.put(distinct.get(i), s.value().entries().get(i));
            }
            List<Optional<KvEntry>> entries = new ArrayList<>(keys.size());
            for (String key : keys) {
                entries.add(byKey.get(key));
            }
            return new Served<>(new LookupResult(entries, s.value().totalKeys(), s.value().appliedIndex(),
                    s.value().valuesWithheld()), s.servedBy());
        });
    }

    /** The node that served every part, or this node when they were several. */
    private <T> int servedBy(List<Future<Served<T>>> parts) {
        int by = parts.get(0).result().servedBy();
        for (Future<Served<T>> f : parts) {
            if (f.result().servedBy() != by) {
                return self;
            }
        }
        return by;
    }

    private void checkOwns(int group, List<String> keys) {
        if (group < 0 || group >= groups.size()) {
            throw new IllegalArgumentException("no Raft group " + group + " here (this cluster has " + groups.size()
                    + "; are the nodes configured with different \"groups\"?)");
        }
        for (String key : keys) {
            if (keyGroups.groupOf(key) != group) {
                throw new IllegalArgumentException("key \"" + key + "\" belongs to group " + keyGroups.groupOf(key)
                        + ", not " + group + " (are the nodes configured with different \"groups\"?)");
            }
        }
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

    private static RangeResult range(KvView view, String prefix, String startAfter, int limit, boolean values) {
        List<KvEntry> entries = view.range(prefix, startAfter, limit + 1);
        int n = pageLength(entries, limit, values);
        boolean more = entries.size() > n;
        return new RangeResult(more ? entries.subList(0, n) : entries, more, view.appliedIndex());
    }

    /**
     * How many of {@code entries} (in key order) one page takes: at most {@code limit}, and no more than
     * {@link #MAX_PAGE_BYTES} of keys and values (of keys and {@value #ENTRY_METADATA_BYTES} bytes an entry, for a page
     * without values), but always the first.
     */
    static int pageLength(List<KvEntry> entries, int limit, boolean values) {
        long bytes = 0;
        int n = 0;
        for (KvEntry e : entries) {
            // A key's UTF-8 bytes are at most three per char of the string: counted so, without encoding it.
            bytes += 3L * e.key().length() + (values ? e.valueLength() : ENTRY_METADATA_BYTES);
            if (n == limit || n > 0 && bytes > MAX_PAGE_BYTES) {
                break;
            }
            n++;
        }
        return n;
    }

    private <T> Future<Served<T>> serveOrForward(RaftNode node, boolean needsLeader, boolean forwarded,
            java.util.function.Supplier<Future<T>> here, IntFunction<Future<Served<T>>> there) {
        return serveOrForward(node, needsLeader, forwarded, here, there, LEADER_WAITS);
    }

    private <T> Future<Served<T>> serveOrForward(RaftNode node, boolean needsLeader, boolean forwarded,
            java.util.function.Supplier<Future<T>> here, IntFunction<Future<Served<T>>> there, int waitsLeft) {
        int known = node.knownLeader();
        boolean toLeader = needsLeader && !forwarded && known != 0 && known != self;
        Future<Served<T>> tried;
        if (toLeader) {
            tried = there.apply(known).recover(t -> {
                // The node we took for the leader refused before doing anything (it crashed, was paused, or lost
                // leadership); if this node has learned of another leader meanwhile, ask that one once.
                int now = node.knownLeader();
                if (refusedUntouched(t) && now != 0 && now != known) {
                    return now == self ? here.get().map(v -> new Served<>(v, self)) : there.apply(now);
                }
                // It names a leader this node never heard of: a replica removed from its group is not told of later
                // leaders (a leader sends to its members only), while the former leader it asks was. Ask that one.
                int named = leaderNamedBy(t);
                return named != 0 && named != known && named != self ? there.apply(named) : Future.failedFuture(t);
            });
        } else {
            tried = here.get().<Served<T>>map(v -> new Served<>(v, self)).recover(t -> {
                // The node learned on its own loop that someone else leads: follow its hint once.
                if (needsLeader && !forwarded && t instanceof NodeRequestException e
                        && e.reason() == NodeRequestException.Reason.NOT_LEADER && e.leaderHint() > 0
                        && e.leaderHint() != self) {
                    return there.apply(e.leaderHint());
                }
                return Future.failedFuture(t);
            });
        }
        if (!needsLeader || forwarded) {
            return tried;
        }
        return tried.recover(t -> {
            // Refused for want of a leader, before anything was done: the leader is changing (a leadership transfer,
            // an election). Wait, within an election's time, for this node to learn another leader than the one that
            // refused, and ask again: a planned transfer then costs its clients latency, not errors.
            if (waitsLeft == 0 || !(awaitingLeader(t) || toLeader && leaderStopped(t))) {
                return viaMembers(node, t, there);
            }
            // The leader to wait past: the one asked, or this node while it still takes itself for the leader.
            int refusedBy = known != 0 && known != self ? known : node.knownLeader() == self ? self : 0;
            return node.awaitLeader(refusedBy).otherwise(0).compose(l -> l == 0
                    ? viaMembers(node, t, there) : serveOrForward(node, true, false, here, there, waitsLeft - 1));
        });
    }

    /**
     * A sharded node whose replica of the key's group knows no leader, or is no member of that group any more (a
     * change made in some groups only, or one that stopped part way), still serves every key: it asks the group's
     * other members in turn, and the leader one of them names. Such a replica is never told of a later leader (a
     * leader sends to its members only), so it answered {@code no_leader} "retry shortly", or {@code not_member}, for
     * as long as the membership stayed so. The next member is asked only after a refusal that proves nothing was done;
     * any other failure (the answer lost after the request was sent) is the answer. Only a node that knows the leader
     * of another of its groups asks: one cut off from the cluster (a partitioned minority, whose groups all lost their
     * leaders) serves no write and no linearizable read, as the fault it shows means. A cluster of one group keeps its
     * documented answers: a node outside its only group serves nothing.
     */
    private <T> Future<Served<T>> viaMembers(RaftNode node, Throwable refused, IntFunction<Future<Served<T>>> there) {
        if (groups.size() == 1 || !(refused instanceof NodeRequestException e)
                || e.reason() != NodeRequestException.Reason.NO_LEADER
                && e.reason() != NodeRequestException.Reason.NOT_MEMBER
                || groups.stream().noneMatch(g -> g != node && g.knownLeader() != 0)) {
            return Future.failedFuture(refused);
        }
        return node.status().otherwise((NodeStatus) null).compose(s -> {
            if (s == null || s.membership() == null) {
                return Future.failedFuture(refused);
            }
            List<Integer> others = s.membership().all();
            others.remove(Integer.valueOf(self));
            return askInTurn(others, 0, refused, there);
        });
    }

    private <T> Future<Served<T>> askInTurn(List<Integer> others, int i, Throwable refused,
            IntFunction<Future<Served<T>>> there) {
        if (i == others.size()) {
            return Future.failedFuture(refused);
        }
        int member = others.get(i);
        return there.apply(member).recover(t -> {
            int named = leaderNamedBy(t);
            Future<Served<T>> next = named != 0 && named != self && named != member ? there.apply(named)
                    : Future.failedFuture(t);
            return next.recover(u -> refusedUntouched(u) ? askInTurn(others, i + 1, refused, there)
                    : Future.failedFuture(u));
        });
    }

    /** The leader a {@code not_leader} refusal names, or 0. */
    private static int leaderNamedBy(Throwable t) {
        return t instanceof NodeRequestException e && e.reason() == NodeRequestException.Reason.NOT_LEADER
                ? e.leaderHint() : 0;
    }

    /**
     * A refusal of the leader a request was forwarded to that says it stopped (crashed, or paused) before it did
     * anything: the other nodes will elect another leader, as after any election, so the request waits for it rather
     * than answering the client that a node other than the one it asked is down.
     */
    private static boolean leaderStopped(Throwable t) {
        return t instanceof NodeRequestException e && (e.reason() == NodeRequestException.Reason.NODE_DOWN
                || e.reason() == NodeRequestException.Reason.NODE_PAUSED);
    }

    /** How many times a request refused for want of a leader waits for one and is sent again. */
    private static final int LEADER_WAITS = 2;

    /**
     * A refusal that a new leader will undo, and that proves nothing was done: not the leader, none known, or (a read
     * only) leadership lost before the read was confirmed, which changes nothing either.
     */
    private static boolean awaitingLeader(Throwable t) {
        return t instanceof NodeRequestException e && (e.reason() == NodeRequestException.Reason.NOT_LEADER
                || e.reason() == NodeRequestException.Reason.NO_LEADER
                || e.reason() == NodeRequestException.Reason.LEADERSHIP_LOST);
    }
}
