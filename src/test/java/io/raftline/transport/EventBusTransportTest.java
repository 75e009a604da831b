package io.raftline.transport;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.VoteRequest;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link EventBusTransport#sendAll} puts everything for one peer into one event-bus message, delivered in order;
 * the network faults still decide each message's fate as if it had been sent alone.
 */
class EventBusTransportTest {

    private Vertx vertx;
    private Context senderContext;
    private NetworkConditioner conditioner;
    private EventBusTransport transport;
    private final List<String> drops = new CopyOnWriteArrayList<>();
    /** What crossed the bus to each address, one entry per event-bus message (a Message or a RaftBatch). */
    private final Map<String, List<Object>> busMessages = new ConcurrentHashMap<>();
    private final Map<Integer, List<Message>> received = new ConcurrentHashMap<>();
    /** Whether frames carrying a snapshot are held on their way out, as a slow connection holds what it writes. */
    private volatile boolean holdSnapshots;
    private final List<DeliveryContext<Object>> held = new CopyOnWriteArrayList<>();
    private final List<Transport.Registration> registrations = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        // One worker thread: the chunked-frame tests hold it to hold a frame's decode (chunkedFrameThenBatch).
        vertx = Vertx.vertx(new io.vertx.core.VertxOptions().setWorkerPoolSize(1));
        senderContext = vertx.getOrCreateContext();
        conditioner = new NetworkConditioner(11);
        transport = new EventBusTransport(vertx, conditioner, (m, reason) -> drops.add(m.describe() + ":" + reason));
        vertx.eventBus().addOutboundInterceptor(ctx -> {
            if (ctx.message().address().startsWith(EventBusTransport.ADDRESS_PREFIX)) {
                busMessages.computeIfAbsent(ctx.message().address(), a -> new CopyOnWriteArrayList<>())
                        .add(ctx.message().body());
                Object body = ctx.message().body();
                if (holdSnapshots && (body instanceof SnapshotRequest
                        || body instanceof RaftBatch b && b.messages().stream().anyMatch(SnapshotRequest.class::isInstance))) {
                    held.add(ctx);
                    return;
                }
            }
            ctx.next();
        });
        for (int node : List.of(2, 3)) {
            List<Message> in = new CopyOnWriteArrayList<>();
            received.put(node, in);
            registrations.add(await(transport.register(node, in::add)));
        }
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /**
     * Sends from the sender's context and returns once what was sent has been handed to the bus: a link's outbox is
     * flushed by a task of the sending context queued behind the task that sent, so an empty task after it runs
     * once the flush has.
     */
    private void sendAllFromContext(List<Message> messages) throws InterruptedException {
        sendAllFromContext(transport, messages);
    }

    private void sendAllFromContext(EventBusTransport from, List<Message> messages) throws InterruptedException {
        OnContext.run(senderContext, () -> from.sendAll(messages));
        OnContext.run(senderContext, () -> { });
    }

    private List<Object> onBus(int node) {
        return busMessages.getOrDefault(EventBusTransport.address(node), List.of());
    }

    private static Heartbeat hb(int to, long context) {
        return new Heartbeat(1, to, 4, 0, context);
    }

    @Test
    void oneBusMessagePerPeerPerSendAllDeliveredInOrder() throws Exception {
        List<Message> toTwo = List.of(hb(2, 1),
                new AppendRequest(1, 2, 4, 9, 4, List.of(Entry.normal(10, 4, new byte[] {1, 2, 3})), 9),
                new VoteRequest(1, 2, 5, 10, 4, false, false), hb(2, 2));
        List<Message> all = new ArrayList<>();
        all.add(toTwo.get(0));
        all.add(hb(3, 100));
        all.addAll(toTwo.subList(1, 4));
        sendAllFromContext(all);
        eventually("everything delivered", () -> received.get(2).size() == 4 && received.get(3).size() == 1);
        assertThat(received.get(2)).containsExactlyElementsOf(toTwo);
        assertThat(received.get(3)).containsExactly(hb(3, 100));
        assertThat(onBus(2)).hasSize(1);
        assertThat(onBus(2).get(0)).isEqualTo(new RaftBatch(toTwo));
        // A peer with one message gets it alone, not wrapped.
        assertThat(onBus(3)).containsExactly(hb(3, 100));

        // A second sendAll is a second frame, after the first.
        sendAllFromContext(List.of(hb(2, 3), hb(2, 4)));
        eventually("the second batch delivered", () -> received.get(2).size() == 6);
        assertThat(received.get(2).subList(4, 6)).containsExactly(hb(2, 3), hb(2, 4));
        assertThat(onBus(2)).hasSize(2);
        assertThat(drops).isEmpty();
    }

