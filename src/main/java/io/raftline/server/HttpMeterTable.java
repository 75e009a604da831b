package io.raftline.server;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The meters of one side of HTTP ({@code vertx_http_server_*} or {@code vertx_http_client_*}) by method, and by
 * method and status, each registered once and then found by index: {@link HttpSideMeters} registers a side's meters
 * through it, so that an exchange costs a few additions instead of meter lookups by name and tags.
 *
 * <p>The standard methods get a label of their own and any other is {@code OTHER}, so a peer cannot add series by
 * inventing methods; statuses 100-599 get a slot each and any other shares one labelled {@code other}. Thread-safe:
 * the per-status meters are registered the first time their method and status are seen, from any event loop.
 */
final class HttpMeterTable {

    /** The methods that get a label of their own; any other is {@code OTHER}. */
    private static final HttpMethod[] METHODS = {HttpMethod.GET, HttpMethod.PUT, HttpMethod.POST, HttpMethod.DELETE,
        HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.PATCH};
    /** How many method slots there are (the standard ones and {@code OTHER}). */
    private static final int METHOD_SLOTS = METHODS.length + 1;
    private static final String OTHER = "OTHER";
    private static final int FIRST_CODE = 100;
    private static final int CODES = 501;

    /** The meters of one method and status: how many exchanges, their time, and the size of their responses. */
    record ByStatus(Counter count, Timer time, DistributionSummary bytes) {
    }

    private final MeterRegistry registry;
    private final String prefix;
    private final String countName;
    private final String countDescription;
    private final String timeDescription;
    private final AtomicReferenceArray<ByStatus> byStatus = new AtomicReferenceArray<>(METHOD_SLOTS * CODES);

    /**
     * @param registry         where the meters live
     * @param prefix           the meters' common prefix, e.g. {@code vertx_http_server}
     * @param countName        the name, after the prefix, of the count by method and status
     * @param countDescription its description
     * @param timeDescription  the description of {@code <prefix>_response_time}
     */
    HttpMeterTable(MeterRegistry registry, String prefix, String countName, String countDescription,
            String timeDescription) {
        this.registry = registry;
        this.prefix = prefix;
        this.countName = countName;
        this.countDescription = countDescription;
        this.timeDescription = timeDescription;
    }

    /** The slot of a method: its index among the standard ones, or the last for any other. */
    static int methodIndex(HttpMethod method) {
        for (int i = 0; i < METHODS.length; i++) {
            if (METHODS[i] == method) {
                return i;
            }
        }
        return METHODS.length;
    }

    private static String methodName(int index) {
        return index < METHODS.length ? METHODS[index].name() : OTHER;
    }

    /** A gauge per method slot ({@code <prefix>_<name>{method}}) of the sums it returns. */
    LongAdder[] gaugesByMethod(String name, String description) {
        LongAdder[] out = new LongAdder[METHOD_SLOTS];
        for (int m = 0; m < METHOD_SLOTS; m++) {
            LongAdder value = new LongAdder();
            out[m] = value;
            Gauge.builder(prefix + "_" + name, value, LongAdder::sum).description(description)
                    .tag("method", methodName(m)).register(registry);
        }
        return out;
    }

    /** A distribution summary per method slot ({@code <prefix>_<name>{method}}). */
    DistributionSummary[] summariesByMethod(String name, String description) {
        DistributionSummary[] out = new DistributionSummary[METHOD_SLOTS];
        for (int m = 0; m < METHOD_SLOTS; m++) {
            out[m] = DistributionSummary.builder(prefix + "_" + name).description(description)
                    .tag("method", methodName(m)).register(registry);
        }
        return out;
    }

    /** A counter per method slot ({@code <prefix>_<name>{method}}). */
    Counter[] countersByMethod(String name, String description) {
        Counter[] out = new Counter[METHOD_SLOTS];
        for (int m = 0; m < METHOD_SLOTS; m++) {
            out[m] = Counter.builder(prefix + "_" + name).description(description).tag("method", methodName(m))
                    .register(registry);
        }
        return out;
    }

    /** A counter without labels ({@code <prefix>_<name>}). */
    Counter counter(String name, String description) {
        return Counter.builder(prefix + "_" + name).description(description).register(registry);
    }

    /** A gauge without labels ({@code <prefix>_<name>}) of the sums it returns. */
    LongAdder gauge(String name, String description) {
        LongAdder value = new LongAdder();
        Gauge.builder(prefix + "_" + name, value, LongAdder::sum).description(description).register(registry);
        return value;
    }

    /** The meters of a method slot and a status, registered the first time they are asked for. */
    ByStatus byStatus(int method, int status) {
        int code = status >= FIRST_CODE && status < FIRST_CODE + CODES - 1 ? status - FIRST_CODE : CODES - 1;
        int slot = method * CODES + code;
        ByStatus meters = byStatus.get(slot);
        if (meters == null) {
            // Registering twice (two event loops racing) is harmless: the registry returns the meters it has.
            String label = code == CODES - 1 ? "other" : String.valueOf(status);
            String name = methodName(method);
            meters = new ByStatus(
                    Counter.builder(prefix + "_" + countName).description(countDescription).tag("code", label)
                            .tag("method", name).register(registry),
                    Timer.builder(prefix + "_response_time").description(timeDescription).tag("code", label)
                            .tag("method", name).register(registry),
                    DistributionSummary.builder(prefix + "_response_bytes").description("Size of responses in bytes")
                            .tag("code", label).tag("method", name).register(registry));
            byStatus.set(slot, meters);
        }
        return meters;
    }
}
