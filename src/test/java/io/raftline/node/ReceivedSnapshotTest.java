package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvStateMachine;
import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Membership;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower receiving the leader's snapshot (InstallSnapshot), on one {@link NodeHost} driven by hand: what runs on
 * the node's thread and what runs off it are two queues the test empties when it wants, so it can look at the node
 * between the snapshot's arrival and its installation.
 */
class ReceivedSnapshotTest {

    private static final List<Integer> VOTERS = List.of(1, 2, 3);

    /** The world of node 1: its loop and its workers are queues; what it sends and drops is recorded. */
    private static final class ManualEnvironment extends ManualHostEnvironment implements NodeListener {
        final List<String> dropped = new ArrayList<>();
        final List<Long> installed = new ArrayList<>();
        final RecordingStore store = new RecordingStore();
        final NodeHost host;

        ManualEnvironment() {
            this(RaftConfig.DEFAULT_SNAPSHOT_INTERVAL_ENTRIES);
        }

        /** A node that takes a snapshot of its own every {@code snapshotEvery} entries (less up to a quarter). */
        ManualEnvironment(long snapshotEvery) {
            super(Offload.ON_WORKERS, true);
            RaftConfig raft = RaftConfig.builder(1, VOTERS).tickMs(10).heartbeatMs(50).electionTimeoutMs(150, 300)
                    .snapshotIntervalEntries(snapshotEvery).build();
            host = new NodeHost(new NodeOptions(raft, 7, 100, 1_000), store, this, this);
            host.boot();
        }

        @Override
        NodeHost host() {
            return host;
        }







        @Override
        public void messageDropped(Message m, String reason) {
            dropped.add(reason);
        }

        @Override
        public void snapshotInstalled(int node, long index) {
            installed.add(index);
        }
    }

    /** A {@link MemoryLogStore} that records the membership of every compaction the node asks for. */
    private static final class RecordingStore extends ForwardingLogStore {
        final List<Membership> compactions = new ArrayList<>();
        /** While true, writes wait in {@link #held} until the test runs them (a slow disk). */
        boolean holding;
        final ArrayDeque<Runnable> held = new ArrayDeque<>();

        @Override
        public Future<Void> persist(Snapshot snapshot, List<Entry> entries, HardState hardState, boolean sync) {
            if (!holding) {
                return inner.persist(snapshot, entries, hardState, sync);
            }
            Promise<Void> done = Promise.promise();
            held.add(() -> inner.persist(snapshot, entries, hardState, sync).onComplete(done));
            return done.future();
        }

        @Override
        public Future<Void> compact(long index, Membership membership, byte[] data) {
            compactions.add(membership);
            return inner.compact(index, membership, data);
        }
    }

