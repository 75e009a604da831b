package io.raftline.server;

import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.MultiMapConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import io.raftline.config.NodeConfig;
import io.raftline.config.RaftlineConfig;
import io.raftline.config.TransportKind;
import io.raftline.raft.ConfigException;
import io.raftline.security.FrameAuthenticator;
import io.vertx.core.Vertx;
import io.vertx.core.VertxBuilder;
import io.vertx.core.VertxOptions;
import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The clustered event bus for one node per process: Vert.x with the Hazelcast cluster manager, so the node
 * verticles reach each other at {@code raft.rpc.<id>} and the event stream reaches every process, exactly as
 * inside one JVM.
 *
 * <p>Hazelcast is configured for explicit members only: each node's {@code host:bus_port} from the
 * configuration and those of the current members recorded in the data directory ({@link BusPeers}), TCP/IP join, no multicast, no auto-detection, no phone-home, and bound to the configured
 * host instead of every interface. The maps Vert.x needs are declared as its own {@code default-cluster.xml}
 * does (which cannot be used as is: it enables multicast).
 *
 * <p>With {@code tls} the event bus's own connections (the ones that carry Raft messages and events between
 * processes) are mutual TLS: each process presents its certificate, and accepts connections only from certificates
 * the cluster CA signed ({@code ClientAuth.REQUIRED}), so a process without one can neither send to a node nor
 * receive what is sent to an address it subscribed in Hazelcast. Hazelcast's own port stays clear text (open-source
 * Hazelcast has no TLS); with {@code security.cluster_secret} its cluster name is derived from the secret, and the
 * Raft frames carry a tag of it ({@link io.raftline.security.FrameAuthenticator}). What that leaves an attacker is
 * in docs/security.md.
 */
public final class Clustering {

    /** Hazelcast partitions of the event bus's subscription map (see {@link #hazelcastConfig}). */
    static final int PARTITIONS = 7;

    /** How long a member may be silent before Hazelcast declares it dead (see {@link #hazelcastConfig}). */
    static final int NO_HEARTBEAT_SECONDS = 10;

    /** How often a member declared dead looks for the cluster to merge back into (see {@link #hazelcastConfig}). */
    static final int MERGE_CHECK_SECONDS = 5;

    /**
     * How long a stopping member waits for the others to let it leave (a healthy cluster takes well under a second):
     * first for the removal of its event-bus subscriptions ({@link NodeClusterManager#boundLeave}), then again at
     * most for Hazelcast's graceful leave (see {@link #hazelcastConfig}).
     */
    public static final int LEAVE_GRACE_SECONDS = 5;

    /** The Hazelcast member attribute naming the Raft node the member runs. */
    static final String NODE_ATTRIBUTE = "raftline.node";

    /** Hazelcast's pause before retrying an operation whose partition moved (see {@link #hazelcastConfig}). */
    static final int RETRY_PAUSE_MS = 20;

    private Clustering() {
    }

    /**
     * Whether this process runs one node of a multi-node cluster whose Raft traffic crosses the event bus (so the
     * bus must be clustered). With the gRPC transport the nodes reach each other directly and no cluster manager
     * runs at all.
     */
    public static boolean clustered(RaftlineConfig config) {
        return config.nodeId() != 0 && config.nodes().size() > 1 && config.transport() == TransportKind.EVENTBUS;
    }

