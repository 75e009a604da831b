package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.KvRequests;
import io.raftline.api.LookupResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvStateMachine;
import io.raftline.shard.KeyGroups;
import io.raftline.shard.ReplicaSet;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Multi-key reads of a sharded node (Redis MGET, EXISTS, a pipeline of GETs) ask only the groups that own their keys:
 * a group that has no leader at the moment (an election after a crash, a partition) must not hold up or fail reads of
 * keys that all live in other, healthy groups. Only a count of every key (DBSIZE) needs every group.
 */
class ShardedLookupTest {

    private static final int GROUPS = 4;
    private static final KeyGroups MAP = new KeyGroups(GROUPS);

    /** The first key {@code <stem><i>} of group {@code g}. */
    private static String keyOf(String stem, int g) {
        for (int i = 0; ; i++) {
            if (MAP.groupOf(stem + i) == g) {
                return stem + i;
            }
        }
    }

    private static String keyOf(int g) {
        return keyOf("k", g);
    }

    @Test
    void aLookupOfKeysInHealthyGroupsDoesNotWaitForALeaderlessGroup() {
        int stuck = 3;
        List<LocalReplica> replicas = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            KvStateMachine kv = new KvStateMachine();
            kv.apply(1, new KvCommand.Put(keyOf(g), new byte[] {(byte) ('0' + g)}, KvCommand.UNCONDITIONAL, null));
            replicas.add(new LocalReplica(kv, g == stuck));
        }
        KvRequests requests = new KvRequests(new ReplicaSet(1, replicas), LocalReplica.noPeers());

        Future<Served<LookupResult>> healthy = requests.lookup(List.of(keyOf(0), keyOf(2), keyOf("absent", 1)),
                ReadConsistency.LINEARIZABLE, false);
        assertThat(healthy.isComplete()).as("MGET of keys of groups 0, 1 and 2 with group 3 leaderless").isTrue();
        assertThat(healthy.succeeded()).isTrue();
        List<Optional<io.raftline.kv.KvEntry>> entries = healthy.result().value().entries();
        assertThat(entries.get(0)).hasValueSatisfying(e -> assertThat(e.value()).containsExactly('0'));
        assertThat(entries.get(1)).hasValueSatisfying(e -> assertThat(e.value()).containsExactly('2'));
        assertThat(entries.get(2)).isEmpty();
        assertThat(replicas.get(stuck).reads).as("reads asked of the group that owns none of the keys").isZero();

        // A count of every key still asks every group, and waits for the leaderless one.
        assertThat(requests.lookup(List.of(), ReadConsistency.LINEARIZABLE, false).isComplete()).isFalse();
        assertThat(replicas.get(stuck).reads).isEqualTo(1);
    }
}
