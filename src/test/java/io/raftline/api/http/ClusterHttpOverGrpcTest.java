package io.raftline.api.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;

/**
 * Every test of {@link ClusterHttpTest} (elections, forwarding, compare-and-set, leader crash, partitions,
 * idempotency, pause) on a cluster whose nodes exchange Raft messages over gRPC on their client ports instead
 * of the event bus: the HTTP API, the fault injection and the outcomes are the same. Slow: the quick run keeps
 * the event-bus variant.
 */
@Tag("slow")
class ClusterHttpOverGrpcTest extends ClusterHttpTest {

    @Override
    JsonObject config() {
        return super.config().put("transport", "grpc");
    }
}
