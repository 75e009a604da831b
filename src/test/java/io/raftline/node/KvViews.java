package io.raftline.node;

import io.raftline.kv.KvStateMachine;

/** Views of a state of the test's own, for stub nodes of other packages' tests (a view's constructor is the node's). */
public final class KvViews {

    private KvViews() {
    }

    /**
     * A view of {@code kv}, as a node's read answers it.
     *
     * @param kv the state
     * @return the view
     */
    public static KvView of(KvStateMachine kv) {
        return new KvView(kv);
    }
}
