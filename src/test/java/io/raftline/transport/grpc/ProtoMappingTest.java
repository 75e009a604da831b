package io.raftline.transport.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.proto.raft.RaftEnvelope;
import io.raftline.raft.Entry;
import io.raftline.raft.SerializationException;
import io.raftline.raft.Snapshot;
import io.raftline.raft.Membership;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.HeartbeatResponse;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.ReadIndexRequest;
import io.raftline.raft.message.ReadIndexResponse;
import io.raftline.raft.message.SnapshotRequest;
import io.raftline.raft.message.TimeoutNow;
import io.raftline.raft.message.VoteRequest;
import io.raftline.raft.message.VoteResponse;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProtoMappingTest {

    @Test
    void everyEnvelopeKindRoundTripsThroughBytes() throws Exception {
        List<Message> all = List.of(
                new AppendRequest(1, 2, 7, 10, 6, List.of(Entry.noop(11, 7), Entry.normal(12, 7, new byte[] {1, 2}),
                        Entry.config(13, 7, new Membership(List.of(1, 2, 3), List.of(4)))), 9),
                new AppendRequest(1, 3, 7, 10, 6, List.of(), 9),
                new AppendResponse(2, 1, 7, true, 10, 4, 3),
                AppendResponse.accepted(2, 1, 7, 12),
                new Heartbeat(1, 2, 7, 9, 44),
                new HeartbeatResponse(2, 1, 7, 44),
                new VoteResponse(3, 1, 8, true, true),
                new TimeoutNow(1, 3, 7),
                new ReadIndexRequest(2, 1, 7, 99),
                new ReadIndexResponse(1, 2, 7, 99, 12));
        for (Message m : all) {
            byte[] wire = ProtoMapping.toEnvelope(m).toByteArray();
            assertThat(ProtoMapping.fromEnvelope(RaftEnvelope.parseFrom(wire))).isEqualTo(m);
        }
    }

    @Test
    void voteRequestAndSnapshotRoundTrip() throws Exception {
        VoteRequest v = new VoteRequest(2, 3, 9, 40, 8, true, false);
        assertThat(ProtoMapping.fromProto(io.raftline.proto.raft.VoteRequest.parseFrom(ProtoMapping.toProto(v)
                .toByteArray()))).isEqualTo(v);
        SnapshotRequest s = new SnapshotRequest(1, 2, 5,
                new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3), List.of(4),
                        java.util.Map.of(4, "http://h4:8084")), new byte[] {9, 8, 7}));
        assertThat(ProtoMapping.snapshotRequest(ProtoMapping.header(s), new byte[] {9, 8, 7})).isEqualTo(s);
        assertThatThrownBy(() -> ProtoMapping.snapshotRequest(ProtoMapping.header(s), new byte[] {9}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("announced 3 bytes but 1 arrived");
    }

    @Test
    void invalidInputIsASerializationError() {
        assertThatThrownBy(() -> ProtoMapping.fromEnvelope(RaftEnvelope.getDefaultInstance()))
                .isInstanceOf(SerializationException.class).hasMessageContaining("empty or unknown");
        RaftEnvelope zeroId = RaftEnvelope.newBuilder()
                .setHeartbeat(io.raftline.proto.raft.Heartbeat.newBuilder().setFrom(0).setTo(2).setTerm(1)).build();
        assertThatThrownBy(() -> ProtoMapping.fromEnvelope(zeroId)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("node id must be > 0");
        RaftEnvelope badEntry = RaftEnvelope.newBuilder().setAppend(io.raftline.proto.raft.AppendRequest.newBuilder()
                .setFrom(1).setTo(2).setTerm(1).addEntries(io.raftline.proto.raft.Entry.newBuilder().setIndex(0)))
                .build();
        assertThatThrownBy(() -> ProtoMapping.fromEnvelope(badEntry)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("bad entry");
        RaftEnvelope hugeTerm = RaftEnvelope.newBuilder()
                .setTimeoutNow(io.raftline.proto.raft.TimeoutNow.newBuilder().setFrom(1).setTo(2).setTerm(-1L)).build();
        assertThatThrownBy(() -> ProtoMapping.fromEnvelope(hugeTerm)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("18446744073709551615");
    }
}
