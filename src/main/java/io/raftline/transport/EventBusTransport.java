package io.raftline.transport;

import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.security.FrameAuthenticator;
import io.raftline.security.PeerFrameKeys;
import io.raftline.security.PeerGuard;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.MessageConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Sends Raft messages over the Vert.x event bus, one address per node: {@code raft.rpc.<nodeId>}.
 *
 * <p>Every send first asks the {@link NetworkConditioner} (through {@link ConditionedSend}, as gRPC does): that is
 * where partitions, loss, delay and duplication are injected. Messages are fire-and-forget (no reply, no ack): Raft's own responses and
 * retries are the acknowledgement. Within one JVM {@link RaftMessageCodec} hands the immutable record
 * over without serializing it; on a clustered event bus the same codec writes {@link RaftWireFormat}.
 *
 * <p>What a node sends a peer waits in that link's outbox until the task that sent it ends, and then leaves as one
 * event-bus message, a {@link RaftBatch} ({@link RaftBatchCodec}): one frame, one delivery, one handler call on the
 * receiver, which hands the messages to its node in order. Everything one turn of the node's event loop sends that
 * peer (a Ready's messages before its write and after it, heartbeats, answers) shares the frame, and the work of
 * writing frames runs in one place (the flush) instead of in each caller. A message the conditioner delays or
 * duplicates joins the outbox when it goes, behind what was queued before it; one it drops never does. A frame of a
 * single message is that message alone, not a batch of one.
 *
 * <p>On a sharded node ({@code "groups"} above 1, {@link #group(int)}) the groups' replicas do not send their batches
 * themselves: each goes to its peer's outbox, and a flush on the transport's own context sends everything queued for
 * that peer meanwhile as one {@link GroupBatches} frame to the peer's group-0 address, whose consumer hands each group's
 * messages to that group's replica on its context, in order. Under load the replicas' Readys share frames; one frame
 * per group per Ready would make the cost per message grow with the number of groups. What waits in an outbox leaves
 * the node at the flush, so the flush applies the partitions and paused nodes in force then
 * ({@link ConditionedSend#stillConnected}): a cut set since the replica sent is a {@code partition} (or {@code paused})
 * drop, never a frame across the cut.
 *
 * <p>On a clustered bus with {@code security.cluster_secret}, the codecs tag every frame ({@link FrameAuthenticator})
 * and the consumer refuses a frame whose tag does not verify before any of it reaches the node, counting it in the
 * {@link PeerGuard}. With per-node certificates ({@link PeerFrameKeys}) the tag is the key of the sender and receiver
 * pair, so a member cannot claim another's id: a frame goes only to a peer whose key is known (otherwise it is dropped
 * and the peer's certificate asked for, Raft sends again), and a frame is accepted only with its claimed sender's tag
 * (otherwise it is refused, counted, and the claimed sender's certificate asked for again, in case it was renewed).
 *
 * <p>On a clustered bus every frame states the sending process's number of Raft groups ({@code "groups"}), and the
 * consumer refuses a frame whose number is not this process's ({@link GroupCountCheck}): its messages reach no node
 * and are reported dropped with a reason naming the sender and both numbers, the sender is logged once at ERROR.
 * Processes that map keys to groups differently must never work together (docs/sharding.md).
 *
 * <p>On a clustered bus a frame whose entries or snapshot carry more than {@link #CHUNKED_ABOVE_BYTES} does not go
 * whole: the bus writes every message between two processes on one connection, in order, and a 64 MiB entry held back
 * every heartbeat behind it for longer than an election timeout. It goes in {@link FrameChunk}s through the peer's
 * {@link BulkLane}, one chunk at a time, encoded on a worker; the peer's consumer puts them together and decodes the
 * frame on a worker, and hands its messages on as if it had come whole (docs/performance.md, twenty-second round).
 *
 * <p>One snapshot per sender, group and peer is on its way at a time, from the send until the bus has written its
 * frame (on a clustered bus, to the connection's socket; in one process, to the receiver's queue) or failed to; a
 * snapshot sent meanwhile is lost ({@code snapshot in flight}), as with gRPC. The leader's core sends a snapshot again
 * after an election timeout without an answer, and on a clustered bus every copy was encoded whole and queued on the
 * connection behind the copies still being written: a snapshot slower than a timeout piled up copies without bound.
 */
public final class EventBusTransport implements Transport {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EventBusTransport.class);

    /** Prefix of the per-node address; the node id follows. */
    public static final String ADDRESS_PREFIX = "raft.rpc.";

    /**
     * On a clustered bus, a frame whose entries and snapshot data come to more than this goes in {@link FrameChunk}s:
     * well above what load of ordinary values batches into one AppendEntries, well below what holds back a heartbeat
     * for an election timeout (64 MiB did, in 9 writes of 9, with the shipped 300-600 ms).
     */
    static final int CHUNKED_ABOVE_BYTES = 4 << 20;
    /** Bytes of a large frame per chunk: what a heartbeat may find ahead of it on the connection. */
    static final int CHUNK_BYTES = 1 << 20;
    /** How long the bus may take to write one chunk before its frame is given up (its messages lost). */
    static final long CHUNK_WRITE_TIMEOUT_MS = 10_000;

    /** Told about each message the network lost, so the event stream can draw it. */
    @FunctionalInterface
    public interface DropListener {
        /**
         * A message was lost.
         *
         * @param m      the message
         * @param reason {@code partition}, {@code paused} or {@code drop}
         */
        void dropped(Message m, String reason);
    }

    /** What {@link #probe} sends: nothing (a frame of the event bus's own Buffer codec, with no Raft content). */
    private static final io.vertx.core.buffer.Buffer PROBE = io.vertx.core.buffer.Buffer.buffer(new byte[0]);

    private final EventBus bus;
    private final DeliveryOptions options = new DeliveryOptions().setCodecName(RaftMessageCodec.NAME);
    private final DeliveryOptions batchOptions = new DeliveryOptions().setCodecName(RaftBatchCodec.NAME);
    private final DeliveryOptions groupOptions = new DeliveryOptions().setCodecName(GroupBatchesCodec.NAME);
    private final ConditionedSend sending;
    private final PeerGuard guard;
    /** The Raft group this view carries (0: the transport itself). */
    private final int group;
    /** The transport of group 0, which makes the other groups' views once each and keeps them. */
    private final EventBusTransport base;
    private final java.util.Map<Integer, EventBusTransport> groups;
    /** Base only: where the per-peer outboxes of a sharded node are flushed. */
    private final Context flusher;
    /** Base only: link (sending node, peer node, {@link #key}) → what is queued on it, not yet sent. */
    private final java.util.Map<Long, Outbox> outboxes;
    /** Base only: (group, node) → the replica's handler and context, for frames that carry several groups. */
    private final java.util.Map<Long, Receiver> receivers;
    /**
     * Base only: (group, node) → messages sent from this process to that replica here that its handler has not taken
     * yet (on the bus, then in its event loop's queue). Counted from the sending side, which only this process sees.
     */
    private final java.util.Map<Long, java.util.concurrent.atomic.AtomicInteger> waiting;
    /** Shared by every group's view: the links with a snapshot on its way (see the class comment). */
    private final Set<SnapshotLink> snapshotsInFlight;
    private final DropListener drops;
    private final Vertx vertx;
    /** With per-pair frame keys: whom frames can go to (null otherwise). */
    private final PeerFrameKeys pairs;
    /** With per-pair frame keys: asks for a peer's certificate (at most so often; returns at once). */
    private final java.util.function.IntConsumer wantKey;
    /**
     * Base only: peer node → the lane its large frames take (a clustered bus only, see {@link FrameChunk}); null when
     * frames go whole (one process: nothing is serialized).
     */
    private final java.util.Map<Integer, BulkLane> lanes;
    private final DeliveryOptions chunkOptions = new DeliveryOptions().setCodecName(FrameChunkCodec.NAME);
    /** This process's number of Raft groups, and the refusal of frames from a process with another. */
    private final GroupCountCheck groupCount;

    /**
     * What a link's outbox holds, whether a flush of it is scheduled, and where its flushes run: one context, so that
     * the link's frames leave one after the other, in the order their messages were queued.
     */
    private static final class Outbox {
        final java.util.Queue<GroupBatches.Part> parts = new java.util.concurrent.ConcurrentLinkedQueue<>();
        final java.util.concurrent.atomic.AtomicBoolean scheduled = new java.util.concurrent.atomic.AtomicBoolean();
        final Context context;

        Outbox(Context context) {
            this.context = context;
        }
    }

    /** A snapshot's way: from a node's replica of a group to a peer. */
    private record SnapshotLink(int from, int group, int to) {
    }

    /** A registered replica: messages for it run on its context. */
    private record Receiver(Context context, Handler<Message> handler) {
    }

    /**
     * Creates the transport and registers the codec on this Vert.x instance's event bus (once).
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener) {
        this(vertx, conditioner, dropListener, 1);
    }

    /**
     * Creates the transport of a process with {@code groups} Raft groups and registers the codecs (once).
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages (also those refused from a peer with another number of groups)
     * @param groups       the process's configured number of Raft groups: written on every frame to another process,
     *                     and frames that carry another are refused ({@link GroupCountCheck})
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener, int groups) {
        this(vertx, conditioner, dropListener, null, null, null, null, groups);
    }

    /**
     * Creates the transport, authenticating the frames of a clustered bus when {@code auth} is given.
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages
     * @param auth         tags and verifies frames on the wire, or null for none
     * @param guard        counts and logs refused frames (required with {@code auth})
     * @param groups       the process's configured number of Raft groups (see above)
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener,
            FrameAuthenticator auth, PeerGuard guard, int groups) {
        this(vertx, conditioner, dropListener, auth, null, null, guard, groups);
    }

    /**
     * Creates the transport, tagging each frame with the key of its sender and receiver ({@link PeerFrameKeys}).
     *
     * @param vertx        the Vert.x instance
     * @param conditioner  the network faults to apply
     * @param dropListener told about lost messages (also those to a peer whose key is not known yet)
     * @param pairs        the pair keys
     * @param wantKey      asks for a peer's certificate (rate-limited by the callee, never blocking)
     * @param guard        counts and logs refused frames
     * @param groups       the process's configured number of Raft groups (see above)
     */
    public EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener,
            PeerFrameKeys pairs, java.util.function.IntConsumer wantKey, PeerGuard guard, int groups) {
        this(vertx, conditioner, dropListener, null, java.util.Objects.requireNonNull(pairs),
                java.util.Objects.requireNonNull(wantKey), guard, groups);
    }

    private EventBusTransport(Vertx vertx, NetworkConditioner conditioner, DropListener dropListener,
            FrameAuthenticator auth, PeerFrameKeys pairs, java.util.function.IntConsumer wantKey, PeerGuard guard,
            int groups) {
        if ((auth != null || pairs != null) && guard == null) {
            throw new IllegalArgumentException("frame authentication needs a guard to report refusals to");
        }
        this.bus = vertx.eventBus();
        this.sending = new ConditionedSend(vertx, conditioner, dropListener);
        this.guard = guard;
        this.group = 0;
        this.base = this;
        this.groups = new java.util.concurrent.ConcurrentHashMap<>();
        this.flusher = vertx.getOrCreateContext();
        this.outboxes = new java.util.concurrent.ConcurrentHashMap<>();
        this.receivers = new java.util.concurrent.ConcurrentHashMap<>();
        this.waiting = new java.util.concurrent.ConcurrentHashMap<>();
        this.snapshotsInFlight = java.util.concurrent.ConcurrentHashMap.newKeySet();
        this.drops = dropListener;
        this.vertx = vertx;
        this.pairs = pairs;
        this.wantKey = wantKey;
        this.lanes = vertx.isClustered() ? new java.util.concurrent.ConcurrentHashMap<>() : null;
        this.groupCount = new GroupCountCheck(groups);
        FrameChunkCodec.registerOnce(bus, auth, pairs, groups);
        RaftMessageCodec.registerOnce(bus, auth, pairs, groups);
        RaftBatchCodec.registerOnce(bus, auth, pairs, groups);
        GroupBatchesCodec.registerOnce(bus, auth, pairs, groups);
    }

    /** Group {@code group}'s view of {@code base}: its bus, receivers, counters and lanes. */
    private EventBusTransport(EventBusTransport base, int group) {
        this.bus = base.bus;
        this.sending = base.sending;
        this.guard = base.guard;
        this.group = group;
        this.base = base;
        this.groups = base.groups;
        this.flusher = base.flusher;
        this.outboxes = base.outboxes;
        this.receivers = base.receivers;
        this.waiting = base.waiting;
        this.snapshotsInFlight = base.snapshotsInFlight;
        this.drops = base.drops;
        this.vertx = base.vertx;
        this.pairs = base.pairs;
        this.wantKey = base.wantKey;
        this.lanes = base.lanes;
        this.groupCount = base.groupCount;
    }

    /**
     * Group {@code g}'s view: the same bus (one connection per pair of processes on a clustered bus) and the same
     * network faults, on addresses of its own ({@link #address(int, int)}).
     */
    @Override
    public Transport group(int g) {
        if (g < 0) {
            throw new IllegalArgumentException("group must be >= 0, got " + g);
        }
        return g == 0 ? base : groups.computeIfAbsent(g, k -> new EventBusTransport(base, k));
    }

    /**
     * Makes sure this process's event bus has a route to a peer before Raft needs one: an empty frame to the peer's
     * address, which its consumer ignores. On a clustered bus the first message to an address asks the cluster manager
     * who subscribed it and the first message to a process opens a connection to it; a follower never sends to the
     * other followers, so without probes those lookups happen at the worst moment, when the leader has just died: its
     * first pre-vote to the other survivor waits for them, and when the dead process owned that part of Hazelcast's
     * subscription map, for the map to notice the death as well (measured: a pre-vote 180 ms on its way, a split vote,
     * a failover of 1.04 s where most take 0.4-0.5 s). Once resolved, the route stays current: Vert.x keeps what it
     * looked up and updates it when the peer subscribes again. A probe is not a Raft message: no fault applies to it,
     * the live view does not show it, and no node sees it.
     *
     * @param to the peer
     */
    public void probe(int to) {
        try {
            bus.send(address(to), PROBE);
        } catch (RuntimeException e) {
            // As in write(): the next probe goes a period later, and the other peers' probes still go now.
            LOG.debug("a route probe to node {} could not be handed to the event bus: {}", to, e.toString());
        }
    }

    /**
     * The address a node receives on.
     *
     * @param nodeId the node
     * @return {@code raft.rpc.<nodeId>}
     */
    public static String address(int nodeId) {
        return ADDRESS_PREFIX + nodeId;
    }

    /**
     * The address a node's replica of a Raft group receives on.
     *
     * @param nodeId the node
     * @param group  the group
     * @return {@code raft.rpc.<nodeId>} for group 0, {@code raft.rpc.<nodeId>.<group>} for the others
     */
    public static String address(int nodeId, int group) {
        return group == 0 ? address(nodeId) : ADDRESS_PREFIX + nodeId + "." + group;
    }

    @Override
    public void send(Message m) {
        sendAll(List.of(m));
    }

    @Override
    public void sendAll(List<Message> messages) {
        sending.route(messages, m -> true, this::sendBatch, this::sendNow);
    }

    /**
     * With pair keys: whether frames can go to {@code to}; if not, the messages are dropped (Raft sends again) and the
     * peer's certificate asked for.
     */
    private boolean unreachable(int to, List<Message> messages) {
        if (pairs == null || pairs.knows(to)) {
            return false;
        }
        wantKey.accept(to);
        for (Message m : messages) {
            drops.dropped(m, "no verified certificate of node " + to + " yet");
        }
        return true;
    }

    private void sendBatch(int to, List<Message> batch) {
        if (unreachable(to, batch)) {
            return;
        }
        List<Message> going = claimSnapshotLinks(batch);
        if (going.isEmpty()) {
            return;
        }
        if (lanes != null) {
            going = lanes.computeIfAbsent(to, k -> base.new BulkLane(k)).divert(group, going);
            if (going.isEmpty()) {
                return;
            }
        }
        outbox(to, going);
    }

    /**
     * A message the conditioner delayed or duplicated, now due: it takes the path of a batch of one, so that on a
     * sharded node it queues in the peer's outbox behind what its group sent that peer before (sent straight to the
     * group's address, a duplicate's copies arrived before the batch still in the outbox that they followed).
     */
    private void sendNow(Message m) {
        sendBatch(m.to(), List.of(m));
    }

    /**
     * The messages that may go: a snapshot whose link already has one on its way is dropped ({@code snapshot in
     * flight}), the others take their link until the frame that carries them is written ({@link #write}).
     */
    private List<Message> claimSnapshotLinks(List<Message> messages) {
        List<Message> going = messages;
        for (int i = 0; i < messages.size(); i++) {
            Message m = messages.get(i);
            if (m instanceof SnapshotRequest s && !snapshotsInFlight.add(new SnapshotLink(s.from(), group, s.to()))) {
                if (going == messages) {
                    going = new ArrayList<>(messages.subList(0, i));
                }
                LOG.debug("snapshot {} of group {} from node {} to node {} not sent: the previous one is still on its way",
                        s.snapshot().index(), group, s.from(), s.to());
                drops.dropped(s, "snapshot in flight");
            } else if (going != messages) {
                going.add(m);
            }
        }
        return going;
    }

    /** The links of the snapshots among {@code messages} of group {@code g} (none: an empty immutable list). */
    private static List<SnapshotLink> snapshotLinks(int g, List<Message> messages) {
        List<SnapshotLink> links = List.of();
        for (Message m : messages) {
            if (m instanceof SnapshotRequest) {
                if (links.isEmpty()) {
                    links = new ArrayList<>(1);
                }
                links.add(new SnapshotLink(m.from(), g, m.to()));
            }
        }
        return links;
    }

    /**
     * Hands a frame to the bus. A frame that carries snapshots frees their links once the bus has written it or failed
     * to: only then can the next snapshot on those links go.
     */
    private void write(String address, Object frame, DeliveryOptions delivery, List<SnapshotLink> links) {
        try {
            if (links.isEmpty()) {
                bus.send(address, frame, delivery);
                return;
            }
            bus.sender(address, delivery).write(frame).onComplete(ar -> links.forEach(snapshotsInFlight::remove));
        } catch (RuntimeException e) {
            // Vert.x 5.0.7's clustered bus can throw from a send (IllegalStateException "Promise already completed" in
            // OutboundConnection.writeMessage, seen once as a stopped process continued after a peer had left). The
            // frame is taken as lost, as Raft takes any message, and its snapshots' links are freed: left taken, no
            // snapshot could go to those peers again.
            links.forEach(snapshotsInFlight::remove);
            LOG.warn("a frame to {} could not be handed to the event bus: {}", address, e.toString());
        }
    }

    /**
     * Counts messages handed to the bus for a replica registered in this process until its handler takes them; before
     * the send, so that a handler on another thread cannot take them before they are counted.
     */
    private void queued(int g, int to, int n) {
        java.util.concurrent.atomic.AtomicInteger w = waiting.get(key(g, to));
        if (w != null) {
            w.addAndGet(n);
        }
    }

    /** The replica's handler took {@code n} messages (never below zero: a remote sender's were not counted). */
    private void taken(int g, int nodeId, int n) {
        java.util.concurrent.atomic.AtomicInteger w = waiting.get(key(g, nodeId));
        if (w != null) {
            w.getAndUpdate(v -> Math.max(0, v - n));
        }
    }

    /**
     * The messages sent from this process to the node's replica of this view's group that its handler has not taken
     * yet: waiting on the bus and in its event loop's queue. Messages from other processes of a clustered bus are not
     * counted (their senders count them). In flight, per peer: this group's messages in the peer's chunked lane, not
     * written yet (a large frame on its way, and what follows it); nothing else waits in the transport.
     */
    @Override
    public TransportQueues queues(int nodeId) {
        java.util.concurrent.atomic.AtomicInteger w = waiting.get(key(group, nodeId));
        java.util.Map<Integer, Integer> inLanes = java.util.Map.of();
        if (lanes != null) {
            for (java.util.Map.Entry<Integer, BulkLane> e : lanes.entrySet()) {
                java.util.concurrent.atomic.AtomicInteger n = e.getValue().messages.get(group);
                if (n != null && n.get() > 0) {
                    if (inLanes.isEmpty()) {
                        inLanes = new java.util.HashMap<>();
                    }
                    inLanes.put(e.getKey(), n.get());
                }
            }
        }
        return w == null && inLanes.isEmpty() ? TransportQueues.EMPTY
                : new TransportQueues(w == null ? 0 : w.get(), inLanes);
    }

    /**
     * Queues a batch in its link's outbox and makes sure a flush is scheduled: everything the sender queues for that
     * peer before the flush runs shares one frame, one event-bus message (one write, one wakeup of the peer). On a
     * sharded node the link's outbox takes every group's batches, and its flushes run on the transport's own context
     * (the groups' replicas may run on several). Otherwise the sending node's context flushes, after the task that
     * sent: what one turn of its event loop sends a peer (the messages of a Ready before its write and after it,
     * heartbeats, the answers to what arrived) leaves as one frame, and the work of writing it runs in one place.
     * The send path had been compiled into each of the node's four callers of the transport: half of what the JIT
     * compiled in a cold cluster's first PUT @16 run (docs/performance.md, thirty-ninth round).
     */
    private void outbox(int to, List<Message> batch) {
        Outbox box = outboxes.computeIfAbsent(key(batch.get(0).from(), to), k -> {
            Context caller = groups.isEmpty() ? Vertx.currentContext() : null;
            return new Outbox(caller != null ? caller : flusher);
        });
        box.parts.add(new GroupBatches.Part(group, batch));
        if (box.scheduled.compareAndSet(false, true)) {
            box.context.runOnContext(v -> flush(to, box));
        }
    }

    private void flush(int to, Outbox box) {
        box.scheduled.set(false);
        List<GroupBatches.Part> parts = new java.util.ArrayList<>();
        for (GroupBatches.Part p = box.parts.poll(); p != null; p = box.parts.poll()) {
            // They leave the node only now: a partition set (or a node paused) since they were queued cuts them.
            List<Message> going = sending.stillConnected(p.messages());
            if (going != p.messages()) {
                List<SnapshotLink> kept = snapshotLinks(p.group(), going);
                for (SnapshotLink link : snapshotLinks(p.group(), p.messages())) {
                    if (!kept.contains(link)) {
                        snapshotsInFlight.remove(link); // its snapshot will not be written: the next one may go
                    }
                }
                if (going.isEmpty()) {
                    continue;
                }
                p = new GroupBatches.Part(p.group(), going);
            }
            parts.add(p);
        }
        if (parts.isEmpty()) {
            return;
        }
        List<SnapshotLink> links = new ArrayList<>();
        for (GroupBatches.Part p : parts) {
            queued(p.group(), to, p.messages().size());
            links.addAll(snapshotLinks(p.group(), p.messages()));
        }
        if (groups.isEmpty()) {
            // One group: its messages in one RaftBatch, or one message alone, to the node's address.
            List<Message> all = parts.get(0).messages();
            if (parts.size() > 1) {
                all = new ArrayList<>();
                for (GroupBatches.Part p : parts) {
                    all.addAll(p.messages());
                }
            }
            if (all.size() == 1) {
                write(address(to, 0), all.get(0), options, links);
            } else {
                write(address(to, 0), new RaftBatch(all), batchOptions, links);
            }
            return;
        }
        // To group 0's address: one consumer per node takes every frame, which keeps each group's messages in the
        // order they were sent.
        write(address(to), new GroupBatches(parts), groupOptions, links);
    }

    /**
     * The way a peer's large frames go on a clustered bus: AppendEntries and snapshots whose data exceed {@link
     * #CHUNKED_ABOVE_BYTES}, cut into {@link FrameChunk}s that are handed to the bus one at a time (the next once the bus
     * has written the one before), so that what the node sends the peer meanwhile outside this lane (heartbeats, votes,
     * answers, ReadIndex, TimeoutNow) finds at most one chunk ahead of it on the connection. A group's later
     * AppendEntries and snapshots to the peer follow its large frame through the lane until the lane has written
     * everything of that group, so that they stay in the order they were sent (Raft would take them in any order, at
     * the cost of rejections and retries). All of a lane's work runs on the transport's own context ({@link #flusher}),
     * after any outbox flush scheduled before it. The peer decodes a chunked frame on a worker; an AppendEntries or
     * snapshot that arrives the usual way meanwhile (sent just after the lane emptied) waits for that frame there, so
     * the node takes them in the order they were sent.
     */
    private final class BulkLane {
        private final int peer;
        /**
         * Group → its messages in this lane, not written yet, counted by the group's replica before the hand-over: while
         * above zero the group's AppendEntries and snapshots follow through the lane; {@link #queues} reports them.
         */
        private final java.util.Map<Integer, java.util.concurrent.atomic.AtomicInteger> messages =
                new java.util.concurrent.ConcurrentHashMap<>();
        /** Frames waiting for the lane, oldest first. Touched on {@link #flusher} only, as are the fields below. */
        private final java.util.ArrayDeque<GroupBatches.Part> queue = new java.util.ArrayDeque<>();
        private boolean busy;
        private long transfers;
        /** Counts chunk writes, so that a timeout can tell whether the write it watches is still the current one. */
        private long writes;

        BulkLane(int peer) {
            this.peer = peer;
            // Numbers from a random start: a peer still holding the first chunks of a frame an earlier run of this
            // process sent cannot take a frame of this run for the rest of it.
            this.transfers = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        }

        /**
         * Takes the AppendEntries and snapshots of {@code messages} (group {@code g}'s, to this lane's peer) into the
         * lane when they are large or the group already has frames in it; returns what goes the usual way (all of
         * {@code messages} when nothing is taken). Runs on the group's replica's context.
         */
        List<Message> divert(int g, List<Message> messages) {
            java.util.concurrent.atomic.AtomicInteger inLane = this.messages.get(g);
            boolean following = inLane != null && inLane.get() > 0;
            if (!following && bulkBytes(messages) <= CHUNKED_ABOVE_BYTES) {
                return messages;
            }
            List<Message> bulk = new ArrayList<>();
            List<Message> rest = new ArrayList<>();
            for (Message m : messages) {
                (bulk(m) ? bulk : rest).add(m);
            }
            if (bulk.isEmpty()) {
                return messages;
            }
            List<GroupBatches.Part> frames = frames(g, bulk);
            this.messages.computeIfAbsent(g, k -> new java.util.concurrent.atomic.AtomicInteger())
                    .addAndGet(bulk.size());
            flusher.runOnContext(v -> {
                queue.addAll(frames);
                next();
            });
            return rest;
        }

        /**
         * The lane's frames for {@code bulk}, in order, each of at most {@link #CHUNKED_ABOVE_BYTES} of data unless one
         * message alone carries more. A follower caught up after an outage gets up to max_inflight_messages
         * AppendEntries of max_bytes_per_message in one Ready (256 MiB with the defaults): as one frame, that was one
         * array of its whole size on each side, encoded and decoded in one piece, with the peer's later AppendEntries
         * held behind its decode.
         */
        private List<GroupBatches.Part> frames(int g, List<Message> bulk) {
            List<GroupBatches.Part> frames = new ArrayList<>();
            List<Message> frame = new ArrayList<>();
            long bytes = 0;
            for (Message m : bulk) {
                long size = bulkBytes(m);
                if (!frame.isEmpty() && bytes + size > CHUNKED_ABOVE_BYTES) {
                    frames.add(new GroupBatches.Part(g, frame));
                    frame = new ArrayList<>();
                    bytes = 0;
                }
                frame.add(m);
                bytes += size;
            }
            frames.add(new GroupBatches.Part(g, frame));
            return frames;
        }

        /** Starts on the next frame, unless one is being written. */
        private void next() {
            if (busy) {
                return;
            }
            GroupBatches.Part part = queue.poll();
            if (part == null) {
                return;
            }
            busy = true;
            // It leaves the node only now: a partition set (or a node paused) since it was queued cuts it.
            List<Message> going;
            try {
                going = sending.stillConnected(part.messages());
            } catch (RuntimeException e) {
                done(part, List.of(), null); // a drop listener that throws must not leave the lane busy
                throw e;
            }
            if (going.isEmpty()) {
                done(part, List.of(), null);
                return;
            }
            // Encoded on a worker: a frame of 64 MiB kept the event loop, and the heartbeats it sends, for 300 ms.
            vertx.executeBlocking(fatalOnOutOfMemory(() -> GroupBatchesCodec.frame(new GroupBatches(List.of(
                    new GroupBatches.Part(part.group(), going))))), false).onComplete(encoded -> {
                        if (encoded.failed()) {
                            LOG.warn("a frame of {} messages of group {} to node {} cannot be encoded", going.size(),
                                    part.group(), peer, encoded.cause());
                            done(part, going, "unreachable");
                            return;
                        }
                        byte[] frame = encoded.result();
                        int count = Math.max(1, (frame.length + CHUNK_BYTES - 1) / CHUNK_BYTES);
                        queued(part.group(), peer, going.size());
                        writeChunk(part, going, frame, ++transfers, 0, count);
                    });
        }

        private void writeChunk(GroupBatches.Part part, List<Message> going, byte[] frame, long transfer, int index,
                int count) {
            int sender = going.get(0).from();
            // A partition set (or a node paused) while the frame was encoded or is on its way: the rest stays here.
            String cut = sending.blocked(sender, peer);
            if (cut != null) {
                giveUp(part, going, cut);
                return;
            }
            int from = index * CHUNK_BYTES;
            byte[] bytes = java.util.Arrays.copyOfRange(frame, from, Math.min(frame.length, from + CHUNK_BYTES));
            FrameChunk chunk = new FrameChunk(sender, peer, transfer, index, count, frame.length, bytes);
            long write = ++writes;
            long timer = vertx.setTimer(CHUNK_WRITE_TIMEOUT_MS, t -> {
                if (writes == write && busy) {
                    LOG.info("node {}: a chunk of a {}-byte frame to node {} was not written in {} ms; its {} messages"
                            + " are lost", sender, frame.length, peer, CHUNK_WRITE_TIMEOUT_MS, going.size());
                    writes++; // the write's late completion, if any, is ignored
                    giveUp(part, going, "unreachable");
                }
            });
            Future<Void> written;
            try {
                written = bus.sender(address(peer), chunkOptions).write(chunk);
            } catch (RuntimeException e) {
                LOG.warn("a chunk to node {} could not be handed to the event bus", peer, e);
                vertx.cancelTimer(timer);
                writes++;
                giveUp(part, going, "unreachable");
                return;
            }
            written.onComplete(ar -> flusher.runOnContext(v -> {
                if (writes != write) {
                    return; // given up by the timer
                }
                vertx.cancelTimer(timer);
                if (ar.failed()) {
                    LOG.debug("a chunk to node {} failed: {}", peer, ar.cause().getMessage());
                    giveUp(part, going, "unreachable");
                } else if (index + 1 < count) {
                    writeChunk(part, going, frame, transfer, index + 1, count);
                } else {
                    done(part, List.of(), null);
                }
            }));
        }

        /**
         * A frame given up after it was counted for its receiver ({@link #queued}): it will not reach it (unless a
         * write the timer gave up completes after all, which the count's floor of zero absorbs).
         */
        private void giveUp(GroupBatches.Part part, List<Message> going, String reason) {
            taken(part.group(), peer, going.size());
            done(part, going, reason);
        }

        /**
         * The frame is written (or given up: {@code lost} are reported lost, for {@code reason}); the lane goes on with
         * the next. The lane's own state is settled first, so that a listener that throws cannot leave it busy.
         */
        private void done(GroupBatches.Part part, List<Message> lost, String reason) {
            busy = false;
            messages.get(part.group()).addAndGet(-part.messages().size());
            snapshotLinks(part.group(), part.messages()).forEach(snapshotsInFlight::remove);
            try {
                for (Message m : lost) {
                    drops.dropped(m, reason);
                }
            } finally {
                next();
            }
        }
    }

    /**
     * Bytes of entry data and snapshots the messages carry, and nothing for the rest of them: what decides whether
     * their frame goes in chunks.
     */
    private static long bulkBytes(List<Message> messages) {
        return MessageBytes.of(messages, 0, 0);
    }

    /** Bytes of entry data or snapshot one message carries. */
    private static long bulkBytes(Message m) {
        return MessageBytes.of(m, 0, 0);
    }

    /**
     * A node's consumer's reassembly of chunked frames: one frame at a time per sender, whose chunks arrive in order
     * on the sender's connection; a chunk out of order (a lost one, a sender that started again) drops the frame,
     * whose messages Raft sends again. What a chunk announces is checked against what arrives, and nothing is
     * allocated for what has not arrived: the chunks are kept as they came and put together on the worker that
     * decodes the frame, so a chunk of 60 bytes announcing a frame of 2 GiB costs 60 bytes, not a 2 GiB array on the
     * event loop (review, 2026-12-04). At most {@link #MAX_PARTIAL_FRAMES} frames are put together at once (the
     * least recently advanced gives way), and one that no chunk advanced for {@link #PARTIAL_FRAME_EXPIRY_MS} (its
     * sender died or gave up) is dropped.
     */
    static final class Assembly {
        /** Frames put together at once, from different senders: more than a node has peers sending large frames. */
        static final int MAX_PARTIAL_FRAMES = 16;
        /** A frame no chunk advanced for this long is given up: twice the time its sender gives a chunk's write. */
        static final long PARTIAL_FRAME_EXPIRY_MS = 2 * CHUNK_WRITE_TIMEOUT_MS;

        private final java.util.Map<Integer, Partial> bySender = new java.util.LinkedHashMap<>(16, 0.75f, true);

        private static final class Partial {
            final long transfer;
            final int total;
            final int count;
            final int chunkLength;
            final List<byte[]> pieces = new ArrayList<>();
            int next;
            long filled;
            long touchedNanos;

            Partial(FrameChunk first, long now) {
                this.transfer = first.transfer();
                this.total = first.total();
                this.count = first.count();
                this.chunkLength = first.bytes().length;
                this.touchedNanos = now;
            }
        }

        /**
         * Adds a chunk that arrived at {@code nowNanos}; returns the whole frame's chunks, in order, once its last one
         * is in, else null.
         *
         * @throws SerializationException when the chunk contradicts its frame (the frame is dropped)
         */
        List<byte[]> add(FrameChunk c, long nowNanos) {
            Partial p = bySender.get(c.from());
            if (c.index() == 0) {
                bySender.remove(c.from());
                checkFirst(c);
                p = new Partial(c, nowNanos);
                if (bySender.size() >= MAX_PARTIAL_FRAMES) {
                    Integer eldest = bySender.keySet().iterator().next();
                    bySender.remove(eldest);
                    LOG.info("a chunked Raft frame from node {} was given up: {} frames were being put together",
                            eldest, MAX_PARTIAL_FRAMES);
                }
                bySender.put(c.from(), p);
            } else if (p == null || p.transfer != c.transfer() || p.next != c.index() || p.total != c.total()
                    || p.count != c.count()) {
                bySender.remove(c.from());
                return null;
            }
            boolean last = c.index() == c.count() - 1;
            long expected = last ? p.total - p.filled : p.chunkLength;
            if (c.bytes().length != expected) {
                bySender.remove(c.from());
                throw new SerializationException("raft frame chunk " + c.index() + " of " + c.count() + " from node "
                        + c.from() + " holds " + c.bytes().length + " bytes where its frame of " + p.total
                        + " bytes in chunks of " + p.chunkLength + " needs " + expected);
            }
            p.pieces.add(c.bytes());
            p.next++;
            p.filled += c.bytes().length;
            p.touchedNanos = nowNanos;
            if (!last) {
                return null;
            }
            bySender.remove(c.from());
            return p.pieces;
        }

        /** A frame's first chunk: its numbers must agree (a frame of {@code count} chunks of its length). */
        private static void checkFirst(FrameChunk c) {
            int length = c.bytes().length;
            long needed = length == 0 ? 1 : (c.total() + (long) length - 1) / length;
            if (length == 0 && c.total() != 0 || c.count() != needed) {
                throw new SerializationException("raft frame chunk 0 of " + c.count() + " from node " + c.from()
                        + " announces " + c.total() + " bytes in chunks of " + length + ": " + needed + " chunks");
            }
        }

        /** Drops the frames no chunk advanced since {@code nowNanos} minus the expiry; returns how many remain. */
        int expire(long nowNanos) {
            long limit = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(PARTIAL_FRAME_EXPIRY_MS);
            bySender.entrySet().removeIf(e -> {
                boolean stale = nowNanos - e.getValue().touchedNanos >= limit;
                if (stale) {
                    LOG.info("a chunked Raft frame from node {} was given up: no chunk of it for {} ms", e.getKey(),
                            PARTIAL_FRAME_EXPIRY_MS);
                }
                return stale;
            });
            return bySender.size();
        }

        /** Frames being put together. */
        int partial() {
            return bySender.size();
        }

        /** One array of a frame's chunks (on the worker that decodes it). */
        static byte[] join(List<byte[]> pieces) {
            if (pieces.size() == 1) {
                return pieces.get(0);
            }
            long total = 0;
            for (byte[] b : pieces) {
                total += b.length;
            }
            byte[] frame = new byte[Math.toIntExact(total)];
            int at = 0;
            for (byte[] b : pieces) {
                System.arraycopy(b, 0, frame, at, b.length);
                at += b.length;
            }
            return frame;
        }
    }

    /**
     * A frame from a process with another number of Raft groups: none of it reaches a node. Its messages are reported
     * dropped with a reason that names the sender and both counts (a chunk's messages are not known before its frame is
     * whole: the chunk is dropped, and the frame never completes), and the sender is logged once.
     */
    private void refuse(GroupCountMismatchException e) {
        Object frame = e.frame();
        int sender = frame instanceof FrameChunk chunk ? chunk.from() : sender(frame);
        String reason = groupCount.refuse(sender, e.theirs(), "the clustered event bus");
        if (frame instanceof FrameChunk) {
            return;
        }
        for (GroupBatches.Part part : asGroups(frame).parts()) {
            for (Message m : part.messages()) {
                drops.dropped(m, reason);
            }
        }
    }

    /** Hands each group's part of a frame to that group's replica here, on its context, in order. */
    private void dispatch(int nodeId, GroupBatches frame, Handler<Message> own) {
        for (GroupBatches.Part part : frame.parts()) {
            if (part.group() == group) {
                taken(group, nodeId, part.messages().size());
                part.messages().forEach(own::handle);
                continue;
            }
            Receiver r = receivers.get(key(part.group(), nodeId));
            if (r == null) {
                taken(part.group(), nodeId, part.messages().size());
                part.messages().forEach(m -> drops.dropped(m, "no replica of group " + part.group() + " here"));
            } else {
                r.context().runOnContext(v -> {
                    taken(part.group(), nodeId, part.messages().size());
                    part.messages().forEach(r.handler()::handle);
                });
            }
        }
    }

    /** Whether a message goes in a peer's lane when it is large or follows a large one (AppendEntries, snapshots). */
    private static boolean bulk(Message m) {
        return m instanceof io.raftline.raft.message.AppendRequest || m instanceof SnapshotRequest;
    }

    /** The messages of a frame's body (a message, a batch or a frame of groups), as a frame of groups. */
    private GroupBatches asGroups(Object body) {
        if (body instanceof GroupBatches frame) {
            return frame;
        }
        List<Message> messages = body instanceof RaftBatch batch ? batch.messages() : List.of((Message) body);
        return new GroupBatches(List.of(new GroupBatches.Part(group, messages)));
    }

    /**
     * The AppendEntries and snapshots of a frame ({@code bulk}), or its other messages, by group in order; null if it
     * has none.
     */
    private static GroupBatches select(GroupBatches frame, boolean bulk) {
        List<GroupBatches.Part> parts = new ArrayList<>();
        for (GroupBatches.Part p : frame.parts()) {
            List<Message> chosen = new ArrayList<>();
            for (Message m : p.messages()) {
                if (bulk(m) == bulk) {
                    chosen.add(m);
                }
            }
            if (!chosen.isEmpty()) {
                parts.add(new GroupBatches.Part(p.group(), chosen));
            }
        }
        return parts.isEmpty() ? null : new GroupBatches(parts);
    }

    /**
     * Runs {@code next} once what {@code sender}'s frames wait for here is done (at once if nothing), and makes the
     * sender's later frames wait for it too; the sender's entry goes when the last of them is done.
     */
    private static void behind(java.util.Map<Integer, Future<Void>> decoding, int sender,
            java.util.function.Function<io.vertx.core.AsyncResult<Void>, Future<?>> next) {
        Future<Void> before = decoding.getOrDefault(sender, Future.succeededFuture());
        Future<Void> after = before.transform(ar -> next.apply(ar).mapEmpty());
        decoding.put(sender, after);
        after.onComplete(ar -> decoding.remove(sender, after));
    }

    /** The node that sent a frame (every message of a frame has the same sender). */
    private static int sender(Object body) {
        if (body instanceof GroupBatches frame) {
            return frame.parts().isEmpty() || frame.parts().get(0).messages().isEmpty() ? 0
                    : frame.parts().get(0).messages().get(0).from();
        }
        if (body instanceof RaftBatch batch) {
            return batch.messages().isEmpty() ? 0 : batch.messages().get(0).from();
        }
        return ((Message) body).from();
    }

    /**
     * Looks again, on the consumer's context, once a partial frame could have expired, and again while any remain.
     */
    private void scheduleExpiry(Assembly assembly, java.util.concurrent.atomic.AtomicLong expiry,
            java.util.concurrent.atomic.AtomicBoolean open) {
        expiry.set(vertx.setTimer(Assembly.PARTIAL_FRAME_EXPIRY_MS, t -> {
            expiry.set(-1);
            if (open.get() && assembly.expire(System.nanoTime()) > 0) {
                scheduleExpiry(assembly, expiry, open);
            }
        }));
    }

    /**
     * Work on a worker that allocates a frame's worth of memory: an {@link OutOfMemoryError} there goes to the
     * thread's uncaught-exception handler (the node's, which ends the process as anywhere else) before it fails the
     * future, which is all Vert.x's {@code executeBlocking} would do with it.
     */
    private static <T> java.util.concurrent.Callable<T> fatalOnOutOfMemory(java.util.concurrent.Callable<T> work) {
        return () -> {
            try {
                return work.call();
            } catch (OutOfMemoryError e) {
                Thread.UncaughtExceptionHandler h = Thread.getDefaultUncaughtExceptionHandler();
                if (h != null) {
                    h.uncaughtException(Thread.currentThread(), e);
                }
                throw e;
            }
        };
    }

    private static long key(int group, int nodeId) {
        return ((long) group << 32) | (nodeId & 0xffffffffL);
    }

    @Override
    public Future<Registration> register(int nodeId, Handler<Message> handler) {
        // Where the replica runs (a verticle registers from its own context); a caller off any context gets one.
        Receiver receiver = new Receiver(vertx.getOrCreateContext(), handler);
        receivers.put(key(group, nodeId), receiver);
        java.util.concurrent.atomic.AtomicInteger counted = new java.util.concurrent.atomic.AtomicInteger();
        waiting.put(key(group, nodeId), counted);
        // One address carries single messages and batches; a batch is handed over message by message, in order.
        String address = address(nodeId, group);
        Assembly assembly = new Assembly();
        // Per sender, its chunked frames being decoded (on a worker, as large ones were sent), one after the other in
        // arrival order, and what waits behind them; a sender's entry goes once all of that is done. Senders do not
        // wait for each other: order matters between what one node sends another, not across senders.
        java.util.Map<Integer, Future<Void>> decoding = new java.util.concurrent.ConcurrentHashMap<>();
        java.util.concurrent.atomic.AtomicBoolean open = new java.util.concurrent.atomic.AtomicBoolean(true);
        // The timer that gives up frames whose sender stopped sending their chunks (-1: none set).
        java.util.concurrent.atomic.AtomicLong expiry = new java.util.concurrent.atomic.AtomicLong(-1);
        MessageConsumer<Object> consumer = bus.consumer(address, msg -> {
            Object body;
            try {
                // Decoded (and its tag verified) here, on first access: a refused frame reaches nothing.
                body = msg.body();
            } catch (FrameAuthenticationException e) {
                if (guard != null) {
                    guard.refused("the clustered event bus (" + address + (e.claimedSender() == 0 ? ""
                            : ", claimed sender " + e.claimedSender()) + ")",
                            new PeerGuard.Refusal(e.reason(), e.getMessage()));
                }
                if (wantKey != null && (e.reason() == PeerGuard.Reason.UNKNOWN_PEER
                        || e.reason() == PeerGuard.Reason.BAD_MAC)) {
                    // First contact, or a key renewed since: ask for the claimed sender's certificate (rate-limited).
                    wantKey.accept(e.claimedSender());
                }
                return;
            } catch (GroupCountMismatchException e) {
                refuse(e);
                return;
            } catch (SerializationException e) {
                LOG.warn("node {}: an undecodable Raft frame from the event bus was dropped: {}", nodeId,
                        e.getMessage());
                return;
            }
            if (body instanceof io.vertx.core.buffer.Buffer) {
                // A probe (or any other raw frame): no Raft message, nothing for the node.
                return;
            }
            if (body instanceof FrameChunk chunk) {
                List<byte[]> whole;
                try {
                    whole = assembly.add(chunk, System.nanoTime());
                } catch (SerializationException e) {
                    LOG.warn("node {}: a chunked Raft frame from node {} was dropped: {}", nodeId, chunk.from(),
                            e.getMessage());
                    return;
                }
                if (whole == null) {
                    if (assembly.partial() > 0 && expiry.get() == -1) {
                        scheduleExpiry(assembly, expiry, open);
                    }
                    return;
                }
                behind(decoding, chunk.from(), previous -> vertx.executeBlocking(
                        fatalOnOutOfMemory(() -> GroupBatchesCodec.parse(Assembly.join(whole))), false)
                        .andThen(parsed -> {
                            if (parsed.failed()) {
                                LOG.warn("node {}: a chunked Raft frame from node {} was dropped: {}", nodeId,
                                        chunk.from(), parsed.cause().getMessage());
                            } else if (!GroupBatchesCodec.allBetween(parsed.result(), chunk.from(), chunk.to())) {
                                // Each chunk's tag named its sender; the frame's messages must claim no other.
                                LOG.warn("node {}: a chunked Raft frame from node {} holds messages of another"
                                        + " sender or receiver; dropped", nodeId, chunk.from());
                            } else if (open.get()) {
                                dispatch(nodeId, parsed.result(), handler);
                            }
                        }));
                return;
            }
            Future<Void> waitFor = decoding.get(sender(body));
            GroupBatches all = waitFor == null || waitFor.isComplete() ? null : asGroups(body);
            GroupBatches held = all == null ? null : select(all, true);
            if (held != null) {
                // A chunked frame is still being decoded (or what waits for one): the AppendEntries and snapshots of
                // this frame wait behind it, so that they reach the node in the order they were sent; the rest
                // (heartbeats, votes, answers) goes now.
                GroupBatches rest = select(all, false);
                if (rest != null) {
                    dispatch(nodeId, rest, handler);
                }
                behind(decoding, sender(body), previous -> {
                    if (open.get()) {
                        dispatch(nodeId, held, handler);
                    }
                    return Future.succeededFuture();
                });
            } else if (body instanceof GroupBatches frame) {
                dispatch(nodeId, frame, handler);
            } else if (body instanceof RaftBatch batch) {
                taken(group, nodeId, batch.messages().size());
                for (Message m : batch.messages()) {
                    handler.handle(m);
                }
            } else {
                taken(group, nodeId, 1);
                handler.handle((Message) body);
            }
        });
        return consumer.completion().map(v -> () -> {
            open.set(false);
            long timer = expiry.getAndSet(-1);
            if (timer != -1) {
                vertx.cancelTimer(timer);
            }
            receivers.remove(key(group, nodeId), receiver);
            waiting.remove(key(group, nodeId), counted);
            return consumer.unregister();
        });
    }
}
