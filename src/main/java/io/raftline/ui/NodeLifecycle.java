package io.raftline.ui;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * Starting and stopping members of the cluster at runtime, as the live view's "add node" and "remove node" need it.
 * The control handler sees only this, not the runtime that implements it ({@code ClusterVerticle}), so the live
 * view cannot reach anything else of the composition root, and tests can give it a fake.
 */
public interface NodeLifecycle {

    /**
     * Starts one more node in this process and makes it a voter: added as a learner, promoted once it caught up.
     *
     * @return {@code {"id","url","members"}} once it is a voter; fails with an {@link UnsupportedOperationException}
     *         where this process cannot start nodes (one node per process), or with the node's refusal
     */
    Future<JsonObject> addNode();

    /**
     * Removes a member through the leader (a leader removing itself hands over first), then stops it.
     *
     * @param id the member
     * @return {@code {"removed","members"}} once the removal is committed and the node stopped
     */
    Future<JsonObject> removeNode(int id);
}
