package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvCommand;
import io.raftline.raft.HardState;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The order in which a leader tells its listener (the live view's publisher) of a commit and sends the messages that
 * carry it. The live view keeps each node's events in the order the node reported them: when the leader sent its
 * AppendEntries with {@code commit=65} before it reported {@code LogCommitted 65} (its sends leave before the disk
 * write, the commit was reported after it, with the applies), a follower's receipt showed first and the follower was
 * drawn with a higher commit index than its leader. Node 1 of three, driven by hand.
 */
class LeaderCommitReportOrderTest {

    private static final RaftConfig RAFT = RaftConfig.builder(1, List.of(1, 2, 3)).tickMs(10).heartbeatMs(50)
            .electionTimeoutMs(150, 300).build();

    /** Node 1 with a listener that writes down commits and the commit index each AppendEntries or heartbeat carries. */
    private static final class Recorded extends ManualHostEnvironment implements NodeListener {
        final List<String> told = new ArrayList<>();
        final NodeHost host;

        Recorded() {
            super(Offload.AT_ONCE, false);
            MemoryLogStore store = new MemoryLogStore();
            store.persist(null, List.of(), new HardState(1, 0, 0), true);
            host = new NodeHost(new NodeOptions(RAFT, 7, 100, 1_000), store, this, this);
            host.boot();
        }

        @Override
        NodeHost host() {
            return host;
        }

        @Override
        public void messageSent(Message m) {
            if (m instanceof AppendRequest a) {
                told.add("sent " + a.leaderCommit());
            } else if (m instanceof Heartbeat h) {
                told.add("sent " + h.commit());
            }
        }

        @Override
        public void committed(int node, long commit) {
            told.add("committed " + commit);
        }
    }

    /** The highest commit the listener was told before each send, checked against the commit the send carries. */
    private static void assertEachSendFollowsItsCommit(List<String> told) {
        long committed = 0;
        for (String line : told) {
            long n = Long.parseLong(line.substring(line.indexOf(' ') + 1));
            if (line.startsWith("committed")) {
                committed = Math.max(committed, n);
            } else {
                assertThat(n).as("a send carrying commit %d after only %d was reported: %s", n, committed, told)
                        .isLessThanOrEqualTo(committed);
            }
        }
    }

    @Test
    void aLeaderReportsItsCommitBeforeTheMessagesThatCarryIt() {
        Recorded node = new Recorded();
        for (int t = 0; t < 100 && node.sent.stream().noneMatch(m -> m instanceof VoteRequest v && v.preVote()); t++) {
            node.host.tick();
            node.settle();
        }
        node.host.step(new VoteResponse(2, 1, 2, true, true));
        node.settle();
        node.host.step(new VoteResponse(2, 1, 2, true, false));
        node.settle();
        // Node 2 takes the leader's no-op (index 1), then three writes one by one: each commit is broadcast.
        node.host.step(AppendResponse.accepted(2, 1, 2, 1));
        node.settle();
        for (int i = 2; i <= 4; i++) {
            node.host.propose(new KvCommand.Put("k" + i, ("v" + i).getBytes(StandardCharsets.UTF_8)));
            node.settle();
            node.host.step(AppendResponse.accepted(2, 1, 2, i));
            node.settle();
        }
        // A heartbeat round after the commits: heartbeats carry min(match, commit).
        for (int t = 0; t < 10; t++) {
            node.host.tick();
            node.settle();
        }
        assertThat(node.told).as("commit 4 was reached and broadcast").contains("committed 4", "sent 4");
        assertEachSendFollowsItsCommit(node.told);
    }
}
