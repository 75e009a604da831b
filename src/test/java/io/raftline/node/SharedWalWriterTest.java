package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.storage.NioDisk;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer of a sharded node's shared log: the writes of several groups queued while it was busy are made durable
 * by one fsync, each group's writes land in the order it issued them, and each group recovers its own log.
 */
@ExtendWith(VertxExtension.class)
class SharedWalWriterTest {

    private static final int GROUPS = 4;

    @TempDir
    Path dir;

    private static List<Entry> entries(int group, long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(Entry.normal(i, 1, ("g" + group + "-" + i).getBytes(StandardCharsets.UTF_8)));
        }
        return out;
    }

    private Path groupDir(int g) {
        return g == 0 ? dir : dir.resolve("group-" + g);
    }

    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void oneFsyncCoversTheWritesOfEveryGroupQueuedMeanwhile(Vertx vertx, VertxTestContext tc) throws Exception {
        SharedWalWriter writer = SharedWalWriter.open(1, NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, GROUPS);
        List<DurableLogStore> stores = new ArrayList<>();
        for (int g = 0; g < GROUPS; g++) {
            stores.add(DurableLogStore.openGroup(vertx, 1, groupDir(g), g, writer, NioDisk.INSTANCE));
        }
        writer.release(vertx);
        // The writer is held busy while every group queues three writes, each of which asks for an fsync.
        CountDownLatch busy = new CountDownLatch(1);
        Future<Object> blocker = writer.submit(vertx, () -> {
            busy.await(20, TimeUnit.SECONDS);
            return null;
        }, null);
        vertx.getOrCreateContext().runOnContext(x -> {
            long before = writer.wal().fsyncs();
            List<Future<Void>> writes = new ArrayList<>();
            for (int g = 0; g < GROUPS; g++) {
                for (long k = 0; k < 3; k++) {
                    writes.add(stores.get(g).persist(null, entries(g, k * 5 + 1, k * 5 + 5),
                            new HardState(1, 1, k * 5 + 5), true));
                }
            }
            busy.countDown();
            blocker.compose(v -> Future.all(writes)).compose(all -> {
                tc.verify(() -> {
                    assertThat(writer.wal().fsyncs() - before).as("fsyncs for 12 writes of 4 groups").isEqualTo(1);
                    for (int g = 0; g < GROUPS; g++) {
                        assertThat(stores.get(g).storage().lastIndex()).isEqualTo(15);
                    }
                });
                // Every group recovers its own log from the shared files, in the order it wrote it.
                List<Future<Void>> recovered = new ArrayList<>();
                for (DurableLogStore s : stores) {
                    recovered.add(s.recover());
                }
                return Future.all(recovered);
            }).compose(all -> {
                tc.verify(() -> {
                    for (int g = 0; g < GROUPS; g++) {
                        assertThat(stores.get(g).storage().entries(1, 16, Long.MAX_VALUE))
                                .isEqualTo(entries(g, 1, 15));
                        assertThat(stores.get(g).storage().hardState()).isEqualTo(new HardState(1, 1, 15));
                    }
                });
                List<Future<Void>> closed = new ArrayList<>();
                for (DurableLogStore s : stores) {
                    closed.add(s.close());
                }
                return Future.all(closed);
            }).onComplete(tc.succeeding(all -> tc.verify(() -> {
                assertThat(writer.submit(vertx, () -> 1, null).failed()).as("closed after the last store").isTrue();
                tc.completeNow();
            })));
        });
    }
}
