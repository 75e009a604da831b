package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.SerializationException;
import io.raftline.raft.message.Heartbeat;
import io.raftline.raft.message.Message;
import io.vertx.core.buffer.Buffer;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** A batch frame carries its messages exactly and in order, and refuses malformed frames cleanly. */
class RaftBatchCodecTest {

    private final RaftBatchCodec codec = new RaftBatchCodec();

    private RaftBatch roundTrip(RaftBatch batch, int offset) {
        Buffer b = Buffer.buffer();
        b.appendBytes(new byte[offset]);
        codec.encodeToWire(b, batch);
        b.appendBytes(new byte[] {42, 42});
        return codec.decodeFromWire(offset, b);
    }

    @Test
    void everyKindSurvivesTheWireInOrderAtAnyOffset() {
        RaftBatch all = new RaftBatch(RaftMessageCodecTest.samples());
        assertThat(roundTrip(all, 0).messages()).containsExactlyElementsOf(all.messages());
        assertThat(roundTrip(all, 17).messages()).containsExactlyElementsOf(all.messages());
        RaftBatch one = new RaftBatch(List.of(new Heartbeat(1, 2, 3, 4, 5)));
        assertThat(roundTrip(one, 3)).isEqualTo(one);
        assertThat(RaftWireFormat.decodeBatch(RaftWireFormat.encodeBatch(all.messages()))).isEqualTo(all.messages());
    }

    @Test
    void localDeliveryHandsOverTheSameRecord() {
        RaftBatch b = new RaftBatch(RaftMessageCodecTest.samples());
        assertThat(codec.transform(b)).isSameAs(b);
        assertThat(codec.name()).isEqualTo(RaftBatchCodec.NAME).isNotEqualTo(RaftMessageCodec.NAME);
        assertThat(codec.systemCodecID()).isEqualTo((byte) -1);
    }

    @Test
    void anEmptyBatchCannotBeBuiltOrEncoded() {
        assertThatThrownBy(() -> new RaftBatch(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RaftWireFormat.encodeBatch(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void malformedFramesAreASerializationExceptionThatSaysWhy() {
        List<Message> two = List.of(new Heartbeat(1, 2, 3, 4, 5), new Heartbeat(1, 2, 3, 4, 6));
        byte[] good = RaftWireFormat.encodeBatch(two);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(new byte[0])).isInstanceOf(SerializationException.class)
                .hasMessageContaining("truncated");
        byte[] badVersion = good.clone();
        badVersion[0] = (byte) (RaftWireFormat.VERSION + 1);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(badVersion)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("version " + (RaftWireFormat.VERSION + 1));
        // A single message is not a batch, and a batch is not a single message.
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(RaftWireFormat.encode(two.get(0))))
                .isInstanceOf(SerializationException.class).hasMessageContaining("not a raft batch");
        assertThatThrownBy(() -> RaftWireFormat.decode(good)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("tag 0");
        byte[] empty = ByteBuffer.allocate(6).put((byte) RaftWireFormat.VERSION).put((byte) 0).putInt(0).array();
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(empty)).hasMessageContaining("empty");
        byte[] hugeCount = good.clone();
        ByteBuffer.wrap(hugeCount).putInt(2, 1_000_000);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(hugeCount)).hasMessageContaining("count");
        byte[] negativeCount = good.clone();
        ByteBuffer.wrap(negativeCount).putInt(2, -1);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(negativeCount)).hasMessageContaining("count");
        // The second message's length runs past the end.
        byte[] longInner = good.clone();
        int firstLength = ByteBuffer.wrap(good).getInt(6);
        ByteBuffer.wrap(longInner).putInt(6 + 4 + firstLength, 500);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(longInner)).hasMessageContaining("batch message 1");
        // A bad message inside is named by its position.
        byte[] badInner = good.clone();
        badInner[6 + 4 + 1] = 99;
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(badInner)).hasMessageContaining("message 0 of 2")
                .hasMessageContaining("tag 99");
        byte[] trailing = Arrays.copyOf(good, good.length + 1);
        assertThatThrownBy(() -> RaftWireFormat.decodeBatch(trailing)).hasMessageContaining("trailing");
        // The event-bus length prefix is checked too.
        Buffer b = Buffer.buffer().appendInt(1000).appendBytes(new byte[10]);
        assertThatThrownBy(() -> codec.decodeFromWire(0, b)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("exceeds");
        assertThatThrownBy(() -> codec.decodeFromWire(12, b)).isInstanceOf(SerializationException.class);
    }

    @Test
    void everyTruncationIsRefused() {
        byte[] full = RaftWireFormat.encodeBatch(RaftMessageCodecTest.samples());
        for (int n = 0; n < full.length; n++) {
            byte[] cut = Arrays.copyOf(full, n);
            assertThatThrownBy(() -> RaftWireFormat.decodeBatch(cut)).as("cut at " + n)
                    .isInstanceOf(SerializationException.class);
        }
    }

    @Property(tries = 300)
    void randomGarbageNeverEscapesAsAnotherException(@ForAll("seeds") long seed, @ForAll @IntRange(max = 200) int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(seed).nextBytes(bytes);
        if (size > 1) {
            bytes[0] = (byte) RaftWireFormat.VERSION;
            bytes[1] = 0; // a valid version and the batch tag, so the decoder looks further
        }
        try {
            List<Message> ms = RaftWireFormat.decodeBatch(bytes);
            assertThat(RaftWireFormat.encodeBatch(ms)).isEqualTo(bytes);
        } catch (SerializationException expected) {
            // the only acceptable failure
        }
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<Long> seeds() {
        return net.jqwik.api.Arbitraries.longs();
    }
}
