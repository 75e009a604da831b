package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class DurableLogStoreTest {

    @TempDir
    Path dir;

    private static List<Entry> entries(long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(i, 1, ("v" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    @Test
    void writesAreVisibleOnlyOnceDurableAndSurviveRecovery(Vertx vertx, VertxTestContext tc) {
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 4096);
        vertx.getOrCreateContext().runOnContext(x -> {
            Future<Void> chain = Future.succeededFuture();
            for (long i = 1; i <= 200; i += 20) {
                long from = i;
                chain = chain.compose(v -> store.persist(null, entries(from, from + 19), new HardState(1, 1, from + 19),
                        true));
            }
            chain.compose(v -> {
                tc.verify(() -> assertThat(store.storage().lastIndex()).isEqualTo(200));
                return store.compact(150, List.of(1, 2, 3), "state@150".getBytes(StandardCharsets.UTF_8));
            }).compose(v -> {
                tc.verify(() -> assertThat(store.storage().firstIndex()).isEqualTo(151));
                return store.recover();
            }).onComplete(tc.succeeding(v -> tc.verify(() -> {
                assertThat(store.storage().snapshot().index()).isEqualTo(150);
                assertThat(new String(store.storage().snapshot().data(), StandardCharsets.UTF_8)).isEqualTo("state@150");
                assertThat(store.storage().entries(151, 201, Long.MAX_VALUE)).isEqualTo(entries(151, 200));
                assertThat(store.storage().hardState()).isEqualTo(new HardState(1, 1, 200));
                assertThat(store.failed()).isFalse();
                store.close().onComplete(tc.succeedingThenComplete());
            })));
        });
    }
}
