package io.raftline.api.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;

/**
 * Every test of {@link ShardedClusterHttpTest} with Raft over gRPC: the messages of all 4 groups travel on one
 * stream per pair of nodes, each frame naming its group. Slow: the quick run keeps the event-bus variant.
 */
@Tag("slow")
class ShardedClusterHttpOverGrpcTest extends ShardedClusterHttpTest {

    @Override
    JsonObject config() {
        return super.config().put("transport", "grpc");
    }
}
