package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.raftline.raft.RaftConfig;
import io.raftline.raft.message.VoteRequest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a node that campaigns in vain logs: a removed sharded node restarted under its old membership logged a line per
 * group per election timeout (287 lines in 10 s with 16 groups, for as long as it ran); now the first round of each
 * group, then one line per node per {@link NodeHost#REPEAT_CAMPAIGN_LOG_NANOS}. And the "last heard" list of a role
 * change names members only: a removed node that keeps asking for votes was listed for ever.
 */
class CampaignLogTest {

    private static final long TICK_NANOS = 10_000_000L;

    @RegisterExtension
    final HostLogLines log = new HostLogLines();

    /** One replica of node {@code id}, driven by hand: nobody answers what it sends. */
    private static final class Replica extends ManualHostEnvironment implements NodeListener {
        final NodeHost host;

        Replica(int id, List<Integer> voters, int groups, int group) {
            super(Offload.ON_LOOP, false);
            RaftConfig raft = RaftConfig.builder(id, voters).tickMs(10).heartbeatMs(50).electionTimeoutMs(150, 300)
                    .preVote(true).build();
            host = new NodeHost(new NodeOptions(raft, 7, 100, 1_000, 0, NodeOptions.DEFAULT_MAX_PENDING_READS,
                    groups, group), new MemoryLogStore(), this, this);
            host.boot();
            settle();
        }

        void tick() {
            now += TICK_NANOS;
            host.tick();
            settle();
        }

        @Override
        NodeHost host() {
            return host;
        }
    }

    @Test
    void aNodeWhoseGroupsAllCampaignInVainLogsOneRepeatedRoundPerInterval() {
        List<Replica> groups = new ArrayList<>();
        for (int g = 0; g < 16; g++) {
            groups.add(new Replica(7, List.of(7, 8, 9), 16, g));
        }
        long seconds = 60;
        for (long t = 0; t < seconds * 1_000_000_000L / TICK_NANOS; t++) {
            groups.forEach(Replica::tick);
        }
        List<String> rounds = log.events().stream().map(ILoggingEvent::getFormattedMessage)
                .filter(l -> l.contains("asking for pre-votes for term")).toList();
        long first = rounds.stream().filter(l -> !l.contains("(again")).count();
        long again = rounds.stream().filter(l -> l.contains("(again")).count();
        // Each group's first round, then one line of the node's every 10 s (the first at the node's first repeat).
        assertThat(first).isEqualTo(16);
        assertThat(again).isBetween(seconds / 10, seconds / 10 + 1);
        assertThat(rounds.stream().filter(l -> l.contains("(again")).skip(1).findFirst().orElseThrow())
                .matches(".*\\(again, no leader since; \\d{3,} more rounds of this node's not logged since its last"
                        + " such line, at most one per 10 s; no peer heard yet\\)");
    }

    @Test
    void theLastHeardListNamesMembersOnly() {
        Replica r = new Replica(11, List.of(11, 12, 14), 1, 0);
        r.host.step(new VoteRequest(13, 11, 5, 0, 0, true, false));
        r.host.step(new VoteRequest(12, 11, 5, 0, 0, true, false));
        r.settle();
        for (int t = 0; t < 100 && r.host.status().roleName().equals("Follower"); t++) {
            r.tick();
        }
        List<String> changes = log.events().stream().map(ILoggingEvent::getFormattedMessage)
                .filter(l -> l.contains("Follower -> PreCandidate")).toList();
        assertThat(changes).isNotEmpty().allMatch(l -> l.contains("last heard: node 12 ") && !l.contains("node 13"));
    }
}
