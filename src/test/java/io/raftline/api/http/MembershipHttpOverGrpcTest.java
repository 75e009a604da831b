package io.raftline.api.http;

import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Tag;

/**
 * Every test of {@link MembershipHttpTest} on a cluster whose nodes exchange Raft messages over gRPC: a member added
 * at runtime is reached at the URL its change recorded. Slow: the quick run keeps the event-bus variant.
 */
@Tag("slow")
class MembershipHttpOverGrpcTest extends MembershipHttpTest {

    @Override
    JsonObject config() {
        return super.config().put("transport", "grpc");
    }
}
