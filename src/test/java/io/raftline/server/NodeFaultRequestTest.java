package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.faults.NodeFault;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * A node fault sealed for another process is single-use and short-lived, by the clocks of the two processes given
 * here: the receiving process runs no node, so a request that passes every check is answered 404 ("no node 1 here"),
 * and one refused by the seal, its age or its nonce is answered 403 before the fault control is asked.
 */
class NodeFaultRequestTest {

    private static final String SECRET = "a-cluster-secret-of-32-characters";
    private static final long WINDOW = SingleUseStamps.MAX_AGE_MS + SingleUseStamps.MAX_SKEW_MS;

    private final AtomicLong askerClock = new AtomicLong(1_800_000_000_000L);
    private final AtomicLong receiverClock = new AtomicLong(1_800_000_000_000L);
    private final NodeFaultRequest asker = new NodeFaultRequest(control(), 2, SECRET, askerClock::get);
    private final NodeFaultRequest receiver = new NodeFaultRequest(control(), 1, SECRET, receiverClock::get);

    private static FaultControl control() {
        Map<Integer, RaftNode> none = new ConcurrentHashMap<>();
        return new FaultControl(none, () -> List.of(1, 2, 3), new NetworkConditioner(1), new LinkFaults(2),
                new EventPublisher(List.of(1, 2, 3)));
    }

    /** The code the receiver answers (404: every check passed), and its message. */
    private static NodeFaultRequest.Refused answer(Future<JsonObject> served) {
        assertThat(served.failed()).as("answered at once, and never carried out (no node here)").isTrue();
        return (NodeFaultRequest.Refused) served.cause();
    }

    @Test
    void aRequestIsTakenOnceAndItsCopiesAreRefused() {
        String request = asker.request(1, NodeFault.CRASH);
        assertThat(answer(receiver.serve(request)).code()).isEqualTo(404);
        for (int i = 0; i < 3; i++) {
            NodeFaultRequest.Refused again = answer(receiver.serve(request));
            assertThat(again.code()).isEqualTo(403);
            assertThat(again.getMessage()).contains("carried out already");
        }
        // Another request of the same fault is a new one.
        assertThat(answer(receiver.serve(asker.request(1, NodeFault.CRASH))).code()).isEqualTo(404);
    }

    @Test
    void aRequestOlderThanTheWindowIsRefused() {
        String kept = asker.request(1, NodeFault.PAUSE);
        receiverClock.addAndGet(WINDOW + 1);
        NodeFaultRequest.Refused late = answer(receiver.serve(kept));
        assertThat(late.code()).isEqualTo(403);
        assertThat(late.getMessage()).contains("ms ago");
        // At the edge of the window it is still taken.
        String edge = asker.request(1, NodeFault.PAUSE);
        receiverClock.set(askerClock.get() + WINDOW);
        assertThat(answer(receiver.serve(edge)).code()).isEqualTo(404);
    }

    @Test
    void clocksThatDifferWithinTheSkewAreAllowedEitherWay() {
        askerClock.set(receiverClock.get() + SingleUseStamps.MAX_SKEW_MS - 1);
        assertThat(answer(receiver.serve(asker.request(1, NodeFault.CRASH))).code()).isEqualTo(404);
        askerClock.set(receiverClock.get() - SingleUseStamps.MAX_SKEW_MS + 1);
        assertThat(answer(receiver.serve(asker.request(1, NodeFault.CRASH))).code()).isEqualTo(404);
        askerClock.set(receiverClock.get() + SingleUseStamps.MAX_SKEW_MS + 1);
        NodeFaultRequest.Refused ahead = answer(receiver.serve(asker.request(1, NodeFault.CRASH)));
        assertThat(ahead.code()).isEqualTo(403);
        assertThat(ahead.getMessage()).contains("in the future");
    }

    @Test
    void aRequestWithoutAStampIsRefusedEvenWithTheSecretsTag() {
        // What an earlier release sends: sealed with the secret, no issue time or nonce.
        String unstamped = new CoordinationSeal(SECRET).seal(NodeFaultRequest.ADDRESS_PREFIX + 1,
                new JsonObject().put("node", 1).put("fault", "crash"));
        NodeFaultRequest.Refused refused = answer(receiver.serve(unstamped));
        assertThat(refused.code()).isEqualTo(403);
        assertThat(refused.getMessage()).contains("no issue time and nonce");
        // A stamp changed under the seal breaks the tag.
        JsonObject sealed = new JsonObject(asker.request(1, NodeFault.CRASH));
        JsonObject inner = new JsonObject(sealed.getString("change")).put("issued", receiverClock.get() + 1);
        assertThat(answer(receiver.serve(sealed.put("change", inner.encode()).encode())).getMessage())
                .contains("without a valid tag");
    }

    @Test
    void theNoncesRememberedAreBoundedAndForgottenOnceTheirRequestsExpire() {
        for (int i = 0; i < SingleUseStamps.MAX_REMEMBERED; i++) {
            assertThat(answer(receiver.serve(asker.request(1, NodeFault.CRASH))).code()).isEqualTo(404);
        }
        NodeFaultRequest.Refused full = answer(receiver.serve(asker.request(1, NodeFault.CRASH)));
        assertThat(full.code()).isEqualTo(403);
        assertThat(full.getMessage()).contains("more than " + SingleUseStamps.MAX_REMEMBERED);
        // Once those are too old to be taken anyway, they are forgotten and new requests are taken again.
        askerClock.addAndGet(WINDOW + 1);
        receiverClock.addAndGet(WINDOW + 1);
        assertThat(answer(receiver.serve(asker.request(1, NodeFault.CRASH))).code()).isEqualTo(404);
    }
}
