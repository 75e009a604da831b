package io.raftline.server;

import io.vertx.core.json.JsonObject;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Makes a sealed command single-use and short-lived: the asking process stamps it with the wall-clock time it was
 * issued and a random nonce, inside the text {@link CoordinationSeal} tags, and the receiving process refuses one whose
 * time is out of its window, or whose nonce it has taken already. It exists because a tag alone proves only who
 * made a command, not when nor how often: a member of the clustered event bus (or of Hazelcast) without the cluster
 * secret could keep one sealed "crash node 2" and send it again, as often as it liked, and each copy was obeyed.
 *
 * <p>The window allows for the clocks of two processes to differ: a command is taken if it was issued at most
 * {@link #MAX_AGE_MS} plus {@link #MAX_SKEW_MS} ago, and at most {@link #MAX_SKEW_MS} in the future, by this process's
 * clock. A nonce is remembered until its command would be too old anyway, so the set of nonces is bounded by what
 * arrives in one window; beyond {@link #MAX_REMEMBERED} commands in a window, new ones are refused (only holders of
 * the secret can make commands whose nonces are new, and a person driving the nemesis makes a few a second). Safe to
 * call from any thread; it never blocks beyond a short lock.
 *
 * <p>Only commands are stamped, never state: the network's faults are a versioned record that processes read again and
 * again on purpose ({@link NetworkFaultRecord}), and its version, not a nonce, keeps an old record from replacing a
 * newer one (docs/security.md).
 */
final class SingleUseStamps {

    /** How long a command may take from the asking process to the one that carries it out (requests time out in 10 s). */
    static final long MAX_AGE_MS = 30_000;
    /** How far the clocks of two processes may differ, either way (NTP keeps them within milliseconds). */
    static final long MAX_SKEW_MS = 30_000;
    /** How many commands of one window are remembered at most; beyond, new ones are refused until some expire. */
    static final int MAX_REMEMBERED = 16_384;

    /** The field of a stamp that holds when the command was issued (epoch milliseconds of the asking process). */
    static final String ISSUED = "issued";
    /** The field of a stamp that holds the command's random nonce (16 bytes, base64url). */
    static final String NONCE = "nonce";

    private final LongSupplier clock;
    private final SecureRandom random = new SecureRandom();
    /** The nonces taken and not expired; guarded by this. */
    private final Set<String> seen = new HashSet<>();
    /** The same nonces, the one that expires first at the head; guarded by this. */
    private final PriorityQueue<Seen> expiries = new PriorityQueue<>();

    private record Seen(long expiresAt, String nonce) implements Comparable<Seen> {
        @Override
        public int compareTo(Seen o) {
            return Long.compare(expiresAt, o.expiresAt);
        }
    }

    /**
     * Creates the stamps of one process.
     *
     * @param clock the wall clock, in epoch milliseconds (the processes compare their clocks' times)
     */
    SingleUseStamps(LongSupplier clock) {
        this.clock = clock;
    }

    /**
     * Stamps a command about to be sealed.
     *
     * @param command the command
     * @return it, with {@value #ISSUED} (now) and a fresh {@value #NONCE}
     */
    JsonObject stamp(JsonObject command) {
        byte[] nonce = new byte[16];
        random.nextBytes(nonce);
        return command.put(ISSUED, clock.getAsLong()).put(NONCE,
                Base64.getUrlEncoder().withoutPadding().encodeToString(nonce));
    }

    /**
     * Takes a command once: checks its time and its nonce, and remembers the nonce if it passes.
     *
     * @param command the command as opened from its seal
     * @return null if it may be carried out, else why not
     */
    synchronized String take(JsonObject command) {
        if (!(command.getValue(ISSUED) instanceof Number n) || !(command.getValue(NONCE) instanceof String nonce)
                || nonce.isEmpty() || nonce.length() > 64) {
            return "it carries no issue time and nonce (made by an earlier release?)";
        }
        long issued = n.longValue();
        long now = clock.getAsLong();
        if (issued < now - MAX_AGE_MS - MAX_SKEW_MS) {
            return "it was issued " + (now - issued) + " ms ago, more than the " + (MAX_AGE_MS + MAX_SKEW_MS)
                    + " ms a command may be old (a replay, or the clocks of the processes differ by more than "
                    + MAX_SKEW_MS + " ms)";
        }
        if (issued > now + MAX_SKEW_MS) {
            return "it was issued " + (issued - now) + " ms in the future (the clocks of the processes differ by"
                    + " more than " + MAX_SKEW_MS + " ms)";
        }
        for (Seen head = expiries.peek(); head != null && head.expiresAt() < now; head = expiries.peek()) {
            expiries.poll();
            seen.remove(head.nonce());
        }
        if (seen.contains(nonce)) {
            return "it was carried out already (a replay)";
        }
        if (seen.size() >= MAX_REMEMBERED) {
            return "more than " + MAX_REMEMBERED + " commands in " + (MAX_AGE_MS + 2 * MAX_SKEW_MS) / 1000
                    + " s: refused until older ones expire";
        }
        seen.add(nonce);
        expiries.add(new Seen(issued + MAX_AGE_MS + MAX_SKEW_MS, nonce));
        return null;
    }
}
