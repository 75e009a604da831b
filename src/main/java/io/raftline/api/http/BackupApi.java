package io.raftline.api.http;

import io.raftline.kv.KvSnapshot;
import io.raftline.node.RaftNode;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code GET /v1/snapshot[?consistency=linearizable|lease|stale]}: a consistent backup of the whole key-value state,
 * streamed as a file in the state machine's snapshot format ({@link KvSnapshot}: every key with its revisions and
 * version, the idempotency table, a CRC-32C at the end). Linearizable by default: the state at a read index
 * confirmed by the leader, so it holds every write acknowledged before the request. Headers: {@code Raft-Revision}
 * (the log index the state reflects) and {@code Raft-State-Hash} (the SHA-256 {@code /v1/state-hash} reports).
 * {@code raftline.jar snapshot save} writes it to a file, {@code snapshot restore} seeds a new cluster from it.
 *
 * <p>The capture is O(1); writing it is O(state) and runs on a worker into a temporary file, which the response
 * then streams from disk (no copy of the state in memory) and deletes.
 */
public final class BackupApi {

    private final RaftNode node;

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
        router.get("/v1/snapshot").handler(this::snapshot);
    }

    private void snapshot(RoutingContext ctx) {
        ReadConsistency consistency;
        try {
            consistency = ReadConsistency.parse(ctx.request().getParam("consistency", "linearizable"));
        } catch (IllegalArgumentException e) {
            HttpErrors.badRequest(ctx, e.getMessage());
            return;
        }
        if (node instanceof io.raftline.shard.ReplicaSet set && set.replicas().size() > 1) {
            HttpErrors.send(ctx, 501, "not_supported", "backups of a cluster sharded over " + set.replicas().size()
                    + " Raft groups are not supported yet (a backup is one group's snapshot); see docs/sharding.md");
            return;
        }
        Vertx vertx = ctx.vertx();
        node.read(consistency).compose(view -> {
            KvSnapshot state = view.snapshot();
            return vertx.executeBlocking(() -> {
                Path file = Files.createTempFile("raftline-backup-", ".snap");
                try (OutputStream out = Files.newOutputStream(file)) {
                    state.writeTo(out);
                }
                return new Written(file, state.lastApplied(), state.stateHashHex());
            }, false);
        }).onComplete(ar -> {
            if (ar.failed()) {
                HttpErrors.failure(ctx, ar.cause());
                return;
            }
            Written w = ar.result();
            ctx.response().putHeader("Content-Type", "application/octet-stream")
                    .putHeader("Content-Disposition", "attachment; filename=\"raftline-" + w.revision + ".snap\"")
                    .putHeader("Raft-Revision", String.valueOf(w.revision)).putHeader("Raft-State-Hash", w.hash)
                    .putHeader(KvApi.SERVED_BY, String.valueOf(node.id()))
                    .sendFile(w.file.toString())
                    .onComplete(done -> vertx.executeBlocking(() -> Files.deleteIfExists(w.file), false));
        });
    }

    private record Written(Path file, long revision, String hash) {
    }
}
