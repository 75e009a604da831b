package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A batch's replies encoded a piece at a time are, end to end, the bytes {@link RespReply#writeTo} gives for each in
 * turn, in pieces of about {@link ReplyEncoder#PIECE_BYTES}: a value of several MiB, or an MGET's array of them, is
 * never copied whole into one buffer.
 */
class ReplyEncoderTest {

    private static final int SLACK = 64; // what one small reply may add past a piece's size

    @Test
    void piecesJoinedAreTheRepliesEncodedWholeAndEachIsAboutOnePiece() {
        Random random = new Random(7);
        List<RespReply> replies = new ArrayList<>();
        replies.add(RespReply.OK);
        replies.add(new RespReply.Bulk(bytes(random, 5 * ReplyEncoder.PIECE_BYTES + 3)));
        replies.add(RespReply.NIL);
        replies.add(new RespReply.Bulk(bytes(random, ReplyEncoder.PIECE_BYTES)));
        replies.add(new RespReply.Array(List.of(new RespReply.Bulk(bytes(random, 3 * ReplyEncoder.PIECE_BYTES)),
                RespReply.NIL, new RespReply.Int(-12),
                new RespReply.Array(List.of(new RespReply.Bulk(bytes(random, 70_000)), RespReply.OK)),
                new RespReply.Array(List.of()))));
        replies.add(new RespReply.KeyValues(List.of(RespReply.Bulk.of("k"),
                new RespReply.Bulk(bytes(random, 200_000)), RespReply.Bulk.of("n"), new RespReply.Int(3))));
        for (int i = 0; i < 5_000; i++) {
            replies.add(new RespReply.Bulk(bytes(random, random.nextInt(40))));
        }
        replies.add(new RespReply.Error("ERR last"));
        for (int protocol = 2; protocol <= 3; protocol++) {
            Buffer whole = Buffer.buffer();
            for (RespReply r : replies) {
                r.writeTo(whole, protocol);
            }
            ReplyEncoder encoder = new ReplyEncoder(replies, protocol);
            assertThat(encoder.remaining()).isEqualTo(whole.length());
            Buffer joined = Buffer.buffer();
            int pieces = 0;
            while (!encoder.done()) {
                Buffer piece = encoder.next();
                pieces++;
                assertThat(piece.length()).as("piece %d in RESP%d", pieces, protocol).isPositive()
                        .isLessThanOrEqualTo(ReplyEncoder.PIECE_BYTES + SLACK);
                joined.appendBuffer(piece);
                assertThat(encoder.remaining()).isEqualTo(whole.length() - joined.length());
            }
            assertThat(Arrays.equals(joined.getBytes(), whole.getBytes())).as("the same bytes in RESP%d", protocol)
                    .isTrue();
            assertThat(pieces).isGreaterThanOrEqualTo(whole.length() / (ReplyEncoder.PIECE_BYTES + SLACK));
        }
    }

    @Test
    void smallRepliesGoTogetherInOnePiece() {
        List<RespReply> replies = List.of(RespReply.OK, new RespReply.Int(1), RespReply.Bulk.of("value"));
        ReplyEncoder encoder = new ReplyEncoder(replies, 2);
        assertThat(encoder.next().toString()).isEqualTo("+OK\r\n:1\r\n$5\r\nvalue\r\n");
        assertThat(encoder.done()).isTrue();
        assertThatThrownBy(encoder::next).isInstanceOf(NoSuchElementException.class);
    }

    private static byte[] bytes(Random random, int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }
}