    /**
     * Messages on the bus for a node whose event loop is busy wait in the transport, counted in its inbox until its
     * handler takes them: here the node's loop is busy sending them itself (the handler cannot run before the task
     * that sent them ends), so the count is read while they are certainly waiting.
     */
    @Test
    void aProbeTravelsToThePeersAddressAndReachesNoNode() throws Exception {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        vertx.exceptionHandler(failures::add);
        OnContext.run(senderContext, () -> {
            transport.probe(2);
            transport.send(hb(2, 7));
        });
        // The consumer takes what arrives in order: once the heartbeat is in, the probe before it was handled.
        eventually("the heartbeat after the probe arrives", () -> !received.get(2).isEmpty());
        assertThat(onBus(2)).hasSize(2);
        assertThat(onBus(2).get(0)).as("the probe, an empty frame").isInstanceOf(io.vertx.core.buffer.Buffer.class);
        assertThat(received.get(2)).as("the node sees the heartbeat only").containsExactly(hb(2, 7));
        assertThat(failures).as("the consumer took the probe without a failure").isEmpty();
        assertThat(transport.queues(2).inbox()).as("a probe is not counted as waiting for the node").isZero();
    }

    @Test
    void messagesWaitingForTheNodesLoopAreCountedUntilItTakesThem() throws Exception {
        Context nodeContext = vertx.getOrCreateContext();
        List<Message> in = new CopyOnWriteArrayList<>();
        Promise<Transport.Registration> registered = Promise.promise();
        nodeContext.runOnContext(x -> transport.register(4, in::add).onComplete(registered));
        await(registered.future());
        assertThat(transport.queues(4)).isEqualTo(TransportQueues.EMPTY);
        Promise<TransportQueues> whileBusy = Promise.promise();
        nodeContext.runOnContext(x -> {
            transport.sendAll(List.of(hb(4, 1), hb(4, 2), hb(4, 3)));
            transport.send(hb(4, 4));
            // The link's outbox is flushed by a task of this context after this one, and that flush hands the frame
            // to the bus, whose delivery to the handler on this same context queues behind a task queued now.
            nodeContext.runOnContext(y -> whileBusy.complete(transport.queues(4)));
        });
        TransportQueues busy = await(whileBusy.future());
        assertThat(busy.inbox()).isEqualTo(4);
        assertThat(busy.inflight()).isEmpty(); // the event bus has no calls in flight
        eventually("the node's loop took them", () -> in.size() == 4 && transport.queues(4).inbox() == 0);
        assertThat(in).containsExactly(hb(4, 1), hb(4, 2), hb(4, 3), hb(4, 4));
    }

    @Test
    void partitionedAndLostMessagesAreDroppedOneByOneAndTheRestStillBatched() throws Exception {
        conditioner.setFaults(new NetworkFaults(List.of(Set.of(1, 2), Set.of(3)), 0, 0, 0, 0));
        sendAllFromContext(List.of(hb(2, 1), hb(3, 2), hb(2, 3), hb(3, 4)));
        eventually("node 2's messages delivered", () -> received.get(2).size() == 2);
        assertThat(received.get(2)).containsExactly(hb(2, 1), hb(2, 3));
        assertThat(onBus(2)).containsExactly(new RaftBatch(List.of(hb(2, 1), hb(2, 3))));
        assertThat(onBus(3)).isEmpty();
        assertThat(drops).containsExactly(hb(3, 2).describe() + ":partition", hb(3, 4).describe() + ":partition");

        conditioner.heal();
        conditioner.setPaused(2, true);
        sendAllFromContext(List.of(hb(2, 5), hb(3, 6), hb(3, 7)));
        eventually("node 3's messages delivered", () -> received.get(3).size() == 2);
        assertThat(drops).hasSize(3).last().isEqualTo(hb(2, 5).describe() + ":paused");
        assertThat(onBus(3)).containsExactly(new RaftBatch(List.of(hb(3, 6), hb(3, 7))));
    }

