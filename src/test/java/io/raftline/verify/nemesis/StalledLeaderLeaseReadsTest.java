package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.Operation;
import io.raftline.verify.Outcome;
import io.raftline.verify.Value;
import io.raftline.verify.Verdict;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The schedule of the nemesis's stall with cut links, played step by step against a real cluster in this JVM
 * (issue 11, bug 2): a leader stalls for longer than the election timeout, the others elect a new leader and
 * commit a newer value, lease reads sent to the stalled leader after that commit wait in it, and then it
 * continues. Those reads must not be answered from its old state: a leader lease is a promise about wall time,
 * and the stall used it all up. A correct node answers them with the newer value, forwards them, or refuses
 * them; the history, lease reads included, must be linearizable.
 *
 * <p>Deterministic: each step waits for its condition (a new leader, an acknowledged write, every node applying
 * it), and the stalled node handles what it held in arrival order, with nothing from its peers among it (its
 * links are cut, as the nemesis does in half of its stalls). It fails for as long as a node measures its lease in
 * its own ticks, which stop while it is stalled.
 */
class StalledLeaderLeaseReadsTest {

    private static final int HELD_READS = 3;

    @Test
    void leaseReadsQueuedAtAStalledLeaderAreNotAnsweredFromItsOldState() throws Exception {
        Path out = Path.of("target", "verify", "stalled-leader");
        String key = "lease-k";
        try (Script s = new Script(out)) {
            AdminHttp admin = new AdminHttp(s.vertx, 10_000);
            URI adminUrl = URI.create(s.cluster.liveViewUrl());
            int old = s.leader();
            long r1 = s.putAcknowledged(0, old, key, "v1");
            s.allApplied(r1);
            Operation fresh = s.readObserved(0, old, key, "lease");
            assertThat(fresh.outcome()).as("the leader serves lease reads before the stall")
                    .isEqualTo(Outcome.found(Value.of("v1"), r1));

            Waits.await(s.cluster.stall(old), Script.WAIT);
            JsonArray others = new JsonArray();
            s.cluster.nodeIds().stream().filter(id -> id != old).forEach(others::add);
            Waits.await(s.cluster.network(new JsonObject().put("partitions",
                    new JsonArray().add(new JsonArray().add(old)).add(others))), Script.WAIT);
            int[] next = new int[1];
            Waits.eventually("a new leader among the others", Script.WAIT,
                    () -> s.cluster.leader().map(l -> (next[0] = l) != 0 && l != old));
            long r2 = s.putAcknowledged(1, next[0], key, "v2");
            assertThat(r2).isGreaterThan(r1);

            // Sent after v2 was acknowledged: any answer but v2 (or none) is stale.
            List<Future<Operation>> held = new ArrayList<>();
            for (int i = 0; i < HELD_READS; i++) {
                held.add(s.sendLater(10 + i, old, Script.get(key, "lease")));
            }
            JsonObject status = Waits.await(admin.get(adminUrl, "/v1/cluster"), Script.WAIT);
            JsonObject stalled = nodeStatus(status, old);
            assertThat(stalled.getString("role")).as("the stalled node still believes it leads: " + status)
                    .isEqualTo("Leader");
            assertThat(status.getLong("term")).as("while another leader has a later term").isGreaterThan(
                    stalled.getLong("term"));
            assertThat(held).as("nothing is answered while the node is stalled").noneMatch(Future::isComplete);

            Waits.await(s.cluster.unstall(old), Script.WAIT);
            Waits.await(s.cluster.network(new JsonObject()), Script.WAIT);
            List<Operation> answered = new ArrayList<>();
            for (Future<Operation> f : held) {
                Operation op = Waits.await(f, Script.WAIT);
                if (op != null) {
                    answered.add(op);
                }
            }
            s.healAndReadFinal(List.of(key));
            Waits.await(admin.close(), Script.WAIT);

            RunReport.Report report = s.report("lease reads queued at a stalled leader");
            report.write(out);
            String why = "reads answered after the stall: " + answered + "\n" + report.markdown();
            assertThat(report.result().verdict()).as(why).isEqualTo(Verdict.LINEARIZABLE);
            assertThat(answered).as(why).allSatisfy(op -> assertThat(op.outcome())
                    .isEqualTo(Outcome.found(Value.of("v2"), r2)));
        }
    }

    private static JsonObject nodeStatus(JsonObject cluster, int id) {
        JsonArray nodes = cluster.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.getJsonObject(i).getInteger("id") == id) {
                return nodes.getJsonObject(i);
            }
        }
        throw new AssertionError("node " + id + " missing from " + cluster);
    }
}
