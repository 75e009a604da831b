package io.raftline.server;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftline.node.NodeStatus;
import io.raftline.raft.Role;
import io.raftline.security.DescriptorBudget;
import io.raftline.security.PeerGuard;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.ClientMetrics;
import io.vertx.core.spi.metrics.DatagramSocketMetrics;
import io.vertx.core.spi.metrics.EventBusMetrics;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.HttpServerMetrics;
import io.vertx.core.spi.metrics.PoolMetrics;
import io.vertx.core.spi.metrics.TCPMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import io.vertx.ext.web.Router;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.vertx.micrometer.VertxPrometheusOptions;
import io.vertx.micrometer.backends.BackendRegistries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * {@code /metrics} for Prometheus: Vert.x's own metrics (HTTP servers and clients, pools, JVM) through
 * vertx-micrometer-metrics (the HTTP servers' and clients' through {@link HttpServerMeters} and
 * {@link HttpClientMeters}, which keep the same meters cheaper), plus one set of Raft gauges per node (term, indexes,
 * role, storage counters). The Raft values come from the status the cluster runtime refreshes once a second, so a
 * scrape never waits on a node's event loop.
 */
public final class Metrics {

    private Metrics() {
    }

    /**
     * Vert.x options with Prometheus metrics enabled. A Vert.x built from them must also be given {@link #factory()}
     * (or be built by {@link #vertx(VertxOptions)}), which supplies the HTTP server and client metrics.
     */
    public static VertxOptions enable(VertxOptions options) {
        // Event-bus and TCP socket metrics are off: they cost a meter lookup per Raft message (several percent of a
        // busy leader's CPU in a profile), the Raft gauges already count what matters, and the socket metrics
        // of the clustered event bus fail with an exception when a peer process dies (vertx-micrometer 5.0.7).
        // vertx-micrometer's HTTP server and client metrics are off too: HttpServerMeters and HttpClientMeters keep
        // the same ones without a meter lookup per request.
        return options.setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true).setJvmMetricsEnabled(true)
                .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
                .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
                .addDisabledMetricsCategory(MetricsDomain.NET_SERVER)
                .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)
                .addDisabledMetricsCategory(MetricsDomain.HTTP_CLIENT)
                .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
    }

    /**
     * The metrics of a Vert.x whose options {@link #enable} enabled: vertx-micrometer's, with the HTTP servers and
     * clients measured by {@link HttpServerMeters} and {@link HttpClientMeters}.
     *
     * @return the factory to pass to {@link io.vertx.core.VertxBuilder#withMetrics}
     */
    public static VertxMetricsFactory factory() {
        return new Factory();
    }

    /**
     * A Vert.x for {@code options}, with Raftline's metrics if they enable metrics ({@link #enable}).
     *
     * @param options the options
     * @return the new Vert.x
     */
    public static Vertx vertx(VertxOptions options) {
        VertxBuilder builder = Vertx.builder().with(options);
        MetricsOptions metrics = options.getMetricsOptions();
        return (metrics != null && metrics.isEnabled() ? builder.withMetrics(factory()) : builder).build();
    }

    /** vertx-micrometer's factory, with {@link HttpServerMeters} and {@link HttpClientMeters} for HTTP. */
    private static final class Factory implements VertxMetricsFactory {
        private final MicrometerMetricsFactory micrometer = new MicrometerMetricsFactory();

        @Override
        public VertxMetrics metrics(VertxOptions options) {
            VertxMetrics inner = micrometer.metrics(options);
            String name = options.getMetricsOptions() instanceof MicrometerMetricsOptions m ? m.getRegistryName()
                    : MicrometerMetricsOptions.DEFAULT_REGISTRY_NAME;
            MeterRegistry registry = BackendRegistries.getNow(name);
            return registry == null ? inner : new WithHttpMeters(inner, HttpMeters.of(registry));
        }

        @Override
        public MetricsOptions newOptions() {
            return micrometer.newOptions();
        }

        @Override
        public MetricsOptions newOptions(MetricsOptions options) {
            return micrometer.newOptions(options);
        }

        @Override
        public MetricsOptions newOptions(JsonObject json) {
            return micrometer.newOptions(json);
        }
    }

    /**
     * The HTTP meters of one registry: every Vert.x instance using the registry shares them (each registering the same
     * gauges would leave the registry with the first one's only).
     */
    record HttpMeters(MeterRegistry registry, HttpServerMeters server, HttpClientMeters client) {

        /** Guarded by itself; an entry leaves when its Vert.x closes, which stops its registry ({@link #forget}). */
        private static final Map<MeterRegistry, HttpMeters> BY_REGISTRY = new java.util.IdentityHashMap<>();

        /** The meters of a registry, registered on first use. */
        static HttpMeters of(MeterRegistry registry) {
            synchronized (BY_REGISTRY) {
                return BY_REGISTRY.computeIfAbsent(registry, r -> new HttpMeters(r, new HttpServerMeters(r),
                        new HttpClientMeters(r)));
            }
        }

        /**
         * Drops this entry: its Vert.x closed, and vertx-micrometer stopped the registry with it (a Vert.x started
         * later under the same registry name gets a new registry).
         */
        void forget() {
            synchronized (BY_REGISTRY) {
                BY_REGISTRY.remove(registry, this);
            }
        }
    }

    /** Everything from vertx-micrometer except the HTTP servers' and clients' metrics. */
    private record WithHttpMeters(VertxMetrics inner, HttpMeters http) implements VertxMetrics {
        @Override
        public HttpServerMetrics<?, ?, ?> createHttpServerMetrics(HttpServerOptions options, SocketAddress local) {
            return http.server();
        }

        @Override
        public EventBusMetrics<?> createEventBusMetrics() {
            return inner.createEventBusMetrics();
        }

        @Override
        public ClientMetrics<?, ?, ?> createClientMetrics(SocketAddress remote, String type, String namespace) {
            return inner.createClientMetrics(remote, type, namespace);
        }

        @Override
        public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions options) {
            return http.client();
        }

        @Override
        public TCPMetrics<?> createNetServerMetrics(NetServerOptions options, SocketAddress local) {
            return inner.createNetServerMetrics(options, local);
        }

        @Override
        public TCPMetrics<?> createNetClientMetrics(NetClientOptions options) {
            return inner.createNetClientMetrics(options);
        }

        @Override
        public DatagramSocketMetrics createDatagramSocketMetrics(DatagramSocketOptions options) {
            return inner.createDatagramSocketMetrics(options);
        }

        @Override
        public PoolMetrics<?, ?> createPoolMetrics(String type, String name, int maxSize) {
            return inner.createPoolMetrics(type, name, maxSize);
        }

        @Override
        public void vertxCreated(Vertx vertx) {
            inner.vertxCreated(vertx);
        }

        @Override
        public boolean isMetricsEnabled() {
            return inner.isMetricsEnabled();
        }

        @Override
        public void close() {
            http.forget();
            inner.close();
        }
    }

    /**
     * The running Vert.x's metrics registry.
     *
     * @return the registry, or null if metrics are off
     */
    static MeterRegistry registry() {
        return BackendRegistries.getDefaultNow();
    }

    /** Whether the running Vert.x has a metrics registry (false in tests that build plain Vert.x). */
    static boolean enabled() {
        return BackendRegistries.getDefaultNow() != null;
    }

    /** Adds {@code GET /metrics} to a router if metrics are enabled. */
    static void mount(Router router) {
        if (enabled()) {
            router.get("/metrics").handler(PrometheusScrapingHandler.create());
        }
    }

    /**
     * Registers the Raft meters of {@code nodeId} in a registry, reading the status {@code status} gives (refreshed by
     * the caller; null: not known yet, NaN).
     *
     * @return the meters, for {@link NodeMeters} to remove with the node
     */
    static List<Meter> registerNode(MeterRegistry registry, int nodeId, Supplier<NodeStatus> status) {
        registerDescriptorBudget();
        String id = String.valueOf(nodeId);
        List<Meter> meters = new ArrayList<>();
        meters.add(gauge(registry, "raftline_term", "Current Raft term", id, status, s -> s.term()));
        meters.add(gauge(registry, "raftline_commit_index", "Highest log index known committed", id, status,
                s -> s.commit()));
        meters.add(gauge(registry, "raftline_applied_index", "Highest log index applied to the key-value state", id,
                status, s -> s.applied()));
        meters.add(gauge(registry, "raftline_last_index", "Last log index", id, status, s -> s.lastIndex()));
        meters.add(gauge(registry, "raftline_snapshot_index", "Index of the latest snapshot", id, status,
                s -> s.snapshotIndex()));
        meters.add(gauge(registry, "raftline_is_leader", "1 if the node leads", id, status,
                s -> s.role() == Role.LEADER ? 1 : 0));
        meters.add(gauge(registry, "raftline_up", "1 if the node runs (0 while crashed)", id, status,
                s -> s.up() ? 1 : 0));
        meters.add(gauge(registry, "raftline_is_voter", "1 if the node is a voter of the membership it knows", id,
                status, s -> s.membership().isVoter(s.id()) ? 1 : 0));
        meters.add(gauge(registry, "raftline_is_learner", "1 if the node is a learner of the membership it knows", id,
                status, s -> s.membership().isLearner(s.id()) ? 1 : 0));
        meters.add(gauge(registry, "raftline_config_index", "Log index of the membership in effect (0: the initial"
                + " one)", id, status, s -> s.configIndex()));
        meters.add(gauge(registry, "raftline_pending_proposals", "Client writes waiting to be applied", id, status,
                s -> s.pendingProposals()));
        meters.add(gauge(registry, "raftline_wal_bytes", "Bytes of write-ahead log on disk", id, status,
                s -> s.storage().walBytes()));
        meters.add(FunctionCounter.builder("raftline_fsyncs", status, m -> value(m, s -> s.storage().fsyncs()))
                .description("fsyncs of the write-ahead log").tag("node", id).register(registry));
        meters.add(FunctionCounter.builder("raftline_entries_written", status,
                m -> value(m, s -> s.storage().entriesWritten()))
                .description("log entries written to the write-ahead log").tag("node", id).register(registry));
        meters.add(FunctionCounter.builder("raftline_slow_log_writes", status,
                m -> value(m, s -> s.storage().slowWrites()))
                .description("Raft log writes that took 100 ms or more (a stalled disk)").tag("node", id)
                .register(registry));
        return meters;
    }

    /**
     * Registers the per-group gauges of a node of a sharded cluster ({@code raftline_group_*} with labels {@code node}
     * and {@code group}: term, commit and applied index, last index, whether the replica leads, pending proposals),
     * reading from {@code statuses} (its replicas' statuses by group, refreshed by the caller; null: not known yet).
     * The {@code raftline_*} gauges without a group label stay those of group 0.
     *
     * @return the gauges, for {@link NodeMeters} to remove with the node
     */
    static List<Meter> registerGroups(MeterRegistry registry, int nodeId, int groups,
            Supplier<List<NodeStatus>> statuses) {
        List<Meter> meters = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            int group = g;
            meters.add(groupGauge(registry, "raftline_group_term", "Current Raft term of the node's replica of the"
                    + " group", nodeId, group, statuses, s -> s.term()));
            meters.add(groupGauge(registry, "raftline_group_commit_index", "Highest log index of the group known"
                    + " committed", nodeId, group, statuses, s -> s.commit()));
            meters.add(groupGauge(registry, "raftline_group_applied_index", "Highest log index of the group applied",
                    nodeId, group, statuses, s -> s.applied()));
            meters.add(groupGauge(registry, "raftline_group_last_index", "Last log index of the group's replica",
                    nodeId, group, statuses, s -> s.lastIndex()));
            meters.add(groupGauge(registry, "raftline_group_is_leader", "1 if the node leads the group", nodeId,
                    group, statuses, s -> s.role() == Role.LEADER ? 1 : 0));
            meters.add(groupGauge(registry, "raftline_group_pending_proposals", "Client writes of the group waiting"
                    + " to be applied", nodeId, group, statuses, s -> s.pendingProposals()));
            meters.add(groupGauge(registry, "raftline_group_quiet", "1 if the node's replica of the group is quiesced"
                    + " (idle, no heartbeats)", nodeId, group, statuses, s -> s.quiesced() ? 1 : 0));
        }
        return meters;
    }

    private static Gauge groupGauge(MeterRegistry registry, String name, String help, int nodeId, int group,
            Supplier<List<NodeStatus>> statuses, ToDoubleFunction<NodeStatus> f) {
        return Gauge.builder(name, statuses, m -> {
            List<NodeStatus> list = m.get();
            return list == null || list.size() <= group ? Double.NaN : f.applyAsDouble(list.get(group));
        }).description(help).tag("node", String.valueOf(nodeId)).tag("group", String.valueOf(group))
                .register(registry);
    }

    /**
     * Registers the process's descriptor budget: {@code raftline_connections_refused_descriptors_total}, the client
     * connections closed at once because the process kept its descriptors for the storage, and
     * {@code raftline_connections_allowed}, how many it may hold. Registered once per process (Micrometer keeps the
     * first registration of a name).
     */
    static void registerDescriptorBudget() {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry == null) {
            return;
        }
        DescriptorBudget budget = DescriptorBudget.process();
        FunctionCounter.builder("raftline_connections_refused_descriptors", budget, DescriptorBudget::refused)
                .description("Client connections closed at once to keep file descriptors for the storage")
                .register(registry);
        Gauge.builder("raftline_connections_allowed", budget, b -> (double) Math.min(b.allowance(), Long.MAX_VALUE >> 11))
                .description("Client connections this process may hold at once (its descriptor budget)")
                .register(registry);
    }

    /**
     * Registers {@code raftline_request_head_timeouts_total{listener}}: the connections a listener closed because a
     * request head did not arrive within {@code limits.request_head_timeout_ms} (a slow-loris, or a connection that
     * sends nothing). A listener started again under the same name replaces its predecessor's counter.
     *
     * @param listener what the listener serves ("node 1 HTTP API")
     * @param owner    the listener
     * @param count    reads its count
     * @param <T>      the listener's type
     */
    static <T> void registerHeadTimeouts(String listener, T owner, ToDoubleFunction<T> count) {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry == null) {
            return;
        }
        unregisterHeadTimeouts(listener);
        FunctionCounter.builder("raftline_request_head_timeouts", owner, count)
                .description("Connections closed because a request head did not arrive within"
                        + " limits.request_head_timeout_ms")
                .tag("listener", listener).register(registry);
    }

    /** Removes a listener's {@code raftline_request_head_timeouts_total} (it stopped). */
    static void unregisterHeadTimeouts(String listener) {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry != null) {
            registry.find("raftline_request_head_timeouts").tag("listener", listener).meters()
                    .forEach(registry::remove);
        }
    }

    /**
     * Registers {@code raftline_tls_crl_next_update_seconds}: when the earliest revocation list loaded should have been
     * replaced (seconds since the epoch; NaN if no list gives one), for an alert well before it is out of date (an
     * out-of-date list is still applied, {@link io.raftline.security.RevocationLists}).
     */
    static void registerCrlNextUpdate(io.raftline.security.CertificateReloader certificates) {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry == null) {
            return;
        }
        Gauge.builder("raftline_tls_crl_next_update_seconds", certificates, c -> {
            java.time.Instant next = c.crlNextUpdate();
            return next == null ? Double.NaN : next.getEpochSecond();
        }).description("When the earliest certificate revocation list loaded is due to be replaced (epoch seconds)")
                .register(registry);
    }

    /**
     * Registers {@code raftline_auth_refusals_total}: requests and connections the process refused for want of a
     * credential (client token, admin token), every door together ({@link io.raftline.security.AuthRefusals}).
     */
    static void registerAuthRefusals() {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry == null) {
            return;
        }
        FunctionCounter.builder("raftline_auth_refusals", io.raftline.security.AuthRefusals.process(),
                io.raftline.security.AuthRefusals::total)
                .description("Requests and connections refused for a missing or wrong client or admin token")
                .register(registry);
    }

    /**
     * Registers the refusal counters of a transport's peer checks: {@code raftline_peer_refusals_total} with labels
     * {@code transport}, {@code reason} ({@link PeerGuard.Reason#code()}) and {@code process} (the configuration's
     * {@code node_id}, 0 for the local cluster).
     */
    static void registerPeerGuard(String transport, int process, PeerGuard guard) {
        MeterRegistry registry = BackendRegistries.getDefaultNow();
        if (registry == null) {
            return;
        }
        for (PeerGuard.Reason reason : PeerGuard.Reason.values()) {
            FunctionCounter.builder("raftline_peer_refusals", guard, g -> g.refusals(reason))
                    .description("Raft traffic refused because the peer was not authenticated as its sender")
                    .tag("transport", transport).tag("reason", reason.code())
                    .tag("process", String.valueOf(process)).register(registry);
        }
    }

    private static Gauge gauge(MeterRegistry registry, String name, String help, String id,
            Supplier<NodeStatus> status, ToDoubleFunction<NodeStatus> f) {
        return Gauge.builder(name, status, m -> value(m, f)).description(help).tag("node", id).register(registry);
    }

    private static double value(Supplier<NodeStatus> status, ToDoubleFunction<NodeStatus> f) {
        NodeStatus s = status.get();
        return s == null ? Double.NaN : f.applyAsDouble(s);
    }
}
