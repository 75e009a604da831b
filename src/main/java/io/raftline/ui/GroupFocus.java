package io.raftline.ui;

import io.vertx.core.Future;

/**
 * Which Raft group the live view follows in detail. A sharded cluster runs many groups on the same nodes; the event
 * stream can only draw one group's messages, logs and timeline without mixing them, so the page picks one
 * ({@code focusGroup} on {@code raft.control}) and the server routes that group's events to the stream.
 */
public interface GroupFocus {

    /** A cluster of one group: group 0 is followed, always. */
    GroupFocus SINGLE = new GroupFocus() {
        @Override
        public int groups() {
            return 1;
        }

        @Override
        public int focused() {
            return 0;
        }

        @Override
        public Future<Integer> focus(int group) {
            return Future.succeededFuture(0);
        }
    };

    /**
     * How many groups the cluster has.
     *
     * @return G, at least 1
     */
    int groups();

    /**
     * The group followed now.
     *
     * @return 0 to G-1
     */
    int focused();

    /**
     * Follows another group from now on: its replicas' events are published instead of the current group's, after a
     * {@code FocusChanged} event and each replica's {@code ReplicaState} (see {@code docs/events.md}).
     *
     * @param group 0 to G-1 (the caller checked)
     * @return the group followed, once the switch is published; fails with an {@link UnsupportedOperationException}
     *         where this process cannot switch (one node per process)
     */
    Future<Integer> focus(int group);
}
