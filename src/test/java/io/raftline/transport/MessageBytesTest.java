package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The size estimate both transports cut their frames by: entry data and snapshot data, plus the overheads each
 * transport counts (the event bus none, gRPC room for each message and entry).
 */
class MessageBytesTest {

    private final Message append = new AppendRequest(1, 2, 3, 4, 3, List.of(Entry.normal(5, 3, new byte[100]),
            Entry.normal(6, 3, new byte[50])), 4);
    private final Message snapshot = new SnapshotRequest(1, 2, 3, new Snapshot(new SnapshotMetadata(9, 3,
            List.of(1, 2)), new byte[1000]));
    private final Message heartbeat = new Heartbeat(1, 2, 3, 4, 5);

    @Test
    void thePayloadAloneIsEntryAndSnapshotData() {
        assertThat(MessageBytes.of(append, 0, 0)).isEqualTo(150);
        assertThat(MessageBytes.of(snapshot, 0, 0)).isEqualTo(1000);
        assertThat(MessageBytes.of(heartbeat, 0, 0)).isZero();
        assertThat(MessageBytes.of(List.of(append, snapshot, heartbeat), 0, 0)).isEqualTo(1150);
    }

    @Test
    void overheadsAreCountedPerMessageAndPerEntry() {
        assertThat(MessageBytes.of(append, 128, 64)).isEqualTo(128 + 150 + 2 * 64);
        assertThat(MessageBytes.of(heartbeat, 128, 64)).isEqualTo(128);
        assertThat(MessageBytes.of(List.of(append, heartbeat), 128, 64)).isEqualTo(128 + 150 + 2 * 64 + 128);
    }
}
