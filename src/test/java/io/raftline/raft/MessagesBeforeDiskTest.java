package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.storage.MemoryStorage;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * What a core lets leave while a Ready's write is still on its way to disk ({@link RaftCore#takeMessagesBeforeDisk}):
 * answers to heartbeats and a leader's own replication, never an acknowledgement of entries, which is a promise about
 * the disk.
 */
class MessagesBeforeDiskTest {

    private static RaftCore follower() {
        RaftConfig config = RaftConfig.builder(2, List.of(1, 2, 3)).tickMs(10).heartbeatMs(50)
                .electionTimeoutMs(300, 600).build();
        return new RaftCore(config, new MemoryStorage(), new SplittableRandom(1));
    }

    /**
     * Review finding: a node with no term on disk restarts without the lease hold, so an answer that backed a
     * leader's lease before its first term was durable would let it vote against that lease at once after a crash.
     */
    @Test
    void aNodeWithNoTermOnDiskAnswersItsFirstHeartbeatOnlyAfterTheWrite() {
        RaftCore core = follower();
        core.step(new Heartbeat(1, 2, 1, 0, 0));
        Ready writing = core.ready(); // term 1 to write: its first term on disk
        assertThat(writing.mustSync()).isTrue();
        assertThat(writing.messages()).singleElement().isInstanceOf(HeartbeatResponse.class);
        assertThat(core.mayLeaveBeforeDisk(writing.messages().get(0))).isFalse();
        core.step(new Heartbeat(1, 2, 1, 0, 5));
        assertThat(core.takeMessagesBeforeDisk()).isEmpty();

        core.advance(writing);
        assertThat(core.ready().messages()).containsExactly(new HeartbeatResponse(2, 1, 1, 5));
    }

    @Test
    void aFollowerAnswersHeartbeatsWhileItsWriteIsOutstandingButNotAppends() {
        RaftCore core = follower();
        core.step(new Heartbeat(1, 2, 1, 0, 0));
        core.advance(core.ready()); // term 1 on disk
        core.step(new Heartbeat(1, 2, 2, 0, 0));
        Ready writing = core.ready(); // term 2 to write: the host may not take another Ready until it is durable
        assertThat(writing.mustSync()).isTrue();
        assertThat(writing.messages()).singleElement().isInstanceOf(HeartbeatResponse.class);
        assertThat(core.mayLeaveBeforeDisk(writing.messages().get(0))).isTrue();

        core.step(new AppendRequest(1, 2, 2, 0, 0,
                List.of(Entry.normal(1, 2, "x".getBytes(StandardCharsets.UTF_8))), 0));
        core.step(new Heartbeat(1, 2, 2, 0, 7));
        List<Message> early = core.takeMessagesBeforeDisk();

        assertThat(early).containsExactly(new HeartbeatResponse(2, 1, 2, 7));
        assertThat(core.takeMessagesBeforeDisk()).as("taken once").isEmpty();
        core.advance(writing);
        Ready next = core.ready();
        assertThat(next.messages()).as("the acknowledgement waits for the entry's write")
                .singleElement().isInstanceOfSatisfying(AppendResponse.class, r -> {
                    assertThat(r.rejected()).isFalse();
                    assertThat(r.index()).isEqualTo(1);
                });
        assertThat(core.mayLeaveBeforeDisk(next.messages().get(0))).isFalse();
        assertThat(next.entries()).hasSize(1);
    }
}
