package io.raftline.api.resp;

import io.raftline.node.RaftNode;
import java.lang.reflect.Proxy;

/** A follower that knows its leader: all the request layer asks of a node before it forwards a request there. */
final class StubFollower {

    private StubFollower() {
    }

    /**
     * The follower; any other question than its id and its leader fails the test.
     *
     * @param self   its id
     * @param leader the leader it knows
     * @return the node
     */
    static RaftNode of(int self, int leader) {
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "id" -> self;
                    case "knownLeader" -> leader;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }
}
