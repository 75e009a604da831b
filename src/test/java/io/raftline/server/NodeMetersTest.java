package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftline.node.NodeStatus;
import io.raftline.node.StorageStats;
import io.raftline.raft.Membership;
import io.raftline.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A local node's Raft meters leave the registry with the node, and a refresh that was waiting for the node's answer
 * when it was removed cannot bring them or its readings back. The race is made deterministic by completing the
 * node's status by hand, after the removal.
 */
class NodeMetersTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    private static NodeStatus status(int id, long term) {
        return new NodeStatus(id, true, false, Role.FOLLOWER, term, 1, 9, 9, 9, 0, 0,
                new StorageStats("durable", false, 3, 9, 100), false, false, Membership.ofVoters(List.of(1, 2, 3, 4)),
                0, Map.of(), 9);
    }

    private List<Meter> metersOf(int node) {
        return registry.getMeters().stream().filter(m -> String.valueOf(node).equals(m.getId().getTag("node")))
                .toList();
    }

    private double term(int node) {
        return registry.get("raftline_term").tag("node", String.valueOf(node)).gauge().value();
    }

    @Test
    void aRemovedNodesMetersLeaveTheRegistry() {
        NodeMeters meters = new NodeMeters(registry, 2);
        meters.add(3);
        meters.add(4);
        meters.refresh(4, Future.succeededFuture(status(4, 7)),
                Future.succeededFuture(List.of(status(4, 7), status(4, 8))));
        assertThat(term(4)).isEqualTo(7.0);
        assertThat(registry.get("raftline_group_term").tags("node", "4", "group", "1").gauge().value())
                .isEqualTo(8.0);

        meters.remove(4);
        assertThat(metersOf(4)).isEmpty();
        assertThat(metersOf(3)).isNotEmpty();
    }

    /** The node's status comes after its removal: it goes nowhere, and the series stay gone. */
    @Test
    void aRefreshThatCompletesAfterTheRemovalDoesNotBringTheNodeBack() {
        NodeMeters meters = new NodeMeters(registry, 2);
        meters.add(4);
        Promise<NodeStatus> status = Promise.promise();
        Promise<List<NodeStatus>> groups = Promise.promise();
        meters.refresh(4, status.future(), groups.future());
        meters.remove(4);
        status.complete(status(4, 7));
        groups.complete(List.of(status(4, 7), status(4, 8)));
        assertThat(metersOf(4)).isEmpty();

        // Added again under the same id (a local cluster restoring a node): its meters read its own statuses, not
        // the answer of the refresh that outlived the removal.
        meters.add(4);
        assertThat(term(4)).isNaN();
        meters.refresh(4, Future.succeededFuture(status(4, 9)), Future.succeededFuture(List.of(status(4, 9))));
        assertThat(term(4)).isEqualTo(9.0);
    }

    @Test
    void withoutARegistryNothingIsRegistered() {
        NodeMeters meters = new NodeMeters(null, 1);
        meters.add(1);
        meters.refresh(1, Future.succeededFuture(status(1, 1)), null);
        meters.remove(1);
        meters.removeAll();
        assertThat(registry.getMeters()).isEmpty();
    }
}
