package io.raftline.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.SerializationException;
import io.raftline.security.FrameAuthenticator;
import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

/**
 * A chunk of a large frame crosses the wire exactly, carries its own tag when the cluster has a secret (a chunk is
 * verified before the receiver keeps a byte of it), and a malformed one is refused with a reason.
 */
class FrameChunkCodecTest {

    private static final String SECRET = "the cluster's secret, 32 chars..";

    private static Buffer wire(FrameChunkCodec codec, FrameChunk chunk) {
        Buffer b = Buffer.buffer();
        codec.encodeToWire(b, chunk);
        return b;
    }

    @Test
    void aChunkSurvivesTheWireAndIsVerifiedWithTheClustersSecret() {
        FrameChunk chunk = new FrameChunk(1, 2, 7, 3, 9, 9_000, new byte[] {1, 2, 3, 4});
        FrameChunkCodec plain = new FrameChunkCodec(null, null);
        FrameChunk back = plain.decodeFromWire(0, wire(plain, chunk));
        assertThat(back.from()).isEqualTo(1);
        assertThat(back.to()).isEqualTo(2);
        assertThat(back.transfer()).isEqualTo(7);
        assertThat(back.index()).isEqualTo(3);
        assertThat(back.count()).isEqualTo(9);
        assertThat(back.total()).isEqualTo(9_000);
        assertThat(back.bytes()).containsExactly(1, 2, 3, 4);

        FrameChunkCodec cluster = new FrameChunkCodec(new FrameAuthenticator(SECRET), null);
        assertThat(cluster.decodeFromWire(0, wire(cluster, chunk)).bytes()).containsExactly(1, 2, 3, 4);
        FrameChunkCodec stranger = new FrameChunkCodec(new FrameAuthenticator("another secret of 32 characters"),
                null);
        assertThatThrownBy(() -> cluster.decodeFromWire(0, wire(stranger, chunk)))
                .isInstanceOf(FrameAuthenticationException.class).hasMessageContaining("does not verify");
        assertThatThrownBy(() -> cluster.decodeFromWire(0, wire(plain, chunk)))
                .isInstanceOf(FrameAuthenticationException.class);
    }

    @Test
    void malformedChunksAreRefusedWithAReason() {
        FrameChunkCodec plain = new FrameChunkCodec(null, null);
        Buffer tooShort = Buffer.buffer().appendInt(6).appendUnsignedShort(1).appendInt(1);
        assertThatThrownBy(() -> plain.decodeFromWire(0, tooShort)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("less than its header");
        Buffer badIndex = Buffer.buffer().appendInt(30).appendUnsignedShort(1).appendInt(1).appendInt(2).appendLong(7).appendInt(5)
                .appendInt(5).appendInt(10);
        assertThatThrownBy(() -> plain.decodeFromWire(0, badIndex)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("chunk 5 of 5");
        Buffer pastTotal = Buffer.buffer().appendInt(32).appendUnsignedShort(1).appendInt(1).appendInt(2).appendLong(7).appendInt(0)
                .appendInt(1).appendInt(1).appendBytes(new byte[] {1, 2});
        assertThatThrownBy(() -> plain.decodeFromWire(0, pastTotal)).isInstanceOf(SerializationException.class)
                .hasMessageContaining("frame of 1 bytes");
    }
}
