package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.raftline.node.NodeHost;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Membership;
import io.raftline.raft.MembershipChange;
import io.raftline.raft.Role;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.lang.reflect.Proxy;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The local cluster's add and remove node retry a membership change that failed after it was proposed (a timeout),
 * and such a change may have committed all the same: the retry is then refused because the change is already made
 * ({@code unknown_member} for a removal, {@code invalid_change} "already a voter" for a promotion), which is the
 * change's success, not a failure. Other refusals stay failures. The leader here is a scripted stand-in: it answers
 * each change with the next answer of its script.
 */
class LocalNodesRetryTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        await(vertx.close());
    }

    @Test
    void aRemovalThatCommittedAfterItsTimeoutIsDone() throws Exception {
        Leader leader = new Leader(new Membership(List.of(1, 2), List.of()), List.of(
                refusal(Reason.TIMEOUT, "not committed within 5000 ms (it may still be applied later)"),
                refusal(Reason.UNKNOWN_MEMBER, "node 3 is not a member, there is nothing to remove")));
        JsonArray members = await(LocalNodes.remove(vertx, leader.asMap(), 3));
        assertThat(ids(members)).containsExactly(1, 2);
        assertThat(leader.asked).containsExactly(new MembershipChange.Remove(3), new MembershipChange.Remove(3));
    }

    @Test
    void aRemovalWhoseLeaderWentDownWhileItWasPendingIsRetriedAndFoundDone() throws Exception {
        // The leader stopped with the removal pending: it may still commit on the others, so it is tried again.
        Leader leader = new Leader(new Membership(List.of(1, 2), List.of()), List.of(
                refusal(Reason.OUTCOME_UNKNOWN, "node 1 stopped with the change pending (it may still commit)"),
                refusal(Reason.UNKNOWN_MEMBER, "node 3 is not a member, there is nothing to remove")));
        JsonArray members = await(LocalNodes.remove(vertx, leader.asMap(), 3));
        assertThat(ids(members)).containsExactly(1, 2);
        assertThat(leader.asked).hasSize(2);
    }

    @Test
    void aPromotionThatCommittedAfterItsTimeoutIsDone() throws Exception {
        Leader leader = new Leader(new Membership(List.of(1, 2, 3, 4), List.of()), List.of(
                Future.succeededFuture(new NodeHost.MembershipInfo(new Membership(List.of(1, 2, 3), List.of(4)), 7)),
                refusal(Reason.TIMEOUT, "not committed within 5000 ms (it may still be applied later)"),
                refusal(Reason.INVALID_CHANGE, "promote 4 refused: node 4 is already a voter: only learners can be"
                        + " promoted")));
        JsonArray members = await(LocalNodes.join(vertx, leader.asMap(), 4, "http://127.0.0.1:8084"));
        assertThat(ids(members)).containsExactly(1, 2, 3, 4);
        assertThat(members.stream().map(m -> ((JsonObject) m).getString("role"))).containsOnly("voter");
    }

    @Test
    void refusedAtTheFirstAttemptIsStillAFailure() throws Exception {
        Leader leader = new Leader(new Membership(List.of(1, 2, 3), List.of()), List.of(
                refusal(Reason.UNKNOWN_MEMBER, "node 99 is not a member, there is nothing to remove")));
        Throwable e = catchThrowable(() -> await(LocalNodes.remove(vertx, leader.asMap(), 99)));
        assertThat(e).isInstanceOf(NodeRequestException.class).hasMessageContaining("node 99 is not a member");
    }

    @Test
    void aRefusalThatDoesNotSayTheChangeIsMadeStaysAFailureOnARetry() throws Exception {
        Leader leader = new Leader(new Membership(List.of(1), List.of()), List.of(
                refusal(Reason.TIMEOUT, "not committed within 5000 ms (it may still be applied later)"),
                refusal(Reason.INVALID_CHANGE, "node 1 is the last voter: a cluster needs at least one")));
        Throwable e = catchThrowable(() -> await(LocalNodes.remove(vertx, leader.asMap(), 1)));
        assertThat(e).isInstanceOf(NodeRequestException.class).hasMessageContaining("last voter");
    }

    @Test
    void whichRefusalsMeanTheChangeIsMade() {
        assertThat(LocalNodes.alreadyMade(new MembershipChange.Remove(3),
                new NodeRequestException(Reason.UNKNOWN_MEMBER, 1, "not a member"))).isTrue();
        assertThat(LocalNodes.alreadyMade(new MembershipChange.Remove(3),
                new NodeRequestException(Reason.INVALID_CHANGE, 1, "the last voter"))).isFalse();
        assertThat(LocalNodes.alreadyMade(new MembershipChange.Promote(4),
                new NodeRequestException(Reason.INVALID_CHANGE, 1, "already a voter"))).isTrue();
        assertThat(LocalNodes.alreadyMade(new MembershipChange.Promote(4),
                new NodeRequestException(Reason.UNKNOWN_MEMBER, 1, "not a member"))).isFalse();
        assertThat(LocalNodes.alreadyMade(new MembershipChange.AddLearner(4, ""),
                new NodeRequestException(Reason.MEMBER_EXISTS, 1, "already a learner"))).isFalse();
    }

    private static Future<NodeHost.MembershipInfo> refusal(Reason reason, String message) {
        return Future.failedFuture(new NodeRequestException(reason, 1, message));
    }

    private static List<Integer> ids(JsonArray members) {
        return members.stream().map(m -> ((JsonObject) m).getInteger("id")).toList();
    }

    /**
     * Node 1, leading: answers each membership change with the next scripted answer, and reports {@code membership}
     * in its status. Nothing else of {@link RaftNode} is used by the local cluster's membership changes.
     */
    private static final class Leader {
        final Deque<Future<NodeHost.MembershipInfo>> script;
        final Membership membership;
        final List<MembershipChange> asked = new ArrayList<>();

        Leader(Membership membership, List<Future<NodeHost.MembershipInfo>> answers) {
            this.membership = membership;
            this.script = new ArrayDeque<>(answers);
        }

        Map<Integer, RaftNode> asMap() {
            RaftNode node = (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(),
                    new Class<?>[] {RaftNode.class}, (proxy, method, args) -> switch (method.getName()) {
                        case "id", "knownLeader" -> 1;
                        case "changeMembership" -> {
                            asked.add((MembershipChange) args[0]);
                            yield script.isEmpty() ? Future.failedFuture("the script ran out") : script.poll();
                        }
                        case "status" -> Future.succeededFuture(new NodeStatus(1, true, false, Role.LEADER, 2, 1, 9,
                                9, 9, 0, 0, null, false, false, membership, 9, Map.of(), 9));
                        case "toString" -> "scripted leader";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            return Map.of(1, node);
        }
    }
}
