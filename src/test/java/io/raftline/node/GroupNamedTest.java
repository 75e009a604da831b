package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.raftline.kv.KvCommand;
import io.raftline.raft.RaftConfig;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A replica of a node of several Raft groups names its group in what it logs and in its refusals. Every replica of a
 * sharded node logged {@code [Node 1][Term 2][Follower] installed snapshot at index 8796} and refused with
 * {@code node 1 knows no leader (role is PreCandidate)}: with 16 groups an operator could not tell which group a line
 * was about, and a client was told that node 1 knows no leader while {@code /v1/cluster} showed it leading other
 * groups.
 */
class GroupNamedTest {

    @RegisterExtension
    final HostLogLines log = new HostLogLines();

    /** Node 1's replica of one group, driven by hand: nothing runs until the test empties the loop. */
    private static final class Replica extends ManualHostEnvironment implements NodeListener {
        final NodeHost host;

        Replica(int groups, int group) {
            this(List.of(1, 2, 3), 0, groups, group);
        }

        Replica(List<Integer> voters, long quotaBytes, int groups, int group) {
            super(Offload.ON_LOOP, false);
            RaftConfig raft = RaftConfig.builder(1, voters).singleNode(voters.size() == 1).tickMs(10).heartbeatMs(50)
                    .electionTimeoutMs(150, 300).build();
            host = new NodeHost(new NodeOptions(raft, 7, 100, 1_000, quotaBytes,
                    NodeOptions.DEFAULT_MAX_PENDING_READS, groups, group), new MemoryLogStore(), this, this);
            host.boot();
            settle();
        }

        @Override
        NodeHost host() {
            return host;
        }






    }

    private static NodeRequestException refusal(Future<?> f) {
        assertThat(f.failed()).as("refused at once").isTrue();
        return (NodeRequestException) f.cause();
    }

    private static KvCommand put() {
        return new KvCommand.Put("k", "v".getBytes(StandardCharsets.UTF_8), 0, null);
    }

    @Test
    void aReplicaOfASharedNodeNamesItsGroupWhenItRefusesAndInItsLogLines() {
        Replica r = new Replica(16, 5);

        NodeRequestException write = refusal(r.host.propose(put()));
        assertThat(write.reason()).isEqualTo(NodeRequestException.Reason.NO_LEADER);
        assertThat(write.getMessage()).startsWith("node 1 in Raft group 5 knows no leader");
        NodeRequestException read = refusal(r.host.read(ReadConsistency.LINEARIZABLE));
        assertThat(read.getMessage()).startsWith("node 1 in Raft group 5 knows no leader");

        r.host.crash();
        assertThat(log.events()).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(line -> line.startsWith("[Node 1][Group 5][Term 0][Follower] started"))
                .anyMatch(line -> line.startsWith("[Node 1][Group 5][Term 0][Follower] crashed"))
                .noneMatch(line -> line.startsWith("[Node 1][Term"));
    }

    @Test
    void aNodeOfOneGroupSpeaksAsBefore() {
        Replica r = new Replica(1, 0);

        assertThat(refusal(r.host.propose(put())).getMessage()).startsWith("node 1 knows no leader (");
        assertThat(log.events()).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(line -> line.startsWith("[Node 1][Term 0][Follower] started"))
                .noneMatch(line -> line.contains("[Group"));
    }

    /**
     * A sharded node's replica checks its group's keys against its share of {@code limits.quota_bytes}: the refusal
     * said "the key space holds 0 bytes ... beyond the quota of 63 bytes (limits.quota_bytes)" to an operator who set
     * 1,000 and whose key space held far more in the other groups.
     */
    @Test
    void aQuotaRefusalOfAShardedNodeSaysItIsTheGroupsShare() {
        Replica r = new Replica(List.of(1), 63, 16, 5);
        for (int i = 0; i < 100 && r.host.knownLeader() != 1; i++) {
            r.host.tick();
            r.settle();
        }
        assertThat(r.host.knownLeader() == 1).as("the single voter leads").isTrue();

        NodeRequestException refused = refusal(r.host.propose(new KvCommand.Put("k", new byte[100])));
        assertThat(refused.reason()).isEqualTo(NodeRequestException.Reason.QUOTA_EXCEEDED);
        assertThat(refused.getMessage()).isEqualTo("Raft group 5 holds 0 bytes of keys and values; this write would"
                + " add 101, beyond the group's share of limits.quota_bytes: 63 bytes, the quota over the 16 groups"
                + " (each group's leader checks its own keys): delete keys, or raise the quota");
    }

    @Test
    void aQuotaRefusalOfANodeOfOneGroupIsAsBefore() {
        Replica r = new Replica(List.of(1), 63, 1, 0);
        for (int i = 0; i < 100 && r.host.knownLeader() != 1; i++) {
            r.host.tick();
            r.settle();
        }
        assertThat(refusal(r.host.propose(new KvCommand.Put("k", new byte[100]))).getMessage()).isEqualTo(
                "the key space holds 0 bytes; this write would add 101, beyond the quota of 63 bytes"
                        + " (limits.quota_bytes): delete keys, or raise the quota");
    }
}
