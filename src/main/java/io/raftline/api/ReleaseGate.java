package io.raftline.api;

import io.raftline.kv.KvCommand;
import io.raftline.node.RaftNode;
import io.vertx.core.Future;

/**
 * Lets a leader propose a command only once every member of its group applies the command's kind of log entry. It
 * exists for rolling upgrades: a member of an older release that met an entry of a kind it does not know skipped it
 * (releases of 2026-12-06) or stops at it (later ones), and either way a client that used a new command before every
 * node ran the new release cost a replica. Refused here, the command is refused as a whole ({@code
 * release_mismatch}) and nothing is written; the client retries once the upgrade is done.
 */
@FunctionalInterface
public interface ReleaseGate {

    /** No gate: every node of the cluster runs in this process, so all run this release (the local cluster). */
    ReleaseGate NONE = (node, command) -> Future.succeededFuture();

    /**
     * Whether {@code node}'s group may propose {@code command}.
     *
     * @param node    this node's replica of the group, which leads it (or thinks so)
     * @param command the command about to be proposed
     * @return succeeds if every member applies the command's op; fails with a {@code NodeRequestException} of reason
     *         {@code RELEASE_MISMATCH} that names the member otherwise
     */
    Future<Void> admit(RaftNode node, KvCommand command);
}
