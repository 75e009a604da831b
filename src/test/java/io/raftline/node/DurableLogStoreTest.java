package io.raftline.node;

import io.raftline.storage.ForwardingDisk;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.storage.NioDisk;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
                return store.compact(150, io.raftline.raft.Membership.ofVoters(List.of(1, 2, 3)), "state@150".getBytes(StandardCharsets.UTF_8));
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
    /**
     * Issue 11: a large snapshot file must not hold back the WAL. The snapshot write is held at a gate; a persist
     * issued while it is held completes (before the fix both ran on one worker and the persist waited, and with it
     * the node's Ready loop and its heartbeats); the compaction completes once the gate opens.
     */
    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void aPersistIsNotQueuedBehindASlowSnapshotWrite(Vertx vertx, VertxTestContext tc) {
        SnapshotWriteGate gate = new SnapshotWriteGate(NioDisk.INSTANCE);
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 4096, gate);
        Context ctx = vertx.getOrCreateContext();
        ctx.runOnContext(x -> store.persist(null, entries(1, 20), new HardState(1, 1, 20), true).compose(v -> {
            Future<Void> compaction = store.compact(15, io.raftline.raft.Membership.ofVoters(List.of(1, 2, 3)), "state@15".getBytes(StandardCharsets.UTF_8));
            return Future.fromCompletionStage(gate.writeHeld(), ctx)
                    .compose(held -> store.persist(null, entries(21, 30), new HardState(1, 1, 30), true))
                    .map(persisted -> {
                        tc.verify(() -> {
                            assertThat(compaction.isComplete()).as("the snapshot write is still held").isFalse();
                            assertThat(store.storage().lastIndex()).isEqualTo(30);
                            assertThat(store.storage().firstIndex()).as("not compacted yet").isEqualTo(1);
                        });
                        gate.release();
                        return compaction;
                    });
        }).compose(compaction -> compaction).compose(v -> {
            tc.verify(() -> assertThat(store.storage().firstIndex()).isEqualTo(16));
            return store.recover();
        }).onComplete(tc.succeeding(v -> tc.verify(() -> {
            assertThat(store.storage().snapshot().index()).isEqualTo(15);
            assertThat(store.storage().entries(16, 31, Long.MAX_VALUE)).isEqualTo(entries(16, 30));
            assertThat(store.storage().hardState()).isEqualTo(new HardState(1, 1, 30));
            store.close().onComplete(tc.succeedingThenComplete());
        }))));
    }

    /**
     * The WAL part of a compaction follows the snapshot file only once the file is durable: a snapshot write that
     * fails leaves the WAL untouched (no record pointing at a missing file, no segment deleted), while the WAL
     * worker kept serving persists.
     */
    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void aFailedSnapshotWriteLeavesTheLogWhole(Vertx vertx, VertxTestContext tc) {
        SnapshotWriteGate gate = new SnapshotWriteGate(NioDisk.INSTANCE);
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 512, gate);
        Context ctx = vertx.getOrCreateContext();
        ctx.runOnContext(x -> store.persist(null, entries(1, 40), new HardState(1, 1, 40), true).compose(v -> {
            Future<Void> compaction = store.compact(30, io.raftline.raft.Membership.ofVoters(List.of(1, 2, 3)), "state@30".getBytes(StandardCharsets.UTF_8));
            return Future.fromCompletionStage(gate.writeHeld(), ctx)
                    .compose(held -> store.persist(null, entries(41, 45), new HardState(1, 1, 45), true))
                    .compose(persisted -> {
                        gate.releaseFailing();
                        return compaction.transform(ar -> {
                            tc.verify(() -> assertThat(ar.failed()).as("the compaction fails with its file").isTrue());
                            return store.recover();
                        });
                    });
        }).onComplete(tc.succeeding(v -> tc.verify(() -> {
            assertThat(store.storage().snapshot().index()).isZero();
            assertThat(store.storage().entries(1, 46, Long.MAX_VALUE)).isEqualTo(entries(1, 45));
            store.close().onComplete(tc.succeedingThenComplete());
        }))));
    }

    /**
     * A snapshot file that cannot be written (a full disk meets the snapshot first: its largest write) stops the node,
     * so it is the store's failure: {@code failed()} and its stats say so with the reason (the node's /health then
     * answers {@code storage_failed}, not {@code node_down}), the store accepts no more writes, and the half-written
     * temporary file is deleted instead of holding the space until the next start.
     */
    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void aFailedSnapshotWriteIsTheStoresFailureAndLeavesNoTemporaryFile(Vertx vertx, VertxTestContext tc) {
        SnapshotWriteGate gate = new SnapshotWriteGate(NioDisk.INSTANCE);
        gate.releaseFailing();
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 4096, gate);
        Context ctx = vertx.getOrCreateContext();
        ctx.runOnContext(x -> store.persist(null, entries(1, 20), new HardState(1, 1, 20), true)
                .compose(v -> store.compact(15, io.raftline.raft.Membership.ofVoters(List.of(1, 2, 3)),
                        "state@15".getBytes(StandardCharsets.UTF_8)))
                .transform(compaction -> {
                    tc.verify(() -> {
                        assertThat(compaction.failed()).as("the compaction fails with its file").isTrue();
                        assertThat(store.failed()).as("the store failed").isTrue();
                        StorageStats stats = store.stats();
                        assertThat(stats.failed()).isTrue();
                        assertThat(stats.failure()).contains("cannot write snapshot").contains("simulated I/O error");
                        try (var files = java.nio.file.Files.list(dir.resolve("snap"))) {
                            assertThat(files.map(f -> f.getFileName().toString()).toList())
                                    .as("no temporary snapshot file holds space").isEmpty();
                        }
                    });
                    return store.persist(null, entries(21, 21), new HardState(1, 1, 21), true);
                })
                .onComplete(ar -> tc.verify(() -> {
                    assertThat(ar.failed()).as("a failed store accepts no more writes").isTrue();
                    assertThat(ar.cause()).hasMessageContaining("fail-stop");
                    store.close().onComplete(tc.succeedingThenComplete());
                })));
    }

    /** A disk whose WAL segments fail their next write or their next fsync, once, when told to. */
    private static final class FailingWal extends ForwardingDisk {
        volatile boolean failWrite;
        volatile boolean failFsync;

        FailingWal() {
            super(NioDisk.INSTANCE);
        }

        @Override
        protected AppendFile wrap(Path file, AppendFile f) {
            if (!file.toString().endsWith(".wal")) {
                return f;
            }
            return new ForwardingFile(f) {
                @Override
                public void write(java.nio.ByteBuffer src) throws java.io.IOException {
                    if (failWrite) {
                        failWrite = false;
                        throw new java.io.IOException("No space left on device");
                    }
                    super.write(src);
                }

                @Override
                public void force(boolean metadata) throws java.io.IOException {
                    if (failFsync) {
                        failFsync = false;
                        throw new java.io.IOException("Input/output error");
                    }
                    super.force(metadata);
                }
            };
        }
    }

    /**
     * After a failed fsync the node's restart in the same process (the admin API's restart, the nemesis) is refused:
     * a re-read would trust what the kernel's cache serves, which may never reach the disk. After a failed write (a
     * full disk) it recovers, cutting the torn tail, as a new process would.
     */
    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void aRestartInTheSameProcessIsRefusedAfterAFailedFsyncButNotAfterAFailedWrite(Vertx vertx, VertxTestContext tc) {
        FailingWal disk = new FailingWal();
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 4096, disk);
        Context ctx = vertx.getOrCreateContext();
        ctx.runOnContext(x -> store.persist(null, entries(1, 5), new HardState(1, 1, 5), true).compose(v -> {
            disk.failWrite = true;
            return store.persist(null, entries(6, 8), new HardState(1, 1, 8), true).transform(ar -> {
                tc.verify(() -> assertThat(ar.failed()).as("the write fails").isTrue());
                return store.recover();
            });
        }).compose(v -> {
            tc.verify(() -> assertThat(store.storage().entries(1, 6, Long.MAX_VALUE)).isEqualTo(entries(1, 5)));
            disk.failFsync = true;
            return store.persist(null, entries(6, 8), new HardState(1, 1, 8), true).transform(ar -> {
                tc.verify(() -> assertThat(ar.failed()).as("the fsync fails").isTrue());
                return store.recover();
            });
        }).onComplete(ar -> tc.verify(() -> {
            assertThat(ar.failed()).as("a restart after the failed fsync").isTrue();
            assertThat(ar.cause()).hasMessageContaining("node 1 cannot restart in this process")
                    .hasMessageContaining("an fsync of the write-ahead log").hasMessageNotContaining("null");
            assertThat(store.failed()).isTrue();
            store.close().onComplete(tc.succeedingThenComplete());
        })));
    }
}