    /** Hazelcast settings for the member running {@code config.nodeId()}. */
    public static Config hazelcastConfig(RaftlineConfig config) {
        NodeConfig self = config.node(config.nodeId()).orElseThrow();
        Config hz = new Config();
        hz.setClusterName(FrameAuthenticator.hazelcastClusterName(config.clusterName(),
                config.security().clusterSecret()));
        hz.setProperty("hazelcast.phone.home.enabled", "false");
        hz.setProperty("hazelcast.socket.bind.any", "false");
        hz.setProperty("hazelcast.wait.seconds.before.join", "0");
        hz.setProperty("hazelcast.logging.type", "slf4j");
        // The cluster map holds a few hundred event-bus subscriptions: the default 271 partitions only make the
        // migration that follows a member's death longer, and the event bus's lookups wait for it (measured:
        // Raft messages between the survivors held up to 0.7 s, the time of a whole election).
        hz.setProperty("hazelcast.partition.count", String.valueOf(PARTITIONS));
        // An operation whose partition owner has just died is retried after this pause (500 ms by default) once
        // the partition table names a new owner; the event bus's subscription lookups are such operations, so
        // after a kill -9 every Raft message between the survivors waited for it (measured: PreVotes took
        // 500-600 ms to cross and the two survivors split the vote).
        hz.setProperty("hazelcast.invocation.retry.pause.millis", String.valueOf(RETRY_PAUSE_MS));
        // A member is declared dead after this many failed connection attempts, 100 ms apart (3 by default):
        // until then the partitions it owned have no owner and the lookups above wait. A killed process refuses
        // connections at once, and a member declared dead by mistake rejoins (and Raft retries what was lost).
        hz.setProperty("hazelcast.connection.monitor.max.faults", "1");
        // A member that is alive but silent (SIGSTOP, a frozen VM, a firewall dropping packets) is declared dead after
        // this long without a heartbeat (60 s by default, heartbeats every 5 s). Until then a process cannot join the
        // cluster (every member must answer the listener registrations of its start), so a node restarted while
        // another one was stopped waited a minute before it could serve (measured: 60-69 s, a 3-node cluster without
        // quorum all that while; 11-15 s with these values). Raft's own traffic never waits for it.
        hz.setProperty("hazelcast.max.no.heartbeat.seconds", String.valueOf(NO_HEARTBEAT_SECONDS));
        hz.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        // A graceful leave hands this member's partitions over, and waits for the master to agree: with the master
        // silent (stopped, frozen) until the others declare it dead, and by default for up to 600 s. Nothing can cut
        // that wait short once it has begun (Hazelcast's terminate waits for the leave in progress), so a node asked
        // to stop 0.1-0.2 s before the master's SIGSTOP exited 10.3-13.8 s after it, once the master was declared
        // dead (ChildProcessStallTest). The partitions hold event-bus subscriptions only, which a member that leaves
        // takes with it.
        hz.setProperty("hazelcast.graceful.shutdown.max.wait", String.valueOf(LEAVE_GRACE_SECONDS));
        // A member declared dead that comes back (a stall longer than the above) has formed a cluster of its own, and
        // the others neither send to it nor see its subscriptions until the two clusters merge: Hazelcast first looks
        // for another cluster 300 s after a start, then every 120 s (measured: a follower stopped for 70 s caught up
        // 226 s after it continued; 4.5 s with these values). A look is a join message to each configured address.
        hz.setProperty("hazelcast.merge.first.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
        hz.setProperty("hazelcast.merge.next.run.delay.seconds", String.valueOf(MERGE_CHECK_SECONDS));
        // Hazelcast's own metrics and health monitor sample the JVM on timers of their own (and start before the
        // member can join); Raftline's /metrics already has the JVM and the Raft gauges.
        hz.setProperty("hazelcast.health.monitoring.level", "OFF");
        hz.getMetricsConfig().setEnabled(false);
        // The advanced network configuration with a member endpoint only: the port speaks the member protocol and
        // nothing else. In the plain configuration the same port also serves Hazelcast's client protocol, so every
        // member builds the client engine (its table of several hundred message tasks is a sixth of a restart's
        // Hazelcast start, docs/performance.md) and any Hazelcast client that knows the cluster name could connect
        // and change the event bus's maps without even joining.
        AdvancedNetworkConfig network = hz.getAdvancedNetworkConfig().setEnabled(true);
        ServerSocketEndpointConfig member = new ServerSocketEndpointConfig();
        member.setPort(self.busPort()).setPortAutoIncrement(false);
        member.getInterfaces().setEnabled(true).addInterface(interfaceAddress(config, self));
        network.setMemberEndpointConfig(member);
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).setConnectionTimeoutSeconds(1);
        for (String address : joinAddresses(config)) {
            join.getTcpIpConfig().addMember(address);
        }
        // The Raft node a member runs, so that the logs can say which node joined or left (NodeClusterManager).
        hz.getMemberAttributeConfig().setAttribute(NODE_ATTRIBUTE, String.valueOf(self.id()));
        hz.addMultiMapConfig(new MultiMapConfig("__vertx.subs").setBackupCount(1)
                .setValueCollectionType(MultiMapConfig.ValueCollectionType.SET));
        hz.addMapConfig(new MapConfig("__vertx.haInfo").setBackupCount(1));
        hz.addMapConfig(new MapConfig("__vertx.nodeInfo").setBackupCount(1));
        return hz;
    }

