package io.raftline.server;

import io.raftline.api.http.PeerDirectory.Address;
import io.raftline.raft.Membership;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * Where this process reaches each node's client port (forwarding to a leader, the gRPC transport, status): a local
 * node where it listens, any other where the groups' current memberships record it, or where the configuration puts
 * it. It exists because the memberships of a sharded cluster's groups change independently of each other, and the
 * address of a node must follow them all: a member of some group only must be reached by that group's leader, a node
 * removed from every group must not be reached at an address another process may have taken since, and a node
 * removed and added again at another URL must be reached at the new one, even if only a group other than 0 has it.
 * Before, a map that memberships only ever filled kept the first address it learnt, and group 0's replaced any other:
 * a node re-added at a new URL in group 1 alone was sent group 1's messages at its old address for as long as group 0
 * did not record the new one, so it never caught up.
 *
 * <p><b>Which group wins.</b> Each group's view is the newest membership a local replica of it reported (the highest
 * configuration index; several local nodes may report the same group). When the groups that list a node record two
 * addresses, one of them is out of date: a replica behind the others still lists the node as it was before it was
 * removed and added again, and nothing orders the changes of two groups. What does order them is a group's own
 * history: a group that listed the node at {@code X}, then dropped {@code X} and now lists {@code Y}, has seen the
 * node move, so {@code X} is the address of a removed incarnation, unless a group that lists {@code X} saw {@code Y}
 * dropped before it (the node moved back; both groups then disagree and the rule below decides). Among the addresses
 * no group has seen superseded, group 0's wins, as before (a sharded change makes group 0's membership last, so it is
 * the one that is complete once a change finished), then the lowest group's. The history is what this process saw
 * since it started: after a restart every group reports its recovered membership only, and two that differ are
 * decided by group 0 until the lagging replica catches up and reports its changes.
 *
 * <p>A node no group lists is reached where the configuration puts it (a configured node is reached there before
 * any membership is read, as the rejoin check needs at start), or not at all: an address learnt from a membership
 * leaves when no group lists the node any more. A report or a stop that leaves a node neither listed by any group nor
 * local (it was removed from every group) says so, so that the links to it can be let go ({@link #reported},
 * {@link #stopped}).
 *
 * <p>Thread-safe: replicas report from their own event loops; the lookup reads an immutable map.
 */
final class AddressDirectory {

    /** What one local replica of a group last reported. */
    private record Report(long index, Membership membership) {
    }

    private final Map<Integer, Address> configured;
    private final Function<String, Address> parse;
    /** Local nodes, where their client port listens. */
    private final Map<Integer, Address> local = new HashMap<>();
    /** Group to reporting local node to its last report. */
    private final Map<Integer, Map<Integer, Report>> reports = new HashMap<>();
    /** Group to its view: the newest of its reports. */
    private final Map<Integer, Membership> views = new TreeMap<>();
    /**
     * Group to node id to the addresses the group listed the node at and dropped since (never the one it lists now):
     * the group's evidence that the node moved.
     */
    private final Map<Integer, Map<Integer, Set<Address>>> dropped = new HashMap<>();
    private volatile Map<Integer, Address> resolved;

    /**
     * Creates the directory of a configuration's nodes.
     *
     * @param configured each configured node's address
     * @param parse      reads a URL recorded in a membership
     */
    AddressDirectory(Map<Integer, Address> configured, Function<String, Address> parse) {
        this.configured = Map.copyOf(configured);
        this.parse = parse;
        this.resolved = this.configured;
    }

    /**
     * Where a node's client port is.
     *
     * @param id the node
     * @return its address, or empty if no group lists it and the configuration does not name it
     */
    Optional<Address> address(int id) {
        return Optional.ofNullable(resolved.get(id));
    }

    /**
     * A local node listens here: it is reached here whatever a membership recorded.
     *
     * @param id      the node
     * @param address its client port
     */
    synchronized void local(int id, Address address) {
        local.put(id, address);
        resolve();
    }

    /**
     * A local node stopped: its address and its replicas' reports go (the memberships of the other replicas decide).
     *
     * @param id the node
     * @return the nodes that were a member of some group or local before and are neither now (the stopped node
     *         itself when no group lists it any more: it was removed)
     */
    synchronized Set<Integer> stopped(int id) {
        Set<Integer> before = present();
        local.remove(id);
        for (Map.Entry<Integer, Map<Integer, Report>> e : reports.entrySet()) {
            if (e.getValue().remove(id) != null) {
                view(e.getKey());
            }
        }
        resolve();
        return gone(before);
    }

    /**
     * A local replica reported the membership in effect (at start, and whenever it changes, committed or not).
     *
     * @param node       the local node
     * @param group      its group
     * @param index      the configuration index of the membership
     * @param membership the membership
     * @return the nodes that were a member of some group or local before this report and are neither now: removed
     *         from the last group that listed them
     */
    synchronized Set<Integer> reported(int node, int group, long index, Membership membership) {
        Set<Integer> before = present();
        reports.computeIfAbsent(group, g -> new HashMap<>()).put(node, new Report(index, membership));
        view(group);
        resolve();
        return gone(before);
    }

    /** The nodes some group's view lists, and the local nodes. */
    private Set<Integer> present() {
        Set<Integer> ids = new HashSet<>(local.keySet());
        views.values().forEach(m -> ids.addAll(m.all()));
        return ids;
    }

    /** Those of {@code before} that are not {@link #present} any more. */
    private Set<Integer> gone(Set<Integer> before) {
        before.removeAll(present());
        return before.isEmpty() ? Set.of() : Set.copyOf(before);
    }

    /** Moves a group's view to its newest report, and records the addresses the move dropped. */
    private void view(int group) {
        Report newest = null;
        for (Report r : reports.getOrDefault(group, Map.of()).values()) {
            if (newest == null || r.index() > newest.index()) {
                newest = r;
            }
        }
        Membership before = views.getOrDefault(group, Membership.EMPTY);
        Membership after = newest == null ? Membership.EMPTY : newest.membership();
        if (after.equals(before)) {
            return;
        }
        Set<Integer> ids = new TreeSet<>(before.all());
        ids.addAll(after.all());
        Map<Integer, Set<Address>> groupDropped = dropped.computeIfAbsent(group, g -> new HashMap<>());
        for (int id : ids) {
            Address was = listed(before, id);
            Address is = listed(after, id);
            if (was != null && !was.equals(is)) {
                groupDropped.computeIfAbsent(id, k -> new HashSet<>()).add(was);
            }
            if (is != null && groupDropped.containsKey(id)) {
                groupDropped.get(id).remove(is);
            }
        }
        if (newest == null) {
            views.remove(group);
        } else {
            views.put(group, after);
        }
    }

    /** Where a membership says a node is: the URL it recorded, else the configured address; null if not a member. */
    private Address listed(Membership m, int id) {
        if (!m.contains(id)) {
            return null;
        }
        String url = m.address(id);
        return url == null ? configured.get(id) : parse.apply(url);
    }

    private void resolve() {
        Set<Integer> ids = new TreeSet<>(configured.keySet());
        ids.addAll(local.keySet());
        views.values().forEach(m -> ids.addAll(m.all()));
        Map<Integer, Address> out = new HashMap<>();
        for (int id : ids) {
            Address a = local.containsKey(id) ? local.get(id) : fromGroups(id);
            if (a != null) {
                out.put(id, a);
            }
        }
        resolved = Map.copyOf(out);
    }

    /** The address the groups' views give a node (see the class comment), or the configured one if none lists it. */
    private Address fromGroups(int id) {
        Map<Integer, Address> byGroup = new TreeMap<>();
        views.forEach((group, m) -> {
            Address a = listed(m, id);
            if (a != null) {
                byGroup.put(group, a);
            }
        });
        if (byGroup.isEmpty()) {
            return configured.get(id);
        }
        Set<Address> distinct = new HashSet<>(byGroup.values());
        if (distinct.size() == 1) {
            return distinct.iterator().next();
        }
        Address fallback = byGroup.values().iterator().next(); // group 0's if it lists the node: the lowest group
        for (Address a : byGroup.values()) {
            if (!superseded(id, a, byGroup)) {
                return a; // in group order: group 0's first
            }
        }
        return fallback;
    }

    /**
     * Whether a group that lists the node elsewhere dropped {@code x} before, and no group that lists it at {@code x}
     * dropped that other address before.
     */
    private boolean superseded(int id, Address x, Map<Integer, Address> byGroup) {
        for (Map.Entry<Integer, Address> g : byGroup.entrySet()) {
            Address y = g.getValue();
            if (!y.equals(x) && droppedBy(g.getKey(), id).contains(x)) {
                boolean movedBack = false;
                for (Map.Entry<Integer, Address> h : byGroup.entrySet()) {
                    movedBack |= h.getValue().equals(x) && droppedBy(h.getKey(), id).contains(y);
                }
                if (!movedBack) {
                    return true;
                }
            }
        }
        return false;
    }

    private Set<Address> droppedBy(int group, int id) {
        return dropped.getOrDefault(group, Map.of()).getOrDefault(id, Set.of());
    }
}
