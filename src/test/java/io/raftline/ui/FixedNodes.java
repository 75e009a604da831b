package io.raftline.ui;

import io.raftline.faults.LocalNodeControl;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The node lifecycle of a process whose nodes the tests fix: adding and removing nodes is refused, as in a process that
 * runs one node (the live view's tests build a {@link ControlHandler} on such a process, or on a replay).
 */
final class FixedNodes {

    private FixedNodes() {
    }

    /**
     * A lifecycle that refuses to add or remove nodes.
     *
     * @param why the refusal's message
     * @return the lifecycle
     */
    static LocalNodeControl refusing(String why) {
        return new LocalNodeControl() {
            @Override
            public Future<JsonObject> addNode() {
                return Future.failedFuture(new UnsupportedOperationException(why));
            }

            @Override
            public Future<JsonObject> removeNode(int id) {
                return Future.failedFuture(new UnsupportedOperationException(why));
            }
        };
    }
}