    /** The state of a machine that applied {@code keys} puts, one per index from 1. */
    private static byte[] stateAt(int keys) {
        KvStateMachine m = new KvStateMachine();
        for (int i = 1; i <= keys; i++) {
            m.apply(i, new KvCommand.Put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return m.capture().toByteArray();
    }

    /** The entries of term 1 that {@link #stateAt} applies: {@code keys} puts, one per index from 1. */
    private static List<Entry> puts(int keys) {
        List<Entry> entries = new ArrayList<>();
        for (int i = 1; i <= keys; i++) {
            entries.add(Entry.normal(i, 1, KvCodec.encode(new KvCommand.Put("k" + i,
                    ("v" + i).getBytes(StandardCharsets.UTF_8)))));
        }
        return entries;
    }

    /** Node 2, leader of term 1, sends node 1 a snapshot at {@code index}. */
    private static SnapshotRequest snapshot(long index, byte[] data) {
        return new SnapshotRequest(2, 1, 1, new Snapshot(new SnapshotMetadata(index, 1, VOTERS), data));
    }

    /**
     * A snapshot this node cannot read (damaged on the way, or of a format this release does not know) is refused before
     * anything of it is stored: stored first, it stopped the node when it was decoded, and again at every start, since
     * the boot decodes the stored snapshot; the node could not come back without an operator.
     */
    @Test
    void anUnreadableSnapshotIsRefusedBeforeItIsStoredAndTheNodeStaysUp() {
        ManualEnvironment env = new ManualEnvironment();
        byte[] damaged = stateAt(50);
        damaged[damaged.length / 2] ^= 0x10;

        env.host.step(snapshot(50, damaged));
        env.settle();

        assertThat(env.host.up()).as("the node is up").isTrue();
        assertThat(env.dropped).containsExactly("receiver cannot read snapshot");
        assertThat(env.store.storage().snapshot().isEmpty()).as("nothing of it stored").isTrue();
        assertThat(env.host.status().applied()).isZero();
        assertThat(env.installed).isEmpty();

        // It restarts from what it has, and installs the next snapshot it can read.
        env.host.crash();
        env.host.restart();
        env.settle();
        assertThat(env.host.up()).as("the node restarted").isTrue();
        env.host.step(snapshot(50, stateAt(50)));
        env.settle();
        assertThat(env.host.status().applied()).isEqualTo(50);
        assertThat(env.store.storage().snapshot().index()).isEqualTo(50);
        assertThat(env.installed).containsExactly(50L);
    }

    /** A snapshot whose state is not at the index it claims would make the node apply the log from the wrong place. */
    @Test
    void aSnapshotWhoseStateIsNotAtItsIndexIsRefused() {
        ManualEnvironment env = new ManualEnvironment();

        env.host.step(snapshot(60, stateAt(50)));
        env.settle();

        assertThat(env.host.up()).isTrue();
        assertThat(env.dropped).containsExactly("receiver cannot read snapshot");
        assertThat(env.store.storage().snapshot().isEmpty()).isTrue();
    }

    /**
     * Decoding a snapshot takes time in proportion to the whole state: it runs on a worker, never on the node's loop
     * (which it would block for every node and group that shares it). Meanwhile the node goes on (it answers its
     * leader's heartbeats), stores nothing of the snapshot and takes no other one; the core sees the snapshot only
     * once its state is decoded, and the state installed is that one.
     */
    @Test
    void aSnapshotIsDecodedOffTheLoopAndTheCoreSeesItOnlyOnceItsStateIsReady() {
        ManualEnvironment env = new ManualEnvironment();

        env.host.step(snapshot(50, stateAt(50)));
        env.runLoop();

        assertThat(env.workers).as("the decode waits for a worker").hasSize(1);
        assertThat(env.store.storage().snapshot().isEmpty()).as("nothing stored yet").isTrue();
        assertThat(env.host.status().commit()).as("the core has not seen the snapshot").isZero();
        assertThat(env.sent).isEmpty();
        // The node goes on meanwhile; another snapshot is not taken before the first is installed.
        env.host.step(new Heartbeat(2, 1, 1, 0, 9));
        env.host.step(snapshot(55, stateAt(55)));
        env.runLoop();
        assertThat(env.sent).containsExactly(new HeartbeatResponse(1, 2, 1, 9));
        assertThat(env.dropped).containsExactly("receiver installing a snapshot");

        env.settle();
        assertThat(env.installed).containsExactly(50L);
        assertThat(env.store.storage().snapshot().index()).isEqualTo(50);
        assertThat(env.host.status().applied()).isEqualTo(50);
        assertThat(env.sent).last().isEqualTo(AppendResponse.accepted(1, 2, 1, 50));
        assertThat(env.host.read(ReadConsistency.STALE).result().get("k50")).isPresent();
    }

    /**
     * A snapshot the node takes of its own state records the membership in effect at the index it was captured at,
     * even when the leader's snapshot (of a later membership) reached the core while the capture was being serialized:
     * the core's history of memberships then starts at the leader's snapshot, and asked afterwards for the membership
     * at the captured index it answers the leader's. Stored with it, that later membership came back at a restart
     * from the node's own snapshot (the leader's not durable yet) with a log that does not reach the change: the node
     * would count votes in a configuration its log does not hold.
     */
    @Test
    void aSnapshotOfItsOwnRecordsTheMembershipAtItsIndexThoughTheLeadersSnapshotArrivedMeanwhile() {
        ManualEnvironment env = new ManualEnvironment(4);
        List<Entry> entries = puts(5);
        env.host.step(new AppendRequest(2, 1, 1, 0, 0, entries, 5));
        env.runLoop();
        assertThat(env.host.status().applied()).isEqualTo(5);
        assertThat(env.workers).as("the node's own snapshot is being serialized").hasSize(1);

        // The leader's snapshot at 10, taken after a learner joined, arrives; its state is decoded first.
        Membership later = new Membership(VOTERS, List.of(4));
        env.host.step(new SnapshotRequest(2, 1, 1, new Snapshot(SnapshotMetadata.of(10, 1, later), stateAt(10))));
        env.runLoop();
        env.workers.pollLast().run();
        env.workers.poll().run();
        env.settle();

        assertThat(env.installed).containsExactly(10L);
        assertThat(env.store.compactions).as("the membership the node's own snapshot at 5 records")
                .containsExactly(Membership.ofVoters(VOTERS));
    }

    /**
     * The same with the leader's snapshot taken by the core while a write was on its way to disk: once that write is
     * durable the node applies the entries it committed, and reaching the snapshot interval there it would capture
     * its state at an index the core's history of memberships no longer reaches. It takes no snapshot of its own
     * while the leader's waits to be installed (which replaces that state anyway).
     */
    @Test
    void noSnapshotOfItsOwnIsTakenWhileTheLeadersWaitsToBeInstalled() {
        ManualEnvironment env = new ManualEnvironment(4);
        List<Entry> entries = puts(5);
        env.store.holding = true;
        env.host.step(new AppendRequest(2, 1, 1, 0, 0, entries, 5));
        env.runLoop();
        assertThat(env.store.held).as("the entries' write is on its way").hasSize(1);
        assertThat(env.host.status().applied()).as("nothing applied yet").isZero();

        Membership later = new Membership(VOTERS, List.of(4));
        env.host.step(new SnapshotRequest(2, 1, 1, new Snapshot(SnapshotMetadata.of(10, 1, later), stateAt(10))));
        env.runLoop();
        env.workers.poll().run();
        env.runLoop();
        env.store.held.poll().run();
        env.runLoop();
        assertThat(env.store.held).as("the leader's snapshot is being written").hasSize(1);
        // The node's own snapshot, if it took one, is serialized before the leader's is durable.
        env.store.holding = false;
        env.settle();
        env.store.held.poll().run();
        env.settle();

        assertThat(env.installed).containsExactly(10L);
        assertThat(env.host.status().applied()).isEqualTo(10);
        assertThat(env.store.compactions).as("the memberships of the node's own snapshots")
                .allMatch(m -> m.equals(Membership.ofVoters(VOTERS)));
    }

    /** A snapshot decoded for an earlier life of the node (it crashed meanwhile) is not installed in the next. */
    @Test
    void aDecodeThatEndsAfterACrashInstallsNothing() {
        ManualEnvironment env = new ManualEnvironment();
        env.host.step(snapshot(50, stateAt(50)));
        env.runLoop();
        env.host.crash();
        env.host.restart();
        env.runLoop();

        env.settle();

        assertThat(env.host.up()).isTrue();
        assertThat(env.installed).isEmpty();
        assertThat(env.store.storage().snapshot().isEmpty()).isTrue();
        assertThat(env.host.status().applied()).isZero();
    }
}
