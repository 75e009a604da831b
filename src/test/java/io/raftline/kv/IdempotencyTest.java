package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class IdempotencyTest {

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KvCommand.Put put(String key, String value, String idempotencyKey) {
        return new KvCommand.Put(key, bytes(value), KvCommand.UNCONDITIONAL, idempotencyKey);
    }

    @Test
    void aRetriedWriteIsAppliedOnceAndAnswersTheOriginalResult() {
        KvStateMachine kv = new KvStateMachine();
        byte[] write = KvCodec.encode(put("k", "v", "req-1"));

        assertThat(kv.apply(1, write)).isEqualTo(new KvResult.Written(1));
        assertThat(kv.apply(2, write)).isEqualTo(new KvResult.Written(1));
        assertThat(kv.apply(3, write)).isEqualTo(new KvResult.Written(1));

        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v"), 1, 1, 1));
        assertThat(kv.lastApplied()).isEqualTo(3);
    }

    @Test
    void aKeyIsForgottenMaxAgeEntriesAfterItsFirstApplicationOnEveryReplicaAlike() {
        KvStateMachine kv = new KvStateMachine(100, 5);
        KvStateMachine replica = new KvStateMachine(100, 5);
        byte[] write = KvCodec.encode(put("k", "v", "req-1"));
        byte[] other = KvCodec.encode(put("x", "y", null));
        for (KvStateMachine m : List.of(kv, replica)) {
            assertThat(m.apply(1, write)).isEqualTo(new KvResult.Written(1));
            for (long i = 2; i <= 5; i++) {
                m.apply(i, other);
            }
            // Index 6 = 1 + max age: still remembered.
            assertThat(m.apply(6, write)).isEqualTo(new KvResult.Written(1));
            // Index 7: forgotten, so the retry is a new write.
            assertThat(m.apply(7, write)).isEqualTo(new KvResult.Written(7));
            assertThat(m.apply(8, write)).as("and remembered from its new application").isEqualTo(
                    new KvResult.Written(7));
        }
        assertThat(kv.stateHashHex()).isEqualTo(replica.stateHashHex());
    }

    @Test
    void theAgeBoundForgetsOnlyWhatIsOldEnough() {
        IdempotencyTable t = IdempotencyTable.empty(10, 3);
        t = t.record("a", IdempotencyTable.Use.PUT, 11, new KvResult.Written(1))
                .record("b", IdempotencyTable.Use.PUT, 12, new KvResult.Written(2));
        assertThat(t.expire(4).size()).isEqualTo(2);
        assertThat(t.expire(5).lookup("a")).isNull();
        assertThat(t.expire(5).lookup("b").result()).isEqualTo(new KvResult.Written(2));
        assertThat(t.expire(100).size()).isZero();
        assertThat(IdempotencyTable.empty(10).maxAge()).isEqualTo(IdempotencyTable.DEFAULT_MAX_AGE_ENTRIES);
    }

    @Test
    void aRetriedDeleteDoesNotDeleteALaterWrite() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, put("k", "v1", null));
        assertThat(kv.apply(2, new KvCommand.Delete("k", "del-1"))).isEqualTo(new KvResult.Deleted(1, 2));
        kv.apply(3, put("k", "v2", null));

        assertThat(kv.apply(4, new KvCommand.Delete("k", "del-1"))).isEqualTo(new KvResult.Deleted(1, 2));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v2"), 3, 3, 1));
    }

    @Test
    void aFailedPreconditionIsRecordedTooSoRetriesGiveTheSameAnswer() {
        KvStateMachine kv = new KvStateMachine();
        KvCommand.Put createOnly = new KvCommand.Put("k", bytes("mine"), KvCommand.MUST_NOT_EXIST, "create-1");
        kv.apply(1, put("k", "theirs", null));
        assertThat(kv.apply(2, createOnly)).isEqualTo(new KvResult.PreconditionFailed(1, 2));
        kv.apply(3, new KvCommand.Delete("k"));

        assertThat(kv.apply(4, createOnly)).isEqualTo(new KvResult.PreconditionFailed(1, 2));
        assertThat(kv.get("k")).isEmpty();
    }

    /**
     * The audit's finding I1 (reports/api.md): a put of key b reusing the idempotency key of a put of key a was
     * answered with a's result, Written(1), and b was never written: a client was told its write was made when it was
     * not. Refused now, alike on every replica, and the key keeps naming the first put.
     */
    @Test
    void aPutOfAnotherKeyReusingAnIdempotencyKeyIsRefusedNotAnsweredWithTheFirstPutsSuccess() {
        KvStateMachine kv = new KvStateMachine();
        KvStateMachine replica = new KvStateMachine();
        List<byte[]> log = List.of(KvCodec.encode(put("a", "1", "K")), KvCodec.encode(put("b", "2", "K")),
                KvCodec.encode(put("a", "1", "K")), KvCodec.encode(put("b", "2", "K")));
        for (KvStateMachine m : List.of(kv, replica)) {
            assertThat(m.apply(1, log.get(0))).isEqualTo(new KvResult.Written(1));
            assertThat(m.apply(2, log.get(1))).isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 2));
            assertThat(m.get("b")).as("the refused put wrote nothing").isEmpty();
            assertThat(m.apply(3, log.get(2))).as("the first put's retry").isEqualTo(new KvResult.Written(1));
            assertThat(m.apply(4, log.get(3))).as("the refusal is not recorded: the key still names the first put")
                    .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 4));
            assertThat(m.get("a")).contains(new KvEntry("a", bytes("1"), 1, 1, 1));
        }
        assertThat(kv.stateHashHex()).isEqualTo(replica.stateHashHex());
    }

    @Test
    void aPutReusingAnIdempotencyKeyWithAnotherValueOrConditionIsRefused() {
        KvStateMachine kv = new KvStateMachine();
        assertThat(kv.apply(1, put("k", "v", "K"))).isEqualTo(new KvResult.Written(1));
        // Another value: answering Written(1) would tell the client "w" was written when "v" is what the key holds.
        assertThat(kv.apply(2, put("k", "w", "K"))).isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 2));
        // Another condition, even one that would hold (a put with and without ifRevision are one kind, not one
        // request).
        assertThat(kv.apply(3, new KvCommand.Put("k", bytes("v"), 1, "K")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 3));
        assertThat(kv.apply(4, new KvCommand.Put("k", bytes("v"), KvCommand.MUST_NOT_EXIST, "K")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 4));
        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("v"), 1, 1, 1));
        // The same request, applied through its decoded bytes or as a command, is a retry.
        assertThat(kv.apply(5, KvCodec.encode(put("k", "v", "K")))).isEqualTo(new KvResult.Written(1));
        assertThat(kv.apply(6, put("k", "v", "K"))).isEqualTo(new KvResult.Written(1));
    }

    @Test
    void aDeleteReusingAnIdempotencyKeyForAnotherKeyOrConditionIsRefused() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, put("a", "1", null));
        kv.apply(2, put("b", "2", null));
        assertThat(kv.apply(3, new KvCommand.Delete("a", "D"))).isEqualTo(new KvResult.Deleted(1, 3));
        assertThat(kv.apply(4, new KvCommand.Delete("b", "D")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 3, 4));
        assertThat(kv.get("b")).as("the refused delete deleted nothing").isPresent();
        assertThat(kv.apply(5, new KvCommand.Delete("a", 3, "D")))
                .as("a compare-and-delete is another request than the plain delete")
                .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 3, 5));
        assertThat(kv.apply(6, new KvCommand.Delete("a", "D"))).isEqualTo(new KvResult.Deleted(1, 3));

        KvCommand.Delete compareAndDelete = new KvCommand.Delete("b", 2, "CD");
        assertThat(kv.apply(7, compareAndDelete)).isEqualTo(new KvResult.Deleted(1, 7));
        assertThat(kv.apply(8, new KvCommand.Delete("b", 5, "CD")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 7, 8));
        assertThat(kv.apply(9, compareAndDelete)).isEqualTo(new KvResult.Deleted(1, 7));
    }

    @Test
    void evictionIsFirstInFirstOutByFirstApplicationNotByUse() {
        KvStateMachine kv = new KvStateMachine(3);
        kv.apply(1, put("k", "1", "r1"));
        kv.apply(2, put("k", "2", "r2"));
        kv.apply(3, put("k", "3", "r3"));
        kv.apply(4, put("k", "4", "r4"));                                        // evicts r1

        assertThat(kv.apply(5, put("k", "2", "r2"))).isEqualTo(new KvResult.Written(2));  // hit, order unchanged
        assertThat(kv.apply(6, put("k", "1", "r1"))).isEqualTo(new KvResult.Written(6));  // applied again, evicts r2
        assertThat(kv.apply(7, put("k", "2", "r2"))).isEqualTo(new KvResult.Written(7));  // applied again, evicts r3
        assertThat(kv.apply(8, put("k", "4", "r4"))).isEqualTo(new KvResult.Written(4));  // still remembered
        assertThat(kv.apply(9, put("k", "3", "r3"))).isEqualTo(new KvResult.Written(9));  // evicts r4

        assertThat(kv.get("k")).contains(new KvEntry("k", bytes("3"), 1, 9, 7));
    }

    @Test
    void capacityZeroRemembersNothing() {
        KvStateMachine kv = new KvStateMachine(0);
        kv.apply(1, put("k", "v", "r"));

        assertThat(kv.apply(2, put("k", "v", "r"))).isEqualTo(new KvResult.Written(2));
        assertThat(kv.get("k").orElseThrow().version()).isEqualTo(2);
        assertThatThrownBy(() -> new KvStateMachine(-1))
                .hasMessage("idempotency capacity must be >= 0, not -1");
    }

    @Test
    void theTableSurvivesASnapshot() {
        KvStateMachine kv = new KvStateMachine(2);
        kv.apply(1, put("k", "1", "r1"));
        kv.apply(2, put("k", "2", "r2"));

        KvStateMachine restored = KvStateMachine.restore(kv.capture().toByteArray());

        assertThat(restored.idempotencyCapacity()).isEqualTo(2);
        assertThat(restored.apply(3, put("k", "1", "r1"))).isEqualTo(new KvResult.Written(1));
        assertThat(restored.apply(4, put("k", "x", "r1"))).as("its fingerprint too")
                .isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 4));
        assertThat(restored.apply(5, put("k", "3", "r3"))).isEqualTo(new KvResult.Written(5)); // evicts r1
        assertThat(restored.apply(6, put("k", "1", "r1"))).isEqualTo(new KvResult.Written(6));
    }

    @Test
    void aDeleteReusingAPutsKeyIsRefusedOnEveryReplicaAndChangesNothing() {
        KvStateMachine kv = new KvStateMachine();
        KvStateMachine replica = new KvStateMachine();
        List<byte[]> log = List.of(KvCodec.encode(put("k", "v", "req-1")),
                KvCodec.encode(new KvCommand.Delete("k", "req-1")),
                KvCodec.encode(new KvCommand.Delete("k", "del-1")),
                KvCodec.encode(put("k", "again", "del-1")),
                KvCodec.encode(put("k", "v", "req-1")));
        for (KvStateMachine m : List.of(kv, replica)) {
            assertThat(m.apply(1, log.get(0))).isEqualTo(new KvResult.Written(1));
            assertThat(m.apply(2, log.get(1))).isEqualTo(new KvResult.IdempotencyKeyReused("put", 1, 2));
            assertThat(m.get("k")).as("the delete was not applied").isPresent();
            assertThat(m.apply(3, log.get(2))).isEqualTo(new KvResult.Deleted(1, 3));
            assertThat(m.apply(4, log.get(3))).isEqualTo(new KvResult.IdempotencyKeyReused("delete", 3, 4));
            assertThat(m.get("k")).as("the put was not applied").isEmpty();
            assertThat(m.apply(5, log.get(4))).as("the key still names the first put").isEqualTo(
                    new KvResult.Written(1));
        }
        assertThat(kv.stateHashHex()).isEqualTo(replica.stateHashHex());
    }

    @Test
    void aFailedPreconditionRemembersWhichKindOfRequestItAnswered() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, put("k", "v", null));
        KvCommand.Delete compareAndDelete = new KvCommand.Delete("k", 7, "cad-1");
        assertThat(kv.apply(2, compareAndDelete)).isEqualTo(new KvResult.PreconditionFailed(1, 2));
        assertThat(kv.apply(3, new KvCommand.Put("k", bytes("w"), 1, "cad-1")))
                .isEqualTo(new KvResult.IdempotencyKeyReused("delete", 2, 3));
        assertThat(kv.apply(4, compareAndDelete)).isEqualTo(new KvResult.PreconditionFailed(1, 2));

        KvStateMachine restored = KvStateMachine.restore(kv.capture().toByteArray());
        assertThat(restored.apply(5, new KvCommand.Put("k", bytes("w"), 1, "cad-1")))
                .as("after a snapshot too").isEqualTo(new KvResult.IdempotencyKeyReused("delete", 2, 5));
        assertThat(restored.get("k").orElseThrow().modRevision()).isEqualTo(1);
    }
}
