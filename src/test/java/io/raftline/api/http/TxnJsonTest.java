package io.raftline.api.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.TxnCompare;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** The JSON of {@code POST /v1/txn}: what is read, and mistakes refused with the field's name. */
class TxnJsonTest {

    private static JsonObject revisionCompare(String operand) {
        return new JsonObject("{\"compare\":[{\"key\":\"k\",\"target\":\"revision\",\"op\":\"=\",\"value\":" + operand
                + "}],\"success\":[{\"put\":{\"key\":\"k\",\"value\":\"v\"}}]}");
    }

    @Test
    void aNumericOperandIsReadExactlyUpToTheLargestLong() {
        assertThat(TxnJson.parse(revisionCompare("5")).compares()).containsExactly(
                TxnCompare.number("k", TxnCompare.Target.MOD_REVISION, TxnCompare.Op.EQUAL, 5));
        assertThat(TxnJson.parse(revisionCompare(String.valueOf(Long.MAX_VALUE))).compares()).containsExactly(
                TxnCompare.number("k", TxnCompare.Target.MOD_REVISION, TxnCompare.Op.EQUAL, Long.MAX_VALUE));
    }

    @Test
    void aNumericOperandBeyondALongIsRefusedNotTruncated() {
        // 2^64 + 5: its low 64 bits are 5, which it used to be compared as.
        assertThatThrownBy(() -> TxnJson.parse(revisionCompare("18446744073709551621")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("compare[0].value: a revision comparison needs an integer in 0..9223372036854775807 (a"
                        + " JSON number: no quotes, fraction or exponent), got 18446744073709551621");
        assertThatThrownBy(() -> TxnJson.parse(revisionCompare("9223372036854775808")))
                .hasMessageStartingWith("compare[0].value: ");
    }

    @Test
    void aNumericOperandWithAFractionAnExponentOrASignIsRefused() {
        // A double has lost what was written: 5.0000000000000001 is 5.0, 1e19 is beyond a long.
        for (String operand : new String[] {"5.5", "5.0000000000000001", "1e19", "-1", "\"5\"", "null"}) {
            assertThatThrownBy(() -> TxnJson.parse(revisionCompare(operand))).as(operand)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("compare[0].value: a revision comparison needs an integer in 0..");
        }
        // The operand as it was written: a string "0" is not shown as the number 0.
        assertThatThrownBy(() -> TxnJson.parse(revisionCompare("\"0\""))).hasMessageEndingWith(", got \"0\"");
    }

    @Test
    void aValueThatIsNotTextIsRefusedNotStoredAsAQuestionMark() {
        // A lone surrogate escaped in JSON is valid JSON but no Unicode text: its UTF-8 encoding used to be a '?',
        // stored in its place.
        String lone = "\"\\ud800\"";
        assertThatThrownBy(() -> TxnJson.parse(new JsonObject("{\"success\":[{\"put\":{\"key\":\"k\",\"value\":" + lone
                + "}}]}"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("success[0].put.value: contains an unpaired surrogate");
        assertThatThrownBy(() -> TxnJson.parse(new JsonObject("{\"compare\":[{\"key\":\"k\",\"target\":\"value\","
                + "\"op\":\"=\",\"value\":\"a\\udc00\"}]}"))).hasMessageStartingWith("compare[0].value: contains an"
                + " unpaired surrogate");
        // A pair is text, and is stored as its four UTF-8 bytes.
        assertThat(((io.raftline.kv.TxnOp.Put) TxnJson.parse(new JsonObject("{\"success\":[{\"put\":{\"key\":\"k\","
                + "\"value\":\"\\ud83d\\ude00\"}}]}")).success().get(0)).value())
                .isEqualTo("\uD83D\uDE00".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void aNumericComparisonWithABase64OperandIsRefusedNotIgnored() {
        assertThatThrownBy(() -> TxnJson.parse(new JsonObject("{\"compare\":[{\"key\":\"k\",\"target\":\"revision\","
                + "\"op\":\"=\",\"value\":2,\"valueBase64\":\"eA==\"}]}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("compare[0].valueBase64: only a value comparison has one");
    }
}
