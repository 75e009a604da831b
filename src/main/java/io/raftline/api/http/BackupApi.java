package io.raftline.api.http;

import io.raftline.kv.KvSnapshot;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.raftline.shard.GroupBackup;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code GET /v1/snapshot[?consistency=linearizable|lease|stale]}: a consistent backup of the whole key-value state,
 * streamed as a file in the state machine's snapshot format ({@link KvSnapshot}: every key with its revisions and
 * version, the idempotency table, a CRC-32C at the end). Linearizable by default: the state at a read index
 * confirmed by the leader, so it holds every write acknowledged before the request. Headers: {@code Raft-Revision}
 * (the log index the state reflects) and {@code Raft-State-Hash} (the SHA-256 {@code /v1/state-hash} reports).
 * {@code raftline.jar snapshot save} writes it to a file, {@code snapshot restore} seeds a new cluster from it. A
 * sharded node answers a {@link GroupBackup} of all its groups.
 *
 * <p>The capture is O(1); writing it is O(state) and runs on a worker into a temporary file, which the response
 * then streams from disk (no copy of the state in memory) and deletes; a write that fails deletes it at once.
 */
public final class BackupApi {

    /**
     * Most backups a node writes and sends at once. Each one is a whole copy of the state, written to a temporary file
     * on a worker thread: unbounded, concurrent requests (a client's loop, or one HTTP/2 connection's 1024 streams)
     * filled the disk with copies and took every worker thread. A backup is an operator's occasional download.
     */
    static final int MAX_IN_FLIGHT = 2;

    private final RaftNode node;
    /** Backups being written or sent (the router's handlers run on one event loop, the completions on others). */
    private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Creates the endpoint of one node.
     *
     * @param node the node
     */
    public BackupApi(RaftNode node) {
        this.node = node;
    }

    /**
     * Adds the route.
     *
     * @param router the node's router
     */
    public void mount(Router router) {
        router.get("/v1/snapshot").handler(QueryParams.only("consistency")).handler(this::snapshot);
    }

    private void snapshot(RoutingContext ctx) {
        ReadConsistency consistency;
        try {
            consistency = ReadConsistency.parse(ctx.request().getParam("consistency", "linearizable"));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
            inFlight.decrementAndGet();
            ctx.response().putHeader("Retry-After", "1");
            HttpErrors.send(ctx, 503, "overloaded", "this node is already writing " + MAX_IN_FLIGHT
                    + " backups: retry once one of them is sent");
            return;
        }
        Vertx vertx = ctx.vertx();
        if (node instanceof io.raftline.shard.ReplicaSet set && set.replicas().size() > 1) {
            shardedSnapshot(ctx, set, consistency);
            return;
        }
        read(node, consistency).compose(view -> {
            KvSnapshot state = view.snapshot();
            return vertx.executeBlocking(() -> new Written(writeAside(TEMP_DIR, state::writeTo),
                    String.valueOf(state.lastApplied()), state.stateHashHex()), false);
        }).onComplete(ar -> send(ctx, ar, ar.succeeded() ? "raftline-" + ar.result().revision + ".snap" : ""));
    }

    /**
     * A sharded node: every group's state read at the same consistency (each on its own: a linearizable read of each
     * group), written as one {@link GroupBackup}. {@code Raft-Revision} lists the groups' revisions in group order,
     * comma-separated; {@code Raft-State-Hash} is the sharded state hash {@code /v1/state-hash} reports.
     */
    private void shardedSnapshot(RoutingContext ctx, io.raftline.shard.ReplicaSet set, ReadConsistency consistency) {
        Vertx vertx = ctx.vertx();
        List<Future<io.raftline.node.KvView>> reads = new ArrayList<>();
        for (RaftNode replica : set.replicas()) {
            reads.add(read(replica, consistency));
        }
        Future.all(reads).compose(all -> {
            List<KvSnapshot> states = new ArrayList<>(reads.size());
            for (Future<io.raftline.node.KvView> r : reads) {
                states.add(r.result().snapshot());
            }
            return vertx.executeBlocking(() -> {
                Path file = writeAside(TEMP_DIR, out -> {
                    OutputStream buffered = new java.io.BufferedOutputStream(out, 1 << 16);
                    GroupBackup.writeTo(states, buffered);
                    buffered.flush();
                });
                return new Written(file, GroupBackup.revisionHeader(states.stream().map(KvSnapshot::lastApplied)
                        .toList()), GroupBackup.stateHash(states));
            }, false);
        }).onComplete(ar -> send(ctx, ar, "raftline-" + set.replicas().size() + "-groups.snap"));
    }

    /**
     * A replica's state at the consistency asked for. A lease read is served by the group's leader only, and a backup
     * is not forwarded: a replica that does not lead its group (on a sharded cluster no node leads every group once
     * the balancer spread the leaders, so a lease backup was refused on every node) reads through a ReadIndex round
     * with its leader instead, which is at least as fresh.
     */
    private static Future<io.raftline.node.KvView> read(RaftNode replica, ReadConsistency consistency) {
        Future<io.raftline.node.KvView> read = replica.read(consistency);
        if (consistency != ReadConsistency.LEASE) {
            return read;
        }
        return read.recover(t -> t instanceof io.raftline.node.NodeRequestException e
                && e.reason() == io.raftline.node.NodeRequestException.Reason.NOT_LEADER
                        ? replica.read(ReadConsistency.LINEARIZABLE) : Future.failedFuture(t));
    }

    private void send(RoutingContext ctx, io.vertx.core.AsyncResult<Written> ar, String fileName) {
        Vertx vertx = ctx.vertx();
        if (ar.failed()) {
            inFlight.decrementAndGet();
            HttpErrors.failure(ctx, ar.cause());
            return;
        }
        Written w = ar.result();
        ctx.response().putHeader("Content-Type", "application/octet-stream")
                .putHeader("Content-Disposition", "attachment; filename=\"" + fileName + "\"")
                .putHeader("Raft-Revision", w.revision).putHeader("Raft-State-Hash", w.hash)
                .putHeader(KvApi.SERVED_BY, String.valueOf(node.id()))
                .sendFile(w.file.toString())
                .onComplete(done -> vertx.executeBlocking(() -> Files.deleteIfExists(w.file), false)
                        .onComplete(deleted -> inFlight.decrementAndGet()));
    }

    /** Where backups are written aside before they are sent: the system's temporary directory. */
    private static final Path TEMP_DIR = Path.of(System.getProperty("java.io.tmpdir"));

    /** Writes a backup's bytes to a stream (which the caller closes). */
    @FunctionalInterface
    interface BackupWriter {
        /**
         * Writes the backup.
         *
         * @param out where to
         * @throws IOException if writing fails
         */
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes a backup into a new temporary file of {@code dir} (readable by its owner only) and returns the file. If
     * writing fails (a full disk), the file is deleted before the failure is reported: the response that would have
     * deleted it after sending it is never sent, and each retry of a backup on a full disk would leave one more.
     *
     * @param dir  where
     * @param body what to write
     * @return the file, complete
     * @throws IOException if it cannot be created or written
     */
    static Path writeAside(Path dir, BackupWriter body) throws IOException {
        Path file = Files.createTempFile(dir, "raftline-backup-", ".snap");
        try (OutputStream out = Files.newOutputStream(file)) {
            body.writeTo(out);
        } catch (Throwable failure) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
            throw failure;
        }
        return file;
    }

    private record Written(Path file, String revision, String hash) {
    }
}