    /**
     * The addresses the member running {@code config.nodeId()} joins through: each configured node's {@code
     * host:bus_port}, then those of the current members this node recorded in its data directory while it ran
     * ({@link BusPeers}). Without the latter, a cluster whose configured nodes were all replaced never met again after
     * a full restart: each process found only addresses where nothing ran any more (docs/membership.md).
     *
     * @param config the configuration of a node that runs over the clustered event bus
     * @return {@code host:port} addresses, without repeats, configured ones first
     */
    public static List<String> joinAddresses(RaftlineConfig config) {
        Set<String> out = new LinkedHashSet<>();
        for (NodeConfig n : config.nodes()) {
            out.add(n.host() + ":" + n.busPort());
        }
        NodeConfig self = config.node(config.nodeId()).orElseThrow();
        if (config.storage().durable() && self.dataDir() != null) {
            out.addAll(BusPeers.read(Path.of(self.dataDir())).values());
        }
        return List.copyOf(out);
    }

    /**
     * The address of the interface Hazelcast binds for {@code self}: its {@code host}, resolved when it is a name.
     * Hazelcast takes only IP addresses as interfaces; given a name ({@code localhost}, a DNS name) it dropped it from
     * the list and refused to start ("No matching network interface found"), an exit 1 that named no setting.
     *
     * @throws ConfigException naming the node's {@code host} if the name does not resolve, if it is a
     *     wildcard address (every interface: no address the other members could reach this one at), or if it is no
     *     address of this machine (Hazelcast would find no interface to bind)
     */
    public static String interfaceAddress(RaftlineConfig config, NodeConfig self) {
        String field = "nodes[" + config.nodes().indexOf(self) + "].host";
        InetAddress address;
        try {
            address = InetAddress.getByName(self.host());
        } catch (UnknownHostException e) {
            throw new ConfigException(field, "the clustered event bus binds this node's host,"
                    + " which does not resolve: " + self.host());
        }
        if (address.isAnyLocalAddress()) {
            throw new ConfigException(field, "the clustered event bus needs an address the other"
                    + " nodes reach this one at, not the wildcard " + self.host() + " (set the node's host, or"
                    + " http_host, to this machine's address)");
        }
        try {
            if (NetworkInterface.getByInetAddress(address) == null) {
                throw new ConfigException(field, "the clustered event bus binds this node's host, "
                        + self.host() + (self.host().equals(address.getHostAddress()) ? "" : " (" + address
                        .getHostAddress() + ")") + ", which is no address of this machine");
            }
        } catch (SocketException e) {
            // The interfaces could not be listed: Hazelcast says what it finds when it binds.
        }
        return address.getHostAddress();
    }

    /** A Vert.x builder whose event bus joins the other nodes' processes. */
    public static VertxBuilder builder(RaftlineConfig config, VertxOptions options) {
        return builder(config, options, clusterManager(config));
    }

    /** The cluster manager of node {@code config.nodeId()}'s process. */
    public static NodeClusterManager clusterManager(RaftlineConfig config) {
        return new NodeClusterManager(hazelcastConfig(config), config.nodeId());
    }

    /** A Vert.x builder whose event bus joins the other nodes' processes through {@code manager}. */
    public static VertxBuilder builder(RaftlineConfig config, VertxOptions options, HazelcastClusterManager manager) {
        NodeConfig self = config.node(config.nodeId()).orElseThrow();
        EventBusOptions bus = options.getEventBusOptions();
        // No frame size can be set here: Vert.x 5.0.7's clustered event bus buffers each inbound frame to the length
        // its sender announces (InboundConnection's private RecordParser), and EventBusOptions has no bound for it
        // (docs/security.md, "The clustered event bus": what that leaves and what operators do about it).
        bus.setHost(self.host()).setPort(0).setClusterPublicHost(self.host());
        if (config.tls().enabled()) {
            // The configuration checked that the CA is given: trusting the JVM's store would let in any public CA.
            // trust_all is on by default for the event bus (Vert.x expects self-signed cluster certificates): turned off,
            // or a process would send Raft traffic to any server certificate, the CA's or not.
            bus.setSsl(true).setClientAuth(ClientAuth.REQUIRED).setTrustAll(false)
                    .setKeyCertOptions(config.tls().keyCert()).setTrustOptions(config.tls().trust());
            // Only the cluster CA: a key-value client's certificate of a separate client CA never opens an event-bus
            // connection. Revoked certificates neither (read once: the event bus cannot reload, docs/security.md).
            config.tls().withCrls(bus);
        }
        return Vertx.builder().with(options).withClusterManager(manager);
    }
}
