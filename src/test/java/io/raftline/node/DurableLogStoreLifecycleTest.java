package io.raftline.node;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.HardState;
import io.raftline.transport.OnContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files of a durable store across overlapping life-cycle calls: a recovery asked for while another is on its way
 * (a node restarted twice in a row from the live view or the admin API), and a close while a recovery is on its way (a
 * local node undeployed just after a restart). Whatever the order, a close leaves no file of the data directory open.
 */
class DurableLogStoreLifecycleTest {

    @TempDir
    Path dir;

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /** The files of {@link #dir} this process holds open (read from /proc/self/fd; empty where there is none). */
    private List<String> openFilesOfDir() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return List.of();
        }
        String prefix = dir.toRealPath().toString();
        try (Stream<Path> all = Files.list(fds)) {
            return all.map(fd -> {
                try {
                    return Files.readSymbolicLink(fd).toString();
                } catch (IOException e) {
                    return ""; // closed meanwhile
                }
            }).filter(target -> target.startsWith(prefix)).sorted().toList();
        }
    }

    private DurableLogStore written(Context context) throws Exception {
        DurableLogStore store = DurableLogStore.open(vertx, 1, dir, 4096);
        await(OnContext.call(context, () -> store.persist(null,
                List.of(Entry.normal(1, 1, "v1".getBytes(StandardCharsets.UTF_8))), new HardState(1, 1, 1), true)));
        return store;
    }

    @Test
    void twoRecoveriesOnTheirWayAtOnceLeaveNoFileOpenOnceClosed() throws Exception {
        Context context = vertx.getOrCreateContext();
        DurableLogStore store = written(context);
        assertThat(openFilesOfDir()).as("the open store's files").isNotEmpty();
        await(OnContext.call(context, () -> Future.join(store.recover(), store.recover())));
        assertThat(store.storage().lastIndex()).isEqualTo(1);
        await(OnContext.call(context, store::close));
        assertThat(openFilesOfDir()).as("files left open after close").isEmpty();
    }

    @Test
    void aCloseWhileARecoveryIsOnItsWayLeavesNoFileOpen() throws Exception {
        Context context = vertx.getOrCreateContext();
        DurableLogStore store = written(context);
        await(OnContext.call(context, () -> Future.join(store.recover(), store.close())));
        assertThat(openFilesOfDir()).as("files left open after close").isEmpty();
    }
}
