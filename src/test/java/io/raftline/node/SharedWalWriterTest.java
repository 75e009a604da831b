package io.raftline.node;

import io.raftline.storage.ForwardingDisk;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.raft.Snapshot;
import io.raftline.raft.SnapshotMetadata;
import io.raftline.storage.Disk;
import io.raftline.storage.DurableStorage;
import io.raftline.storage.NioDisk;
import io.raftline.storage.SharedWal;
import io.raftline.storage.SnapshotStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer of a sharded node's shared log: the writes of several groups queued while it was busy are made durable
 * by one fsync, each group's writes land in the order it issued them, each group recovers its own log, and whatever
 * touches the log once the writer runs (a group's recovery too) does so on the writer's thread.
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

    /**
     * A node's groups open one after the other while those opened before already write the shared log (on the
     * writer's thread); a group whose received snapshot lost its record in a crash writes that record while it
     * recovers. The log is not thread-safe, so that write, and its fsync, must be the writer's too: found by review
     * on 2026-12-03, when recovery wrote and fsynced from the opening worker.
     */
    @Test
    void aGroupThatWritesWhileItRecoversDoesSoOnTheWritersThread(Vertx vertx) throws Exception {
        // Before: group 1 held entries 1..3, then received a snapshot at 10 and crashed after its file was durable
        // but before its record in the log.
        SharedWal before = SharedWal.open(NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, 2, s -> { });
        DurableStorage.open(NioDisk.INSTANCE, groupDir(0), before.group(0), s -> { });
        DurableStorage g1 = DurableStorage.open(NioDisk.INSTANCE, groupDir(1), before.group(1), s -> { });
        g1.write(entries(1, 1, 3), new HardState(2, 0, 0), true);
        new SnapshotStore(NioDisk.INSTANCE, groupDir(1).resolve("snap"))
                .save(new Snapshot(new SnapshotMetadata(10, 2, List.of(1, 2, 3)), new byte[] {1}));
        before.close();

        WalThreads disk = new WalThreads(NioDisk.INSTANCE);
        SharedWalWriter writer = SharedWalWriter.open(1, disk, dir.resolve("wal"), 1 << 20, 2);
        disk.threads.clear(); // opening the log (before its thread runs) may write it: a new segment, synced
        List<DurableLogStore> stores = List.of(
                DurableLogStore.openGroup(vertx, 1, groupDir(0), 0, writer, disk),
                DurableLogStore.openGroup(vertx, 1, groupDir(1), 1, writer, disk));
        writer.release(vertx);

        assertThat(stores.get(1).storage().firstIndex()).as("group 1 starts after its snapshot").isEqualTo(11);
        assertThat(disk.threads).as("the recovery wrote and synced its record").isNotEmpty();
        assertThat(disk.threads).as("threads that wrote or synced the shared log")
                .allMatch(t -> t.startsWith("raftline-wal-"));
        for (DurableLogStore store : stores) {
            store.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Each group's store names its group in its log lines: a sharded node's groups open one after the other, and every
     * one logged {@code [Node 1] storage opened in ...}, so a recovery warning could not be told to a group but by its
     * directory.
     */
    @Test
    void eachGroupsStoreNamesItsGroupInItsLogLines(Vertx vertx) throws Exception {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory
                .getLogger(DurableLogStore.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logged =
                new ch.qos.logback.core.read.ListAppender<>();
        logged.start();
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.INFO);
        log.addAppender(logged);
        try {
            SharedWalWriter writer = SharedWalWriter.open(1, NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, 2);
            List<DurableLogStore> stores = List.of(
                    DurableLogStore.openGroup(vertx, 1, groupDir(0), 0, writer, NioDisk.INSTANCE),
                    DurableLogStore.openGroup(vertx, 1, groupDir(1), 1, writer, NioDisk.INSTANCE));
            writer.release(vertx);
            for (DurableLogStore store : stores) {
                store.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        } finally {
            log.detachAppender(logged);
            log.setLevel(level);
        }
        assertThat(logged.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                .filteredOn(line -> line.contains("storage opened in"))
                .satisfiesExactly(
                        line -> assertThat(line).startsWith("[Node 1][Group 0] storage opened in " + groupDir(0)),
                        line -> assertThat(line).startsWith("[Node 1][Group 1] storage opened in " + groupDir(1)));
    }

    /**
     * A second node started on a sharded node's data directory while the first runs (another process, or a second
     * entry of one configuration) must refuse before it touches the shared log. Opening the log repairs it: a record
     * whose write is still under way looks like a torn tail and is cut. The running node's write then completes past
     * the cut, leaving zeros where the record began, and it acknowledges the record after its fsync; the next start
     * cuts that record as torn, and everything after it: acknowledged writes lost. Found by review on 2026-12-05: the
     * shared log was opened (and repaired) before any lock was taken, the lock of {@code data_dir} only once group 0's
     * store opened.
     */
    @Test
    @Timeout(value = 30, timeUnit = TimeUnit.SECONDS)
    void aSecondNodeOnTheDirectoryRefusesBeforeItRepairsTheSharedLogUnderTheFirst(Vertx vertx) throws Exception {
        HeldWrite disk = new HeldWrite(NioDisk.INSTANCE);
        SharedWalWriter writer = SharedWalWriter.open(1, disk, dir.resolve("wal"), 1 << 20, 2);
        List<DurableLogStore> stores = List.of(
                DurableLogStore.openGroup(vertx, 1, groupDir(0), 0, writer, disk),
                DurableLogStore.openGroup(vertx, 1, groupDir(1), 1, writer, disk));
        writer.release(vertx);
        // A record spanning several sectors, so that the zeros a cut leaves in it hold a whole one.
        byte[] value = new byte[4000];
        java.util.Arrays.fill(value, (byte) 'v');
        List<Entry> written = List.of(Entry.normal(1, 1, value));
        disk.hold.set(true);
        Future<Void> persisted = io.raftline.transport.OnContext.call(vertx.getOrCreateContext(), () -> stores.get(1).persist(null, written,
                new HardState(1, 1, 0), true));
        assertThat(disk.halfWritten.await(10, TimeUnit.SECONDS)).as("the write is under way").isTrue();

        // The second node starts as ClusterVerticle starts one: the shared log, then each group's store.
        assertThatThrownBy(() -> {
            SharedWalWriter second = SharedWalWriter.open(2, NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, 2);
            try {
                DurableLogStore.openGroup(vertx, 2, groupDir(0), 0, second, NioDisk.INSTANCE);
            } finally {
                second.release(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            }
        }).hasMessageContaining("is in use by another running node");

        disk.resume.countDown();
        persisted.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        for (DurableLogStore store : stores) {
            store.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
        // The write was acknowledged: the next start finds it (the first node's lock went with its last store).
        SharedWalWriter next = SharedWalWriter.open(3, NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, 2);
        try {
            DurableStorage g1 = next.runAndWait(() -> DurableStorage.open(NioDisk.INSTANCE, groupDir(1),
                    next.wal().group(1), s -> { }));
            assertThat(g1.recoveryNotes()).isEmpty();
            assertThat(g1.entries(1, 2, Long.MAX_VALUE)).isEqualTo(written);
        } finally {
            next.release(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    /** A disk whose next write to a write-ahead log file, once {@link #hold} is set, stops half way until resumed. */
    private static final class HeldWrite extends ForwardingDisk {

        final java.util.concurrent.atomic.AtomicBoolean hold = new java.util.concurrent.atomic.AtomicBoolean();
        final CountDownLatch halfWritten = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);

        HeldWrite(Disk disk) {
            super(disk);
        }

        @Override
        protected AppendFile wrap(Path file, AppendFile f) {
            if (!file.getParent().getFileName().toString().equals("wal")) {
                return f;
            }
            return new ForwardingFile(f) {
                @Override
                public void write(ByteBuffer src) throws IOException {
                    if (!hold.compareAndSet(true, false)) {
                        super.write(src);
                        return;
                    }
                    int mid = src.position() + src.remaining() / 2;
                    super.write(src.duplicate().limit(mid));
                    src.position(mid);
                    halfWritten.countDown();
                    try {
                        if (!resume.await(20, TimeUnit.SECONDS)) {
                            throw new IOException("not resumed");
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException(e);
                    }
                    super.write(src);
                }
            };
        }
    }

    /** A disk that notes the thread of every write and fsync of a write-ahead log file. */
    private static final class WalThreads extends ForwardingDisk {

        final ConcurrentLinkedQueue<String> threads = new ConcurrentLinkedQueue<>();

        WalThreads(Disk disk) {
            super(disk);
        }

        @Override
        protected AppendFile wrap(Path file, AppendFile f) {
            if (!file.getParent().getFileName().toString().equals("wal")) {
                return f;
            }
            return new ForwardingFile(f) {
                @Override
                public void write(ByteBuffer src) throws IOException {
                    threads.add(Thread.currentThread().getName());
                    super.write(src);
                }

                @Override
                public void force(boolean metadata) throws IOException {
                    threads.add(Thread.currentThread().getName());
                    super.force(metadata);
                }
            };
        }
    }

    /**
     * A group's store that takes the log while its last holder is letting it go either finds it closing (refused) or
     * keeps it open: never both taken and closed under it. The last release decided to close in one step and closed
     * in another, asking for its caller's context between them; a store that took the log then had it closed, and its
     * writes failed ("the shared write-ahead log is closed"). Here the release is held where it asks for its context.
     */
    @Test
    void aStoreThatTakesTheLogWhileTheLastHolderLetsItGoIsNotLeftWithAClosedLog(Vertx vertx) throws Exception {
        SharedWalWriter writer = SharedWalWriter.open(1, NioDisk.INSTANCE, dir.resolve("wal"), 1 << 20, 1);
        CountDownLatch asked = new CountDownLatch(1);
        CountDownLatch goOn = new CountDownLatch(1);
        Vertx holding = (Vertx) java.lang.reflect.Proxy.newProxyInstance(Vertx.class.getClassLoader(),
                new Class<?>[] {Vertx.class}, (proxy, method, args) -> {
                    if (method.getName().equals("getOrCreateContext")) {
                        asked.countDown();
                        goOn.await();
                    }
                    try {
                        return method.invoke(vertx, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        java.util.concurrent.CompletableFuture<Future<Void>> releasing =
                java.util.concurrent.CompletableFuture.supplyAsync(() -> writer.release(holding));
        assertThat(asked.await(10, TimeUnit.SECONDS)).as("the release asked for its context").isTrue();

        boolean taken;
        try {
            writer.acquire();
            taken = true;
        } catch (IllegalStateException closing) {
            taken = false;
        }
        goOn.countDown();
        releasing.get(10, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        if (taken) {
            String written = writer.submit(vertx, () -> "written", null).toCompletionStage().toCompletableFuture()
                    .get(10, TimeUnit.SECONDS);
            assertThat(written).as("a task of the store that took the log").isEqualTo("written");
            writer.release(vertx).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
