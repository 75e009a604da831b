package io.raftline.app;

import io.raftline.config.RaftlineConfig;
import io.raftline.server.ClusterVerticle;
import io.raftline.server.Clustering;
import io.raftline.server.Metrics;
import io.raftline.server.NodeClusterManager;
import io.vertx.core.Deployable;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.launcher.application.HookContext;
import io.vertx.launcher.application.VertxApplication;
import io.vertx.launcher.application.VertxApplicationHooks;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

/**
 * One node per process, launched the standard Vert.x way: {@link VertxApplication} creates Vert.x, deploys
 * the main verticle (a {@link ClusterVerticle} restricted to {@code node_id}) and installs the shutdown hook
 * that closes Vert.x on Ctrl-C. The hooks only add what Raftline needs: the already validated configuration
 * as the verticle, a banner once the node listens, and a clear message when it cannot start.
 */
final class NodeApplication extends VertxApplication implements VertxApplicationHooks {

    /**
     * How long a stopping node waits for the other members to let it leave the clustered event bus (a healthy
     * cluster takes well under a second) before it leaves without them.
     */
    static final Duration LEAVE_GRACE = Duration.ofSeconds(Clustering.LEAVE_GRACE_SECONDS);

    private final RaftlineConfig config;
    private final PrintStream out;
    private final PrintStream err;
    private ClusterVerticle verticle;
    /** The process's cluster manager when its event bus is clustered, else null. */
    private NodeClusterManager clusterManager;
    /** Ends the bound on a clustered stop once the stop is over (see {@link #beforeStoppingVertx}). */
    private Runnable leaveBound = () -> { };

    NodeApplication(RaftlineConfig config, PrintStream out, PrintStream err) {
        super(Clustering.clustered(config) ? new String[] {"--cluster"} : new String[0], null, false, false);
        this.config = config;
        this.out = out;
        this.err = err;
    }

    @Override
    public VertxBuilder createVertxBuilder(VertxOptions options) {
        Metrics.enable(config.vertxOptions(options));
        VertxBuilder builder = Vertx.builder().with(options);
        if (Clustering.clustered(config)) {
            clusterManager = Clustering.clusterManager(config);
            builder = Clustering.builder(config, options, clusterManager);
        }
        return builder.withMetrics(Metrics.factory());
    }

    @Override
    public Supplier<? extends Deployable> verticleSupplier() {
        return () -> {
            verticle = new ClusterVerticle(config);
            return verticle;
        };
    }

    @Override
    public void afterVertxStarted(HookContext context) {
        FatalErrors.install(context.vertx());
    }

    @Override
    public void afterVerticleDeployed(HookContext context) {
        int id = config.nodeId();
        StringBuilder sb = new StringBuilder("Raftline node ").append(id).append(" is up: ")
                .append(verticle.nodeUrl(id).replace("://127.0.0.1:", "://localhost:"));
        if (verticle.respAddress(id) != null) {
            sb.append(", Redis protocol on ").append(verticle.respAddress(id).replace("127.0.0.1:", "localhost:"));
        }
        if (verticle.adminUrl() != null) {
            sb.append(" (admin ").append(verticle.adminUrl().replace("://127.0.0.1:", "://localhost:")).append(')');
        }
        // The peers are the members of the node's memberships, not the configured nodes: once members were replaced
        // (docs/membership.md) the configuration still lists the old ones.
        if (Clustering.clustered(config)) {
            sb.append("\nPeers ").append(verticle.peers()).append(" are reached over the clustered event bus"
                    + " (Hazelcast joined through ");
            List<String> through = clusterManager != null ? clusterManager.joinedThrough()
                    : Clustering.joinAddresses(config);
            sb.append(String.join(", ", through));
            sb.append(')');
        } else if (config.transport() == io.raftline.config.TransportKind.GRPC && config.nodes().size() > 1) {
            sb.append("\nPeers ").append(verticle.peers()).append(" are reached over gRPC on their client ports (");
            sb.append(String.join(", ", verticle.peers().stream()
                    .map(this::clientAddress).toList()));
            sb.append(')');
        }
        for (String advice : config.advisories()) {
            sb.append("\nNote: ").append(advice);
        }
        out.println(sb);
    }

    /** Where a peer's client port is, as the gRPC transport reaches it. */
    private String clientAddress(int id) {
        try {
            return verticle.nodeUrl(id).replaceFirst("^[a-z]+://", "");
        } catch (IllegalArgumentException e) {
            return "node " + id + ": address not known yet";
        }
    }

    @Override
    public void afterFailureToDeployVerticle(HookContext context, Throwable t) {
        Throwable cause = t;
        // The deepest cause says what went wrong, but for the exceptions whose own message says it better than theirs.
        while (cause != null && !(cause instanceof io.raftline.server.HttpServerVerticle.PortInUseException)
                && !(cause instanceof io.raftline.kv.EntryFromNewerReleaseException)
                && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        err.println("raftline: cannot start node " + config.nodeId() + ": "
                + (cause == null ? String.valueOf(t) : cause.getMessage()));
    }

    /**
     * A node stops within {@link #LEAVE_GRACE} of the other members' answers, even when one of them does not answer
     * at all: see {@link NodeClusterManager}.
     */
    @Override
    public void beforeStoppingVertx(HookContext context) {
        if (clusterManager != null) {
            leaveBound = clusterManager.boundLeave(LEAVE_GRACE);
        }
    }

    @Override
    public void afterVertxStopped(HookContext context) {
        leaveBound.run();
    }

    @Override
    public void afterFailureToStopVertx(HookContext context, Throwable t) {
        leaveBound.run();
    }

    @Override
    public void afterFailureToStartVertx(HookContext context, Throwable t) {
        err.println("raftline: cannot start Vert.x for node " + config.nodeId() + ": " + t);
    }

    @Override
    public int launch() {
        int code = super.launch();
        return code == 0 ? 0 : Main.FAILURE;
    }
}
