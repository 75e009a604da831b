package io.raftline.app;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvSnapshot;
import io.raftline.kv.KvStateMachine;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code snapshot save} against a stand-in for a node's {@code GET /v1/snapshot}: what a save leaves in the directory
 * besides the backup, whatever an earlier save left there.
 */
class BackupSaveTest {

    @TempDir
    Path dir;

    private Vertx vertx;
    private HttpServer server;
    private byte[] backup;
    private long revision;
    private String hash;

    @BeforeEach
    void start() throws Exception {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, new KvCommand.Put("a", "one".getBytes(StandardCharsets.UTF_8), -1, null));
        kv.apply(2, new KvCommand.Put("b", "two".getBytes(StandardCharsets.UTF_8), -1, null));
        KvSnapshot state = kv.capture();
        backup = state.toByteArray();
        revision = state.lastApplied();
        hash = state.stateHashHex();
        vertx = Vertx.vertx();
        server = serving(backup, hash);
    }

    @AfterEach
    void stop() throws Exception {
        await(vertx.close());
    }

    /** A stand-in node answering every request with {@code body}, announcing this test's revision and {@code hash}. */
    private HttpServer serving(byte[] body, String stateHash) throws InterruptedException {
        return await(vertx.createHttpServer().requestHandler(req -> req.response()
                .putHeader("Raft-Revision", String.valueOf(revision)).putHeader("Raft-State-Hash", stateHash)
                .end(Buffer.buffer(body))).listen(0, "127.0.0.1"));
    }

    /** Another state at this test's revision: a valid backup, checksum and all, but not the one the node read. */
    private static KvSnapshot anotherState() {
        KvStateMachine kv = new KvStateMachine();
        kv.apply(1, new KvCommand.Put("a", "one".getBytes(StandardCharsets.UTF_8), -1, null));
        kv.apply(2, new KvCommand.Put("b", "TWO".getBytes(StandardCharsets.UTF_8), -1, null));
        return kv.capture();
    }

    private KvClientCommand.Target target() {
        return target(server);
    }

    private static KvClientCommand.Target target(HttpServer s) {
        return KvClientCommand.Target.of(URI.create("http://127.0.0.1:" + s.actualPort()), null);
    }

    /** A download cut short (the node went down while it streamed the backup) fails the save and leaves nothing. */
    @Test
    void aDownloadCutShortLeavesNoPartFileBehind() throws Exception {
        HttpServer cutting = await(vertx.createHttpServer().requestHandler(req -> {
            req.response().putHeader("Raft-Revision", String.valueOf(revision))
                    .putHeader("Content-Length", String.valueOf(backup.length))
                    .write(Buffer.buffer(java.util.Arrays.copyOf(backup, backup.length / 2)))
                    .onComplete(written -> req.connection().close());
        }).listen(0, "127.0.0.1"));
        Path file = dir.resolve("backup.snap");

        assertThatThrownBy(() -> Backups.save(target(cutting), file)).isInstanceOf(java.io.IOException.class);

        assertThat(Files.exists(file)).isFalse();
        assertThat(Files.exists(file.resolveSibling("backup.snap.part"))).as("no partial download left behind").isFalse();
    }

    /**
     * A save that failed half way (the node went down, the operator pressed Ctrl-C) leaves {@code FILE.part} behind. The
     * next save downloaded into it without truncating it, so the bytes of the old attempt beyond the new backup's length
     * stayed at its end and the check refused a good backup as damaged ("trailing bytes after the checksum").
     */
    @Test
    void aPartFileLeftByAnEarlierSaveDoesNotSpoilTheNextOne() throws Exception {
        Path file = dir.resolve("backup.snap");
        byte[] stale = new byte[backup.length + 1000];
        java.util.Arrays.fill(stale, (byte) 0x5a);
        Files.write(file.resolveSibling("backup.snap.part"), stale);

        Backups.Info info = Backups.save(target(), file);

        assertThat(info.revision()).isEqualTo(revision);
        assertThat(info.keys()).isEqualTo(2);
        assertThat(Files.readAllBytes(file)).isEqualTo(backup);
        assertThat(Files.exists(file.resolveSibling("backup.snap.part"))).isFalse();
    }

    /**
     * A backup reported saved survives a power cut: the download is synced before it is renamed over {@code FILE}, and
     * the directory after. Before, the file was renamed unsynced, so a crash soon after "saved" could leave {@code
     * FILE} empty or cut short.
     */
    @Test
    void aSavedBackupIsSyncedBeforeItIsRenamedIntoPlace() throws Exception {
        Path file = dir.resolve("backup.snap");
        Path part = file.resolveSibling("backup.snap.part");
        java.util.List<String> calls = new java.util.ArrayList<>();
        io.raftline.storage.Disk disk = new io.raftline.storage.ForwardingDisk(io.raftline.storage.NioDisk.INSTANCE) {
            @Override
            protected AppendFile wrap(Path p, AppendFile f) {
                return new ForwardingFile(f) {
                    @Override
                    public void force(boolean metadata) throws java.io.IOException {
                        super.force(metadata);
                        calls.add("force " + dir.relativize(p) + " " + size());
                    }
                };
            }

            @Override
            public void rename(Path from, Path to) throws java.io.IOException {
                super.rename(from, to);
                calls.add("rename " + dir.relativize(from) + " " + dir.relativize(to));
            }

            @Override
            public void syncDirectory(Path d) throws java.io.IOException {
                super.syncDirectory(d);
                calls.add("sync " + d);
            }
        };

        Backups.save(target(), file, disk);

        assertThat(calls).containsExactly("force " + dir.relativize(part) + " " + backup.length,
                "rename " + dir.relativize(part) + " " + dir.relativize(file), "sync " + dir.toAbsolutePath());
        assertThat(Files.readAllBytes(file)).isEqualTo(backup);
    }

    /**
     * A save into a directory that does not exist names the problem: the exception of the file it could not open
     * names only the path, and the command line printed that alone ({@code raftline snapshot save: /x/b.snap.part}).
     */
    @Test
    void aSaveIntoAMissingDirectorySaysSo() {
        Path file = dir.resolve("missing").resolve("backup.snap");

        assertThatThrownBy(() -> Backups.save(target(), file)).isInstanceOf(java.io.IOException.class)
                .hasMessage("cannot write the backup to " + file + ".part: no such file or directory");
        assertThat(Files.exists(dir.resolve("missing"))).isFalse();
    }

    /**
     * A backup whose state is not the one whose hash the node announced in {@code Raft-State-Hash} is refused, with
     * both hashes named, and no file is kept (nor its part file). Before, save checked the format, the checksum and the
     * revision only, so such a backup was saved as good.
     */
    @Test
    void aBackupWhoseStateHashIsNotTheAnnouncedOneIsRefused() throws Exception {
        String other = anotherState().stateHashHex();
        assertThat(other).isNotEqualTo(hash);
        Path file = dir.resolve("backup.snap");

        // The node's backup, announced with another hash.
        assertThatThrownBy(() -> Backups.save(target(serving(backup, other)), file))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("the node announced state hash " + other)
                .hasMessageContaining("the backup's state hash is " + hash);
        assertThat(Files.exists(file)).isFalse();
        assertThat(Files.exists(file.resolveSibling("backup.snap.part"))).isFalse();

        // Another body (well formed, its checksum right) under the node's hash: what the command line says.
        MainTest.Result r = MainTest.run("snapshot", "save", "--url", "http://127.0.0.1:"
                + serving(anotherState().toByteArray(), hash).actualPort(), file.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(Main.FAILURE);
        assertThat(r.err()).contains("raftline snapshot save: ").contains("damaged")
                .contains("the node announced state hash " + hash).contains("the backup's state hash is " + other);
        assertThat(Files.exists(file)).isFalse();
        assertThat(Files.exists(file.resolveSibling("backup.snap.part"))).isFalse();
    }

    /** The good path: the node's backup under its own hash is saved, as the node's state. */
    @Test
    void aBackupMatchingTheAnnouncedStateHashIsSaved() throws Exception {
        Path file = dir.resolve("backup.snap");

        Backups.Info info = Backups.save(target(), file);

        assertThat(info.hash()).isEqualTo(hash);
        assertThat(Files.readAllBytes(file)).isEqualTo(backup);
        assertThat(Backups.check(file)).isEqualTo(info);
    }

    /**
     * An error answered with a huge body (a proxy's, a wrong URL pointing at a large file) is read up to
     * {@link Backups#MAX_ERROR_BYTES} and still reported with the status and the start of what the server said; the
     * rest is never read. Before, the whole answer went to the part file and then into memory at once, and all of it
     * into the error message.
     */
    @Test
    void anErrorWithAHugeBodyIsReadOnlyInItsFirstKibibytes() throws Exception {
        String start = "{\"error\":\"internal\",\"message\":\"a proxy went wrong\"}";
        byte[] huge = new byte[8 << 20];
        java.util.Arrays.fill(huge, (byte) 'x');
        System.arraycopy(start.getBytes(StandardCharsets.UTF_8), 0, huge, 0, start.length());
        HttpServer failing = await(vertx.createHttpServer().requestHandler(req -> req.response().setStatusCode(500)
                .end(Buffer.buffer(huge))).listen(0, "127.0.0.1"));
        Path file = dir.resolve("backup.snap");

        assertThatThrownBy(() -> Backups.save(target(failing), file)).isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("answered 500: " + start)
                .hasMessageContaining("only its first 64 KiB were read")
                .satisfies(e -> assertThat(e.getMessage().length()).isLessThan(64 * 1024 + 1024));
        assertThat(Files.exists(file)).isFalse();
        assertThat(Files.exists(file.resolveSibling("backup.snap.part"))).isFalse();
    }

    /**
     * The client commands speak HTTP/1.1 to a plain-text node and ask for no h2c upgrade. Before, JDK 17's client asked
     * for one on every fresh connection, a node's client port granted it (for gRPC), and the client then misread about
     * one download in ten of more than 16 KiB or waited for it forever: this class's huge error body failed the save
     * with {@code Frame type(120) length(7895160) exceeds MAX_FRAME_SIZE(16384)} (120 is {@code x}, the body's byte).
     */
    @Test
    void theClientAsksForNoH2cUpgrade() throws Exception {
        java.util.List<String> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
        HttpServer recording = await(vertx.createHttpServer().requestHandler(req -> {
            seen.add(req.version() + " upgrade=" + req.getHeader("Upgrade") + " settings="
                    + req.getHeader("HTTP2-Settings"));
            req.response().putHeader("Raft-Revision", String.valueOf(revision)).putHeader("Raft-State-Hash", hash)
                    .end(Buffer.buffer(backup));
        }).listen(0, "127.0.0.1"));

        Backups.save(target(recording), dir.resolve("backup.snap"));
        MainTest.Result r = MainTest.run("kv", "get", "--url", "http://127.0.0.1:" + recording.actualPort(), "a");

        assertThat(r.code()).as(r.err()).isEqualTo(0);
        assertThat(seen).containsExactly("HTTP_1_1 upgrade=null settings=null", "HTTP_1_1 upgrade=null settings=null");
    }

    /** A short error answer is reported whole, as the server wrote it. */
    @Test
    void aShortErrorIsReportedWhole() throws Exception {
        String error = "{\"error\":\"no_leader\",\"message\":\"no leader now\"}";
        HttpServer failing = await(vertx.createHttpServer().requestHandler(req -> req.response().setStatusCode(503)
                .end(error)).listen(0, "127.0.0.1"));

        assertThatThrownBy(() -> Backups.save(target(failing), dir.resolve("backup.snap")))
                .isInstanceOf(java.io.IOException.class).hasMessageEndingWith("answered 503: " + error);
    }
}
