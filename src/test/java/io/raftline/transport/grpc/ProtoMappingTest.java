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
import io.raftline.raft.message.Keepalive;
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
                new ReadIndexResponse(1, 2, 7, 99, 12),
                new Heartbeat(1, 3, 7, 9, 0, true),
                new Keepalive(2, 3));
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
    void aBatchNamesItsGroupOnceAndGroupZeroIsNotWritten() throws Exception {
        List<Message> messages = List.of(new Heartbeat(1, 2, 7, 9, 44), new VoteRequest(1, 2, 8, 40, 7, false, false));
        io.raftline.proto.raft.RaftBatch zero = ProtoMapping.toBatch(5, 0, messages);
        // Group 0 is byte for byte the frame of before groups: only seq (1) and messages (2) on the wire.
        assertThat(zero.toByteArray()).isEqualTo(ProtoMapping.toBatch(5, messages).toByteArray());
        assertThat(topLevelFields(zero.toByteArray())).containsOnly(1, 2);

        io.raftline.proto.raft.RaftBatch two = ProtoMapping.toBatch(6, 2, messages);
        assertThat(topLevelFields(two.toByteArray())).containsOnly(1, 2, 3);
        io.raftline.proto.raft.RaftBatch decoded = io.raftline.proto.raft.RaftBatch.parseFrom(two.toByteArray());
        assertThat(decoded.getGroup()).isEqualTo(2);
        assertThat(ProtoMapping.fromBatch(decoded)).isEqualTo(messages);
        // The envelopes themselves carry no group: the frame's counts for all of them.
        assertThat(decoded.getMessagesList()).allMatch(e -> e.getGroup() == 0);
    }

    @Test
    void aGroupNestedWhereTheOuterOneCountsIsRefused() {
        RaftEnvelope heartbeatOfGroup3 = ProtoMapping.toEnvelope(new Heartbeat(1, 2, 7, 9, 44)).toBuilder().setGroup(3)
                .build();
        io.raftline.proto.raft.RaftBatch batch = io.raftline.proto.raft.RaftBatch.newBuilder().setSeq(1).setGroup(2)
                .addMessages(heartbeatOfGroup3).build();
        assertThatThrownBy(() -> ProtoMapping.fromBatch(batch)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("names group 3 inside a batch");
        // On AppendEntries the envelope's own group is the one that counts: it decodes.
        assertThat(ProtoMapping.fromEnvelope(heartbeatOfGroup3)).isEqualTo(new Heartbeat(1, 2, 7, 9, 44));
        RaftEnvelope voteOfGroup4 = RaftEnvelope.newBuilder().setVote(ProtoMapping.toProto(
                new VoteRequest(1, 2, 8, 40, 7, false, false)).toBuilder().setGroup(4)).build();
        assertThatThrownBy(() -> ProtoMapping.fromEnvelope(voteOfGroup4)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("names group 4 inside an envelope");
    }

    @Test
    void aSnapshotHeaderCarriesItsGroup() throws Exception {
        SnapshotRequest s = new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(100, 4, List.of(1, 2, 3)),
                new byte[] {9, 8, 7}));
        assertThat(ProtoMapping.header(s, 0)).isEqualTo(ProtoMapping.header(s));
        assertThat(topLevelFields(ProtoMapping.header(s).toByteArray())).doesNotContain(10);
        io.raftline.proto.raft.SnapshotHeader h = io.raftline.proto.raft.SnapshotHeader.parseFrom(
                ProtoMapping.header(s, 2).toByteArray());
        assertThat(h.getGroup()).isEqualTo(2);
        assertThat(ProtoMapping.snapshotRequest(h, new byte[] {9, 8, 7})).isEqualTo(s);
    }

    /** The field numbers present at the top level of an encoded message. */
    static java.util.Set<Integer> topLevelFields(byte[] wire) throws java.io.IOException {
        java.util.Set<Integer> fields = new java.util.TreeSet<>();
        com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(wire);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            fields.add(com.google.protobuf.WireFormat.getTagFieldNumber(tag));
            in.skipField(tag);
        }
        return fields;
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
