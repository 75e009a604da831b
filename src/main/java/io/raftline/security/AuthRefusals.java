package io.raftline.security;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the operator that clients are being refused for want of a credential: a wrong or missing client token on the
 * HTTP, gRPC or Redis protocol, a wrong admin token on the admin API or the live view's control channel. A token is
 * at least 16 characters, so guessing one is hopeless, but a steady stream of refusals is still worth knowing about:
 * a scanner on an exposed port, or a client whose token was rotated away. Silence would hide both.
 *
 * <p>The first refusal of a quiet period is logged at once, with its door, address and reason; later ones are counted
 * and summed up in one line per period ({@link #PERIOD_NANOS}) when the next refusal arrives after it ends, naming how
 * many there were and the addresses that sent the most, so a flood of refusals costs one log line a minute, not one
 * per request. Thread-safe: the doors run on several event loops.
 */
public final class AuthRefusals {

    /** How often, at most, a summary line is written (one minute). */
    public static final long PERIOD_NANOS = 60_000_000_000L;
    /** Most distinct addresses counted per period; beyond, refusals are counted under "other addresses". */
    static final int MAX_ADDRESSES = 16;

    private static final Logger LOG = LoggerFactory.getLogger(AuthRefusals.class);
    private static final AuthRefusals PROCESS = new AuthRefusals(System::nanoTime, LOG::warn);

    private final LongSupplier clock;
    private final Consumer<String> log;
    private final Map<String, Long> byAddress = new LinkedHashMap<>();
    private long periodStart;
    private boolean inPeriod;
    private long counted;
    private long otherAddresses;
    private long total;

    /**
     * Creates a recorder.
     *
     * @param clock a monotonic clock in nanoseconds
     * @param log   where its lines go
     */
    AuthRefusals(LongSupplier clock, Consumer<String> log) {
        this.clock = clock;
        this.log = log;
    }

    /**
     * The process's recorder, which logs to this class's logger.
     *
     * @return the recorder every door of the process reports to
     */
    public static AuthRefusals process() {
        return PROCESS;
    }

    /**
     * Records one refused request or connection.
     *
     * @param door    what refused it ("HTTP port 8081", "admin API", ...)
     * @param address the client's address, as text (null when unknown)
     * @param reason  why (the message the client was given)
     */
    public void refused(String door, String address, String reason) {
        String line = null;
        String addr = address == null ? "an unknown address" : address;
        synchronized (this) {
            total++;
            long now = clock.getAsLong();
            if (inPeriod && now - periodStart >= PERIOD_NANOS) {
                line = summary();
                inPeriod = false;
            }
            if (!inPeriod) {
                inPeriod = true;
                periodStart = now;
                byAddress.clear();
                counted = 0;
                otherAddresses = 0;
                String first = door + " refused " + addr + ": " + reason
                        + " (further refusals are summed up once a minute)";
                line = line == null ? first : line + "; then " + first;
            } else {
                counted++;
                String host = hostOf(addr);
                if (byAddress.containsKey(host) || byAddress.size() < MAX_ADDRESSES) {
                    byAddress.merge(host, 1L, Long::sum);
                } else {
                    otherAddresses++;
                }
            }
        }
        if (line != null) {
            log.accept(line);
        }
    }

    /**
     * Every refusal recorded since the process started.
     *
     * @return the count
     */
    public synchronized long total() {
        return total;
    }

    private String summary() {
        if (counted == 0) {
            return null;
        }
        StringBuilder b = new StringBuilder().append(counted).append(" more requests refused for want of a credential"
                + " in the minute after the last line, from ");
        List<Map.Entry<String, Long>> most = byAddress.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).toList();
        long rest = otherAddresses;
        for (int i = 0; i < most.size(); i++) {
            if (i < 5) {
                b.append(most.get(i).getKey()).append(" (").append(most.get(i).getValue()).append("), ");
            } else {
                rest += most.get(i).getValue();
            }
        }
        if (most.size() > 5 || otherAddresses > 0) {
            b.append("other addresses (").append(rest).append("), ");
        }
        b.setLength(b.length() - 2);
        return b.toString();
    }

    /** The address without its port: a scanner opens a new connection, and a new port, for every try. */
    static String hostOf(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            return address;
        }
        String port = address.substring(colon + 1);
        return !port.isEmpty() && port.chars().allMatch(Character::isDigit) ? address.substring(0, colon) : address;
    }
}
