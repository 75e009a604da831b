package io.raftline.server;

import io.raftline.raft.Membership;
import io.raftline.storage.NioDisk;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a node's process finds the other members on the clustered event bus after a restart, and the error it logs
 * when it finds none of them.
 *
 * <p>Hazelcast joins through a list of addresses fixed at start. The configuration's {@code nodes} are the members
 * the node was configured with: after every one of them was replaced (docs/membership.md, "Replacing a node"), none
 * of those addresses answers, and the members that replaced them are in no node's file, so a full restart left every
 * process in a Hazelcast cluster of its own, campaigning in vain for ever (measured: 254 pre-vote rounds in two
 * minutes, every {@code /readyz} 503 {@code no_leader}, and no line saying why). So while it runs, the process records
 * in its data directory ({@value #FILE}) the event-bus address ({@code host:bus_port}, as Hazelcast sees it) of every
 * current member of its groups' memberships that it saw on the bus, and at start it joins through the configured
 * addresses and these ({@link Clustering#hazelcastConfig}). A member that leaves every group's membership leaves the
 * file at the next check. Membership entries carry client URLs only, not bus ports: that is why the addresses come
 * from the bus itself.
 *
 * <p>When none of the other voters of one of the node's groups has been on the bus for {@link #SILENT_ERROR_MS}, the
 * group cannot elect a leader: it logs an ERROR naming those voters and the addresses it joined through, at most
 * every {@link #ERROR_EVERY_MS}.
 */
public final class BusPeers {

    private static final Logger LOG = LoggerFactory.getLogger(BusPeers.class);

    /** The record's name inside a node's data directory: one line per member, {@code <id> <host>:<bus_port>}. */
    public static final String FILE = "BUS_PEERS";

    /** How often the process looks at the bus's members and the memberships. */
    static final long CHECK_MS = 1000;

    /** How long no other voter of a group may be on the bus before the ERROR. */
    static final long SILENT_ERROR_MS = 15_000;

    /** At most one such ERROR per this many milliseconds. */
    static final long ERROR_EVERY_MS = 60_000;

    private final int self;
    private final Path dataDir;
    private final Supplier<Map<Integer, String>> onBus;
    private final List<String> joinedThrough;
    private final Supplier<Map<Integer, Membership>> memberships;
    /** Every address seen for a node, recorded ones first: the newest wins. */
    private final Map<Integer, String> addresses = new ConcurrentHashMap<>();
    private Map<Integer, String> written = Map.of();
    /** Per group, since when (ms) none of its other voters has been on the bus; absent while one is. */
    private final Map<Integer, Long> silentSince = new TreeMap<>();
    private long lastError = Long.MIN_VALUE;
    private boolean writing;

    /**
     * @param self          this process's node
     * @param dataDir       its data directory, or null if it keeps nothing on disk (then nothing is recorded)
     * @param onBus         the nodes whose processes are on the bus now, with their addresses
     * @param joinedThrough the addresses Hazelcast joined through at start
     * @param memberships   the membership in effect of each of the node's groups
     */
    BusPeers(int self, Path dataDir, Supplier<Map<Integer, String>> onBus, List<String> joinedThrough,
            Supplier<Map<Integer, Membership>> memberships) {
        this.self = self;
        this.dataDir = dataDir;
        this.onBus = onBus;
        this.joinedThrough = List.copyOf(joinedThrough);
        this.memberships = memberships;
        if (dataDir != null) {
            Map<Integer, String> recorded = read(dataDir);
            addresses.putAll(recorded);
            written = recorded;
        }
    }

    /** Checks now and every {@link #CHECK_MS}; returns the timer's id. */
    long start(Vertx vertx) {
        check(vertx, System.currentTimeMillis());
        return vertx.setPeriodic(CHECK_MS, t -> check(vertx, System.currentTimeMillis()));
    }

    private void check(Vertx vertx, long now) {
        Map<Integer, String> present = onBus.get();
        Map<Integer, Membership> groups = memberships.get();
        String error = observe(present, groups, now);
        if (error != null) {
            LOG.error("{}", error);
        }
        Map<Integer, String> record = toRecord(groups);
        if (dataDir != null && !writing && !record.equals(written)) {
            writing = true;
            vertx.executeBlocking(() -> {
                write(dataDir, record);
                return null;
            }).onComplete(ar -> {
                writing = false;
                if (ar.succeeded()) {
                    written = record;
                } else {
                    LOG.warn("node {}: cannot record the members' event-bus addresses in {}: {}", self,
                            dataDir.resolve(FILE), ar.cause().toString());
                }
            });
        }
    }

    /**
     * Takes in who is on the bus now, and says what the ERROR would say now, if anything.
     *
     * @param present the nodes on the bus, with their addresses
     * @param groups  the membership in effect of each group
     * @param now     the time, in milliseconds
     * @return the ERROR to log now, or null
     */
    String observe(Map<Integer, String> present, Map<Integer, Membership> groups, long now) {
        present.forEach((id, address) -> {
            if (id != self) {
                addresses.put(id, address);
            }
        });
        Map<List<Integer>, List<Integer>> silentVoters = new LinkedHashMap<>();
        long longest = 0;
        for (Map.Entry<Integer, Membership> g : new TreeMap<>(groups).entrySet()) {
            List<Integer> others = new ArrayList<>(g.getValue().voters());
            others.remove((Integer) self);
            if (others.isEmpty() || others.stream().anyMatch(present::containsKey)) {
                silentSince.remove(g.getKey());
                continue;
            }
            long since = silentSince.computeIfAbsent(g.getKey(), k -> now);
            if (now - since >= SILENT_ERROR_MS) {
                silentVoters.computeIfAbsent(others, k -> new ArrayList<>()).add(g.getKey());
                longest = Math.max(longest, now - since);
            }
        }
        silentSince.keySet().retainAll(groups.keySet());
        if (silentVoters.isEmpty() || (lastError != Long.MIN_VALUE && now - lastError < ERROR_EVERY_MS)) {
            return null;
        }
        lastError = now;
        StringBuilder sb = new StringBuilder("node ").append(self).append(": for ").append(longest / 1000)
                .append(" s no other voter of ");
        String sep = "";
        for (Map.Entry<List<Integer>, List<Integer>> e : silentVoters.entrySet()) {
            List<Integer> g = e.getValue();
            sb.append(sep).append(g.size() == 1 ? "group " + g.get(0) : "groups " + g).append(" (voters ")
                    .append(e.getKey()).append(')');
            sep = ", ";
        }
        Set<Integer> others = new TreeSet<>(present.keySet());
        others.remove(self);
        sb.append(" has been on the clustered event bus, so no leader can be elected; this process joined through ")
                .append(joinedThrough).append(" (the configured nodes' bus ports and the members recorded in ")
                .append(FILE).append(") and finds ").append(others.isEmpty() ? "no other process"
                        : "only nodes " + others).append(" there. Start those voters, or list the host:bus_port of a"
                        + " running member in this node's \"nodes\" (docs/operations.md)");
        return sb.toString();
    }

    /** The current members of any group, but this node, with an address seen for them. */
    Map<Integer, String> toRecord(Map<Integer, Membership> groups) {
        Map<Integer, String> record = new TreeMap<>();
        for (Membership m : groups.values()) {
            for (int id : m.all()) {
                String address = addresses.get(id);
                if (id != self && address != null) {
                    record.put(id, address);
                }
            }
        }
        return record;
    }

    /**
     * The addresses recorded in {@code dataDir}; none if there is no record, or it cannot be read (a warning says
     * why: the configured addresses still work).
     *
     * @param dataDir the node's data directory
     * @return node id to {@code host:bus_port}
     */
    public static Map<Integer, String> read(Path dataDir) {
        Path file = dataDir.resolve(FILE);
        Map<Integer, String> out = new TreeMap<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String[] parts = line.strip().split(" ");
                if (parts.length == 2 && parts[1].lastIndexOf(':') > 0) {
                    out.put(Integer.parseInt(parts[0]), parts[1]);
                } else if (!line.isBlank()) {
                    throw new IOException("not \"<id> <host>:<port>\": " + line);
                }
            }
        } catch (NoSuchFileException e) {
            return Map.of();
        } catch (IOException | NumberFormatException e) {
            LOG.warn("cannot read the members' event-bus addresses recorded in {}, joining through the configured"
                    + " nodes only: {}", file, e.toString());
            return Map.of();
        }
        return out;
    }

    /** Replaces the record in {@code dataDir} durably. Blocking I/O: a worker's, never an event loop's. */
    static void write(Path dataDir, Map<Integer, String> record) throws IOException {
        StringBuilder sb = new StringBuilder();
        record.forEach((id, address) -> sb.append(id).append(' ').append(address).append('\n'));
        NioDisk.INSTANCE.replaceDurably(dataDir.resolve(FILE), sb.toString().getBytes(StandardCharsets.UTF_8));
    }
}
