package io.raftline.transport;

import io.raftline.raft.ConfigException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Faults of single directed links (node {@code from} to node {@code to}): loss and delay that apply to that
 * link only, on top of the cluster-wide {@link NetworkFaults}. The live view uses them to slow one follower
 * down or make one link lossy and watch Raft cope. {@link LinkFaultTransport} applies them.
 *
 * <p>Thread-safe like {@link NetworkConditioner}: the settings are one atomically replaced map and the random
 * draws come from a seeded generator behind a lock.
 */
public final class LinkFaults {

    /**
     * The fault of one link.
     *
     * @param dropRate   probability in [0, 1] that a message on the link is lost
     * @param delayMinMs lower bound of the added delay
     * @param delayMaxMs upper bound of the added delay (inclusive)
     */
    public record Condition(double dropRate, int delayMinMs, int delayMaxMs) {

        /**
         * Validates the fields.
         *
         * @param dropRate   loss probability
         * @param delayMinMs minimum delay
         * @param delayMaxMs maximum delay
         */
        public Condition {
            dropRate = NetworkFaults.rate("dropRate", dropRate);
            if (delayMinMs < 0 || delayMaxMs < delayMinMs || delayMaxMs > NetworkFaults.MAX_DELAY_MS) {
                throw new ConfigException("delayMs", "must be [min, max] with 0 <= min <= max <= "
                        + NetworkFaults.MAX_DELAY_MS + ", got [" + delayMinMs + ", " + delayMaxMs + "]");
            }
        }

        /**
         * Whether the condition changes nothing.
         *
         * @return true for no loss and no delay
         */
        public boolean isHealthy() {
            return dropRate == 0 && delayMaxMs == 0;
        }
    }

    private final AtomicReference<Map<Long, Condition>> links = new AtomicReference<>(Map.of());
    private final SplittableRandom random;

    /**
     * Creates healthy links.
     *
     * @param seed seed of the random draws
     */
    public LinkFaults(long seed) {
        this.random = new SplittableRandom(seed);
    }

    private static long key(int from, int to) {
        return ((long) from << 32) | (to & 0xffffffffL);
    }

    /**
     * Sets (or, with a healthy condition, clears) the fault of the link {@code from -> to}.
     *
     * @param from      sender
     * @param to        recipient
     * @param condition the fault
     */
    public void set(int from, int to, Condition condition) {
        links.updateAndGet(old -> {
            Map<Long, Condition> next = new TreeMap<>(old);
            if (condition.isHealthy()) {
                next.remove(key(from, to));
            } else {
                next.put(key(from, to), condition);
            }
            return Map.copyOf(next);
        });
    }

    /** Heals every link. */
    public void clear() {
        links.set(Map.of());
    }

    /**
     * Replaces every link's fault with those of {@link #toJson()}'s form: what another process of the cluster set,
     * told to this one (faults are the cluster's, whichever process they were set on).
     *
     * @param json {@code [{"from":1,"to":2,"dropRate":0.2,"delayMs":[50,100]}, ...]}
     * @throws ConfigException if an item is not of that form or out of range
     * @throws ClassCastException if a field has the wrong JSON type
     */
    public void replaceAll(JsonArray json) {
        Map<Long, Condition> next = new TreeMap<>();
        for (int i = 0; i < json.size(); i++) {
            JsonObject link = json.getJsonObject(i);
            JsonArray delay = link.getJsonArray("delayMs");
            Condition c = new Condition(link.getDouble("dropRate"), delay.getInteger(0), delay.getInteger(1));
            if (!c.isHealthy()) {
                next.put(key(link.getInteger("from"), link.getInteger("to")), c);
            }
        }
        links.set(Map.copyOf(next));
    }

    /**
     * The fault of a link.
     *
     * @param from sender
     * @param to   recipient
     * @return the condition, or null if the link is healthy
     */
    public Condition get(int from, int to) {
        return links.get().get(key(from, to));
    }

    /**
     * Draws the fate of one message on a faulty link.
     *
     * @param c the link's condition
     * @return the delay in ms, or -1 if the message is lost
     */
    long draw(Condition c) {
        synchronized (random) {
            if (c.dropRate() > 0 && random.nextDouble() < c.dropRate()) {
                return -1;
            }
            return c.delayMaxMs() == 0 ? 0 : random.nextInt(c.delayMinMs(), c.delayMaxMs() + 1);
        }
    }

    /**
     * The faulty links as JSON, ordered by sender then recipient.
     *
     * @return {@code [{"from":1,"to":2,"dropRate":0.2,"delayMs":[50,100]}, ...]}
     */
    public JsonArray toJson() {
        JsonArray arr = new JsonArray();
        new TreeMap<>(links.get()).forEach((k, c) -> arr.add(new JsonObject().put("from", (int) (k >> 32))
                .put("to", (int) (long) k).put("dropRate", c.dropRate())
                .put("delayMs", new JsonArray().add(c.delayMinMs()).add(c.delayMaxMs()))));
        return arr;
    }
}