    @Test
    void duplicatedOrDelayedMessagesTakeThePerMessagePath() throws Exception {
        // Every message duplicated, no delay: two copies each, one after the other, each copy on the per-message
        // path, which queues it in the link's outbox behind what was sent before it: the task's one frame.
        conditioner.setFaults(new NetworkFaults(List.of(), 0, 0, 0, 1.0));
        sendAllFromContext(List.of(hb(2, 1), hb(2, 2), hb(2, 3)));
        eventually("two copies of each", () -> received.get(2).size() == 6);
        assertThat(received.get(2)).containsExactly(hb(2, 1), hb(2, 1), hb(2, 2), hb(2, 2), hb(2, 3), hb(2, 3));
        assertThat(onBus(2)).containsExactly(new RaftBatch(List.of(hb(2, 1), hb(2, 1), hb(2, 2), hb(2, 2), hb(2, 3),
                hb(2, 3))));

        // Delayed: each one on its own timer.
        conditioner.setFaults(new NetworkFaults(List.of(), 0, 5, 20, 0));
        sendAllFromContext(List.of(hb(3, 4), hb(3, 5), hb(3, 6)));
        eventually("the delayed messages arrive", () -> received.get(3).size() == 3);
        assertThat(received.get(3)).containsExactlyInAnyOrder(hb(3, 4), hb(3, 5), hb(3, 6));
        assertThat(onBus(3)).hasSize(3).allMatch(Message.class::isInstance);
        assertThat(drops).isEmpty();
    }

