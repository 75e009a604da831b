package io.raftline.server;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;

/**
 * {@link NetworkFaultSyncTest} over the gRPC transport (no clustered event bus; {@link GrpcFaults}): a partition set on
 * one process's admin port splits the whole cluster, every process reports it, a process started afterwards puts it
 * in force, and a heal asked of any process heals every one; and a node fault asked of any process reaches the
 * process that runs the node. Before, with the gRPC transport, a partition set on process 1 cut node 1's links only
 * ({@code [[1,2],[3]]} left nodes 2 and 3 talking), and a crash of node 3 asked of process 1 was refused.
 */
@Tag("slow")
class GrpcFaultSyncTest extends NetworkFaultSyncTest {

    @Override
    JsonObject config() {
        return ClusterConfigs.cluster(3, 43, 3000).put("transport", "grpc");
    }
}
