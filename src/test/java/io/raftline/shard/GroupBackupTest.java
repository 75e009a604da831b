package io.raftline.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvFormatException;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The backup file of a sharded cluster: a round trip keeps every group's state; any damage is refused. */
class GroupBackupTest {

    private static List<KvSnapshot> states(int groups) {
        List<KvSnapshot> out = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            KvStateMachine kv = new KvStateMachine();
            for (int i = 1; i <= g * 3; i++) {
                kv.apply(i, new KvCommand.Put("k" + g + "-" + i, ("v" + i).getBytes(StandardCharsets.UTF_8), -1, null));
            }
            out.add(kv.capture());
        }
        return out;
    }

    private static byte[] written(List<KvSnapshot> states) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GroupBackup.writeTo(states, out);
        return out.toByteArray();
    }

    @Test
    void aRoundTripKeepsEveryGroupsStateAndHash() throws Exception {
        List<KvSnapshot> states = states(4);
        byte[] bytes = written(states);
        assertThat(GroupBackup.isGroupBackup(bytes)).isTrue();
        List<KvSnapshot> read = GroupBackup.readFrom(new ByteArrayInputStream(bytes));
        assertThat(read).hasSize(4);
        for (int g = 0; g < 4; g++) {
            assertThat(read.get(g).lastApplied()).isEqualTo(g * 3L);
            assertThat(read.get(g).stateHashHex()).isEqualTo(states.get(g).stateHashHex());
        }
        assertThat(GroupBackup.stateHash(read)).isEqualTo(GroupBackup.stateHash(states));
        assertThat(GroupBackup.isGroupBackup(states.get(1).toByteArray())).as("a one-group backup").isFalse();
    }

    @Test
    void everyFlippedByteAndEveryTruncationIsRefused() throws Exception {
        byte[] bytes = written(states(3));
        for (int i = 0; i < bytes.length; i++) {
            byte[] damaged = bytes.clone();
            damaged[i] ^= 0x40;
            assertThatThrownBy(() -> GroupBackup.readFrom(new ByteArrayInputStream(damaged))).as("byte %d", i)
                    .isInstanceOf(KvFormatException.class);
        }
        for (int len = 0; len < bytes.length; len++) {
            byte[] cut = Arrays.copyOf(bytes, len);
            assertThatThrownBy(() -> GroupBackup.readFrom(new ByteArrayInputStream(cut))).as("length %d", len)
                    .isInstanceOf(KvFormatException.class);
        }
        byte[] longer = Arrays.copyOf(bytes, bytes.length + 1);
        assertThatThrownBy(() -> GroupBackup.readFrom(new ByteArrayInputStream(longer)))
                .hasMessageContaining("after the end");
    }
}
