package io.raftline.faults;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * What a local cluster (every node in one process) can do to its set of nodes at runtime: start one more node and
 * make it a member, or remove a member and stop it. The admin API ({@code POST /v1/admin/nodes},
 * {@code DELETE /v1/admin/nodes/{id}}) and the live view call it; a process that runs one node of a larger cluster
 * cannot start or stop the others' processes, and offers none.
 */
public interface LocalNodeControl {

    /**
     * Starts node N+1 waiting to join, adds it as a learner and promotes it once it caught up.
     *
     * @return {@code {"id","url","members":[{"id","role"}]}} once it is a voter
     */
    Future<JsonObject> addNode();

    /**
     * Removes member {@code id} through the leader (a leader hands over first) and stops it; its data stays.
     *
     * @param id the member
     * @return {@code {"removed":id,"members":[{"id","role"}]}} once the removal is committed
     */
    Future<JsonObject> removeNode(int id);
}
