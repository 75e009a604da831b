package io.raftline.transport;

import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The network faults an operator (or a test) injects, as one immutable value, so that a change is applied
 * atomically: a sender sees either the old faults or the new ones, never a mix.
 *
 * <p>Partitions are groups of node ids: two nodes can talk only if they are in the same group. Nodes listed
 * in no group together form one more group, so {@code [[1]]} cuts node 1 off from everybody else.
 *
 * @param partitions    disjoint groups of node ids (empty: no partition)
 * @param dropRate      probability in [0, 1] that a message is lost
 * @param delayMinMs    lower bound of the delay added to every message
 * @param delayMaxMs    upper bound of that delay (inclusive)
 * @param duplicateRate probability in [0, 1] that a message is delivered twice
 */
public record NetworkFaults(List<Set<Integer>> partitions, double dropRate, int delayMinMs, int delayMaxMs,
        double duplicateRate) {

    /** A healthy network. */
    public static final NetworkFaults NONE = new NetworkFaults(List.of(), 0, 0, 0, 0);

    /** Largest delay accepted, so that a typo cannot stall a cluster for hours. */
    public static final int MAX_DELAY_MS = 60_000;

    /**
     * Validates and freezes the fields.
     *
     * @param partitions disjoint groups
     * @param dropRate probability of loss
     * @param delayMinMs minimum delay
     * @param delayMaxMs maximum delay
     * @param duplicateRate probability of duplication
     */
    public NetworkFaults {
        List<Set<Integer>> groups = new ArrayList<>();
        Set<Integer> seen = new HashSet<>();
        for (Set<Integer> g : partitions) {
            for (Integer id : g) {
                if (!seen.add(id)) {
                    throw new ConfigException("partitions", "node " + id + " is in more than one group");
                }
            }
            groups.add(Set.copyOf(new TreeSet<>(g)));
        }
        partitions = List.copyOf(groups);
        dropRate = rate("dropRate", dropRate);
        duplicateRate = rate("duplicateRate", duplicateRate);
        if (delayMinMs < 0 || delayMaxMs < delayMinMs || delayMaxMs > MAX_DELAY_MS) {
            throw new ConfigException("delayMs", "must be [min, max] with 0 <= min <= max <= " + MAX_DELAY_MS
                    + ", got [" + delayMinMs + ", " + delayMaxMs + "]");
        }
    }

    /**
     * A probability checked to be in [0, 1], as it is to be held: -0.0 passes the range check (it equals 0) but was
     * kept as is and echoed as {@code "dropRate":-0.0} in the admin API's answer, the live view and the
     * {@code FaultChanged} event; adding 0.0 turns it into 0.0.
     */
    static double rate(String field, double v) {
        if (!(v >= 0 && v <= 1)) {
            throw new ConfigException(field, "must be a number in [0, 1], got " + v);
        }
        return v + 0.0;
    }

    /**
     * Whether {@code from} can reach {@code to} under the partitions.
     *
     * @param from sender
     * @param to recipient
     * @return true if they are in the same group
     */
    public boolean connected(int from, int to) {
        return groupOf(from) == groupOf(to);
    }

    private int groupOf(int id) {
        for (int i = 0; i < partitions.size(); i++) {
            if (partitions.get(i).contains(id)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Reads the admin API's JSON, field by field. Missing fields mean "no such fault".
     *
     * @param json  {@code {"partitions":[[1,2],[3]],"dropRate":0.1,"delayMs":[5,50],"duplicateRate":0.0}}
     * @param nodes the known node ids (partitions may only name these)
     * @return the faults
     * @throws ConfigException naming the first invalid field
     */
    public static NetworkFaults fromJson(JsonObject json, Collection<Integer> nodes) {
        for (String field : json.fieldNames()) {
            if (!Set.of("partitions", "dropRate", "delayMs", "duplicateRate").contains(field)) {
                throw new ConfigException(field, "unknown field (expected partitions, dropRate, delayMs, duplicateRate)");
            }
        }
        List<Set<Integer>> groups = new ArrayList<>();
        Object p = json.getValue("partitions");
        if (p != null) {
            if (!(p instanceof JsonArray outer)) {
                throw new ConfigException("partitions", "must be an array of arrays of node ids");
            }
            for (Object g : outer) {
                if (!(g instanceof JsonArray inner)) {
                    throw new ConfigException("partitions", "must be an array of arrays of node ids");
                }
                if (inner.isEmpty()) {
                    // A group of no node cuts nothing; taken, it showed in the faults as if a partition were set.
                    throw new ConfigException("partitions", "each group must name at least one node id, got []"
                            + " (no partition: \"partitions\": [])");
                }
                Set<Integer> group = new TreeSet<>();
                for (Object id : inner) {
                    if (!(id instanceof Integer n) || !nodes.contains(n)) {
                        throw new ConfigException("partitions", unknownNode(id, nodes));
                    }
                    group.add(n);
                }
                groups.add(group);
            }
        }
        double drop = number(json, "dropRate");
        double dup = number(json, "duplicateRate");
        int min = 0;
        int max = 0;
        Object d = json.getValue("delayMs");
        if (d != null) {
            if (!(d instanceof JsonArray arr) || arr.size() != 2 || !(arr.getValue(0) instanceof Integer)
                    || !(arr.getValue(1) instanceof Integer)) {
                // A bound beyond an int (99999999999) is a Long here: said to be "no integer", it read as a riddle.
                throw new ConfigException("delayMs", "must be [min, max], two integers with 0 <= min <= max <= "
                        + MAX_DELAY_MS + ", got " + io.vertx.core.json.Json.encode(d));
            }
            min = arr.getInteger(0);
            max = arr.getInteger(1);
        }
        return new NetworkFaults(groups, drop, min, max, dup);
    }

    /**
     * Reads {@link #toJson()}'s form as another process of the cluster wrote it: validated there against that
     * process's members, so a partition may name any node id here (this process may not know a member that joined a
     * moment ago yet).
     *
     * @param json the faults as {@link #toJson()} wrote them
     * @return the faults
     * @throws ConfigException naming the first invalid field
     */
    public static NetworkFaults fromClusterJson(JsonObject json) {
        Set<Integer> named = new TreeSet<>();
        JsonArray groups = json.getJsonArray("partitions", new JsonArray());
        for (Object g : groups) {
            if (g instanceof JsonArray inner) {
                inner.forEach(id -> {
                    if (id instanceof Integer n) {
                        named.add(n);
                    }
                });
            }
        }
        return fromJson(json, named);
    }

    /**
     * What a partition naming a node that is not a member is told, by the admin API and the live view alike.
     *
     * @param id    the id given
     * @param nodes the ids a partition may name: the cluster's members (and the nodes this process runs)
     * @return the message
     */
    public static String unknownNode(Object id, Collection<Integer> nodes) {
        return "unknown node id " + id + " (nodes are " + nodes + ")";
    }

    private static double number(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) {
            return 0;
        }
        if (!(v instanceof Number n)) {
            // Shown as JSON: "0.1", a string, printed as 0.1 read as a value in range refused for being out of it.
            throw new ConfigException(field, "must be a number in [0, 1] (a JSON number, without quotes), got "
                    + io.vertx.core.json.Json.encode(v));
        }
        return n.doubleValue();
    }

    /**
     * The JSON form the admin API answers with.
     *
     * @return a new JSON object
     */
    public JsonObject toJson() {
        JsonArray groups = new JsonArray();
        for (Set<Integer> g : partitions) {
            groups.add(new JsonArray(new ArrayList<>(new TreeSet<>(g))));
        }
        return new JsonObject().put("partitions", groups).put("dropRate", dropRate)
                .put("delayMs", new JsonArray().add(delayMinMs).add(delayMaxMs)).put("duplicateRate", duplicateRate);
    }
}
