package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvChange;
import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.RaftNode;
import io.raftline.node.WatchCompactedException;
import io.raftline.node.WatchPosition;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link ReplicaSet#watch} on a node of several groups, with stand-in replicas: each group's watch starts at its own
 * position and its changes reach the client tagged with their group, the watch names every group's start, and a
 * watch that one group refuses leaves no other group's registration behind, even one that completes later.
 */
class ReplicaSetWatchTest {

    /** A registration that records whether it was cancelled. */
    private static final class FakeWatch implements NodeHost.Watch {
        final List<WatchPosition> start;
        final AtomicBoolean cancelled = new AtomicBoolean();
        int progressRequests;

        FakeWatch(WatchPosition start) {
            this.start = List.of(start);
        }

        @Override
        public void cancel() {
            cancelled.set(true);
        }

        @Override
        public List<WatchPosition> start() {
            return start;
        }

        @Override
        public void requestProgress() {
            progressRequests++;
        }
    }

    /** What one group's replica was asked. */
    private record Asked(long fromRevision, int skip, NodeHost.WatchSink sink) {
    }

    private static RaftNode replica(Function<Asked, Future<NodeHost.Watch>> watch) {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (p, m, a) -> switch (m.getName()) {
                    case "id" -> 1;
                    case "knownLeader" -> 0;
                    case "watch" -> watch.apply(new Asked((Long) a[1], (Integer) a[2], (NodeHost.WatchSink) a[3]));
                    case "toString" -> "replica";
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == a[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    /** A sink that keeps what it is given, by group. */
    private static final class Recording implements NodeHost.WatchSink {
        final List<String> got = new ArrayList<>();

        @Override
        public void changes(List<KvChange> changes) {
            changes(-1, changes);
        }

        @Override
        public void changes(int group, List<KvChange> changes) {
            changes.forEach(c -> got.add(group + ":" + c.key() + "@" + c.revision() + ":" + c.seq()));
        }

        @Override
        public void progress(int group, long revision) {
            got.add(group + " passed " + revision);
        }

        @Override
        public void ended(NodeRequestException why) {
            got.add("ended");
        }
    }

    @Test
    void aFailedShardedWatchCancelsTheRegistrationsThatCompleteAfterTheFailure() {
        Promise<NodeHost.Watch> slow = Promise.promise();
        RaftNode paused = replica(asked -> Future.failedFuture(
                new NodeRequestException(NodeRequestException.Reason.NODE_PAUSED, 0, "paused")));
        RaftNode late = replica(asked -> slow.future());
        ReplicaSet set = new ReplicaSet(1, List.of(paused, late));
        Future<NodeHost.Watch> w = set.watch("", 0, 0, new Recording());
        assertThat(w.failed()).isTrue();
        // Group 1 answers its registration after the whole watch failed (it registers on its own event loop).
        FakeWatch registeredLate = new FakeWatch(new WatchPosition(3, 0));
        slow.complete(registeredLate);
        assertThat(registeredLate.cancelled).as("group 1's watcher is cancelled, not left registered on its node")
                .isTrue();
    }

    @Test
    void aShardedWatchResumesEachGroupAtItsOwnPositionAndNamesEveryGroupsStart() {
        List<Asked> asked = new ArrayList<>();
        List<FakeWatch> registered = new ArrayList<>();
        List<RaftNode> replicas = new ArrayList<>();
        for (int g = 0; g < 3; g++) {
            replicas.add(replica(a -> {
                asked.add(a);
                FakeWatch w = new FakeWatch(new WatchPosition(a.fromRevision(), a.skip()));
                registered.add(w);
                return Future.succeededFuture(w);
            }));
        }
        ReplicaSet set = new ReplicaSet(1, replicas);
        List<WatchPosition> from = List.of(new WatchPosition(15, 1), new WatchPosition(8, 0),
                new WatchPosition(12, 2));
        Recording sink = new Recording();
        Future<NodeHost.Watch> w = set.watch("p/", from, sink);
        assertThat(w.succeeded()).as(String.valueOf(w.cause())).isTrue();
        assertThat(asked).extracting(a -> new WatchPosition(a.fromRevision(), a.skip())).containsExactlyElementsOf(from);
        assertThat(w.result().start()).containsExactlyElementsOf(from);

        // Each group's changes and progress reach the client tagged with the group.
        asked.get(2).sink().changes(List.of(new KvChange(12, 2, "p/a", null)));
        asked.get(0).sink().changes(List.of(new KvChange(15, 1, "p/b", null)));
        asked.get(1).sink().progress(9);
        assertThat(sink.got).containsExactly("2:p/a@12:2", "0:p/b@15:1", "1 passed 9");
        w.result().requestProgress();
        assertThat(registered).allSatisfy(r -> assertThat(r.progressRequests).isEqualTo(1));

        // One group's end ends the watch in every group; nothing more is delivered.
        asked.get(1).sink().ended(new NodeRequestException(NodeRequestException.Reason.NODE_DOWN, 0, "down"));
        asked.get(0).sink().changes(List.of(new KvChange(16, 0, "p/c", null)));
        assertThat(sink.got).endsWith("ended");
        assertThat(registered).allSatisfy(r -> assertThat(r.cancelled).isTrue());
    }

    /**
     * A position older than one group's history is refused naming that group and its oldest revision, with advice that
     * works on a sharded cluster (a revision alone cannot start a watch there).
     */
    @Test
    void aCompactedPositionIsRefusedNamingItsGroup() {
        RaftNode held = replica(a -> Future.succeededFuture(new FakeWatch(new WatchPosition(a.fromRevision(), 0))));
        RaftNode compacted = replica(a -> Future.failedFuture(new WatchCompactedException(a.fromRevision(), 193)));
        ReplicaSet set = new ReplicaSet(1, List.of(held, compacted, held));
        Future<NodeHost.Watch> w = set.watch("", List.of(new WatchPosition(4, 0), new WatchPosition(2, 0),
                new WatchPosition(4, 0)), new Recording());
        assertThat(w.cause()).isInstanceOfSatisfying(WatchCompactedException.class, c -> {
            assertThat(c.group()).isEqualTo(1);
            assertThat(c.oldestRevision()).isEqualTo(193);
            assertThat(c.getMessage()).startsWith("group 1 of 3: revision 2 is older than the changes this node holds"
                    + " for that group: the oldest is 193; start a new watch without a last id");
        });
        assertThat(new WatchCompactedException(2, 193).group()).as("a node of one group names none").isEqualTo(-1);
    }

    @Test
    void aPositionOfAnotherNumberOfGroupsAndARevisionAreRefusedOnAShardedNode() {
        RaftNode g = replica(a -> Future.succeededFuture(new FakeWatch(new WatchPosition(1, 0))));
        ReplicaSet set = new ReplicaSet(1, List.of(g, g));
        Future<NodeHost.Watch> oneGroup = set.watch("", List.of(new WatchPosition(14, 1)), new Recording());
        assertThat(oneGroup.cause()).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names 1 Raft");
        // A revision names a place in one group's log only.
        Future<NodeHost.Watch> fromRevision = set.watch("", 14, 1, new Recording());
        assertThat(fromRevision.cause()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("per group");
    }
}
