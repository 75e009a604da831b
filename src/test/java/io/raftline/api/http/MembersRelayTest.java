package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.server.ClusterVerticle;
import io.raftline.transport.NetworkFaults;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A membership request sent to a node that knows no leader is asked of the members it knows, each of which asks the
 * leader it knows. In CI a sharded removal of node 1 stopped after group 3, whose replica on node 1 was removed before
 * it learnt so: node 1 knew no leader of group 3 ever again, and answered every retry {@code no_leader} while nodes
 * 2, 3 and 4 knew their leader (MembershipProcessTest timed out). Here node 1 is cut off from the others' Raft
 * messages, which leaves it without a leader as well; its client port still reaches theirs.
 */
class MembersRelayTest {

    private InJvmCluster harness;
    private WebClient client;

    @AfterEach
    void stop() {
        if (client != null) {
            client.close();
        }
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void aNodeThatKnowsNoLeaderAsksTheOtherMembers() throws Exception {
        harness = InJvmCluster.builder(ClusterConfigs.cluster(3, 19, 3000)).start();
        ClusterVerticle cluster = harness.verticle();
        client = WebClient.create(harness.vertx());
        int leader = await(harness.leader());
        int cutOff = leader % 3 + 1;
        cluster.faults().setNetwork(new NetworkFaults(List.of(Set.of(cutOff),
                Set.copyOf(List.of(leader, 6 - leader - cutOff))), 0, 0, 0, 0));
        eventually("node " + cutOff + " knows no leader", () -> await(cluster.nodes().get(cutOff).status())
                .leader() == 0);

        // An unknown member: the leader answers 404 unknown_member; node cutOff answered 503 no_leader itself.
        HttpResponse<Buffer> unknown = await(client.deleteAbs(cluster.nodeUrl(cutOff) + "/v1/members/9").send());
        assertThat(unknown.statusCode()).as(unknown.bodyAsString()).isEqualTo(404);
        assertThat(unknown.bodyAsJsonObject().getString("error")).isEqualTo("unknown_member");
        assertThat(unknown.getHeader(KvApi.SERVED_BY)).isEqualTo(String.valueOf(leader));

        // The leader's own view through it, and a request that every member must refuse still says why.
        HttpResponse<Buffer> view = await(client.getAbs(cluster.nodeUrl(cutOff) + "/v1/members").send());
        assertThat(view.statusCode()).isEqualTo(200);
        JsonObject promote = await(client.postAbs(cluster.nodeUrl(cutOff) + "/v1/members/" + leader + "/promote")
                .send()).bodyAsJsonObject();
        assertThat(promote.getString("error")).as(promote.encode()).isNotEqualTo("no_leader");
    }
}
