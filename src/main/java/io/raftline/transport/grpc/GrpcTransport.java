package io.raftline.transport.grpc;

import com.google.protobuf.ByteString;
import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftBatch;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.proto.raft.StreamRefusal;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.security.PeerGuard;
import io.raftline.security.PeerIdentity;
import io.raftline.transport.ConditionedSend;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.GroupCountCheck;
import io.raftline.transport.MessageBytes;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.raftline.transport.TransportQueues;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.GrpcClientResponse;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.Service;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends Raft messages as gRPC calls of {@code raft.proto}'s RaftService to each peer's client port (the port of
 * its HTTP API; the server tells gRPC from HTTP by content type), and receives them through the {@link Service}
 * that {@link #service(int)} builds for a local node's port.
 *
 * <h2>Sending</h2>
 * Each peer node has two long-lived Stream calls (raft.proto), each on a Vert.x gRPC client of its own, that is an
 * HTTP/2 connection of its own, each opened by the first message it carries, kept open, reopened with backoff when it
 * fails: one for AppendEntries (and InstallSnapshot calls), one for everything else (heartbeats, votes, responses,
 * ReadIndex, TimeoutNow). A large entry on its way (up to {@code max_body_bytes}, 64 MiB) then holds back no heartbeat:
 * on one stream every later message waited for the whole entry, and two streams of one connection did not do much
 * better in the in-JVM cluster (the heartbeats' writes completed with the entry's, a second later), so followers called
 * elections meanwhile. Raft takes the two streams' messages in either order (a heartbeat asks a follower to commit at
 * most what it is known to hold; AppendEntries stay in order among themselves), as etcd's transport, which also keeps
 * its appends apart, does. What one {@link #sendAll} has for that peer is one RaftBatch frame per stream (AppendEntries
 * that together exceed {@link Options#maxMessageBytes()}, what the peer takes in one gRPC message, are cut into several
 * frames under it), so a Ready costs a frame or two per peer instead of a call and an acknowledgement per message, and
 * AppendEntries stay pipelined
 * (a frame never waits for anything). Raft messages are one-way, so the peer answers nothing for most delivered frames;
 * it reports a refused one, whose messages are then reported lost, and answers a receipt to a frame that asks for one
 * (every 32 frames or 1 MiB). Replies come in each stream's frame order, so the sender holds each written frame until a
 * reply answers it, and a refusal always finds the messages it lost. Snapshots still go on InstallSnapshot, as a client
 * stream of {@link Options#snapshotChunkBytes()} chunks (the header in the first). A message that cannot go (the stream
 * is down or backing off, its write queue is full, the peer refused it, a snapshot call failed, a snapshot from the
 * same sender and group is still streaming) is a lost message and is reported to the drop listener, exactly like a
 * network loss; Raft retries. {@link #sendAll} never blocks and never buffers without bound: frames waiting for a
 * stream to open are bounded by {@link Options#maxInflightPerPeer()}, frames held for the peer's answer by 1,024 frames
 * or 64 MiB per stream, and a full write queue (HTTP/2 flow control) or a full hold drops the frame ({@code overflow}),
 * so a dead or frozen peer cannot pile up memory. A per-peer watchdog notices a frozen peer (a stream that does not
 * open, a write that makes no progress (the peer grants no flow-control credit and no write completes), a request for
 * a receipt that is not answered once its frame has left, a PING
 * that is not answered, a snapshot that makes no progress, for {@link Options#callTimeoutMs()}) and replaces the
 * connections. The unary RequestVote and AppendEntries RPCs are still served, for any client that speaks the
 * documented contract; this transport no longer sends on them.
 *
 * <h2>Faults</h2>
 * Every send first asks the {@link NetworkConditioner}, as {@link EventBusTransport} does, so partitions, loss,
 * delay, duplication and paused nodes from the admin API and the live view apply to gRPC traffic too. What leaves
 * later than it was sent (a frame after its hop to the peer's context or once the peer's stream has opened, a snapshot
 * when its call starts and at each chunk it streams) meets the partitions and paused nodes in force when it leaves
 * ({@link ConditionedSend#stillConnected}): a cut set meanwhile loses it, reported as {@code partition} or
 * {@code paused} like a send into the cut, so no queued message crosses a cut (a snapshot's call is reset, its rest
 * kept on this side).
 *
 * <h2>Receiving</h2>
 * {@link #register} records the node's handler and its context; the service maps the protobuf to the core's
 * records ({@link ProtoMapping}, which validates) and hands the message to the handler on that context (a Stream
 * frame's messages in order, in one task, after all of them passed the checks below). A message
 * for a node this port does not serve is refused with NOT_FOUND; one for a node that is not (yet) registered with
 * UNAVAILABLE; one that does not decode, or comes from a non-member, with INVALID_ARGUMENT (on Stream, as a
 * StreamRefusal for the frame; the stream stays open). What waits for a node's event loop is bounded ({@link
 * #MAX_WAITING_MESSAGES} messages, eight of the largest messages' bytes): a frame beyond is refused with
 * RESOURCE_EXHAUSTED, and its sender reports its messages lost, so a peer that sends faster than the node takes its
 * messages cannot pile them up.
 *
 * <h2>Raft groups</h2>
 * A process hosting replicas of several Raft groups (multi-Raft) uses one transport: {@link #group(int)} is the
 * view of one group, whose sends travel on the same per-peer clients, connections and Stream calls as every other
 * group's (two connections per peer, whatever the number of groups), and whose {@link #register} registers the
 * handler of that group's replica of a node. Each frame carries the messages of one group, which it names in
 * {@code RaftBatch.group} (a snapshot in {@code SnapshotHeader.group}); group 0 is this transport itself and writes
 * no group field, so a cluster of one group speaks exactly as before groups existed. On receipt, a frame for a
 * group with no replica registered on the node (whatever its number) is refused with UNAVAILABLE like a node that
 * is not running, never handed to another group. Network faults, peer authentication and the per-peer counters and
 * bounds ({@link #stats}, {@link Options#maxInflightPerPeer()}) are per node, shared by all groups: a partition
 * between two nodes cuts every group alike.
 *
 * <h2>Peer authentication</h2>
 * With {@link PeerTls} every peer connection is mutual TLS: this node presents its certificate when it calls a peer
 * and verifies the peer's against the cluster CA; a stream whose peer holds the certificate of another node than the
 * one called is closed ({@link PeerGuard#checkServer}). On the receiving side {@link RaftEndpoint} accepts a message
 * only from a node the caller's certificate names. Without it (no TLS configured) senders are trusted by the id they
 * claim, which is only safe on loopback.
 */
public final class GrpcTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcTransport.class);

    /**
     * Tuning of the transport.
     *
     * @param maxInflightPerPeer most frames waiting for a peer's stream to open, and most snapshot calls in flight
     *                           to it; more are dropped ({@code overflow})
     * @param callTimeoutMs      how long a peer's stream may take to open, leave its writes without progress or leave a
     *                           PING unanswered (and a snapshot call make no progress) before the watchdog replaces
     *                           its connection
     * @param snapshotTimeoutMs  how long an InstallSnapshot stream may go without a chunk written (or, after the last,
     *                           without its answer) before it is given up; the whole transfer may take longer
     * @param snapshotChunkBytes snapshot bytes per streamed chunk
     * @param connectTimeoutMs   TCP connect timeout to a peer
     * @param maxMessageBytes    largest single gRPC message accepted by the receiving side
     * @param maxSnapshotBytes   largest snapshot a receiver reassembles
     */
    public record Options(int maxInflightPerPeer, long callTimeoutMs, long snapshotTimeoutMs, int snapshotChunkBytes,
            int connectTimeoutMs, long maxMessageBytes, long maxSnapshotBytes) {

        /** 256 frames or calls per peer, 3 s without progress, 60 s per snapshot, 256 KiB chunks, 1 s connect, 64 MiB messages. */
        public static final Options DEFAULTS = new Options(256, 3_000, 60_000, 256 * 1024, 1_000, 64L << 20,
                Integer.MAX_VALUE - 8L);

        /**
         * Validates the values.
         *
         * @param maxInflightPerPeer > 0
         * @param callTimeoutMs      > 0
         * @param snapshotTimeoutMs  > 0
         * @param snapshotChunkBytes > 0, and smaller than maxMessageBytes with room for the header
         * @param connectTimeoutMs   > 0
         * @param maxMessageBytes    > 0
         * @param maxSnapshotBytes   > 0
         */
        public Options {
            if (maxInflightPerPeer <= 0 || callTimeoutMs <= 0 || snapshotTimeoutMs <= 0 || snapshotChunkBytes <= 0
                    || connectTimeoutMs <= 0 || maxSnapshotBytes <= 0) {
                throw new IllegalArgumentException("gRPC transport options must be > 0");
            }
            if (snapshotChunkBytes + 64L * 1024 > maxMessageBytes) {
                throw new IllegalArgumentException("snapshotChunkBytes " + snapshotChunkBytes
                        + " leaves no room for the chunk header under maxMessageBytes " + maxMessageBytes);
            }
        }

        /**
         * A copy with another in-flight bound.
         *
         * @param n most calls in flight per peer
         * @return the new options
         */
        public Options withMaxInflightPerPeer(int n) {
            return new Options(n, callTimeoutMs, snapshotTimeoutMs, snapshotChunkBytes, connectTimeoutMs,
                    maxMessageBytes, maxSnapshotBytes);
        }

        /**
         * A copy with another call deadline.
         *
         * @param ms deadline of a unary call
         * @return the new options
         */
        public Options withCallTimeoutMs(long ms) {
            return new Options(maxInflightPerPeer, ms, snapshotTimeoutMs, snapshotChunkBytes, connectTimeoutMs,
                    maxMessageBytes, maxSnapshotBytes);
        }

        /**
         * A copy that takes messages up to {@code bytes}: at least what the largest log entry a client may build
         * needs, so that no entry is ever too large to replicate.
         *
         * @param bytes largest single gRPC message accepted
         * @return the new options
         */
        public Options withMaxMessageBytes(long bytes) {
            return new Options(maxInflightPerPeer, callTimeoutMs, snapshotTimeoutMs, snapshotChunkBytes,
                    connectTimeoutMs, bytes, maxSnapshotBytes);
        }

        /**
         * A copy with another snapshot chunk size.
         *
         * @param bytes bytes per chunk
         * @return the new options
         */
        public Options withSnapshotChunkBytes(int bytes) {
            return new Options(maxInflightPerPeer, callTimeoutMs, snapshotTimeoutMs, bytes, connectTimeoutMs,
                    maxMessageBytes, maxSnapshotBytes);
        }
    }

    /** Where each node's client port is; the ports of a local test cluster are known only once it listens. */
    @FunctionalInterface
    public interface PeerAddresses {
        /**
         * The address of a node's client port.
         *
         * @param nodeId the node
         * @return its host and port, or empty if not known (yet)
         */
        Optional<SocketAddress> address(int nodeId);
    }

    /**
     * Counters of one peer link, as seen by this sender. Messages are counted one by one, whatever frame they
     * travelled in, and the messages of every Raft group together (they share the link).
     *
     * @param inFlight      messages waiting for the stream to open, plus snapshot calls not answered yet
     * @param sent          messages written on the stream, plus snapshot calls started
     * @param acked         messages whose stream write completed, plus snapshots the peer acknowledged
     * @param failed        messages lost to the link: the stream was down or failed under them, the peer refused
     *                      their frame, or a snapshot call failed
     * @param overflow      messages dropped because too many were waiting or the stream's write queue was full
     * @param frames        frames written on the stream (one per batch)
     * @param streamsOpened streams opened to the peer (more than one: it was reconnected)
     */
    public record PeerStats(int inFlight, long sent, long acked, long failed, long overflow, long frames,
            long streamsOpened) {
    }

    /**
     * Mutual TLS between nodes: what this node presents, what it trusts, and who decides what a peer may send.
     *
     * @param keyCert this process's certificate and key (presented as a client, and by its listeners as a server)
     * @param trust   the cluster CA
     * @param guard   the checks of a peer's identity, and their counters
     * @param renewed reads the files again and gives the peer clients' TLS options by value (blocking, called on a
     *                worker by {@link #reloadTls()}), or null if the certificate is never reloaded
     * @param crlFiles revocation lists a peer's certificate is checked against
     */
    public record PeerTls(KeyCertOptions keyCert, TrustOptions trust, PeerGuard guard,
            java.util.concurrent.Callable<io.vertx.core.net.ClientSSLOptions> renewed, List<String> crlFiles) {

        /**
         * Validates.
         *
         * @param keyCert required
         * @param trust   required
         * @param guard   required
         * @param renewed optional
         * @param crlFiles required (may be empty)
         */
        public PeerTls {
            java.util.Objects.requireNonNull(keyCert, "keyCert");
            java.util.Objects.requireNonNull(trust, "trust");
            java.util.Objects.requireNonNull(guard, "guard");
            crlFiles = List.copyOf(crlFiles);
        }

        /**
         * Mutual TLS whose certificate is never reloaded.
         *
         * @param keyCert this process's certificate and key
         * @param trust   the cluster CA
         * @param guard   the checks of a peer's identity
         */
        public PeerTls(KeyCertOptions keyCert, TrustOptions trust, PeerGuard guard) {
            this(keyCert, trust, guard, null, List.of());
        }
    }

    private final Vertx vertx;
    private final ConditionedSend sending;
    private final EventBusTransport.DropListener drops;
    private final PeerAddresses peers;
    private final Set<Integer> members;
    /** The context of every peer link, or null for the first sender's (see the constructor). */
    private final Context peerContext;
    private final Options options;
    private final PeerTls tls;
    private final Map<Integer, Peer> clients = new ConcurrentHashMap<>();
    /**
     * Nodes {@linkplain #forget forgotten} (removed from the cluster) and not sent to since: not members for {@link
     * #deliverAll}, whatever {@link #members} (which only grows) says.
     */
    private final Set<Integer> forgotten = ConcurrentHashMap.newKeySet();
    /** The registered replicas of local nodes, by group and node. */
    private final Map<Replica, Local> locals = new ConcurrentHashMap<>();
    /** The views of groups other than 0, one per group. */
    private final Map<Integer, Transport> groups = new ConcurrentHashMap<>();
    /** The snapshot streams being received, bounded ({@link SnapshotIntake}). */
    private final SnapshotIntake snapshotIntake;
    private volatile boolean closed;

    /**
     * Creates the transport; clients are created on first use, one per peer.
     *
     * @param vertx       the Vert.x instance
     * @param conditioner the network faults to apply
     * @param drops       told about lost messages
     * @param peers       where each node's client port is
     * @param members     ids of the nodes this process knows as members: a live, thread-safe set that grows as
     *                    membership changes add nodes (answers from anyone else are refused; what a leader or
     *                    a candidate sends is taken from any id)
     * @param options     tuning
     */
    public GrpcTransport(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops,
            PeerAddresses peers, Set<Integer> members, Options options) {
        this(vertx, conditioner, drops, peers, members, options, null);
    }

    /**
     * Creates the transport with every peer's link on one given context.
     *
     * @param vertx       the Vert.x instance
     * @param conditioner the network faults to apply
     * @param drops       told about lost messages
     * @param peers       where each node's client port is
     * @param members     ids of the nodes known as members (live, thread-safe)
     * @param options     tuning
     * @param peerContext the context every peer's client, stream and timer live on (a context whose verticle lives
     *                    as long as the transport), or null for the context of the first node that sends to the
     *                    peer: no hop for a process that runs one node, but a node that is undeployed while the
     *                    transport lives on (the local cluster removes nodes at runtime) would take its peers'
     *                    clients with it
     */
    public GrpcTransport(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops,
            PeerAddresses peers, Set<Integer> members, Options options, Context peerContext) {
        this(vertx, conditioner, drops, peers, members, options, peerContext, null);
    }

    /** This process's number of Raft groups, and the refusal of calls from a process with another. */
    private final GroupCountCheck groupCount;
    /** The same, as every call's {@link RaftEndpoint#GROUPS_HEADER} states it. */
    private final String groupsStated;

    /** The nodes' credential every Raft call presents and the Raft service asks for, or null ({@link #presenting}). */
    private volatile io.raftline.security.RaftCallCredential credential;

    /**
     * Creates the transport, with mutual TLS between nodes when {@code tls} is given.
     *
     * @param vertx       the Vert.x instance
     * @param conditioner the network faults to apply
     * @param drops       told about lost messages
     * @param peers       where each node's client port is
     * @param members     ids of the nodes known as members (live, thread-safe)
     * @param options     tuning
     * @param peerContext the context of every peer link, or null (see the constructor above)
     * @param tls         certificates and checks of peer authentication, or null for plain HTTP/2 (loopback only)
     */
    public GrpcTransport(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops,
            PeerAddresses peers, Set<Integer> members, Options options, Context peerContext, PeerTls tls) {
        this(vertx, conditioner, drops, peers, members, options, peerContext, tls, 1);
    }

    /**
     * Creates the transport of a process with {@code groups} Raft groups: every call it opens to a peer states that
     * number ({@link RaftEndpoint#GROUPS_HEADER}), and its service refuses the messages of a call that states another
     * ({@link GroupCountCheck}).
     *
     * @param vertx       the Vert.x instance
     * @param conditioner the network faults to apply
     * @param drops       told about lost messages (also those refused from a peer with another number of groups)
     * @param peers       where each node's client port is
     * @param members     ids of the nodes known as members (live, thread-safe)
     * @param options     tuning
     * @param peerContext the context of every peer link, or null (see the constructor above)
     * @param tls         certificates and checks of peer authentication, or null for plain HTTP/2 (loopback only)
     * @param groups      the process's configured number of Raft groups
     */
    public GrpcTransport(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops,
            PeerAddresses peers, Set<Integer> members, Options options, Context peerContext, PeerTls tls,
            int groups) {
        this.groupCount = new GroupCountCheck(groups);
        this.groupsStated = Integer.toString(groups);
        this.tls = tls;
        this.peerContext = peerContext;
        this.vertx = vertx;
        this.sending = new ConditionedSend(vertx, conditioner, drops);
        this.drops = drops;
        this.peers = peers;
        this.members = members;
        this.options = options;
        this.snapshotIntake = new SnapshotIntake(options.maxSnapshotBytes());
    }

    /**
     * The nodes' credential, for a transport without TLS: every Raft call carries it in its metadata, and this node's
     * Raft service refuses a call without it ({@code ClientPort}). Without TLS no certificate tells a node from anyone
     * else who can reach the port, so a credential only nodes hold does ({@link io.raftline.security.RaftCallCredential}
     * says which). Set before the first send; null (the default): none asked for, none presented.
     *
     * @param credential the nodes' credential, or null
     * @return this
     */
    public GrpcTransport presenting(io.raftline.security.RaftCallCredential credential) {
        this.credential = credential;
        return this;
    }

    /**
     * The nodes' credential Raft calls must carry, when the transport has one ({@link #presenting}).
     *
     * @return the credential, or null
     */
    public io.raftline.security.RaftCallCredential credential() {
        return credential;
    }

    /**
     * Adds this process's number of groups to a Raft call's metadata, and the nodes' credential when there is one
     * (before anything is written).
     */
    private void authorize(GrpcClientRequest<?, ?> request) {
        request.headers().set(RaftEndpoint.GROUPS_HEADER, groupsStated);
        io.raftline.security.RaftCallCredential c = credential;
        if (c != null) {
            c.present(request.headers()::set);
        }
    }

    /**
     * Refuses the messages of a call from a process that states another number of groups: reports each dropped with a
     * reason naming the sender and both counts, logs the sender once ({@link GroupCountCheck#refuse}).
     *
     * @param theirs   the count the call stated (0: an unreadable one)
     * @param where    how the call arrived, for the log
     * @param messages the messages it carried
     * @return the reason
     */
    String refuseGroups(int theirs, String where, List<Message> messages) {
        String reason = groupCount.refuse(messages.isEmpty() ? 0 : messages.get(0).from(), theirs, where);
        for (Message m : messages) {
            drops.dropped(m, reason);
        }
        return reason;
    }

    /**
     * This process's number of groups and its check of the number a call states.
     *
     * @return the check
     */
    GroupCountCheck groupCount() {
        return groupCount;
    }

    /**
     * Who called a service of the peer port (the Raft service, the fault service): what the client certificate of the
     * call's connection names, as the guard reads it.
     *
     * @param guard      the guard
     * @param connection the call's connection
     * @return the identity, or null if the connection is not TLS or presented no certificate
     */
    public static PeerIdentity callerIdentity(PeerGuard guard, io.vertx.core.http.HttpConnection connection) {
        if (!connection.isSsl()) {
            return null;
        }
        try {
            return guard.identify(connection.peerCertificates());
        } catch (javax.net.ssl.SSLPeerUnverifiedException noCertificate) {
            return null;
        }
    }

    /**
     * The checks of peer identities, when peers are authenticated.
     *
     * @return the guard, or null without TLS
     */
    public PeerGuard guard() {
        return tls == null ? null : tls.guard();
    }

    /**
     * The tuning in force.
     *
     * @return the options
     */
    public Options options() {
        return options;
    }

    // ---------------------------------------------------------------- sending

    @Override
    public void send(Message m) {
        sendAll(List.of(m));
    }

    @Override
    public void sendAll(List<Message> messages) {
        sendAll(0, messages);
    }

    /**
     * The view of one Raft group: its sends share this transport's per-peer connections and streams, its frames
     * name the group, and its registrations receive only that group's messages (see the class comment).
     *
     * @param group the group, 0 to G-1
     * @return this transport for group 0, else the group's view (the same one on every call)
     * @throws IllegalArgumentException if {@code group} is negative
     */
    @Override
    public Transport group(int group) {
        if (group < 0) {
            throw new IllegalArgumentException("Raft group must be >= 0, got " + group);
        }
        return group == 0 ? this : groups.computeIfAbsent(group, GroupView::new);
    }

    /** Sends the messages of one group's Ready: the network conditioner decides per node, whatever the group. */
    private void sendAll(int group, List<Message> messages) {
        if (closed) {
            for (Message m : messages) {
                drops.dropped(m, "transport closed");
            }
            return;
        }
        if (!forgotten.isEmpty()) {
            for (Message m : messages) {
                forgotten.remove(m.to()); // sent to by the core again: added back (or its removal undone)
            }
        }
        sending.route(messages, m -> !(m instanceof SnapshotRequest),
                (to, batch) -> peer(to).sendBatch(group, batch), m -> sendNow(group, m));
    }

    /**
     * Sends one message now (one that is not batched, or a copy the network held back), unless the transport closed or
     * the peer was forgotten and the core has not sent to it since (a delayed or duplicated copy may come due after
     * either): an old message makes no link to a node no longer a member, and does not make it one again for the
     * receiving side. The core's own send to that node ({@link #sendAll}: it was added back) does.
     */
    private void sendNow(int group, Message m) {
        if (closed) {
            drops.dropped(m, "transport closed");
        } else if (forgotten.contains(m.to())) {
            drops.dropped(m, "peer removed");
        } else {
            peer(m.to()).sendOne(group, m);
        }
    }

    private Peer peer(int id) {
        Peer p = clients.get(id);
        if (p != null) {
            return p;
        }
        Peer made = clients.computeIfAbsent(id, n -> {
            forgotten.remove(n); // sent to again: added back (or its removal undone)
            return new Peer(n);
        });
        if (closed) {
            // A send on another event loop passed its check of closed just before close() ran, and made this link
            // after close() had closed and cleared the others: closed here, or its clients and watchdog outlived the
            // transport (and a stream it opened held up the Vert.x instance's close until its grace ran out).
            clients.remove(id, made);
            made.close("transport closed");
        }
        return made;
    }

    /**
     * The counters of the link to one peer.
     *
     * @param nodeId the peer
     * @return its counters (zeros if nothing was ever sent to it)
     */
    public PeerStats stats(int nodeId) {
        Peer p = clients.get(nodeId);
        return p == null ? new PeerStats(0, 0, 0, 0, 0, 0, 0) : new PeerStats(p.inFlight.get(), p.sent.get(),
                p.acked.get(), p.failed.get(), p.overflow.get(), p.frames.get(), p.streamsOpened.get());
    }

    /**
     * Ends every peer's stream and closes its client; messages sent afterwards are dropped.
     *
     * @return completes when the clients are closed
     */
    public Future<Void> close() {
        closed = true;
        List<Future<Void>> all = new ArrayList<>();
        for (Peer p : clients.values()) {
            all.add(p.close("transport closed"));
        }
        clients.clear();
        return Future.join(all).mapEmpty();
    }

    /**
     * Lets go of the link to a node that is no longer a member: ends its streams, closes its two clients (their
     * connections) and stops its watchdog, as {@link #close()} does for every peer; what waited for it is reported
     * lost ({@code peer removed}). Without this, every node ever removed kept a watchdog timer firing and two clients
     * for the life of the process. The node is no member for the receiving side any more either: its answers are
     * refused as a non-member's (the set of members the transport was given only grows, so they used to pass on to the
     * core). Sending to the node again (it was added back, or a removal was undone) makes a new link, as for a node
     * never sent to, and takes its answers again.
     *
     * @param nodeId the node
     * @return completes when its clients are closed (at once if there was no link to it)
     */
    public Future<Void> forget(int nodeId) {
        forgotten.add(nodeId);
        Peer p = clients.remove(nodeId);
        return p == null ? Future.succeededFuture() : p.close("peer removed");
    }

    /**
     * The nodes this transport holds a link to (clients, streams, a watchdog): those sent to since the transport
     * started or since they were last {@linkplain #forget forgotten}.
     *
     * @return their ids, a copy
     */
    public Set<Integer> linkedPeers() {
        return Set.copyOf(clients.keySet());
    }

    /**
     * Loads this node's TLS files again into every peer's client ({@link io.raftline.security.CertificateReloader}):
     * connections to peers made from now on present the renewed certificate and trust the renewed CA. Peers first
     * called later read the files when their client is made.
     *
     * @return completes with whether any client reloaded; fails if the files do not load (the old ones stay)
     */
    public Future<Boolean> reloadTls() {
        if (tls == null || tls.renewed() == null) {
            return Future.succeededFuture(false);
        }
        return vertx.executeBlocking(() -> java.util.Objects.requireNonNull(tls.renewed().call(),
                "the renewed TLS options are null"), false).compose(renewed -> {
            List<Future<Boolean>> all = new ArrayList<>();
            for (Peer p : clients.values()) {
                all.add(p.reloadTls(renewed));
            }
            return Future.all(all).map(f -> all.stream().anyMatch(Future::result));
        });
    }

    /**
     * What a connection to a peer's client port is: HTTP/2 without upgrade and, with TLS, HTTP/2 by ALPN, presenting
     * this node's certificate, the peer's certificate the cluster CA's and valid for the address called.
     */
    private HttpClientOptions peerHttpOptions() {
        HttpClientOptions http = new HttpClientOptions().setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false).setTcpNoDelay(true).setConnectTimeout(options.connectTimeoutMs())
                .setKeepAlive(true);
        if (tls != null) {
            http.setSsl(true).setUseAlpn(true).setVerifyHost(true).setKeyCertOptions(tls.keyCert().copy())
                    .setTrustOptions(tls.trust().copy());
            for (String crl : tls.crlFiles()) {
                http.addCrlPath(crl);
            }
        }
        return http;
    }

    /**
     * A client of another service the peers serve on their client ports next to RaftService (the nemesis's faults
     * shared between processes, {@code faults.proto}), made as the Raft links' clients are (TLS, certificate) but apart
     * from them: its calls neither wait behind Raft frames nor pass through the network faults, which they set. The
     * caller owns it: it lives on the context it is made on, and is closed by {@link PeerClient#close()}.
     *
     * @param maxMessageBytes the largest message it takes
     * @return the client
     */
    public PeerClient peerClient(long maxMessageBytes) {
        io.vertx.core.http.HttpClientAgent agent = vertx.httpClientBuilder().with(peerHttpOptions()).build();
        GrpcClientOptions grpc = new GrpcClientOptions().setScheduleDeadlineAutomatically(true)
                .setMaxMessageSize(maxMessageBytes);
        return new PeerClient(new ReloadableGrpcClient(vertx, grpc, agent), agent);
    }

    /** A client of {@link #peerClient}: what its calls present, and its TLS files read again on renewal. */
    public final class PeerClient {
        private final GrpcClient grpc;
        private final io.vertx.core.http.HttpClientAgent http;

        private PeerClient(GrpcClient grpc, io.vertx.core.http.HttpClientAgent http) {
            this.grpc = grpc;
            this.http = http;
        }

        /**
         * The gRPC client.
         *
         * @return it
         */
        public GrpcClient grpc() {
            return grpc;
        }

        /**
         * Adds to a call's metadata what Raft calls present: the nodes' credential when there is one (without TLS; the
         * peer's service asks for it as its Raft service does), and this process's number of groups.
         *
         * @param request the call, before anything is written
         */
        public void authorize(GrpcClientRequest<?, ?> request) {
            GrpcTransport.this.authorize(request);
        }

        /**
         * Loads this node's TLS files again into the client ({@link GrpcTransport#reloadTls()}).
         *
         * @return completes with whether it reloaded
         */
        public Future<Boolean> reloadTls() {
            if (tls == null || tls.renewed() == null) {
                return Future.succeededFuture(false);
            }
            return vertx.executeBlocking(() -> java.util.Objects.requireNonNull(tls.renewed().call(),
                    "the renewed TLS options are null"), false)
                    .compose(renewed -> http.updateSSLOptions(renewed, true));
        }

        /**
         * Closes the client and its connections.
         *
         * @return completes once closed
         */
        public Future<Void> close() {
            return grpc.close();
        }
    }

    /**
     * A gRPC client over an HTTP client made here, so that the HTTP client can be told to reload its TLS options and
     * its connections get an exception handler (Peer#connected):
     * {@link GrpcClient#client(Vertx, GrpcClientOptions, HttpClientOptions)} hides the HTTP client it makes, and
     * {@link GrpcClient#client(Vertx, io.vertx.core.http.HttpClient)} drops the gRPC options (the message size a
     * snapshot chunk needs). The constructor used is the one Vert.x's own builder calls; the client closes the HTTP
     * client with it.
     */
    private static final class ReloadableGrpcClient extends io.vertx.grpc.client.impl.GrpcClientImpl {
        ReloadableGrpcClient(Vertx vertx, GrpcClientOptions options, io.vertx.core.http.HttpClient http) {
            super(vertx, options, http, true);
        }
    }

    /**
     * One peer: its two {@link Lane}s (each a client, that is an HTTP/2 connection, and the long-lived Stream call on
     * it), and a watchdog.
     *
     * <p>The stream and everything about it belong to the peer's context (the context of the first node that
     * sent to it): a batch sent from another context hops there first, so no lock is needed and batches from one
     * sender keep their order. The stream is opened by the first batch and kept open. While it opens, at most
     * {@link Options#maxInflightPerPeer()} batches wait for it; more are dropped ({@code overflow}). When it
     * fails (the peer died or restarted, the connection was reset), the next batch opens a new one, but not before
     * a backoff that doubles from {@link #MIN_BACKOFF_MS} to {@link #MAX_BACKOFF_MS} while attempts fail; a batch
     * sent while the stream is down is lost and reported, as Raft retries anyway. A batch finding the stream's
     * write queue full (HTTP/2 flow control: the peer reads slower than we write), or {@link #MAX_UNANSWERED_FRAMES}
     * frames or {@link #MAX_UNANSWERED_BYTES} bytes held for the peer's answer, is dropped, never queued.
     *
     * <p>The watchdog replaces both clients (closing the old ones fails everything on them) when a stream has been
     * opening, or its writes pending without progress (no write completed and the peer granted no flow-control
     * credit on the connection, which it does as it reads: a queue that is full while the large frame ahead of it
     * still leaves at the link's speed is no fault, and a peer that stops reading part-way through a frame, with
     * nothing queued behind it, is one), or a request for a receipt (counted from when its frame has left: a large
     * frame takes as long to leave as the link needs) or an HTTP/2 PING on its connection unanswered, for longer than
     * {@link Options#callTimeoutMs()}: a peer that accepts TCP connections but never answers (a stopped process)
     * is thus noticed even when the little it was sent fits in the socket buffers, and one that keeps its connection
     * but stops reading a stream too. The same bound applies to snapshot calls that make no progress.
     */
    private final class Peer {
        static final long MIN_BACKOFF_MS = 20;
        static final long MAX_BACKOFF_MS = 1_000;
        /** How long a close waits for the streams' ends to be written before it closes the clients anyway. */
        static final long END_GRACE_MS = 1_000;
        /** A frame asks the peer for a receipt when this many were written since the last that asked... */
        static final int RECEIPT_EVERY_FRAMES = 32;
        /** ...or when this many bytes were. */
        static final long RECEIPT_EVERY_BYTES = 1L << 20;
        /**
         * Most frames held for an answer: beyond, a frame is dropped ({@code overflow}) rather than written, since a
         * refusal of it could not be told. A peer that reads, checks and answers in order never comes near it (it
         * answers a receipt every {@link #RECEIPT_EVERY_FRAMES}); one that stops answering is replaced by the
         * watchdog.
         */
        static final int MAX_UNANSWERED_FRAMES = 1024;
        /**
         * Bytes of frames held for an answer past which no frame is written (the frame that crosses it is, whatever its
         * size: a frame as large as a message may be, {@code service.max_body_bytes} and more, must still go while
         * small frames wait for their receipt; what is held are messages the node keeps anyway, not encoded copies).
         */
        static final long MAX_UNANSWERED_BYTES = 64L << 20;
        /**
         * Frames held on a stream whose peer does not answer receipts (a node of an earlier release, which says
         * nothing of receipts in its response headers, see {@link RaftEndpoint#RECEIPTS_HEADER}): the newest ones
         * only, so that a refusal of a recent frame is still reported, as before receipts existed; nothing is asked
         * of such a peer, so it is neither replaced for not answering nor held to the bounds above.
         */
        static final int HELD_WITHOUT_RECEIPTS = 64;
        /** Room left under {@link Options#maxMessageBytes()} for what a frame encodes besides entry data. */
        static final long FRAME_HEADROOM_BYTES = 64 * 1024;

        final int id;
        final Context context;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong sent = new AtomicLong();
        final AtomicLong acked = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong overflow = new AtomicLong();
        final AtomicLong frames = new AtomicLong();
        final AtomicLong streamsOpened = new AtomicLong();
        final AtomicInteger snapshotsInFlight = new AtomicInteger();
        /**
         * The (sender node, group) pairs with an InstallSnapshot call to this peer not answered yet (see
         * {@link #snapshotKey}): one call each at a time, since the core sends a snapshot again after an election
         * timeout without an answer, and a copy streamed beside one still on its way only doubles the bytes.
         */
        final java.util.Set<Long> snapshotSenders = java.util.concurrent.ConcurrentHashMap.newKeySet();
        /**
         * Sender node → its messages to this peer still in the transport: waiting for the stream to open, written on
         * it and not yet completed, or on an InstallSnapshot call not answered yet (the live view's in-flight count).
         */
        final java.util.Map<Integer, AtomicInteger> pendingBySender = new java.util.concurrent.ConcurrentHashMap<>();
        /**
         * When a snapshot call last wrote a chunk or completed, or the first one after a quiet time started (nanoTime).
         */
        volatile long lastProgress = System.nanoTime();
        /** Whether the link last worked: state changes are logged once, not every lost message. */
        volatile boolean reachable = true;
        /**
         * Why the peer was closed (the transport closed, or the node was removed and {@linkplain #forget forgotten}),
         * or null while it is in use: a message that reached it on its way to a closed peer is lost for this reason,
         * and nothing opens its clients, streams or timer again. Set on the peer's context.
         */
        volatile String retired;
        long watchdog = -1;
        /** The stream AppendEntries travel on. */
        final Lane appends = new Lane("appends");
        /** The stream every other message travels on. */
        final Lane control = new Lane("control");

        Peer(int id) {
            this.id = id;
            this.context = peerContext != null ? peerContext : vertx.getOrCreateContext();
            if (peerContext == null) {
                start();
            }
        }

        /**
         * Creates the client and the watchdog timer, on the peer's context: Vert.x closes both when the verticle
         * owning the context they were created on is undeployed.
         */
        private void start() {
            appends.client = newClient(appends);
            control.client = newClient(control);
            long stallMs = options.callTimeoutMs() + 500;
            watchdog = vertx.setPeriodic(Math.max(100, stallMs / 2), t -> onContext(() -> checkStall(stallMs)));
        }

        private GrpcClient newClient(Lane lane) {
            HttpClientOptions http = peerHttpOptions();
            GrpcClientOptions grpc = new GrpcClientOptions().setScheduleDeadlineAutomatically(true)
                    .setMaxMessageSize(options.maxMessageBytes());
            io.vertx.core.http.HttpClientAgent agent = vertx.httpClientBuilder().with(http)
                    .withConnectHandler(c -> connected(lane, c)).build();
            if (tls != null) {
                // Kept so that a renewed certificate can be loaded into it (reloadTls).
                lane.httpClient = agent;
            }
            return new ReloadableGrpcClient(vertx, grpc, agent);
        }

        /**
         * Handles what fails on a connection of the lane's client as a whole. Its streams and writes are each told
         * already (a stream's failure, a write's failed future: what was lost is reported there), and the connection
         * is closed by then; but a connection without a handler of its own has Vert.x log the exception as an ERROR
         * naming neither peer nor cause. The usual one: a write into a connection that closed under it (Netty's
         * ClosedChannelException, no message), when the transport closes, forgets the peer or the watchdog replaces the
         * connection while bytes of a frame still wait for the socket, or the peer closes it (a restart). Logged here
         * at debug level with the peer.
         */
        private void connected(Lane lane, io.vertx.core.http.HttpConnection connection) {
            connection.exceptionHandler(e -> LOG.debug("gRPC peer {}: the {} connection to {} failed: {}", id,
                    lane.name, connection.remoteAddress(), e.toString()));
        }

        /**
         * Gives the peer's HTTP client TLS options read again from the files: connections it makes from now on present
         * the renewed certificate (the open one keeps its session until it is replaced).
         */
        Future<Boolean> reloadTls(io.vertx.core.net.ClientSSLOptions renewed) {
            return callOnContext(() -> {
                io.vertx.core.http.HttpClientAgent a = appends.httpClient;
                io.vertx.core.http.HttpClientAgent c = control.httpClient;
                if (a == null || c == null || retired != null) {
                    return Future.succeededFuture(false);
                }
                return Future.all(a.updateSSLOptions(renewed.copy(), true), c.updateSSLOptions(renewed.copy(), true))
                        .map(f -> f.<Boolean>resultAt(0) || f.<Boolean>resultAt(1));
            });
        }

        private void onContext(Runnable r) {
            dispatch(() -> {
                startIfNeeded();
                r.run();
            });
        }

        /** Runs {@code r} on the peer's context: at once when called there, else as a task of that context. */
        private void dispatch(Runnable r) {
            if (Vertx.currentContext() == context) {
                r.run();
            } else {
                context.runOnContext(v -> r.run());
            }
        }

        /** Makes the peer's clients the first time anything runs on its context, unless it was closed first. */
        private void startIfNeeded() {
            if (control.client == null && retired == null) {
                start();
            }
        }

        /**
         * Runs {@code task} on the peer's context (as {@link #onContext} does) for a caller that waits for its outcome:
         * whatever throws there (making the clients, or the task itself) fails the future, which thus always
         * completes. A throw used to escape into the event loop instead, logged as unhandled, and leave the caller's
         * future pending for ever (a certificate reload that never ended).
         */
        private <T> Future<T> callOnContext(java.util.function.Supplier<Future<T>> task) {
            Promise<T> done = Promise.promise();
            dispatch(() -> {
                Future<T> outcome;
                try {
                    startIfNeeded();
                    outcome = java.util.Objects.requireNonNull(task.get(), "no future");
                } catch (RuntimeException e) {
                    outcome = Future.failedFuture(e);
                }
                outcome.onComplete(done);
            });
            return done.future();
        }

        private void checkStall(long stallMs) {
            if (closed || retired != null) {
                return;
            }
            long now = System.nanoTime();
            long limitNs = TimeUnit.MILLISECONDS.toNanos(stallMs);
            String stalled = appends.stalled(now, limitNs);
            if (stalled == null) {
                stalled = control.stalled(now, limitNs);
            }
            if (stalled == null && snapshotsInFlight.get() > 0 && now - lastProgress
                    > TimeUnit.MILLISECONDS.toNanos(Math.max(stallMs, options.snapshotTimeoutMs() + 500))) {
                stalled = snapshotsInFlight.get() + " snapshot calls made no progress";
            }
            if (stalled != null) {
                LOG.info("gRPC peer {}: {} for {} ms; reconnecting", id, stalled, stallMs);
                for (Lane lane : List.of(appends, control)) {
                    lane.abandon(stalled);
                    lane.downReason = "timeout";
                    GrpcClient stale = lane.client;
                    lane.client = newClient(lane);
                    stale.close();
                }
                lastProgress = now;
                return;
            }
            appends.ping(now);
            control.ping(now);
        }

        /**
         * Ends both streams, then closes both clients: once the ends are written, or after {@link #END_GRACE_MS}
         * if they are not. An end waits for the peer's flow-control window and the socket like any write, and a peer
         * that stopped reading (a stopped process) never gives either back; closing the client fails it instead.
         * From then on the peer is {@link #retired}: what reaches it afterwards is lost for {@code reason}.
         */
        Future<Void> close(String reason) {
            Promise<Void> done = Promise.promise();
            dispatch(() -> {
                retired = reason;
                vertx.cancelTimer(watchdog);
                if (control.client == null) {
                    done.complete(); // never started: nothing to end or close
                    return;
                }
                Promise<Void> ended = Promise.promise();
                long late = vertx.setTimer(END_GRACE_MS, t -> ended.tryComplete());
                Future.join(appends.end(reason), control.end(reason)).onComplete(ar -> {
                    vertx.cancelTimer(late);
                    ended.tryComplete();
                });
                ended.future().eventually(() -> Future.join(appends.client.close(), control.client.close()))
                        .onComplete(ar -> done.complete());
            });
            return done.future();
        }

        /** Counts messages entering ({@code +1}) or leaving ({@code -1}) the transport on the way to this peer. */
        private void pending(List<Message> messages, int sign) {
            for (Message m : messages) {
                pendingBySender.computeIfAbsent(m.from(), k -> new AtomicInteger()).addAndGet(sign);
            }
        }

        /** A message of one group sent on its own: a snapshot on InstallSnapshot, anything else as a frame of one. */
        void sendOne(int group, Message m) {
            if (m instanceof SnapshotRequest s) {
                onContext(() -> sendSnapshot(group, s));
            } else {
                sendBatch(group, List.of(m));
            }
        }

        /**
         * One group's messages: its AppendEntries as one frame on the appends stream, everything else as one frame on
         * the control stream (both streams shared by every group).
         */
        void sendBatch(int group, List<Message> batch) {
            List<Message> toAppends = null;
            List<Message> toControl = null;
            for (Message m : batch) {
                if (m instanceof AppendRequest) {
                    toAppends = toAppends == null ? new ArrayList<>(batch.size()) : toAppends;
                    toAppends.add(m);
                } else {
                    toControl = toControl == null ? new ArrayList<>(batch.size()) : toControl;
                    toControl.add(m);
                }
            }
            Frame appendsFrame = toAppends == null ? null
                    : new Frame(group, toAppends.size() == batch.size() ? batch : toAppends);
            Frame controlFrame = toControl == null ? null
                    : new Frame(group, toControl.size() == batch.size() ? batch : toControl);
            onContext(() -> {
                if (appendsFrame != null) {
                    appends.streamBatch(appendsFrame);
                }
                if (controlFrame != null) {
                    control.streamBatch(controlFrame);
                }
            });
        }

        /**
         * The frame as the faults in force now let it leave: a frame leaves later than it was sent (after the hop to
         * this context, or once the stream opens), and a partition set (or a node paused) meanwhile cuts what it
         * carries, reported as such a drop; null if nothing of it may go.
         */
        private Frame stillConnected(Frame f) {
            List<Message> going = sending.stillConnected(f.messages());
            if (going == f.messages()) {
                return f;
            }
            return going.isEmpty() ? null : new Frame(f.group(), going);
        }

        /** With TLS: null if the peer called presented a certificate of node {@link #id}, else why not. */
        private PeerGuard.Refusal checkServer(io.vertx.core.http.HttpConnection connection) {
            if (tls == null) {
                return null;
            }
            PeerIdentity identity;
            try {
                identity = PeerIdentity.of(connection.peerCertificates());
            } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
                return new PeerGuard.Refusal(PeerGuard.Reason.NO_CERTIFICATE, "node " + id + " presented no"
                        + " certificate");
            }
            return tls.guard().checkServer(identity, id);
        }

        /**
         * One client (an HTTP/2 connection of its own), the long-lived Stream call on it and what rides on it: frames
         * waiting for it to open, frames written and not yet answered, receipts asked, the backoff after a failure. A
         * peer has two: AppendEntries (and snapshots) travel on one, everything else (heartbeats, votes, responses,
         * ReadIndex, TimeoutNow) on the other, so that a large entry on its way does not hold back the heartbeats
         * behind it (a 64 MiB one took a second on loopback, and followers called elections meanwhile). Raft takes the
         * two in either order: a heartbeat never asks a follower to commit more than it is known to hold. Touched on
         * the peer's context only.
         */
        final class Lane {
            /** For logs: which of the peer's streams. */
            final String name;
            /** Created on the peer's context (so that it belongs to that context's owner): null until then. */
            volatile GrpcClient client;
            /** With TLS, the HTTP client under {@link #client} (else null). */
            volatile io.vertx.core.http.HttpClientAgent httpClient;
            GrpcClientRequest<RaftBatch, StreamRefusal> stream;
            boolean opening;
            /**
             * Counts the attempts to open the stream: an attempt the watchdog abandoned is told by its number when
             * its answer comes after all (or never: closing a client whose connection waits for the peer's HTTP/2
             * settings is not relied on to fail the request it waits with).
             */
            int attempt;
            /** Where the current attempt or stream goes (for logs). */
            SocketAddress target;
            long openStarted;
            long openedAt;
            final ArrayDeque<Frame> waiting = new ArrayDeque<>();
            long seq;
            /**
             * The frames written on the stream that no reply has answered yet, oldest first: the messages of each are
             * kept until a reply tells whether the peer delivered or refused it (replies come in frame order, so a
             * reply to frame n answers every frame before it too: one not refused was delivered).
             */
            final ArrayDeque<Sent> unanswered = new ArrayDeque<>();
            long unansweredBytes;
            /** Frames and bytes written since the last frame that asked for a receipt. */
            int framesSinceAsk;
            long bytesSinceAsk;
            /**
             * The newest frame asking for a receipt that has left (its write completed: the peer's flow control took
             * all of it), and since when an answer to such an ask is awaited (0: none is). The wait counts from the
             * moment the frame has left, not from its write: a large frame takes as long to leave as its size over the
             * link's speed (48 MiB took longer than the 1.5 s the tests allow on busy cores), and while it does, a
             * peer that stopped reading is noticed by its unanswered PING or its writes making no progress instead.
             */
            long askedSeq;
            long askedSince;
            /** The newest frame a reply answered on this stream (a reply answers every frame before it too). */
            long answeredSeq;
            /** Whether the stream's peer answers receipts: known from its response headers, false until they arrive. */
            boolean receipts;
            long retryAt = System.nanoTime();
            long backoffMs;
            String downReason = "unreachable";
            long pingSince;
            /**
             * Writes on the current stream whose completion has not come yet (a frame leaves whole or not at all: its
             * write completes once the peer's flow control took its last byte), and when one last completed or the
             * first of them started (nanoTime). Touched on the peer's context only.
             */
            int writesPending;
            long writeProgressAt;
            /**
             * When the peer last granted flow-control credit on this lane's connection (an HTTP/2 WINDOW_UPDATE: it read
             * bytes and makes room for more), set by {@link GrantWatch} on the connection's event loop; 0 until then.
             */
            volatile long grantedAt;
            /** Whether {@link #grantedAt} is kept for the current stream's connection (see {@link #watchGrants}). */
            boolean grantsWatched;

            Lane(String name) {
                this.name = name;
            }

            /** Why this stream stalled for longer than {@code limitNs} at {@code now}, or null if it did not. */
            String stalled(long now, long limitNs) {
                if (opening && now - openStarted > limitNs) {
                    return "the " + name + " stream did not open";
                } else if (stream != null && writesPending > 0 && grantsWatched
                        && now - Math.max(writeProgressAt, grantedAt) > limitNs) {
                    // Not how long the write queue stayed full: a large frame leaves at the link's speed and fills the
                    // queue behind it for as long, which is no fault. A peer that stopped reading gives no credit.
                    return "the " + name + " stream's writes made no progress (" + writesPending + " pending)";
                } else if (stream != null && pingSince != 0 && now - pingSince > limitNs) {
                    return "the connection did not answer a ping";
                } else if (stream != null && askedSince != 0 && now - askedSince > limitNs) {
                    return "the peer did not answer frame " + askedSeq + "'s request for a receipt on the " + name
                            + " stream";
                }
                return null;
            }

            /** PINGs the stream's connection, unless a PING is already awaited. */
            void ping(long now) {
                if (stream != null && pingSince == 0) {
                    GrpcClientRequest<RaftBatch, StreamRefusal> pinged = stream;
                    pingSince = now;
                    pinged.connection().ping(Buffer.buffer(new byte[8])).onComplete(ar -> onContext(() -> {
                        if (stream == pinged) {
                            pingSince = 0;
                        }
                    }));
                }
            }

            /** Loses what waits (for {@code reason}), forgets what is unanswered and ends the stream. */
            Future<Void> end(String reason) {
                loseWaiting(reason, false);
                GrpcClientRequest<RaftBatch, StreamRefusal> s = stream;
                stream = null;
                forgetUnanswered();
                return s == null ? Future.succeededFuture() : s.end();
            }

            /**
             * Reports every frame that waited for the stream to open as lost: what a partition set (or a pause)
             * meanwhile cut as such a drop, since that alone would have kept it from leaving, the rest for {@code
             * reason}.
             */
            private void loseWaiting(String reason, boolean failed) {
                List<Frame> lost = new ArrayList<>(waiting);
                waiting.clear();
                for (Frame f : lost) {
                    inFlight.addAndGet(-f.messages().size());
                    pending(f.messages(), -1);
                    Frame left = stillConnected(f);
                    if (left != null) {
                        lose(left.messages(), reason, failed);
                    }
                }
            }

            private void streamBatch(Frame sentFrame) {
                if (closed || retired != null) {
                    lose(sentFrame.messages(), closed ? "transport closed" : retired, false);
                    return;
                }
                Frame frame = stillConnected(sentFrame);
                if (frame == null) {
                    return;
                }
                List<Message> batch = frame.messages();
                if (stream != null) {
                    write(frame);
                } else if (opening) {
                    if (waiting.size() < options.maxInflightPerPeer()) {
                        waiting.add(frame);
                        inFlight.addAndGet(batch.size());
                        pending(batch, 1);
                    } else {
                        overflow.addAndGet(batch.size());
                        lose(batch, "overflow", false);
                    }
                } else if (System.nanoTime() - retryAt < 0) {
                    lose(batch, downReason, true);
                } else {
                    Optional<SocketAddress> address = peers.address(id);
                    if (address.isEmpty()) {
                        LOG.debug("no address for node {}: {} messages lost", id, batch.size());
                        lose(batch, "no address", false);
                        return;
                    }
                    waiting.add(frame);
                    inFlight.addAndGet(batch.size());
                    pending(batch, 1);
                    open(address.get());
                }
            }

            private void open(SocketAddress address) {
                opening = true;
                openStarted = System.nanoTime();
                target = address;
                int mine = ++attempt;
                client.request(address, RaftServiceGrpcClient.Stream).onComplete(ar -> onContext(() -> {
                    if (mine != attempt) {
                        // Abandoned by the watchdog, which already released what waited for it.
                        if (ar.succeeded()) {
                            ar.result().cancel();
                        }
                        return;
                    }
                    opening = false;
                    if (ar.failed()) {
                        down(ar.cause(), address);
                        loseWaiting(downReason, true);
                        return;
                    }
                    GrpcClientRequest<RaftBatch, StreamRefusal> req = ar.result();
                    authorize(req);
                    if (closed || retired != null) {
                        req.cancel();
                        return;
                    }
                    PeerGuard.Refusal wrongPeer = checkServer(req.connection());
                    if (wrongPeer != null) {
                        tls.guard().refused(address.toString(), wrongPeer);
                        req.cancel();
                        down(new IllegalStateException(wrongPeer.message()), address);
                        downReason = "rejected (" + wrongPeer.reason().code() + ")";
                        loseWaiting(downReason, true);
                        return;
                    }
                    stream = req;
                    seq = 0;
                    receipts = false;
                    forgetUnanswered();
                    pingSince = 0;
                    writesPending = 0;
                    writeProgressAt = System.nanoTime();
                    grantsWatched = watchGrants(req.connection());
                    openedAt = System.nanoTime();
                    streamsOpened.incrementAndGet();
                    if (!reachable) {
                        reachable = true;
                        LOG.info("gRPC peer {} at {} is reachable again", id, address);
                    }
                    req.exceptionHandler(e -> onContext(() -> streamFailed(req, e, address)));
                    req.response().onComplete(r -> onContext(() -> {
                        if (r.failed()) {
                            streamFailed(req, r.cause(), address);
                            return;
                        }
                        GrpcClientResponse<RaftBatch, StreamRefusal> resp = r.result();
                        if (stream == req) {
                            receipts = "1".equals(resp.headers().get(RaftEndpoint.RECEIPTS_HEADER));
                        }
                        resp.handler(reply -> onContext(() -> replied(req, reply)));
                        resp.exceptionHandler(e -> onContext(() -> streamFailed(req, e, address)));
                        resp.endHandler(v -> onContext(() -> streamFailed(req, new IllegalStateException(
                                "the peer ended the stream (" + resp.status() + ")"), address)));
                    }));
                    while (!waiting.isEmpty()) {
                        Frame waited = waiting.poll();
                        inFlight.addAndGet(-waited.messages().size());
                        pending(waited.messages(), -1);
                        Frame frame = stillConnected(waited);
                        if (frame != null) {
                            write(frame);
                        }
                    }
                }));
            }

            /**
             * Writes a frame, cut into frames of at most {@link Options#maxMessageBytes()} (less {@link
             * #FRAME_HEADROOM_BYTES}) when its AppendEntries carry more: the peer refuses a larger gRPC message whole
             * (RESOURCE_EXHAUSTED, which ends the stream), and a follower catching up gets up to max_inflight_messages
             * AppendEntries in one Ready (256 MiB with the defaults), so without the cut none of them ever arrived. A
             * single message larger than that still goes alone (the limit is sized for the largest entry). What a full
             * write queue then holds back of the later frames is dropped ({@code overflow}) and reported, as always.
             */
            private void write(Frame f) {
                List<Message> batch = f.messages();
                long budget = options.maxMessageBytes() - FRAME_HEADROOM_BYTES;
                if (batch.size() > 1 && estimatedBytes(batch) > budget) {
                    List<Message> part = new ArrayList<>();
                    long bytes = 0;
                    for (Message m : batch) {
                        long size = estimatedBytes(m);
                        if (!part.isEmpty() && bytes + size > budget) {
                            writeFrame(new Frame(f.group(), part));
                            part = new ArrayList<>();
                            bytes = 0;
                        }
                        part.add(m);
                        bytes += size;
                    }
                    writeFrame(new Frame(f.group(), part));
                } else {
                    writeFrame(f);
                }
            }

            private void writeFrame(Frame f) {
                List<Message> batch = f.messages();
                GrpcClientRequest<RaftBatch, StreamRefusal> s = stream;
                if (s == null) {
                    // An earlier part of the same frame failed the stream as it was written.
                    lose(batch, downReason, true);
                    return;
                }
                if (s.writeQueueFull()) {
                    overflow.addAndGet(batch.size());
                    lose(batch, "overflow", false);
                    return;
                }
                RaftBatch frame;
                try {
                    frame = ProtoMapping.toBatch(seq + 1, f.group(), batch);
                } catch (RuntimeException e) {
                    LOG.warn("gRPC peer {}: cannot encode a batch of {} messages of group {}", id, batch.size(),
                            f.group(), e);
                    lose(batch, "unencodable", true);
                    return;
                }
                long bytes = frame.getSerializedSize();
                if (receipts && (unanswered.size() >= MAX_UNANSWERED_FRAMES
                        || unansweredBytes >= MAX_UNANSWERED_BYTES)) {
                    // Too much waits for the peer's answer: a refusal of this frame could not be told, so it does not
                    // go.
                    overflow.addAndGet(batch.size());
                    lose(batch, "overflow", false);
                    return;
                }
                seq++;
                framesSinceAsk++;
                bytesSinceAsk += bytes;
                boolean asks = receipts
                        && (framesSinceAsk >= RECEIPT_EVERY_FRAMES || bytesSinceAsk >= RECEIPT_EVERY_BYTES);
                if (asks) {
                    frame = frame.toBuilder().setReceipt(true).build();
                    framesSinceAsk = 0;
                    bytesSinceAsk = 0;
                }
                Sent held = new Sent(seq, batch, bytes);
                unanswered.add(held);
                unansweredBytes += bytes;
                if (!receipts && unanswered.size() > HELD_WITHOUT_RECEIPTS) {
                    answered(unanswered.poll()); // an older peer: a refusal of a frame this old is no longer told
                }
                sent.addAndGet(batch.size());
                frames.incrementAndGet();
                pending(batch, 1);
                if (writesPending++ == 0) {
                    writeProgressAt = System.nanoTime();
                }
                s.write(frame).onComplete(ar -> {
                    pending(batch, -1);
                    onContext(() -> written(s));
                    if (ar.succeeded()) {
                        acked.addAndGet(batch.size());
                        if (asks) {
                            onContext(() -> left(s, held.seq));
                        }
                    } else if (!held.lost) {
                        held.lost = true;
                        LOG.debug("{} messages to node {} lost: {}", batch.size(), id, ar.cause().getMessage());
                        lose(batch, reason(ar.cause()), true);
                    }
                });
            }

            /** A write on {@code req} completed (or failed): progress, if {@code req} is still the lane's stream. */
            private void written(GrpcClientRequest<RaftBatch, StreamRefusal> req) {
                if (stream == req && writesPending > 0) {
                    writesPending--;
                    writeProgressAt = System.nanoTime();
                }
            }

            /**
             * Has {@link #grantedAt} kept for {@code connection} (once per connection: the lane's client makes all of
             * them, and a new stream may reuse one). Returns whether it could: a connection that is not Vert.x's HTTP/2
             * one (none is expected) cannot be watched, and its pending writes are then not held against the peer
             * (its PING and receipts still are).
             */
            private boolean watchGrants(io.vertx.core.http.HttpConnection connection) {
                if (!(connection instanceof io.vertx.core.net.impl.ConnectionBase base)) {
                    return false;
                }
                io.netty.channel.Channel channel = base.channel();
                io.netty.handler.codec.http2.Http2ConnectionHandler h2 = channel.pipeline()
                        .get(io.netty.handler.codec.http2.Http2ConnectionHandler.class);
                if (h2 == null) {
                    return false;
                }
                channel.eventLoop().execute(() -> {
                    io.netty.handler.codec.http2.Http2FrameListener current = h2.decoder().frameListener();
                    if (!(current instanceof GrantWatch)) {
                        h2.decoder().frameListener(new GrantWatch(current, this));
                    }
                });
                return true;
            }

            /**
             * A frame of {@code req} that asks for a receipt has left: from now on the peer has all of it, and the
             * watchdog waits {@link Options#callTimeoutMs()} for its answer, unless a reply answered it already.
             */
            private void left(GrpcClientRequest<RaftBatch, StreamRefusal> req, long frameSeq) {
                if (stream != req || frameSeq <= answeredSeq) {
                    return;
                }
                askedSeq = Math.max(askedSeq, frameSeq);
                if (askedSince == 0) {
                    askedSince = System.nanoTime();
                }
            }

            /**
             * A reply on the stream: a refusal (the frame's messages are lost: reported) or a receipt. Either answers
             * every frame before it as well, since replies come in frame order: those still held were delivered.
             */
            private void replied(GrpcClientRequest<RaftBatch, StreamRefusal> req, StreamRefusal r) {
                if (stream != req) {
                    return; // a late reply on a stream that was replaced: its frames were forgotten with it
                }
                long n = r.getSeq();
                answeredSeq = Math.max(answeredSeq, n);
                while (!unanswered.isEmpty() && unanswered.peek().seq < n) {
                    answered(unanswered.poll());
                }
                Sent s = !unanswered.isEmpty() && unanswered.peek().seq == n ? unanswered.poll() : null;
                if (s != null) {
                    answered(s);
                }
                if (askedSince != 0) {
                    // Every ask that left up to n is answered; a later one left before now, so the watchdog counts
                    // from here.
                    askedSince = n >= askedSeq ? 0 : System.nanoTime();
                }
                if (r.getReceipt()) {
                    return;
                }
                String reason = "rejected (" + GrpcStatus.valueOf(r.getStatus()).name() + ")";
                LOG.debug("gRPC peer {} refused batch {} on the {} stream: {} ({})", id, n, name, reason,
                        r.getMessage());
                if (s == null) {
                    LOG.warn("gRPC peer {} refused batch {} on the {} stream, which is not one awaiting an answer", id,
                            n, name);
                } else if (!s.lost) {
                    s.lost = true;
                    lose(s.messages, reason, true);
                }
            }

            private void answered(Sent s) {
                unansweredBytes -= s.bytes;
            }

            /** The stream is gone (or new): its frames can get no answer any more. */
            private void forgetUnanswered() {
                unanswered.clear();
                unansweredBytes = 0;
                framesSinceAsk = 0;
                bytesSinceAsk = 0;
                askedSeq = 0;
                askedSince = 0;
                answeredSeq = 0;
            }

            private void streamFailed(GrpcClientRequest<RaftBatch, StreamRefusal> req, Throwable cause,
                    SocketAddress address) {
                if (stream != req) {
                    return;
                }
                stream = null;
                forgetUnanswered();
                req.cancel();
                boolean lived = System.nanoTime() - openedAt > TimeUnit.MILLISECONDS.toNanos(MAX_BACKOFF_MS);
                down(cause, address);
                if (lived) {
                    // A stream that worked for a while may be reopened at once (the peer restarted); one that keeps
                    // failing as soon as it opens backs off like a refused connection.
                    retryAt = System.nanoTime();
                    backoffMs = 0;
                }
            }

            /**
             * Gives up on the stream or the attempt to open it, for {@code why} (the watchdog's finding), before the
             * watchdog closes the lane's client: what waited is released and lost here, whatever closing the client
             * later fails or does not fail.
             */
            void abandon(String why) {
                if (opening) {
                    opening = false;
                    attempt++;
                    down(new TimeoutException(why), target);
                    loseWaiting(downReason, true);
                } else if (stream != null) {
                    streamFailed(stream, new TimeoutException(why), target);
                }
            }

            /** An attempt to reach the peer failed: wait before the next one, longer each time. */
            private void down(Throwable cause, SocketAddress address) {
                downReason = reason(cause);
                backoffMs = backoffMs == 0 ? MIN_BACKOFF_MS : Math.min(MAX_BACKOFF_MS, backoffMs * 2);
                retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoffMs);
                if (reachable) {
                    reachable = false;
                    LOG.info("gRPC peer {} at {}: {} ({}); messages to it are lost until it answers", id, address,
                            downReason, cause.getMessage());
                }
            }

        }

        private void lose(List<Message> batch, String reason, boolean failure) {
            if (failure) {
                failed.addAndGet(batch.size());
            }
            for (Message m : batch) {
                drops.dropped(m, reason);
            }
        }

        /**
         * Streams a snapshot on an InstallSnapshot call, unless one from the same sender and group to this peer is
         * still on its way: the leader's core sends a snapshot again when an election timeout passes without an
         * answer, which a large snapshot (streamed, written and installed before the follower answers) easily takes.
         * Streaming each copy beside the ones still going would split the link between them, so each takes longer
         * than the timeout too, and the follower would buffer every copy whole: the transfer would never finish and the
         * follower would run out of memory. The copy sent meanwhile is lost, as on a busy network; once the call in
         * flight is answered, the follower's answer (or the core's next retry) moves replication on.
         */
        private void sendSnapshot(int group, SnapshotRequest s) {
            if (retired != null) {
                drops.dropped(s, retired);
                return;
            }
            if (!sending.stillConnected(s)) {
                return; // cut since it was sent, while it hopped to this context
            }
            Optional<SocketAddress> address = peers.address(id);
            if (address.isEmpty()) {
                LOG.debug("no address for node {}: snapshot lost", id);
                drops.dropped(s, "no address");
                return;
            }
            long key = snapshotKey(s.from(), group);
            if (!snapshotSenders.add(key)) {
                LOG.debug("snapshot {} of group {} to node {} not sent: the previous one is still on its way",
                        s.snapshot().index(), group, id);
                drops.dropped(s, "snapshot in flight");
                return;
            }
            int now = inFlight.incrementAndGet();
            if (now > options.maxInflightPerPeer()) {
                inFlight.decrementAndGet();
                snapshotSenders.remove(key);
                overflow.incrementAndGet();
                drops.dropped(s, "overflow");
                return;
            }
            if (snapshotsInFlight.incrementAndGet() == 1) {
                lastProgress = System.nanoTime();
            }
            sent.incrementAndGet();
            pending(List.of(s), 1);
            Future<Ack> call;
            try {
                call = snapshot(appends.client, address.get(), group, s);
            } catch (RuntimeException e) {
                call = Future.failedFuture(e);
            }
            call.onComplete(ar -> {
                inFlight.decrementAndGet();
                pending(List.of(s), -1);
                snapshotsInFlight.decrementAndGet();
                snapshotSenders.remove(key);
                lastProgress = System.nanoTime();
                if (ar.succeeded()) {
                    acked.incrementAndGet();
                } else {
                    failed.incrementAndGet();
                    String reason = reason(ar.cause());
                    LOG.info("snapshot {} of group {} to node {} lost: {} ({})", s.snapshot().index(), group, id,
                            reason, ar.cause().getMessage());
                    drops.dropped(s, reason);
                }
            });
        }

        /** The key of {@link #snapshotSenders}: the sending node and the Raft group. */
        private static long snapshotKey(int from, int group) {
            return ((long) from << 32) | (group & 0xffffffffL);
        }

        private Future<Ack> snapshot(GrpcClient c, SocketAddress address, int group, SnapshotRequest s) {
            return c.request(address, RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                authorize(req);
                // No deadline for the whole call: a snapshot takes as long as its size over the link's speed, and one
                // that needed longer than a fixed deadline (60 s: 2 GiB at 30 MB/s) failed every time and started
                // again from its first byte at the core's next retry, so the follower never caught up. Each chunk the
                // connection takes is progress instead, and the watchdog gives the call up once none was made for
                // snapshotTimeoutMs (checkStall).
                Promise<Ack> answer = Promise.promise();
                // A partition set (or a node paused) while the snapshot streams keeps its remaining chunks here, as it
                // keeps every frame that has not left yet: the call is reset and the snapshot lost for the cut.
                ChunkWriter writer = new ChunkWriter(req, ProtoMapping.header(s, group), s.snapshot().data(),
                        options.snapshotChunkBytes(), () -> lastProgress = System.nanoTime(),
                        () -> sending.blocked(s.from(), id), cut -> {
                            answer.tryFail(new CutException(cut));
                            req.cancel();
                        });
                writer.outcome().onComplete(ar -> {
                    if (ar.succeeded()) {
                        answer.tryComplete(ar.result());
                    } else {
                        answer.tryFail(ar.cause());
                    }
                });
                writer.write();
                return answer.future();
            });
        }
    }

    /**
     * A frame written on a peer's stream and held, by its number, until a reply answers it: its messages, its encoded
     * size, and whether they were already reported lost (its write failed), so that no message is reported twice.
     */
    private static final class Sent {
        final long seq;
        final List<Message> messages;
        final long bytes;
        boolean lost;

        Sent(long seq, List<Message> messages, long bytes) {
            this.seq = seq;
            this.messages = messages;
            this.bytes = bytes;
        }
    }

    /**
     * Sees the flow-control credit a peer grants on one of a lane's connections (HTTP/2 WINDOW_UPDATE, on the stream
     * or the connection) and stamps the lane's {@link Peer.Lane#grantedAt}; every frame goes on to Vert.x's own
     * listener unchanged. A peer grants credit as it reads (with the default 64 KiB windows, every 32 KiB), so a large
     * frame leaving at the link's speed is seen to progress, and a peer that stopped reading it (one that still
     * answers PINGs) is seen not to. Credit for any stream of the connection counts: the appends connection also
     * carries InstallSnapshot calls, so a snapshot the peer reads keeps a stalled appends stream from being judged
     * stalled until it ends (the snapshot has its own bound). Runs on the connection's event loop.
     */
    private static final class GrantWatch extends io.netty.handler.codec.http2.Http2FrameListenerDecorator {
        private final Peer.Lane lane;

        GrantWatch(io.netty.handler.codec.http2.Http2FrameListener vertx, Peer.Lane lane) {
            super(vertx);
            this.lane = lane;
        }

        @Override
        public void onWindowUpdateRead(io.netty.channel.ChannelHandlerContext ctx, int streamId, int increment)
                throws io.netty.handler.codec.http2.Http2Exception {
            lane.grantedAt = System.nanoTime();
            super.onWindowUpdateRead(ctx, streamId, increment);
        }
    }

    /**
     * Room counted for what a message encodes in a frame besides its entries (terms, indexes, the envelope), and for
     * what each entry encodes besides its data: generous, since the estimate must stay above the encoded size.
     */
    private static final long MESSAGE_OVERHEAD_BYTES = 128;
    private static final long ENTRY_OVERHEAD_BYTES = 64;

    /**
     * An upper estimate of the bytes {@code messages} take in a frame: their entries' data and room for the rest (a
     * snapshot, which MessageBytes would count whole, never travels in a frame: it goes on InstallSnapshot).
     */
    private static long estimatedBytes(List<Message> messages) {
        return MessageBytes.of(messages, MESSAGE_OVERHEAD_BYTES, ENTRY_OVERHEAD_BYTES);
    }

    private static long estimatedBytes(Message m) {
        return MessageBytes.of(m, MESSAGE_OVERHEAD_BYTES, ENTRY_OVERHEAD_BYTES);
    }

    /** The messages of one group for one peer, sent as one frame. */
    private record Frame(int group, List<Message> messages) {
    }

    /** What gave up a snapshot call whose link was cut while it streamed: its reason is the cut's. */
    private static final class CutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CutException(String cut) {
            super(cut, null, false, false);
        }
    }

    private static String reason(Throwable t) {
        if (t instanceof CutException) {
            return t.getMessage();
        }
        if (t instanceof InvalidStatusException s) {
            return "rejected (" + s.actualStatus().name() + ")";
        }
        if (t instanceof GrpcErrorException e) {
            return "call failed (" + e.status().name() + ")";
        }
        if (t instanceof TimeoutException) {
            return "timeout";
        }
        String text = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
        if (text.contains("timeout") || text.contains("timed out") || text.contains("deadline")) {
            return "timeout";
        }
        return "unreachable";
    }

    /**
     * Streams one snapshot: the header with the first chunk, {@code chunkBytes} per chunk, {@code last} on the
     * final one; pauses while the HTTP/2 stream's write queue is full so a large snapshot is never copied into
     * the connection's buffers all at once. Each chunk written to the connection runs {@code progress}, which is what
     * keeps a slow transfer that still moves from being given up. Before each chunk it asks {@code blocked} whether the
     * link is cut now (a partition, a paused node); if so, nothing more is written and {@code cut} is told why.
     *
     * <p>It stops for good once the call has an outcome ({@link #outcome()}: the peer answered, refused, or reset it,
     * or its connection closed) or a write throws (Vert.x refuses writes into a call that failed): a drain of the
     * write queue that comes after the call failed used to resume the loop, whose next write threw into the event
     * loop (logged as an unhandled exception) while the rest of the snapshot was still to be written into a dead call.
     */
    static final class ChunkWriter {
        private final GrpcClientRequest<SnapshotChunk, Ack> req;
        private final SnapshotHeader header;
        private final byte[] data;
        private final int chunkBytes;
        private final Runnable progress;
        private final java.util.function.Supplier<String> blocked;
        private final java.util.function.Consumer<String> cut;
        private final Future<Ack> outcome;
        private int offset;
        private boolean first = true;
        /** Set once the call has an outcome, was cut, or refused a write: nothing more is written. */
        private boolean stopped;

        ChunkWriter(GrpcClientRequest<SnapshotChunk, Ack> req, SnapshotHeader header, byte[] data, int chunkBytes,
                Runnable progress, java.util.function.Supplier<String> blocked, java.util.function.Consumer<String> cut) {
            this.req = req;
            this.header = header;
            this.data = data;
            this.chunkBytes = chunkBytes;
            this.progress = progress;
            this.blocked = blocked;
            this.cut = cut;
            this.outcome = req.response().compose(resp -> resp.last());
            outcome.onComplete(ar -> stop());
        }

        /**
         * The call's outcome: the peer's answer, or why the call failed (the peer's status, a reset, a closed
         * connection). A cut does not complete it; whoever is told of the cut gives the call up.
         */
        Future<Ack> outcome() {
            return outcome;
        }

        private void stop() {
            if (!stopped) {
                stopped = true;
                req.drainHandler(null);
            }
        }

        void write() {
            while (!stopped) {
                String why = blocked.get();
                if (why != null) {
                    stop();
                    cut.accept(why);
                    return;
                }
                int n = Math.min(chunkBytes, data.length - offset);
                boolean last = offset + n >= data.length;
                SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder()
                        .setData(ByteString.copyFrom(data, offset, n)).setLast(last);
                if (first) {
                    chunk.setHeader(header);
                    first = false;
                }
                offset += n;
                Future<Void> written;
                try {
                    written = last ? req.end(chunk.build()) : req.write(chunk.build());
                } catch (IllegalStateException e) {
                    // The call failed and its outcome is not known here yet: the reset makes it known.
                    stop();
                    req.cancel();
                    return;
                }
                written.onSuccess(v -> progress.run());
                if (last) {
                    stop();
                    return;
                }
                if (req.writeQueueFull()) {
                    req.drainHandler(v -> {
                        req.drainHandler(null);
                        write();
                    });
                    return;
                }
            }
        }
    }

    // ---------------------------------------------------------------- receiving

    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        return register(0, nodeId, handler);
    }

    /** Registers the handler of one group's replica of a local node (group 0 is {@link #register(int, Handler)}). */
    private Future<Registration> register(int group, int nodeId, Handler<Message> handler) {
        Replica key = new Replica(group, nodeId);
        Local local = new Local(vertx.getOrCreateContext(), handler, new AtomicInteger(), new AtomicLong(),
                new java.util.concurrent.atomic.AtomicBoolean());
        locals.put(key, local);
        return Future.succeededFuture(() -> {
            locals.remove(key, local);
            return Future.succeededFuture();
        });
    }

    /**
     * The RaftService endpoint of one local node's client port: accepts messages addressed to that node only.
     *
     * @param servedNode the node whose port this is
     * @return the gRPC service to add to that port's gRPC server
     */
    public Service service(int servedNode) {
        return new RaftEndpoint(this, servedNode);
    }

    /**
     * Hands the decoded messages of one call or stream frame to their node's replica of their group, in order, on
     * the replica's context; checks all of them first, so a refused frame delivers nothing.
     *
     * @param servedNode the node of the port they arrived on
     * @param group      their Raft group as it came off the wire (a uint32: negative means beyond 2^31 - 1)
     * @param messages   the messages
     * @return a failure status if they cannot be delivered
     */
    Future<Ack> deliverAll(int servedNode, int group, List<Message> messages) {
        for (Message m : messages) {
            if (m.to() != servedNode) {
                return Future.failedFuture(RaftEndpoint.notFound("node " + m.to() + " is not served on this port"
                        + " (it serves node " + servedNode + ")"));
            }
            if (!isMember(m.from()) && !acceptedFromAnyId(m)) {
                return Future.failedFuture(RaftEndpoint.invalid("sender " + m.from() + " is not a member of the"
                        + " cluster " + members));
            }
        }
        Local local = locals.get(new Replica(group, servedNode));
        if (local == null) {
            return Future.failedFuture(RaftEndpoint.unavailable(notRunning(group, servedNode)));
        }
        if (Vertx.currentContext() == local.context) {
            messages.forEach(local.handler::handle);
        } else {
            // Nothing else bounds this queue: the endpoint reads every frame as it comes and answers its receipt at
            // once, so neither the sender's bounds (frames held for receipts, its write queue) nor HTTP/2 flow control
            // hold back a peer that sends faster than the node's event loop takes its messages (a peer that
            // misbehaves, or any sender while the loop is slow). A leader's in-flight window bounds its own
            // AppendEntries only. Beyond the bound the frame is refused (the sender reports its messages lost).
            long bytes = MessageBytes.of(messages, 0, 0);
            if (!local.admit(messages.size(), bytes, maxWaitingBytes())) {
                if (local.full().compareAndSet(false, true)) {
                    LOG.warn("node {} (group {}) takes its messages slower than they arrive: {} messages ({} bytes)"
                            + " wait for its event loop; frames are refused until it catches up", servedNode,
                            Integer.toUnsignedString(group), local.waiting().get(), local.waitingBytes().get());
                }
                return Future.failedFuture(RaftEndpoint.exhausted("node " + servedNode + " has "
                        + local.waiting().get() + " messages waiting for its event loop: the frame is refused"));
            }
            local.context.runOnContext(v -> {
                local.release(messages.size(), bytes);
                messages.forEach(local.handler::handle);
            });
        }
        return Future.succeededFuture(Ack.getDefaultInstance());
    }

    /**
     * Most messages delivered to one replica that may wait for its event loop: far above what well-behaved peers have
     * on their way to it (each leader pipelines at most {@code max_inflight_messages}, 256 by default, AppendEntries
     * per follower, and sends a heartbeat per interval), so that only a node whose loop has fallen far behind, or a
     * peer that floods it, meets it.
     */
    static final int MAX_WAITING_MESSAGES = 65_536;

    /** Frames of the largest size a receiver accepts that may wait for one replica's event loop (see below). */
    static final long MAX_WAITING_FRAMES_OF_MAX_SIZE = 8;

    /**
     * Most bytes of entry and snapshot data waiting for one replica's event loop: eight of the largest messages the
     * receiver takes ({@link Options#maxMessageBytes()}, 512 MiB with the defaults, twice a leader's whole in-flight
     * window with the default {@code max_inflight_messages} and {@code max_bytes_per_message}). The frame that crosses
     * it is still taken, so a message as large as may be always goes when little waits.
     */
    private long maxWaitingBytes() {
        return MAX_WAITING_FRAMES_OF_MAX_SIZE * options.maxMessageBytes();
    }

    /** Whether answers from {@code node} are taken: a member this transport was not told was removed. */
    private boolean isMember(int node) {
        return members.contains(node) && !forgotten.contains(node);
    }

    /**
     * Whether {@code m} is what a leader or a candidate sends (AppendEntries, heartbeats, InstallSnapshot, TimeoutNow,
     * vote and pre-vote requests), which a node takes from an id its process has not seen yet (docs/membership.md): a
     * follower that was down while a member was added, or a joining node whose configuration does not list a leader
     * added since, learns of that member only from the log the member itself sends. The Raft rules (terms, logs,
     * the membership in effect) decide what such a message may do; answers still come only from known members.
     */
    private static boolean acceptedFromAnyId(Message m) {
        return m instanceof AppendRequest || m instanceof Heartbeat || m instanceof SnapshotRequest
                || m instanceof TimeoutNow || m instanceof VoteRequest;
    }

    /**
     * What waits in this transport for node {@code nodeId}'s replica of group 0 (see {@link #queues(int, int)}).
     *
     * @param nodeId a local node
     * @return the figures now
     */
    @Override
    public TransportQueues queues(int nodeId) {
        return queues(0, nodeId);
    }

    /**
     * The frames that arrived for the replica and wait for its event loop, and per peer the node's messages still in
     * the transport: waiting for the stream to open, written and not completed, or on a snapshot call not answered.
     * The streams are shared by every group, so the per-peer figures are the node's, whatever the group.
     */
    private TransportQueues queues(int group, int nodeId) {
        Local local = locals.get(new Replica(group, nodeId));
        java.util.Map<Integer, Integer> out = new java.util.TreeMap<>();
        clients.forEach((peer, p) -> {
            AtomicInteger n = p.pendingBySender.get(nodeId);
            if (n != null) {
                out.put(peer, Math.max(0, n.get()));
            }
        });
        return new TransportQueues(local == null ? 0 : local.waiting.get(), out);
    }

    /** The Vert.x instance the transport runs on (the endpoints' timers). */
    Vertx vertx() {
        return vertx;
    }

    /**
     * A reassembler for one incoming snapshot stream.
     *
     * @return a fresh assembler bounded by {@link Options#maxSnapshotBytes()}
     */
    SnapshotAssembler assembler() {
        return new SnapshotAssembler(options.maxSnapshotBytes());
    }

    /**
     * The bound on the snapshot streams this process receives at once (every port it serves together).
     *
     * @return the intake
     */
    SnapshotIntake snapshotIntake() {
        return snapshotIntake;
    }

    /**
     * Whether a replica of {@code group} is registered for {@code node}: a snapshot for one that is not is refused at its
     * header, as {@link #deliverAll} would refuse it at its end.
     *
     * @param group the group as it came off the wire
     * @param node  the node
     * @return true if a replica would take it now
     */
    boolean hasReplica(int group, int node) {
        return locals.containsKey(new Replica(group, node));
    }

    /** Why a message for a group without a registered replica of {@code node} is refused (UNAVAILABLE). */
    static String notRunning(int group, int node) {
        return group == 0 ? "node " + node + " is not running"
                : "group " + Integer.toUnsignedString(group) + " of node " + node + " is not running (no"
                + " replica of it is registered)";
    }

    /**
     * A registered local node: its handler, the context it registered from, the messages handed to that context that
     * the handler has not taken yet and the bytes of entry and snapshot data they carry, and whether the last frame
     * was refused for them (so that a node that falls behind is logged once, not per frame).
     */
    private record Local(Context context, Handler<Message> handler, AtomicInteger waiting, AtomicLong waitingBytes,
            java.util.concurrent.atomic.AtomicBoolean full) {

        /**
         * Counts a frame in, unless {@link #MAX_WAITING_MESSAGES} messages or {@code maxBytes} bytes would be
         * exceeded: a frame is always taken when nothing waits, and the frame that crosses the bytes bound is.
         */
        boolean admit(int messages, long bytes, long maxBytes) {
            int n = waiting.addAndGet(messages);
            long b = waitingBytes.addAndGet(bytes);
            if (n > messages && (n > MAX_WAITING_MESSAGES || b - bytes >= maxBytes)) {
                release(messages, bytes);
                return false;
            }
            if (full.get()) {
                full.set(false);
            }
            return true;
        }

        /** Counts a frame out: its messages reached the handler. */
        void release(int messages, long bytes) {
            waiting.addAndGet(-messages);
            waitingBytes.addAndGet(-bytes);
        }
    }

    /** One group's replica of a local node: what a registration is for. */
    private record Replica(int group, int node) {
    }

    /**
     * The transport as one Raft group (other than 0) sees it: everything goes through the enclosing transport, with
     * the group attached, so that the group shares its peer links and fault injection with every other group.
     */
    private final class GroupView implements Transport {
        private final int group;

        GroupView(int group) {
            this.group = group;
        }

        @Override
        public void send(Message m) {
            GrpcTransport.this.sendAll(group, List.of(m));
        }

        @Override
        public void sendAll(List<Message> messages) {
            GrpcTransport.this.sendAll(group, messages);
        }

        @Override
        public TransportQueues queues(int nodeId) {
            return GrpcTransport.this.queues(group, nodeId);
        }

        @Override
        public Future<Registration> register(int nodeId, Handler<Message> handler) {
            return GrpcTransport.this.register(group, nodeId, handler);
        }

        /** Views are of the whole transport: the view of another group is that group's view, not a nesting. */
        @Override
        public Transport group(int other) {
            return GrpcTransport.this.group(other);
        }

        @Override
        public String toString() {
            return "GrpcTransport.group(" + group + ")";
        }
    }
}
