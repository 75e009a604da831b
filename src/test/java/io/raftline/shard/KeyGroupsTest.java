package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.KvCommand;
import io.raftline.kv.TxnCompare;
import io.raftline.kv.TxnOp;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The key-to-group map is a contract (docs/sharding.md): every node, every version and every client must compute the
 * same group for a key, so it is pinned to published FNV-1a test vectors and to fixed groups of sample keys.
 */
class KeyGroupsTest {

    @Test
    void theHashIsFnv1a64() {
        // The published FNV-1a 64-bit test vectors.
        assertThat(KeyGroups.fnv1a64(new byte[0])).isEqualTo(0xcbf29ce484222325L);
        assertThat(KeyGroups.fnv1a64("a".getBytes(StandardCharsets.UTF_8))).isEqualTo(0xaf63dc4c8601ec8cL);
        assertThat(KeyGroups.fnv1a64("foobar".getBytes(StandardCharsets.UTF_8))).isEqualTo(0x85944171f73967e8L);
    }

    @Test
    void aKeysGroupIsTheUnsignedHashModuloTheCount() {
        KeyGroups sixteen = new KeyGroups(16);
        assertThat(sixteen.groupOf("a")).isEqualTo(0xc);
        assertThat(sixteen.groupOf("foobar")).isEqualTo(0x8);
        // A hash with the top bit set is taken unsigned, never as a negative number.
        assertThat(new KeyGroups(7).groupOf("a")).isEqualTo((int) Long.remainderUnsigned(0xaf63dc4c8601ec8cL, 7));
        // Non-ASCII keys hash their UTF-8 bytes.
        assertThat(sixteen.groupOf("clé")).isEqualTo(
                (int) Long.remainderUnsigned(KeyGroups.fnv1a64("clé".getBytes(StandardCharsets.UTF_8)), 16));
        assertThat(KeyGroups.ONE.groupOf("anything")).isZero();
    }

    @Test
    void keysSpreadEvenlyOverTheGroups() {
        KeyGroups groups = new KeyGroups(16);
        int[] counts = new int[16];
        for (int i = 0; i < 16_000; i++) {
            counts[groups.groupOf("user/" + i)]++;
        }
        // 1,000 expected per group; a fair spread stays well within ±15%.
        for (int g = 0; g < counts.length; g++) {
            assertThat(counts[g]).as("keys in group %d", g).isBetween(850, 1150);
        }
    }

    @Test
    void aWritesGroupIsItsKeysGroupAndATransactionAcrossGroupsHasNone() {
        KeyGroups groups = new KeyGroups(4);
        String a = "account/a";
        String same = "account/b0";
        for (int i = 1; groups.groupOf(same) != groups.groupOf(a); i++) {
            same = "account/b" + i;
        }
        String other = "account/c0";
        for (int i = 1; groups.groupOf(other) == groups.groupOf(a); i++) {
            other = "account/c" + i;
        }
        assertThat(groups.groupOf(new KvCommand.Put(a, new byte[] {1}, 0, null))).isEqualTo(groups.groupOf(a));
        assertThat(groups.groupOf(new KvCommand.Delete(a, 0, null))).isEqualTo(groups.groupOf(a));
        KvCommand.Txn together = new KvCommand.Txn(List.of(TxnCompare.number(a, TxnCompare.Target.VERSION, TxnCompare.Op.NOT_EQUAL, 0)),
                List.of(new TxnOp.Put(same, new byte[] {2})), List.of(new TxnOp.Get(a)));
        assertThat(groups.groupOf(together)).isEqualTo(groups.groupOf(a));
        KvCommand.Txn across = new KvCommand.Txn(List.of(), List.of(new TxnOp.Put(a, new byte[] {1})),
                List.of(new TxnOp.Delete(other)));
        assertThat(groups.groupOf(across)).isEqualTo(-1);
        assertThat(across.keys()).containsExactly(a, other);
        assertThat(KeyGroups.ONE.groupOf(across)).isZero();
    }

    @Test
    void thereIsAtLeastOneGroup() {
        assertThatThrownBy(() -> new KeyGroups(0)).hasMessageContaining("groups must be >= 1");
    }
}
