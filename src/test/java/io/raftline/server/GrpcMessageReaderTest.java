package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/**
 * {@link GrpcMessageReader} against every way of cutting a call into chunks: what it hands on is the call with each
 * gzip message inflated, byte for byte, whatever the cuts (a prefix split over two or three chunks included); an
 * uncompressed chunk whose prefixes are whole is handed on as the very buffer that came; a refused message leaves the
 * whole messages before it handed on and nothing after.
 */
class GrpcMessageReaderTest {

    private static final long MAX = 4096;

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(plain);
        }
        return out.toByteArray();
    }

    private static Buffer message(int flag, byte[] body) {
        return Buffer.buffer().appendByte((byte) flag).appendUnsignedInt(body.length).appendBytes(body);
    }

    /** Feeds {@code call} cut at random places; returns what was handed on, or null if refused. */
    private static Buffer feed(GrpcMessageReader reader, Buffer call, Random random, List<Buffer> handed) {
        Buffer out = Buffer.buffer();
        int at = 0;
        while (at < call.length()) {
            int size = random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 1 + random.nextInt(200);
            int end = Math.min(call.length(), at + size);
            GrpcMessageReader.Refusal refusal = reader.feed(call.slice(at, end), b -> {
                handed.add(b);
                out.appendBuffer(b);
            });
            if (refusal != null) {
                return null;
            }
            at = end;
        }
        return out;
    }

    @Test
    void whateverTheCutsTheCallPassesWithItsGzipMessagesInflated() throws IOException {
        Random random = new Random(42);
        for (int round = 0; round < 500; round++) {
            boolean gzip = random.nextBoolean();
            Buffer call = Buffer.buffer();
            Buffer expected = Buffer.buffer();
            for (int m = random.nextInt(6); m >= 0; m--) {
                byte[] body = new byte[random.nextInt(random.nextBoolean() ? 8 : 600)];
                random.nextBytes(body);
                if (gzip && random.nextBoolean()) {
                    call.appendBuffer(message(1, gzip(body)));
                    expected.appendBuffer(message(0, body));
                } else {
                    call.appendBuffer(message(0, body));
                    expected.appendBuffer(message(0, body));
                }
            }
            GrpcMessageReader reader = new GrpcMessageReader(gzip ? "gzip" : null, MAX);
            Buffer out = feed(reader, call, random, new ArrayList<>());
            assertThat(out).as("round %d", round).isNotNull();
            assertThat(out.getBytes()).as("round %d", round).isEqualTo(expected.getBytes());
        }
    }

    @Test
    void anUncompressedChunkWhosePrefixesAreWholeIsHandedOnAsItCame() {
        GrpcMessageReader reader = new GrpcMessageReader(null, MAX);
        Buffer first = message(0, new byte[] {1, 2, 3}).appendBuffer(message(0, new byte[40]));
        List<Buffer> handed = new ArrayList<>();
        assertThat(reader.feed(first, handed::add)).isNull();
        assertThat(handed).hasSize(1);
        assertThat(handed.get(0)).isSameAs(first);
        // A chunk that ends inside a prefix: its whole messages go out as a slice, the prefix's bytes are held.
        handed.clear();
        Buffer cut = message(0, new byte[] {7}).appendBytes(new byte[] {0, 0});
        assertThat(reader.feed(cut, handed::add)).isNull();
        assertThat(Buffer.buffer().appendBuffer(handed.get(0)).getBytes())
                .isEqualTo(message(0, new byte[] {7}).getBytes());
        handed.clear();
        assertThat(reader.feed(Buffer.buffer(new byte[] {0, 0, 1, 9}), handed::add)).isNull();
        Buffer joined = Buffer.buffer();
        handed.forEach(joined::appendBuffer);
        assertThat(joined.getBytes()).isEqualTo(message(0, new byte[] {9}).getBytes());
    }

    @Test
    void aRefusedMessageLeavesTheWholeMessagesBeforeItAndNothingAfter() throws IOException {
        Buffer good = message(0, new byte[] {1, 2});
        // Marked compressed without gzip.
        Buffer call = good.copy().appendBuffer(message(1, new byte[] {3})).appendBuffer(message(0, new byte[] {4}));
        Buffer out = Buffer.buffer();
        GrpcMessageReader reader = new GrpcMessageReader(null, MAX);
        GrpcMessageReader.Refusal refusal = reader.feed(call, out::appendBuffer);
        assertThat(refusal.status()).isEqualTo(GrpcMessageReader.INTERNAL);
        assertThat(refusal.message()).contains("message 2 of this call is marked compressed")
                .contains("grpc-encoding is absent");
        assertThat(out.getBytes()).isEqualTo(good.getBytes());
        assertThat(reader.feed(message(0, new byte[] {5}), out::appendBuffer)).isSameAs(refusal);
        assertThat(out.getBytes()).isEqualTo(good.getBytes());
        // A gzip message inflating past the largest message, and one that is not gzip.
        GrpcMessageReader bomb = new GrpcMessageReader("gzip", MAX);
        GrpcMessageReader.Refusal big = bomb.feed(message(1, gzip(new byte[(int) MAX + 1])), b -> { });
        assertThat(big.status()).isEqualTo(GrpcMessageReader.RESOURCE_EXHAUSTED);
        assertThat(big.message()).contains("inflates to more than 4096 bytes");
        GrpcMessageReader garbage = new GrpcMessageReader("gzip", MAX);
        assertThat(garbage.feed(message(1, new byte[] {1, 2, 3}), b -> { }).message()).contains("not valid gzip");
    }
}
