package io.raftline.transport.grpc;

import com.google.protobuf.ByteString;
import io.raftline.proto.raft.Ack;
import io.raftline.proto.raft.RaftServiceGrpcClient;
import io.raftline.proto.raft.SnapshotChunk;
import io.raftline.proto.raft.SnapshotHeader;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.VoteRequest;
import io.raftline.transport.EventBusTransport;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.Transport;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.client.GrpcClientOptions;
import io.vertx.grpc.client.GrpcClientRequest;
import io.vertx.grpc.client.InvalidStatusException;
import io.vertx.grpc.common.GrpcErrorException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.server.Service;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
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
 * VoteRequests go on RequestVote, snapshots as a client stream of {@link Options#snapshotChunkBytes()} chunks on
 * InstallSnapshot (the header in the first chunk), every other message in a RaftEnvelope on AppendEntries. Each
 * peer has its own Vert.x gRPC client: one HTTP/2 connection, on which calls are multiplexed in the order they
 * are sent. Raft messages are one-way, so the Ack only frees the call; a call that fails (peer down, connection
 * refused or reset, deadline, an error status) is a lost message and is reported to the drop listener, exactly
 * like a network loss. {@link #send} never blocks: calls in flight to one peer are bounded by
 * {@link Options#maxInflightPerPeer()}, and beyond that messages are dropped at once ({@code overflow}), so a
 * dead or frozen peer cannot pile up memory. A dead peer fails its calls at once (connection refused or reset);
 * for a frozen one a per-peer watchdog replaces the connection when its calls make no progress for
 * {@link Options#callTimeoutMs()}, which fails them and frees their slots. Unary calls carry no deadline of
 * their own: a timer per Raft message measurably cost throughput, and the watchdog bounds the wait the same way.
 * A snapshot stream has a deadline ({@link Options#snapshotTimeoutMs()}).
 *
 * <h2>Faults</h2>
 * Every send first asks the {@link NetworkConditioner}, as {@link EventBusTransport} does, so partitions, loss,
 * delay, duplication and paused nodes from the admin API and the live view apply to gRPC traffic too.
 *
 * <h2>Receiving</h2>
 * {@link #register} records the node's handler and its context; the service maps the protobuf to the core's
 * records ({@link ProtoMapping}, which validates) and hands the message to the handler on that context. A message
 * for a node this port does not serve is refused with NOT_FOUND; one for a node that is not (yet) registered with
 * UNAVAILABLE; one that does not decode, or comes from a non-member, with INVALID_ARGUMENT.
 */
public final class GrpcTransport implements Transport {

    private static final Logger LOG = LoggerFactory.getLogger(GrpcTransport.class);

    /**
     * Tuning of the transport.
     *
     * @param maxInflightPerPeer most calls in flight to one peer; more messages are dropped ({@code overflow})
     * @param callTimeoutMs      how long the calls in flight to a peer may make no progress before the watchdog
     *                           replaces its connection (failing them)
     * @param snapshotTimeoutMs  deadline of one InstallSnapshot stream
     * @param snapshotChunkBytes snapshot bytes per streamed chunk
     * @param connectTimeoutMs   TCP connect timeout to a peer
     * @param maxMessageBytes    largest single gRPC message accepted by the receiving side
     * @param maxSnapshotBytes   largest snapshot a receiver reassembles
     */
    public record Options(int maxInflightPerPeer, long callTimeoutMs, long snapshotTimeoutMs, int snapshotChunkBytes,
            int connectTimeoutMs, long maxMessageBytes, long maxSnapshotBytes) {

        /** 256 calls per peer, 3 s without progress, 60 s per snapshot, 256 KiB chunks, 1 s connect, 64 MiB messages. */
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
     * Counters of one peer link, as seen by this sender.
     *
     * @param inFlight calls not answered yet
     * @param sent     calls started
     * @param acked    calls the peer acknowledged
     * @param failed   calls that failed (each a lost message)
     * @param overflow messages dropped because {@code inFlight} was at its bound
     */
    public record PeerStats(int inFlight, long sent, long acked, long failed, long overflow) {
    }

    private final Vertx vertx;
    private final NetworkConditioner conditioner;
    private final EventBusTransport.DropListener drops;
    private final PeerAddresses peers;
    private final Set<Integer> members;
    private final Options options;
    private final Map<Integer, Peer> clients = new ConcurrentHashMap<>();
    private final Map<Integer, Local> locals = new ConcurrentHashMap<>();
    private volatile boolean closed;

    /**
     * Creates the transport; clients are created on first use, one per peer.
     *
     * @param vertx       the Vert.x instance
     * @param conditioner the network faults to apply
     * @param drops       told about lost messages
     * @param peers       where each node's client port is
     * @param members     ids of the cluster's members (messages from anyone else are refused)
     * @param options     tuning
     */
    public GrpcTransport(Vertx vertx, NetworkConditioner conditioner, EventBusTransport.DropListener drops,
            PeerAddresses peers, Set<Integer> members, Options options) {
        this.vertx = vertx;
        this.conditioner = conditioner;
        this.drops = drops;
        this.peers = peers;
        this.members = Set.copyOf(members);
        this.options = options;
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
        if (closed) {
            drops.dropped(m, "transport closed");
            return;
        }
        NetworkConditioner.Verdict v = conditioner.decide(m.from(), m.to());
        if (v.dropped()) {
            drops.dropped(m, v.dropReason());
            return;
        }
        for (long delay : v.delaysMs()) {
            if (delay <= 0) {
                peer(m.to()).send(m);
            } else {
                vertx.setTimer(delay, t -> {
                    // The faults may have changed while the message was "in the network".
                    String blocked = conditioner.blocked(m.from(), m.to());
                    if (blocked != null) {
                        drops.dropped(m, blocked);
                    } else {
                        peer(m.to()).send(m);
                    }
                });
            }
        }
    }

    private Peer peer(int id) {
        return clients.computeIfAbsent(id, Peer::new);
    }

    /**
     * The counters of the link to one peer.
     *
     * @param nodeId the peer
     * @return its counters (zeros if nothing was ever sent to it)
     */
    public PeerStats stats(int nodeId) {
        Peer p = clients.get(nodeId);
        return p == null ? new PeerStats(0, 0, 0, 0, 0) : new PeerStats(p.inFlight.get(), p.sent.get(), p.acked.get(),
                p.failed.get(), p.overflow.get());
    }

    /**
     * Closes every peer client; messages sent afterwards are dropped.
     *
     * @return completes when the clients are closed
     */
    public Future<Void> close() {
        closed = true;
        List<Future<Void>> all = new ArrayList<>();
        for (Peer p : clients.values()) {
            all.add(p.close());
        }
        clients.clear();
        return Future.join(all).mapEmpty();
    }

    /**
     * One peer: its client (one HTTP/2 connection), the counters that bound what is in flight to it, and a
     * watchdog. A peer that accepts TCP connections and never answers (a stopped process) leaves calls waiting,
     * for the HTTP/2 handshake or for their answer. When calls are in flight and none completed for longer than
     * {@link Options#callTimeoutMs()}, the watchdog replaces the client: closing it fails everything waiting on
     * it, which frees the slots.
     */
    private final class Peer {
        final int id;
        volatile GrpcClient client;
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicLong sent = new AtomicLong();
        final AtomicLong acked = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong overflow = new AtomicLong();
        final AtomicInteger snapshotsInFlight = new AtomicInteger();
        /** When a call last completed, or the first call after a quiet time started (nanoTime). */
        volatile long lastProgress = System.nanoTime();
        /** Whether the last call succeeded: state changes are logged once, not every lost message. */
        volatile boolean reachable = true;
        final long watchdog;

        Peer(int id) {
            this.id = id;
            this.client = newClient();
            long stallMs = options.callTimeoutMs() + 500;
            this.watchdog = vertx.setPeriodic(Math.max(100, stallMs / 2), t -> checkStall(stallMs));
        }

        private GrpcClient newClient() {
            HttpClientOptions http = new HttpClientOptions().setHttp2ClearTextUpgrade(false).setTcpNoDelay(true)
                    .setConnectTimeout(options.connectTimeoutMs()).setKeepAlive(true);
            return GrpcClient.client(vertx, new GrpcClientOptions().setScheduleDeadlineAutomatically(true)
                    .setMaxMessageSize(options.maxMessageBytes()), http);
        }

        private void checkStall(long stallMs) {
            long limitNs = TimeUnit.MILLISECONDS.toNanos(snapshotsInFlight.get() > 0
                    ? Math.max(stallMs, options.snapshotTimeoutMs() + 500) : stallMs);
            if (closed || inFlight.get() == 0 || System.nanoTime() - lastProgress < limitNs) {
                return;
            }
            LOG.info("gRPC peer {}: {} calls made no progress for {} ms; reconnecting", id, inFlight.get(),
                    TimeUnit.NANOSECONDS.toMillis(limitNs));
            GrpcClient stale = client;
            client = newClient();
            lastProgress = System.nanoTime();
            stale.close();
        }

        Future<Void> close() {
            vertx.cancelTimer(watchdog);
            return client.close();
        }

        void send(Message m) {
            Optional<SocketAddress> address = peers.address(id);
            if (address.isEmpty()) {
                LOG.debug("no address for node {}: {} lost", id, m.kind());
                drops.dropped(m, "no address");
                return;
            }
            int now = inFlight.incrementAndGet();
            if (now > options.maxInflightPerPeer()) {
                inFlight.decrementAndGet();
                overflow.incrementAndGet();
                drops.dropped(m, "overflow");
                return;
            }
            if (now == 1) {
                lastProgress = System.nanoTime();
            }
            sent.incrementAndGet();
            GrpcClient c = client;
            Future<Ack> call;
            try {
                if (m instanceof VoteRequest v) {
                    call = unary(c, address.get(), RaftServiceGrpcClient.RequestVote, ProtoMapping.toProto(v));
                } else if (m instanceof SnapshotRequest s) {
                    snapshotsInFlight.incrementAndGet();
                    call = snapshot(c, address.get(), s).andThen(ar -> snapshotsInFlight.decrementAndGet());
                } else {
                    call = unary(c, address.get(), RaftServiceGrpcClient.AppendEntries, ProtoMapping.toEnvelope(m));
                }
            } catch (RuntimeException e) {
                call = Future.failedFuture(e);
            }
            call.onComplete(ar -> {
                inFlight.decrementAndGet();
                lastProgress = System.nanoTime();
                if (ar.succeeded()) {
                    acked.incrementAndGet();
                    if (!reachable) {
                        reachable = true;
                        LOG.info("gRPC peer {} at {} is reachable again", id, address.get());
                    }
                } else {
                    failed.incrementAndGet();
                    String reason = reason(ar.cause());
                    if (reachable) {
                        reachable = false;
                        LOG.info("gRPC peer {} at {}: {} ({}); messages to it are lost until it answers", id,
                                address.get(), reason, ar.cause().getMessage());
                    }
                    LOG.debug("{} to node {} lost: {} ({})", m.kind(), id, reason, ar.cause().getMessage());
                    drops.dropped(m, reason);
                }
            });
        }

        private <Req> Future<Ack> unary(GrpcClient c, SocketAddress address, ServiceMethod<Ack, Req> method,
                Req message) {
            return c.request(address, method).compose(req -> req.send(message)).compose(resp -> resp.last());
        }

        private Future<Ack> snapshot(GrpcClient c, SocketAddress address, SnapshotRequest s) {
            return c.request(address, RaftServiceGrpcClient.InstallSnapshot).compose(req -> {
                req.timeout(options.snapshotTimeoutMs(), TimeUnit.MILLISECONDS);
                Future<Ack> answer = req.response().compose(resp -> resp.last());
                new ChunkWriter(req, ProtoMapping.header(s), s.snapshot().data(), options.snapshotChunkBytes())
                        .write();
                return answer;
            });
        }
    }

    private static String reason(Throwable t) {
        if (t instanceof InvalidStatusException s) {
            return "rejected (" + s.actualStatus().name() + ")";
        }
        if (t instanceof GrpcErrorException e) {
            return "call failed (" + e.status().name() + ")";
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
     * the connection's buffers all at once.
     */
    static final class ChunkWriter {
        private final GrpcClientRequest<SnapshotChunk, Ack> req;
        private final SnapshotHeader header;
        private final byte[] data;
        private final int chunkBytes;
        private int offset;
        private boolean first = true;

        ChunkWriter(GrpcClientRequest<SnapshotChunk, Ack> req, SnapshotHeader header, byte[] data, int chunkBytes) {
            this.req = req;
            this.header = header;
            this.data = data;
            this.chunkBytes = chunkBytes;
        }

        void write() {
            while (true) {
                int n = Math.min(chunkBytes, data.length - offset);
                boolean last = offset + n >= data.length;
                SnapshotChunk.Builder chunk = SnapshotChunk.newBuilder()
                        .setData(ByteString.copyFrom(data, offset, n)).setLast(last);
                if (first) {
                    chunk.setHeader(header);
                    first = false;
                }
                offset += n;
                if (last) {
                    req.end(chunk.build());
                    return;
                }
                req.write(chunk.build());
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
        Local local = new Local(vertx.getOrCreateContext(), handler);
        locals.put(nodeId, local);
        return Future.succeededFuture(() -> {
            locals.remove(nodeId, local);
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
     * Hands a decoded message to its node, on the node's context.
     *
     * @param servedNode the node of the port it arrived on
     * @param m          the message
     * @return a failure status if it cannot be delivered
     */
    Future<Ack> deliver(int servedNode, Message m) {
        if (m.to() != servedNode) {
            return Future.failedFuture(RaftEndpoint.notFound("node " + m.to() + " is not served on this port"
                    + " (it serves node " + servedNode + ")"));
        }
        if (!members.contains(m.from())) {
            return Future.failedFuture(RaftEndpoint.invalid("sender " + m.from() + " is not a member of the cluster "
                    + members));
        }
        Local local = locals.get(m.to());
        if (local == null) {
            return Future.failedFuture(RaftEndpoint.unavailable("node " + m.to() + " is not running"));
        }
        if (Vertx.currentContext() == local.context) {
            local.handler.handle(m);
        } else {
            local.context.runOnContext(v -> local.handler.handle(m));
        }
        return Future.succeededFuture(Ack.getDefaultInstance());
    }

    /**
     * A reassembler for one incoming snapshot stream.
     *
     * @return a fresh assembler bounded by {@link Options#maxSnapshotBytes()}
     */
    SnapshotAssembler assembler() {
        return new SnapshotAssembler(options.maxSnapshotBytes());
    }

    /** A registered local node: its handler and the context it registered from. */
    private record Local(Context context, Handler<Message> handler) {
    }
}
