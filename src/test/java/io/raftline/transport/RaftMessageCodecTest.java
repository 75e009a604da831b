package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.vertx.core.buffer.Buffer;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The binary wire format carries every message kind exactly, and refuses malformed bytes cleanly. */
class RaftMessageCodecTest {

    private final RaftMessageCodec codec = new RaftMessageCodec();

    static List<Message> samples() {
        Snapshot snap = new Snapshot(new SnapshotMetadata(40, 3, List.of(1, 2, 3), List.of(4, 5),
                java.util.Map.of(4, "http://10.0.0.4:8084", 5, "https://h5.example:443")), new byte[] {9, 8, 7});
        return List.of(
                new VoteRequest(1, 2, 5, 10, 4, false, false),
                new VoteRequest(1, 3, 6, 10, 4, true, true),
                new VoteResponse(2, 1, 5, true, false),
                new VoteResponse(3, 1, 6, false, true),
                new AppendRequest(1, 2, 5, 9, 4, List.of(Entry.noop(10, 5), Entry.normal(11, 5, new byte[] {1, 2}),
                        Entry.normal(12, 5, new byte[0]),
                        Entry.config(13, 5, new Membership(List.of(1, 2, 3), List.of(4)))), 9),
                new AppendRequest(1, 2, 5, 9, 4, List.of(), 9),
                new AppendResponse(2, 1, 5, false, 12, 0, 0),
                new AppendResponse(2, 1, 5, true, 9, 7, 3),
                new Heartbeat(1, 2, 5, 12, 77),
                new HeartbeatResponse(2, 1, 5, 77),
                new SnapshotRequest(1, 3, 5, snap),
                new TimeoutNow(1, 2, 5),
                new ReadIndexRequest(2, 1, 5, 123),
                new ReadIndexResponse(1, 2, 5, 123, 12),
                new Heartbeat(1, 3, 5, 12, 0, true),
                new Keepalive(3, 1));
    }

    private Message roundTrip(Message m, int offset) {
        Buffer b = Buffer.buffer();
        b.appendBytes(new byte[offset]);
        codec.encodeToWire(b, m);
        b.appendBytes(new byte[] {42, 42});
        return codec.decodeFromWire(offset, b);
    }

    @Test
    void everyKindSurvivesTheWireAtAnyOffset() {
        for (Message m : samples()) {
            assertThat(roundTrip(m, 0)).as(m.describe()).isEqualTo(m);
            assertThat(roundTrip(m, 13)).as(m.describe()).isEqualTo(m);
            assertThat(RaftWireFormat.decode(RaftWireFormat.encode(m))).isEqualTo(m);
        }
    }

    @Test
    void localDeliveryHandsOverTheSameImmutableRecord() {
        Message m = samples().get(4);
        assertThat(codec.transform(m)).isSameAs(m);
        assertThat(codec.name()).isEqualTo(RaftMessageCodec.NAME);
        assertThat(codec.systemCodecID()).isEqualTo((byte) -1);
    }

    /** Where {@code part} first stands in {@code bytes} (a test's bytes always hold it). */
    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (java.util.Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not found");
    }

    @Test
    void malformedBytesAreASerializationException() {
        byte[] good = RaftWireFormat.encode(samples().get(4));
        assertThatThrownBy(() -> RaftWireFormat.decode(new byte[0])).isInstanceOf(SerializationException.class);
        byte[] badVersion = good.clone();
        badVersion[0] = 9;
        assertThatThrownBy(() -> RaftWireFormat.decode(badVersion)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("version");
        byte[] badTag = good.clone();
        badTag[1] = 99;
        assertThatThrownBy(() -> RaftWireFormat.decode(badTag)).hasMessageContaining("tag");
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> RaftWireFormat.decode(trailing)).hasMessageContaining("trailing");
        byte[] badFlags = RaftWireFormat.encode(new VoteResponse(2, 1, 5, true, false));
        badFlags[badFlags.length - 1] = 4;
        assertThatThrownBy(() -> RaftWireFormat.decode(badFlags)).isInstanceOf(SerializationException.class);
        // An entry index the record refuses (0) is reported, not thrown as IllegalArgumentException.
        byte[] badEntry = RaftWireFormat.encode(new AppendRequest(1, 2, 5, 0, 0, List.of(Entry.normal(1, 5,
                new byte[0])), 0));
        java.nio.ByteBuffer.wrap(badEntry).putLong(18 + 28, 0);
        assertThatThrownBy(() -> RaftWireFormat.decode(badEntry)).isInstanceOf(SerializationException.class);
        // A snapshot whose membership names a node twice, or as a voter and a learner: refused as it is decoded (it was
        // taken as it came, and the core threw when it installed it).
        byte[] snapshot = RaftWireFormat.encode(new SnapshotRequest(1, 2, 5, new Snapshot(new SnapshotMetadata(9, 4,
                List.of(1, 7), List.of(8)), new byte[] {1})));
        int seven = indexOf(snapshot, new byte[] {0, 0, 0, 1, 0, 0, 0, 7}) + 7;
        int eight = indexOf(snapshot, new byte[] {0, 0, 0, 1, 0, 0, 0, 8}) + 7;
        byte[] twice = snapshot.clone();
        twice[seven] = 1;
        assertThatThrownBy(() -> RaftWireFormat.decode(twice)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("duplicate id 1");
        byte[] both = snapshot.clone();
        both[eight] = 7;
        assertThatThrownBy(() -> RaftWireFormat.decode(both)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("both a voter and a learner");
        // A length prefix past the end of the buffer.
        Buffer b = Buffer.buffer().appendInt(1000).appendBytes(new byte[10]);
        assertThatThrownBy(() -> codec.decodeFromWire(0, b)).isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> codec.decodeFromWire(12, b)).isInstanceOf(SerializationException.class);
    }

    @Test
    void everyTruncationOfEveryKindIsRefused() {
        for (Message m : samples()) {
            byte[] full = RaftWireFormat.encode(m);
            for (int n = 0; n < full.length; n++) {
                byte[] cut = java.util.Arrays.copyOf(full, n);
                assertThatThrownBy(() -> RaftWireFormat.decode(cut)).as(m.describe() + " cut at " + n)
                        .isInstanceOf(SerializationException.class);
            }
        }
    }

    @Property(tries = 300)
    void randomGarbageNeverEscapesAsAnotherException(@ForAll("seeds") long seed, @ForAll @IntRange(max = 200) int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(seed).nextBytes(bytes);
        if (size > 0) {
            bytes[0] = (byte) RaftWireFormat.VERSION; // a valid version, so the decoder looks further
        }
        if (size > 1) {
            bytes[1] = (byte) (1 + Math.floorMod(seed, 12));
        }
        try {
            Message m = RaftWireFormat.decode(bytes);
            // Garbage that happens to be well formed must encode back to the same bytes.
            assertThat(RaftWireFormat.encode(m)).isEqualTo(bytes);
        } catch (SerializationException expected) {
            // the only acceptable failure
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Long> seeds() {
        return net.jqwik.api.Arbitraries.longs();
    }
}
