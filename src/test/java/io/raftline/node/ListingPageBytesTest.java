package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.KvRequests;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvStateMachine;
import io.raftline.shard.KeyGroups;
import io.raftline.shard.ReplicaSet;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * A listing page is bounded by its bytes as well as by its count: 10,000 entries of values up to
 * {@code max_body_bytes} each made one request's answer gigabytes long, built whole in the node's heap. A page stops
 * before {@link KvRequests#MAX_PAGE_BYTES} of keys and values (but holds its first entry, however large) and says
 * {@code more}; paging on from its last key still lists every key once, in order, on a sharded node too, where a
 * group's part may stop early while another's goes on.
 */
class ListingPageBytesTest {

    private static final int MIB = 1024 * 1024;

    @Test
    void aPageStopsBeforeItsBytesPassTheBoundAndTheNextPageGoesOn() {
        KvStateMachine kv = new KvStateMachine();
        long index = 0;
        for (int i = 0; i < 6; i++) {
            kv.apply(++index, put("big-" + i, MIB));
        }
        KvRequests requests = requests(List.of(kv));

        RangeResult first = page(requests, "big-", "", 100);
        assertThat(keys(first)).containsExactly("big-0", "big-1", "big-2");
        assertThat(first.more()).isTrue();
        RangeResult second = page(requests, "big-", "big-2", 100);
        assertThat(keys(second)).containsExactly("big-3", "big-4", "big-5");
        assertThat(second.more()).isFalse();
    }

    /**
     * A listing of keys alone (Redis's KEYS and SCAN) carries no value, so its page is bounded by its keys: six keys of
     * 1 MiB values are one page, where a listing with values takes two (KEYS read four keys a page, each page through
     * the leader carrying their values).
     */
    @Test
    void aPageOfKeysAloneIsNotCutByTheValuesItDoesNotCarry() {
        KvStateMachine kv = new KvStateMachine();
        for (int i = 0; i < 6; i++) {
            kv.apply(i + 1, put("big-" + i, MIB));
        }
        Future<Served<RangeResult>> f = requests(List.of(kv)).range("big-", "", 100, ReadConsistency.LINEARIZABLE,
                false, false);
        assertThat(keys(f.result().value())).hasSize(6);
        assertThat(f.result().value().more()).isFalse();
    }

    /** A small value, then values as large as a value may be (1 MiB): the fifth entry would take the page past 4 MiB. */
    @Test
    void anEntryThatWouldPassTheBoundStartsTheNextPage() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, put("a", 1000));
        for (int i = 0; i < 4; i++) {
            kv.apply(2 + i, put("b" + i, MIB));
        }
        RangeResult first = page(requests(List.of(kv)), "", "", 100);
        assertThat(keys(first)).containsExactly("a", "b0", "b1", "b2");
        assertThat(first.more()).isTrue();
        assertThat(keys(page(requests(List.of(kv)), "", "b2", 100))).containsExactly("b3");
    }

    /**
     * Four groups, the keys of group 0 with values of 512 KiB (eight to a page) and the others' of 10 bytes: group 0's
     * part stops long before the others', and a page cut only at its count skipped group 0's keys that lie between
     * its part's last key and the page's last key.
     */
    @Test
    void pagingThroughAShardedKeySpaceListsEveryKeyOnceInOrder() {
        int groups = 4;
        KeyGroups map = new KeyGroups(groups);
        List<KvStateMachine> states = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
            states.add(new KvStateMachine());
        }
        TreeSet<String> all = new TreeSet<>();
        long index = 0;
        for (int i = 0; i < 400; i++) {
            String key = String.format("k%04d", i);
            int g = map.groupOf(key);
            states.get(g).apply(++index, put(key, g == 0 ? 512 * 1024 : 10));
            all.add(key);
        }
        KvRequests requests = requests(states);

        List<String> listed = new ArrayList<>();
        String after = "";
        int pages = 0;
        while (true) {
            RangeResult r = page(requests, "k", after, 1000);
            pages++;
            long bytes = 0;
            for (KvEntry e : r.entries()) {
                bytes += e.valueLength();
            }
            assertThat(bytes).as("page %d's values", pages).isLessThanOrEqualTo(KvRequests.MAX_PAGE_BYTES);
            listed.addAll(keys(r));
            if (!r.more()) {
                break;
            }
            after = listed.get(listed.size() - 1);
        }
        assertThat(listed).as("every key once, in order, over %d pages", pages).containsExactlyElementsOf(all);
        assertThat(pages).isGreaterThan(1);
    }

    private static KvCommand.Put put(String key, int bytes) {
        return new KvCommand.Put(key, new byte[bytes], KvCommand.UNCONDITIONAL, null);
    }

    private static KvRequests requests(List<KvStateMachine> states) {
        List<LocalReplica> replicas = new ArrayList<>();
        for (KvStateMachine kv : states) {
            replicas.add(new LocalReplica(kv, false));
        }
        return new KvRequests(new ReplicaSet(1, replicas), LocalReplica.noPeers());
    }

    private static RangeResult page(KvRequests requests, String prefix, String startAfter, int limit) {
        Future<Served<RangeResult>> f = requests.range(prefix, startAfter, limit, ReadConsistency.LINEARIZABLE, false);
        assertThat(f.succeeded()).as("a listing of replicas that lead and read at once").isTrue();
        return f.result().value();
    }

    private static List<String> keys(RangeResult r) {
        return r.entries().stream().map(KvEntry::key).toList();
    }
}