    @Test
    void randomLossDrawsTheSameFatesAsSendingOneByOne() throws Exception {
        NetworkFaults lossy = new NetworkFaults(List.of(), 0.5, 0, 0, 0);
        conditioner.setFaults(lossy);
        List<Message> burst = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            burst.add(hb(2 + i % 2, i));
        }
        sendAllFromContext(burst);
        // The same seed asked message by message, in the same order, loses the same messages.
        NetworkConditioner twin = new NetworkConditioner(11);
        twin.setFaults(lossy);
        List<Message> expectedThrough = new ArrayList<>();
        List<String> expectedDrops = new ArrayList<>();
        for (Message m : burst) {
            if (twin.decide(m.from(), m.to()).dropped()) {
                expectedDrops.add(m.describe() + ":drop");
            } else {
                expectedThrough.add(m);
            }
        }
        assertThat(drops).containsExactlyElementsOf(expectedDrops);
        eventually("the survivors delivered", () -> received.get(2).size() + received.get(3).size()
                == expectedThrough.size());
        assertThat(received.get(2)).containsExactlyElementsOf(expectedThrough.stream().filter(m -> m.to() == 2).toList());
        assertThat(received.get(3)).containsExactlyElementsOf(expectedThrough.stream().filter(m -> m.to() == 3).toList());
        assertThat(onBus(2)).hasSize(1);
        assertThat(onBus(3)).hasSize(1);
    }

    /**
     * A send the bus answers with an exception (Vert.x 5.0.7's clustered bus threw "Promise already completed" from a
     * send once, as a stopped process continued after a peer had left) loses its frame, as Raft expects of any message,
     * and frees the link of the snapshot it carried: left taken, no snapshot could go to that peer again.
     */
    @Test
    void aSnapshotFrameTheBusThrowsOnFreesItsLinkForTheNextSnapshot() throws Exception {
        // The same Vert.x, whose event bus throws from the first snapshot frame a producer writes (the clustered bus's
        // throw came out of the send itself, which an interceptor cannot reproduce: Vert.x catches what those throw).
        java.util.concurrent.atomic.AtomicBoolean throwOnce = new java.util.concurrent.atomic.AtomicBoolean(true);
        io.vertx.core.eventbus.EventBus real = vertx.eventBus();
        io.vertx.core.eventbus.EventBus throwing = proxy(io.vertx.core.eventbus.EventBus.class, real, (m, args) -> {
            Object r = m.invoke(real, args);
            if (!m.getName().equals("sender")) {
                return r;
            }
            io.vertx.core.eventbus.MessageProducer<?> producer = (io.vertx.core.eventbus.MessageProducer<?>) r;
            return proxy(io.vertx.core.eventbus.MessageProducer.class, producer, (pm, pargs) -> {
                if (pm.getName().equals("write") && throwOnce.getAndSet(false)) {
                    throw new IllegalStateException("Promise already completed");
                }
                return pm.invoke(producer, pargs);
            });
        });
        Vertx vertxThrowing = proxy(Vertx.class, vertx, (m, args) -> m.getName().equals("eventBus") && args == null
                ? throwing : m.invoke(vertx, args));
        EventBusTransport sender = new EventBusTransport(vertxThrowing, conditioner,
                (m, reason) -> drops.add(m.describe() + ":" + reason));
        sendAllFromContext(sender, List.of(snapshot(2, 100)));
        assertThat(throwOnce).as("the bus threw on the first snapshot").isFalse();
        sendAllFromContext(sender, List.of(snapshot(2, 120)));
        eventually("the next snapshot delivered", () -> received.get(2).size() == 1);
        assertThat(received.get(2)).containsExactly(snapshot(2, 120));
        assertThat(drops).noneMatch(d -> d.endsWith(":snapshot in flight"));
    }

    /** What a proxy does with a call: the method and its arguments (null for none). */
    private interface Call {
        Object on(java.lang.reflect.Method m, Object[] args) throws Throwable;
    }

    /** An object of interface {@code type} whose calls go to {@code call}, with the target's exceptions unwrapped. */
    private static <T> T proxy(Class<T> type, Object target, Call call) {
        return type.cast(java.lang.reflect.Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (p, m, args) -> {
                    try {
                        return call.on(m, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                }));
    }

    private static SnapshotRequest snapshot(int to, long index) {
        return new SnapshotRequest(1, to, 5, new Snapshot(new SnapshotMetadata(index, 4, List.of(1, 2, 3)),
                new byte[4096]));
    }

    /**
     * The leader's core sends a snapshot again after an election timeout without an answer. On a clustered bus every
     * copy is encoded whole and queued on the connection behind the copies still being written, so a snapshot that
     * takes longer than a timeout to cross the link piles up copies in memory and on the link, each slowing the others.
     * One snapshot per sender, group and peer is on its way at a time, until the bus has written it; a copy sent
     * meanwhile is lost ({@code snapshot in flight}), and Raft sends it again later. Here the bus holds the first copy
     * as a slow connection would.
     */
    @Test
    void aSnapshotIsNotSentAgainWhileItsFirstCopyIsStillBeingWritten() throws Exception {
        holdSnapshots = true;
        sendAllFromContext(List.of(snapshot(2, 100)));
        sendAllFromContext(List.of(snapshot(2, 100)));
        sendAllFromContext(List.of(snapshot(2, 120), hb(2, 1)));
        sendAllFromContext(List.of(snapshot(3, 100)));
        assertThat(drops).containsExactly(snapshot(2, 100).describe() + ":snapshot in flight",
                snapshot(2, 120).describe() + ":snapshot in flight");
        assertThat(held).as("one copy on its way to each peer").hasSize(2);
        eventually("the heartbeat delivered", () -> received.get(2).size() == 1);
        assertThat(received.get(2)).containsExactly(hb(2, 1));

        holdSnapshots = false;
        OnContext.run(senderContext, () -> {
            held.forEach(DeliveryContext::next);
        });
        eventually("the held copies delivered", () -> received.get(2).size() == 2 && received.get(3).size() == 1);
        // Once written, the next snapshot goes.
        sendAllFromContext(List.of(snapshot(2, 120)));
        eventually("the next snapshot delivered", () -> received.get(2).size() == 3);
        assertThat(received.get(2)).containsExactly(hb(2, 1), snapshot(2, 100), snapshot(2, 120));
        assertThat(drops).hasSize(2);
    }

    private static AppendRequest append(int to, long index, int bytes) {
        byte[] data = new byte[bytes];
        new java.util.Random(index).nextBytes(data);
        return new AppendRequest(1, to, 4, index - 1, 4, List.of(Entry.normal(index, 4, data)), index - 1);
    }

    /**
     * The peer decodes a chunked frame on a worker. An AppendEntries that arrives the usual way meanwhile (its sender's
     * lane had just emptied) waits for that frame, so the node takes them in the order they were sent; a heartbeat
     * beside it does not wait. The batch reaches the node's consumer while the frame's decode is held (see
     * {@link #chunkedFrameThenBatch}); without the wait, the two AppendEntries arrive the wrong way round.
     */
    @Test
    void anAppendArrivingWhileAChunkedFrameIsDecodedWaitsForIt() throws Exception {
        AppendRequest large = append(2, 10, 4 << 20);
        AppendRequest next = append(2, 11, 100);
        List<Message> in = chunkedFrameThenBatch(large, new RaftBatch(List.of(next, hb(2, 1))), hb(2, 1));
        assertThat(in).containsExactly(hb(2, 1), large, next);
    }

    /**
     * Only what the same node sent waits behind a chunked frame being decoded: an AppendEntries from another node
     * arriving meanwhile goes at once (review finding: every sender's waited, and node 3's AppendEntries came after
     * node 1's frame).
     */
    @Test
    void anotherSendersAppendDoesNotWaitForAChunkedFrame() throws Exception {
        AppendRequest large = append(2, 10, 4 << 20);
        AppendRequest fromThree = new AppendRequest(3, 2, 5, 10, 5, List.of(Entry.normal(11, 5, new byte[] {1})), 10);
        Heartbeat beside = new Heartbeat(3, 2, 5, 0, 1);
        List<Message> in = chunkedFrameThenBatch(large, new RaftBatch(List.of(fromThree, beside)), beside);
        assertThat(in).containsExactly(fromThree, beside, large);
    }

    /**
     * Node 2 on a context of its own takes a chunked frame of {@code large} (from node 1) and then {@code batch}, while
     * the frame's decode is held: this class's Vert.x has one worker thread, and a task waiting on a latch holds it
     * from before the chunks are sent until {@code afterBatch} (a message of the batch that never waits for a frame)
     * has reached the node, so the batch always reaches the consumer before the frame is decoded. Then the decode
     * goes on; returns what node 2 took, once it took all three.
     *
     * <p>(Earlier this relied on the decode's result coming back behind the batch on the context's queue; a decode
     * that finished before its continuation was attached ran that continuation at once, ahead of the batch: the test
     * failed in CI on a busy machine.)
     */
    private List<Message> chunkedFrameThenBatch(AppendRequest large, RaftBatch batch, Message afterBatch)
            throws Exception {
        for (Transport.Registration r : registrations) {
            await(r.close());
        }
        Context node = vertx.getOrCreateContext();
        List<Message> in = new CopyOnWriteArrayList<>();
        Promise<Transport.Registration> registered = Promise.promise();
        node.runOnContext(v -> transport.register(2, in::add).onComplete(registered));
        await(registered.future());
        java.util.concurrent.CountDownLatch held = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Future<Void> worker = vertx.executeBlocking(() -> {
            held.countDown();
            release.await();
            return null;
        }, false);
        assertThat(held.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("the one worker held").isTrue();
        byte[] frame = GroupBatchesCodec.frame(new GroupBatches(List.of(new GroupBatches.Part(0, List.of(large)))));
        int piece = 256 * 1024;
        int count = (frame.length + piece - 1) / piece;
        node.runOnContext(v -> {
            io.vertx.core.eventbus.DeliveryOptions chunks = new io.vertx.core.eventbus.DeliveryOptions()
                    .setCodecName(FrameChunkCodec.NAME);
            for (int i = 0; i < count; i++) {
                byte[] bytes = java.util.Arrays.copyOfRange(frame, i * piece, Math.min(frame.length, (i + 1) * piece));
                vertx.eventBus().send(EventBusTransport.address(2),
                        new FrameChunk(1, 2, 1, i, count, frame.length, bytes), chunks);
            }
            vertx.eventBus().send(EventBusTransport.address(2), batch,
                    new io.vertx.core.eventbus.DeliveryOptions().setCodecName(RaftBatchCodec.NAME));
        });
        try {
            eventually("the batch reached the node while the frame's decode is held", () -> in.contains(afterBatch));
        } finally {
            release.countDown();
        }
        await(worker);
        eventually("everything delivered", () -> in.size() == 3);
        return in;
    }

    /**
     * Review finding: a chunk of a few bytes announcing a frame of 2 GiB made the receiver allocate the whole frame on
     * its event loop, and the OutOfMemoryError ended the process. Such a chunk is refused (its numbers disagree), one
     * that agrees costs what it carries, and the node goes on receiving.
     */
    @Test
    void aChunkAnnouncingAHugeFrameCostsWhatItCarriesAndNothingMore() throws Exception {
        io.vertx.core.eventbus.DeliveryOptions chunks = new io.vertx.core.eventbus.DeliveryOptions()
                .setCodecName(FrameChunkCodec.NAME);
        long before = allocatedByAllThreads();
        vertx.eventBus().send(EventBusTransport.address(2),
                new FrameChunk(1, 2, 7, 0, 1, Integer.MAX_VALUE - 8, new byte[60]), chunks);
        vertx.eventBus().send(EventBusTransport.address(2),
                new FrameChunk(3, 2, 8, 0, 2047, 2047 << 20, new byte[1 << 20]), chunks);
        sendAllFromContext(List.of(hb(2, 1)));
        eventually("the heartbeat delivered", () -> received.get(2).size() == 1);
        assertThat(received.get(2)).containsExactly(hb(2, 1));
        assertThat(allocatedByAllThreads() - before).as("bytes allocated meanwhile, in every thread")
                .isLessThan(256L << 20);
    }

    private static long allocatedByAllThreads() {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }
}
