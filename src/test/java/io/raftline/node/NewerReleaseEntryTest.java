package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.raftline.kv.EntryFromNewerReleaseException;
import io.raftline.kv.KvCodec;
import io.raftline.kv.KvCommand;
import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.AppendResponse;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A committed entry that names an operation this release does not know (a newer release's leader proposed it) stops
 * the node rather than being skipped: the replicas of the newer release apply it, and one that skipped it would hold
 * another state from then on. The log keeps the entry, so the node goes on once it runs the newer release. Node 1 is
 * driven by hand ({@link RestartLeaseHoldTest.ManualEnvironment}); node 2 is the newer leader.
 */
class NewerReleaseEntryTest {

    /** An entry of op 200: a put's layout under an op code this release does not know. */
    private static final byte[] NEWER = {1, (byte) 200, 1, 'k', 1, 'v'};

    private static Entry put(long index, String value) {
        return Entry.normal(index, 2, KvCodec.encode(new KvCommand.Put("k", value.getBytes(StandardCharsets.UTF_8))));
    }

    @Test
    void aFollowerStopsAtTheEntryAndKeepsItInItsLog() {
        MemoryLogStore store = new MemoryLogStore();
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000, store);

        node.host.step(new AppendRequest(2, 1, 2, 0, 0, List.of(put(1, "a"), Entry.normal(2, 2, NEWER),
                put(3, "b")), 2));
        node.host.flush();
        node.settle();

        assertThat(node.host.up()).as("the node stopped").isFalse();
        assertThat(node.sent).as("it acknowledged the entries it stored before it applied them")
                .anyMatch(m -> m instanceof AppendResponse r && !r.rejected() && r.index() == 3);
        assertThat(store.storage().lastIndex()).as("the log keeps every entry").isEqualTo(3);

        // Started again by the same release, it stops at the same entry: it never serves a state without it.
        Future<Void> restart = node.host.restart();
        node.settle();
        assertThat(restart.failed()).isTrue();
        assertThat(restart.cause()).isInstanceOf(EntryFromNewerReleaseException.class)
                .hasMessageStartingWith("the committed entry at index 2 was written by a newer Raftline release");
        assertThat(node.host.up()).isFalse();
    }

    @Test
    void aNodeWhoseLogHoldsSuchAnEntryDoesNotStart() {
        MemoryLogStore store = new MemoryLogStore();
        store.persist(null, List.of(put(1, "a"), Entry.normal(2, 2, NEWER)), new HardState(2, 2, 2), true);

        EntryFromNewerReleaseException refused = catchThrowableOfType(EntryFromNewerReleaseException.class,
                () -> new RestartLeaseHoldTest.ManualEnvironment(5_000, store));

        assertThat(refused.index()).isEqualTo(2);
        assertThat(refused).hasMessageContaining("unknown op code 200");
    }

    @Test
    void anEntryThatIsNotCommittedYetStopsNothing() {
        MemoryLogStore store = new MemoryLogStore();
        RestartLeaseHoldTest.ManualEnvironment node = new RestartLeaseHoldTest.ManualEnvironment(5_000, store);

        node.host.step(new AppendRequest(2, 1, 2, 0, 0, List.of(put(1, "a"), Entry.normal(2, 2, NEWER)), 1));
        node.host.flush();
        node.settle();

        assertThat(node.host.up()).isTrue();
        assertThat(store.storage().lastIndex()).isEqualTo(2);
    }
}
