package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The size a quota bounds ({@link KvStateMachine#dataBytes()}: keys in UTF-8 plus values) is kept up to date by every
 * kind of write (puts, deletes, transactions, increments), equals a recount from a snapshot, and {@link KvStateMachine#growth} never underestimates a write.
 */
class KvQuotaAccountingTest {

    private static byte[] bytes(int n) {
        return new byte[n];
    }

    @Test
    void theCountFollowsPutsDeletesAndTransactionsAndMatchesARecount() {
        KvStateMachine kv = new KvStateMachine();
        assertThat(kv.dataBytes()).isZero();
        kv.apply(1, new KvCommand.Put("ключ", bytes(10)));
        assertThat(kv.dataBytes()).isEqualTo("ключ".getBytes(StandardCharsets.UTF_8).length + 10);
        Random random = new Random(5);
        long index = 2;
        for (int i = 0; i < 2000; i++) {
            int n = random.nextInt(50);
            String key = "k" + n;
            KvCommand c = switch (random.nextInt(5)) {
                case 0 -> new KvCommand.Delete(key);
                case 4 -> new KvCommand.Increment("n" + n, random.nextInt(2_000_000) - 1_000_000);
                case 1 -> new KvCommand.Txn(List.of(), List.of(new TxnOp.Put(key, bytes(random.nextInt(64))),
                        new TxnOp.Delete("k" + (n + 1) % 50)), List.of());
                default -> new KvCommand.Put(key, bytes(random.nextInt(128)));
            };
            long before = kv.dataBytes();
            long predicted = kv.growth(c);
            kv.apply(index++, c);
            assertThat(kv.dataBytes() - before).as("growth of %s", c).isLessThanOrEqualTo(Math.max(predicted, 0));
        }
        KvStateMachine recount = KvStateMachine.fromSnapshot(kv.capture());
        assertThat(recount.dataBytes()).isEqualTo(kv.dataBytes());
    }

    @Test
    void growthOfAPutIsItsSizeLessWhatItReplacesAndDeletesGrowNothing() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, new KvCommand.Put("a", bytes(100)));
        assertThat(kv.growth(new KvCommand.Put("a", bytes(40)))).isEqualTo(-60);
        assertThat(kv.growth(new KvCommand.Put("b", bytes(40)))).isEqualTo(41);
        assertThat(kv.growth(new KvCommand.Delete("a"))).isZero();
        // A transaction counts the larger branch, whichever will run.
        assertThat(kv.growth(new KvCommand.Txn(List.of(), List.of(new TxnOp.Put("x", bytes(9))),
                List.of(new TxnOp.Put("y", bytes(19)), new TxnOp.Put("a", bytes(10)))))).isEqualTo(20);
    }

    @Test
    void aRetryOfARecordedWriteGrowsNothingForItWritesNothing() {
        KvStateMachine kv = new KvStateMachine();
        KvCommand.Put first = new KvCommand.Put("a", bytes(100), KvCommand.UNCONDITIONAL, "req-1");
        kv.apply(1, first);
        kv.apply(2, new KvCommand.Delete("a"));
        // Applied now, the retry would be answered from the record (revision 1) and write nothing: growth 0, where
        // counting it as a put of 101 bytes made a quota check refuse the retry of a write that was applied.
        assertThat(kv.growth(first)).isZero();
        long before = kv.dataBytes();
        assertThat(kv.apply(3, first).revision()).isEqualTo(1);
        assertThat(kv.dataBytes()).isEqualTo(before);
        // Another request under the key is refused and writes nothing either; a new key is counted as before.
        assertThat(kv.growth(new KvCommand.Put("b", bytes(7), KvCommand.UNCONDITIONAL, "req-1"))).isZero();
        assertThat(kv.growth(new KvCommand.Put("b", bytes(7), KvCommand.UNCONDITIONAL, "req-2"))).isEqualTo(8);
    }
}
