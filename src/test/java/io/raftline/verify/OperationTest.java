package io.raftline.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class OperationTest {

    private static final Value V = Value.of("v");

    @Test
    void valuesCompareByContent() {
        byte[] bytes = "abc".getBytes(StandardCharsets.UTF_8);
        Value fromBytes = Value.of(bytes);
        bytes[0] = 'x';
        assertThat(fromBytes).isEqualTo(Value.of("abc")).hasSameHashCodeAs(Value.of("abc"));
        assertThat(fromBytes.text()).contains("abc");
        assertThat(fromBytes.bytes()).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void binaryValuesRenderAsHex() {
        Value binary = Value.of(new byte[] {(byte) 0xff, 0x00, 0x41});
        assertThat(binary.text()).isEmpty();
        assertThat(binary).hasToString("0xff0041");
        byte[] long0xff = new byte[30];
        Arrays.fill(long0xff, (byte) 0xff);
        assertThat(Value.of(long0xff).toString()).isEqualTo("0x" + "ff".repeat(20) + "...(30 bytes)");
    }

    @Test
    void textValuesRenderQuotedAndShortened() {
        assertThat(Value.of("say \"hi\"\n")).hasToString("\"say \\\"hi\\\"\\u000a\"");
        assertThat(Value.of("x".repeat(50)).toString()).endsWith("\"...(50 chars)");
    }

    @Test
    void textWithAnUnpairedSurrogateIsNotAValue() {
        assertThatThrownBy(() -> Value.of("\uD800"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("value text contains an unpaired surrogate");
    }

    @Test
    void writesNeedAValueAndOtherKindsMustNotHaveOne() {
        assertThatThrownBy(() -> new Operation(1, 0, OpKind.PUT, "k", null, -1, 0, 1, Outcome.written(2)))
                .hasMessage("operation 1 (put k): a put needs a value");
        assertThatThrownBy(() -> new Operation(1, 0, OpKind.GET, "k", V, -1, 0, 1, Outcome.notFound()))
                .hasMessage("operation 1 (get k): a get writes no value (a read's value belongs in its outcome)");
    }

    @Test
    void onlyCompareAndSetHasAPrecondition() {
        assertThatThrownBy(() -> new Operation(1, 0, OpKind.PUT, "k", V, 3, 0, 1, Outcome.written(4)))
                .hasMessage("operation 1 (put k): expectedRevision must be UNCONDITIONAL (-1), not 3");
        assertThatThrownBy(() -> Operation.cas(1, 0, "k", V, -2, 0, 1, Outcome.written(4)))
                .hasMessage("operation 1 (cas k): expectedRevision must be -1, 0 or a revision, not -2");
        assertThat(Operation.cas(1, 0, "k", V, Operation.UNCONDITIONAL, 0, 1, Outcome.written(4)).expectedRevision())
                .isEqualTo(-1);
    }

    @Test
    void anUnknownOutcomeNeverCompletes() {
        assertThatThrownBy(() -> Operation.put(1, 0, "k", V, 0, 10, Outcome.unknown()))
                .hasMessageContaining("completeNanos must be Operation.NEVER");
        assertThat(Operation.put(1, 0, "k", V, 0, Operation.NEVER, Outcome.unknown()).outcomeUnknown()).isTrue();
    }

    @Test
    void aKnownOutcomeCompletesAfterItsInvocation() {
        assertThatThrownBy(() -> Operation.put(1, 0, "k", V, 10, 9, Outcome.written(2)))
                .hasMessage("operation 1 (put k): completeNanos (9) must be a time at or after invokeNanos (10)");
        assertThatThrownBy(() -> Operation.put(1, 0, "k", V, 10, Operation.NEVER, Outcome.written(2)))
                .hasMessageContaining("must be a time at or after invokeNanos");
        assertThat(Operation.put(1, 0, "k", V, -50, -50, Outcome.written(2)).completeNanos()).isEqualTo(-50);
    }

    @Test
    void outcomesMustFitTheKind() {
        assertThatThrownBy(() -> Operation.put(1, 0, "k", V, 0, 1, Outcome.found(V, 2)))
                .hasMessage("operation 1 (put k): a successful write reports only a revision");
        assertThatThrownBy(() -> Operation.get(1, 0, "k", 0, 1, Outcome.deleted(1, 2)))
                .hasMessage("operation 1 (get k): a read deletes nothing");
        assertThatThrownBy(() -> Operation.get(1, 0, "k", 0, 1, new Outcome.Ok(5, null, 0)))
                .hasMessage("operation 1 (get k): a read that found nothing has no revision");
        assertThatThrownBy(() -> Operation.delete(1, 0, "k", 0, 1, Outcome.found(V, 2)))
                .hasMessage("operation 1 (delete k): a delete returns no value");
    }

    @Test
    void outcomesCheckTheirOwnFields() {
        assertThatThrownBy(() -> Outcome.written(0))
                .hasMessage("revision must be at least 1, or UNREPORTED (-1), not 0");
        assertThatThrownBy(() -> Outcome.deleted(2, 5)).hasMessage("deleted must be 0 or 1, not 2");
        assertThatThrownBy(() -> Outcome.preconditionFailed(-3))
                .hasMessage("actualRevision must be at least 0, or UNREPORTED (-1), not -3");
        assertThatThrownBy(() -> new Outcome.Failed(Outcome.Cause.REJECTED, 4))
                .hasMessage("a rejected request observed no revision");
        assertThat(Outcome.unknown()).isSameAs(Outcome.unknown());
    }

    @Test
    void keysMustNotBeEmpty() {
        assertThatThrownBy(() -> Operation.get(1, 0, "", 0, 1, Outcome.notFound()))
                .hasMessage("operation 1 (get ): key must not be empty");
    }

    @Test
    void describesItselfOnOneLine() {
        long t0 = 1_000_000;
        assertThat(Operation.cas(7, 2, "k1", Value.of("v3"), 12, t0 + 1_250_000, t0 + 3_010_000, Outcome.written(15))
                .describe(t0))
                .isEqualTo("#7 client 2 cas k1 \"v3\" ifRevision=12 -> ok revision 15  [+1.250 ms, +3.010 ms]");
        assertThat(Operation.get(8, 1, "k1", t0, t0 + 500_000, Outcome.notFound()).describe(t0))
                .isEqualTo("#8 client 1 get k1 -> not found  [+0.000 ms, +0.500 ms]");
        assertThat(Operation.delete(9, 1, "k1", t0, Operation.NEVER, Outcome.unknown()).describe(t0))
                .isEqualTo("#9 client 1 delete k1 -> unknown  [+0.000 ms, never]");
        assertThat(Operation.cas(10, 1, "k1", V, 4, t0, t0, Outcome.preconditionFailed(5)).describe(t0))
                .isEqualTo("#10 client 1 cas k1 \"v\" ifRevision=4 -> precondition failed (actual revision 5)"
                        + "  [+0.000 ms, +0.000 ms]");
    }

    @Test
    void opKindsHaveLowerCaseWireNames() {
        assertThat(OpKind.fromWireName("cas")).isEqualTo(OpKind.CAS);
        assertThat(OpKind.DELETE.wireName()).isEqualTo("delete");
        assertThatThrownBy(() -> OpKind.fromWireName("PUT"))
                .hasMessage("unknown operation kind \"PUT\" (expected put, get, delete or cas)");
    }
}
