package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.Message;
import io.raftline.raft.storage.MemoryStorage;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A node that is the only voter of its membership leads a term the moment it campaigns, with no vote request that
 * would wait for the write of that term. Safety finding (2026-12-04 audit): its AppendEntries for the new term left
 * before the term was on its disk; a power cut then brought it back in the old term, it led the same term again and
 * wrote another entry at the same index, and its learner, which had taken the first one, kept it for good (same
 * index, same term): the two applied different commands at one index. A leader's messages now wait for its term's
 * write ({@link RaftCore#mayLeaveBeforeDisk}).
 */
class SoleVoterTermTest {

    private static final RaftConfig VOTER = RaftConfig.builder(1, List.of(1)).singleNode(true).tickMs(10)
            .heartbeatMs(50).electionTimeoutMs(300, 600).checkQuorum(true).preVote(true).build();
    private static final RaftConfig LEARNER = RaftConfig.builder(2, List.of()).tickMs(10).heartbeatMs(50)
            .electionTimeoutMs(300, 600).checkQuorum(true).preVote(true).build();

    /** A node with a memory disk; its host persists, sends, applies and advances each Ready in full. */
    private static final class Node {
        final int id;
        final RaftConfig config;
        final MemoryStorage disk = new MemoryStorage();
        final List<Entry> applied = new ArrayList<>();
        RaftCore core;

        Node(int id, RaftConfig config) {
            this.id = id;
            this.config = config;
            this.core = new RaftCore(config, disk, new SplittableRandom(id));
        }

        List<Message> handle() {
            List<Message> out = new ArrayList<>();
            while (core.hasReady()) {
                Ready rd = core.ready();
                if (rd.snapshot() != null) {
                    disk.applySnapshot(rd.snapshot());
                }
                disk.append(rd.entries());
                if (rd.hardState() != null) {
                    disk.setHardState(rd.hardState());
                }
                out.addAll(rd.messages());
                applied.addAll(rd.committedEntries());
                core.advance(rd);
            }
            return out;
        }

        /** Takes the next Ready, lets out what may leave before its write, and loses power before the write. */
        List<Message> sendEarlyThenLosePower() {
            Ready rd = core.ready();
            List<Message> early = new ArrayList<>();
            for (Message m : rd.messages()) {
                if (core.mayLeaveBeforeDisk(m)) {
                    early.add(m);
                }
            }
            core = new RaftCore(config, disk, new SplittableRandom(id * 31L));
            applied.clear();
            for (long i = disk.firstIndex(); i <= disk.hardState().commit(); i++) {
                applied.add(disk.entries(i, i + 1, Long.MAX_VALUE).get(0));
            }
            return early;
        }

        Entry appliedAt(long index) {
            return applied.stream().filter(e -> e.index() == index).findFirst().orElse(null);
        }

        void tickUntilLeader() {
            for (int i = 0; i < 200 && core.role() != Role.LEADER; i++) {
                core.tick();
            }
            assertThat(core.role()).isEqualTo(Role.LEADER);
        }
    }

    private static void deliver(List<Message> msgs, Node... nodes) {
        List<Message> queue = new ArrayList<>(msgs);
        while (!queue.isEmpty()) {
            List<Message> next = new ArrayList<>();
            for (Message m : queue) {
                for (Node n : nodes) {
                    if (n.id == m.to()) {
                        n.core.step(m);
                        next.addAll(n.handle());
                    }
                }
            }
            queue = next;
        }
    }

    private static void settle(Node... nodes) {
        List<Message> msgs = new ArrayList<>();
        for (Node n : nodes) {
            msgs.addAll(n.handle());
        }
        deliver(msgs, nodes);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aSoleVoterThatLosesPowerBeforeItsTermIsWrittenNeverLeavesALearnerWithAnotherEntry() {
        Node leader = new Node(1, VOTER);
        Node learner = new Node(2, LEARNER);
        leader.core.campaign();
        settle(leader, learner);
        leader.core.changeMembership(new MembershipChange.AddLearner(2));
        settle(leader, learner);
        settle(leader, learner);
        assertThat(learner.core.log().lastIndex()).isEqualTo(leader.core.log().lastIndex());
        assertThat(leader.core.term()).isEqualTo(1);

        // Restarted with everything durable; its first Ready's write is slow, and while it is on its way the node's
        // election timer fires: the only voter, it leads term 2 at once, with term 2 in memory only.
        leader.core = new RaftCore(VOTER, leader.disk, new SplittableRandom(7));
        Ready slow = leader.core.ready();
        leader.tickUntilLeader();
        assertThat(leader.core.term()).isEqualTo(2);
        long index = leader.core.propose(bytes("x")).index();
        // Heartbeats and their answers go on while a write is slow; the answer wakes the learner's replication.
        List<Message> beats = new ArrayList<>();
        for (int i = 0; i < 50 && beats.isEmpty(); i++) {
            leader.core.tick();
            beats.addAll(leader.core.takeMessagesBeforeDisk());
        }
        deliver(beats, learner);
        for (Message answer : learner.handle()) {
            leader.core.step(answer);
        }
        leader.core.advance(slow);
        // The next Ready writes term 2 with the no-op and x: nothing of term 2 leaves before that write, which the
        // power cut takes away.
        List<Message> early = leader.sendEarlyThenLosePower();
        assertThat(early).as("messages of a term not on disk").isEmpty();
        deliver(early, learner);

        // Back in term 1, it leads term 2 again and writes y where x was.
        assertThat(leader.core.term()).isEqualTo(1);
        leader.handle();
        leader.tickUntilLeader();
        assertThat(leader.core.term()).isEqualTo(2);
        assertThat(leader.core.propose(bytes("y")).index()).isEqualTo(index);
        for (int i = 0; i < 30; i++) {
            leader.core.tick();
            settle(leader, learner);
        }
        Entry led = leader.appliedAt(index);
        Entry learned = learner.appliedAt(index);
        assertThat(led).isNotNull();
        assertThat(learned).as("the learner applied index %d", index).isNotNull();
        assertThat(new String(learned.data(), StandardCharsets.UTF_8)).as("what the learner applied at %d", index)
                .isEqualTo(new String(led.data(), StandardCharsets.UTF_8)).isEqualTo("y");
    }

    @Test
    void aLeaderElectedByOthersStillReplicatesWhileItsOwnEntriesAreWritten() {
        RaftConfig c1 = RaftConfig.builder(1, List.of(1, 2, 3)).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(300, 600).preVote(false).build();
        RaftCore core = new RaftCore(c1, new MemoryStorage(), new SplittableRandom(1));
        core.campaign();
        Ready votes = core.ready();
        assertThat(votes.messages()).allSatisfy(m -> assertThat(core.mayLeaveBeforeDisk(m)).isFalse());
        core.advance(votes);
        core.step(new io.raftline.raft.message.VoteResponse(2, 1, core.term(), true, false));
        assertThat(core.role()).isEqualTo(Role.LEADER);
        core.propose(bytes("x"));
        Ready appends = core.ready();
        assertThat(appends.entries()).isNotEmpty();
        assertThat(appends.messages()).as("its appends leave while its entries are written").isNotEmpty()
                .allSatisfy(m -> assertThat(core.mayLeaveBeforeDisk(m)).isTrue());
    }
}
