package io.raftline.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.node.DurableLogStore;
import io.raftline.raft.StorageException;
import io.vertx.core.Vertx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One data directory, one node: a second node (in this process or another) refuses to start and names it. */
class DataDirLockTest {

    @Test
    void aSecondStoreOnTheSameDirectoryRefusesToOpenUntilTheFirstCloses(@TempDir Path dir) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            DurableLogStore first = DurableLogStore.open(vertx, 1, dir);
            assertThatThrownBy(() -> DurableLogStore.open(vertx, 2, dir))
                    .isInstanceOf(StorageException.class)
                    .hasMessageContaining("data directory " + dir.toAbsolutePath().normalize() + " is in use by another"
                            + " running node")
                    .hasMessageContaining("give this one its own data_dir");
            io.raftline.verify.nemesis.Waits.await(first.close());
            DurableLogStore again = DurableLogStore.open(vertx, 1, dir);
            io.raftline.verify.nemesis.Waits.await(again.close());
        } finally {
            io.raftline.verify.nemesis.Waits.await(vertx.close());
        }
    }

    @Test
    @Tag("slow")
    void anotherProcessHoldingTheDirectoryIsRefusedAndItsDeathReleasesIt(@TempDir Path dir) throws Exception {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Process holder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Holder.class.getName(), dir.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> DataDirLock.acquire(dir)).isInstanceOf(StorageException.class)
                    .hasMessageContaining("is in use by another running node");
            assertThat(Files.readString(dir.resolve(DataDirLock.FILE)).trim()).isEqualTo(String.valueOf(holder.pid()));
        } finally {
            holder.destroyForcibly();
            assertThat(holder.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        // kill -9 released it: the lock file stays, the lock does not.
        DataDirLock.acquire(dir).close();
    }

    /** A process that holds a data directory's lock until it is killed. */
    public static final class Holder {
        private Holder() {
        }

        /**
         * Locks {@code args[0]}, says so, and waits.
         *
         * @param args the directory
         * @throws InterruptedException never in practice: it is killed
         */
        public static void main(String[] args) throws InterruptedException {
            DataDirLock lock = DataDirLock.acquire(Path.of(args[0]));
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
            lock.close();
        }
    }
}
