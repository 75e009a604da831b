package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RespReply#size} is what {@link RespReply#writeTo} appends: the port's {@link ReplyBudget} takes a batch's
 * replies by their size before they are encoded, and gives the same bytes back once written.
 */
class RespReplySizeTest {

    @Test
    void theSizeOfEveryKindOfReplyIsTheLengthOfItsEncoding() {
        List<RespReply> replies = List.of(RespReply.OK, new RespReply.Simple("héllo"), new RespReply.Error("ERR nö"),
                new RespReply.Int(0), new RespReply.Int(9), new RespReply.Int(10), new RespReply.Int(-1),
                new RespReply.Int(-10), new RespReply.Int(Long.MAX_VALUE), new RespReply.Int(Long.MIN_VALUE),
                new RespReply.Bulk(new byte[0]), new RespReply.Bulk(new byte[9]), new RespReply.Bulk(new byte[100_000]),
                RespReply.Bulk.of("ü"), RespReply.NIL, new RespReply.Array(List.of()),
                new RespReply.Array(List.of(RespReply.NIL, new RespReply.Bulk(new byte[12]), new RespReply.Int(7),
                        new RespReply.Array(List.of(RespReply.OK)))),
                new RespReply.KeyValues(List.of(RespReply.Bulk.of("k"), new RespReply.Int(1), RespReply.Bulk.of("v"),
                        RespReply.NIL)));
        for (int protocol = 2; protocol <= 3; protocol++) {
            for (RespReply r : replies) {
                Buffer out = Buffer.buffer();
                r.writeTo(out, protocol);
                assertThat(r.size(protocol)).as("%s in RESP%d", r, protocol).isEqualTo(out.length());
            }
        }
    }
}
