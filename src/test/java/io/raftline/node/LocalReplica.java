package io.raftline.node;

import io.raftline.api.LeaderLink;
import io.raftline.api.LookupResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.kv.KvStateMachine;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;

/**
 * A replica of node 1 over a key-value state of the test's own, for tests of {@code KvRequests} without a Raft group:
 * it leads its group and reads at once, or its group is electing (its reads wait). Counts its reads.
 */
final class LocalReplica implements RaftNode {

    private final KvStateMachine kv;
    private final boolean electing;
    int reads;

    LocalReplica(KvStateMachine kv, boolean electing) {
        this.kv = kv;
        this.electing = electing;
    }

    @Override
    public int id() {
        return 1;
    }

    @Override
    public int knownLeader() {
        return electing ? 0 : 1;
    }

    @Override
    public Future<Integer> awaitLeader(int other) {
        return Promise.<Integer>promise().future();
    }

    @Override
    public Future<KvResult> propose(KvCommand command) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<KvView> read(ReadConsistency consistency) {
        reads++;
        return electing ? Promise.<KvView>promise().future() : Future.succeededFuture(new KvView(kv));
    }

    @Override
    public Future<NodeStatus> status() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Long> confirmLeaderCommit() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<StateDigest> digest() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> transferLeadership(int target) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<NodeHost.MembershipInfo> changeMembership(io.raftline.raft.MembershipChange change) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<NodeHost.Watch> watch(String prefix, long fromRevision, int skip, NodeHost.WatchSink sink) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> crash() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> restart() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> pause() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> freeze() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> thaw() {
        throw new UnsupportedOperationException();
    }

    @Override
    public Future<Void> resume() {
        throw new UnsupportedOperationException();
    }

    /** A link to no leader: these replicas lead, so nothing is forwarded. */
    static LeaderLink noPeers() {
        return new LeaderLink() {
            @Override
            public Future<Served<KvResult>> write(int leader, int group, KvCommand command) {
                throw new AssertionError("no forwarding expected");
            }

            @Override
            public Future<Served<io.raftline.api.GetResult>> get(int leader, int group, String key,
                    ReadConsistency consistency) {
                throw new AssertionError("no forwarding expected");
            }

            @Override
            public Future<Served<io.raftline.api.RangeResult>> range(int leader, int group, String prefix,
                    String startAfter, int limit, ReadConsistency consistency, boolean values) {
                throw new AssertionError("no forwarding expected");
            }

            @Override
            public Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys,
                    ReadConsistency consistency, io.raftline.api.Fetch fetch) {
                throw new AssertionError("no forwarding expected");
            }
        };
    }
}
