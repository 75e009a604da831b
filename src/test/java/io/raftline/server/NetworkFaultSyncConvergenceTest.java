package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.events.EventPublisher;
import io.raftline.faults.FaultControl;
import io.raftline.node.RaftNode;
import io.raftline.transport.LinkFaults;
import io.raftline.transport.NetworkConditioner;
import io.raftline.transport.NetworkFaults;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three processes' {@link NetworkFaultSync}s on a clustered event bus, changed from two of them at once: whatever
 * order the bus delivers the changes in, every process ends with the same faults, those the cluster recorded last;
 * and a process that joins later puts them in force.
 */
class NetworkFaultSyncConvergenceTest {

    private final ClusteredInstances instances = new ClusteredInstances();

    @AfterEach
    void stop() throws Exception {
        instances.close();
    }

    private static FaultControl control() {
        Map<Integer, RaftNode> none = new ConcurrentHashMap<>();
        return new FaultControl(none, () -> List.of(1, 2, 3), new NetworkConditioner(1), new LinkFaults(2),
                new EventPublisher(List.of(1, 2, 3)));
    }

    @Test
    void changesMadeAtOnceOnTwoProcessesEndTheSameOnEveryProcess() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("raftline-faultsync-" + ProcessHandle.current().pid());
        List<FaultControl> controls = new ArrayList<>();
        List<NetworkFaultSync> syncs = new ArrayList<>();
        List<Vertx> vertx = new ArrayList<>();
        for (int id = 1; id <= 2; id++) {
            Vertx v = instances.join(base, id);
            FaultControl control = control();
            NetworkFaultSync sync = new NetworkFaultSync(v, control, id, "");
            await(sync.start(), ClusteredInstances.WAIT);
            vertx.add(v);
            controls.add(control);
            syncs.add(sync);
        }
        // Forty changes, alternating between the two processes, none waiting for the one before.
        for (int i = 0; i < 40; i++) {
            FaultControl on = controls.get(i % 2);
            on.setNetwork(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), i / 100.0, 0, 0, 0));
            on.setLink(1 + i % 2, 3, new LinkFaults.Condition(0, i, i + 1), false);
        }
        for (NetworkFaultSync s : syncs) {
            await(s.shared(), ClusteredInstances.WAIT);
        }
        String recorded = await(vertx.get(0).sharedData().<String, String>getClusterWideMap(NetworkFaultSync.MAP)
                .compose(m -> m.get(NetworkFaultSync.KEY)), ClusteredInstances.WAIT);
        JsonObject last = new JsonObject(new JsonObject(recorded).getString("change"));
        assertThat(last.getLong("version")).isPositive();
        for (int p = 0; p < 2; p++) {
            FaultControl control = controls.get(p);
            eventually("process " + (p + 1) + " holding the change recorded last", ClusteredInstances.WAIT,
                    () -> control.clusterState().equals(last.getJsonObject("state")));
        }

        // A process that joins afterwards reads it.
        Vertx third = instances.join(base, 3);
        FaultControl late = control();
        NetworkFaultSync lateSync = new NetworkFaultSync(third, late, 3, "");
        await(lateSync.start(), ClusteredInstances.WAIT);
        eventually("the process started later holding it", ClusteredInstances.WAIT,
                () -> late.clusterState().equals(last.getJsonObject("state")));
        assertThat(late.network().partitions()).containsExactly(Set.of(1), Set.of(2, 3));
        syncs.forEach(NetworkFaultSync::stop);
        lateSync.stop();
    }

    /**
     * A process that missed a change's publish while it ran on (here its bus drops what arrives on the faults' address
     * for a while) reads the cluster's record again every {@link NetworkFaultRecord#CATCH_UP_PERIOD_MS} and puts the
     * change in force so; before, it kept the old faults until the next change.
     */
    @Test
    void aProcessThatMissedAPublishTakesTheChangeFromTheRecord() throws Exception {
        JsonObject base = ClusteredInstances.threeNodes("raftline-faultsync-missed-" + ProcessHandle.current().pid());
        Vertx one = instances.join(base, 1);
        FaultControl first = control();
        NetworkFaultSync firstSync = new NetworkFaultSync(one, first, 1, "");
        await(firstSync.start(), ClusteredInstances.WAIT);
        Vertx two = instances.join(base, 2);
        FaultControl second = control();
        NetworkFaultSync secondSync = new NetworkFaultSync(two, second, 2, "");
        await(secondSync.start(), ClusteredInstances.WAIT);
        java.util.concurrent.atomic.AtomicBoolean deaf = new java.util.concurrent.atomic.AtomicBoolean(true);
        java.util.concurrent.atomic.AtomicInteger dropped = new java.util.concurrent.atomic.AtomicInteger();
        two.eventBus().addInboundInterceptor(ctx -> {
            if (deaf.get() && NetworkFaultSync.ADDRESS.equals(ctx.message().address())) {
                dropped.incrementAndGet();
                return;
            }
            ctx.next();
        });
        first.setNetwork(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0, 0, 0, 0));
        await(firstSync.shared(), ClusteredInstances.WAIT);
        eventually("the publish dropped on process 2", ClusteredInstances.WAIT, () -> dropped.get() == 1);
        deaf.set(false);
        eventually("process 2 holding the change it missed", ClusteredInstances.WAIT,
                () -> second.network().partitions().equals(List.of(Set.of(1), Set.of(2, 3))));
        firstSync.stop();
        secondSync.stop();
    }

    /**
     * With a cluster secret, a change that does not carry the secret's tag (published on the bus or written into the
     * cluster manager's map by a member without the secret) is ignored, and the changes of the processes that hold
     * the secret go on applying, their versions above the forged one's.
     */
    @Test
    void withASecretAChangeWithoutItsTagIsIgnored() throws Exception {
        String secret = "a-cluster-secret-of-32-characters";
        JsonObject base = ClusteredInstances.threeNodes("raftline-faultsync-tag-" + ProcessHandle.current().pid());
        Vertx one = instances.join(base, 1);
        FaultControl first = control();
        await(new NetworkFaultSync(one, first, 1, secret).start(), ClusteredInstances.WAIT);
        Vertx two = instances.join(base, 2);
        FaultControl second = control();
        NetworkFaultSync sync = new NetworkFaultSync(two, second, 2, secret);
        await(sync.start(), ClusteredInstances.WAIT);

        // A forged change of a high version, untagged, then one tagged with another secret, both from process 2's
        // bus; then process 2's own change, which the bus delivers after them.
        JsonObject forged = new JsonObject().put("version", 999).put("origin", 3).put("state", new JsonObject()
                .put("network", new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), 0.5, 0, 0, 0).toJson())
                .put("links", new io.vertx.core.json.JsonArray()));
        two.eventBus().publish(NetworkFaultSync.ADDRESS, new JsonObject().put("change", forged.encode()).encode());
        byte[] otherTag = io.raftline.security.FrameAuthenticator.forCoordination("another-secret-of-32-characters")
                .tag(NetworkFaultSync.ADDRESS.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        forged.encode().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        two.eventBus().publish(NetworkFaultSync.ADDRESS, new JsonObject().put("change", forged.encode())
                .put("tag", java.util.Base64.getEncoder().encodeToString(otherTag)).encode());
        second.setNetwork(new NetworkFaults(List.of(), 0.25, 0, 0, 0));
        await(sync.shared(), ClusteredInstances.WAIT);
        eventually("process 1 holding process 2's change", ClusteredInstances.WAIT,
                () -> first.network().dropRate() == 0.25);
        assertThat(first.network().partitions()).isEmpty();

        // A forged record in the map: a process started afterwards does not take it.
        await(one.sharedData().<String, String>getClusterWideMap(NetworkFaultSync.MAP)
                .compose(m -> m.put(NetworkFaultSync.KEY, new JsonObject().put("change", forged.encode()).encode())),
                ClusteredInstances.WAIT);
        Vertx three = instances.join(base, 3);
        FaultControl third = control();
        await(new NetworkFaultSync(three, third, 3, secret).start(), ClusteredInstances.WAIT);
        // The next change replaces the forged record, with a version above what the processes hold.
        first.setNetwork(new NetworkFaults(List.of(), 0.75, 0, 0, 0));
        for (FaultControl c : List.of(first, second, third)) {
            eventually("every process holding process 1's change", ClusteredInstances.WAIT,
                    () -> c.network().dropRate() == 0.75);
        }
        assertThat(third.network().partitions()).isEmpty();
    }

    /**
     * A node fault carried to another process is obeyed only with the cluster secret's tag: a request without it, or
     * sealed with another secret, is refused before anything is done (403); one sealed with the secret reaches the
     * process's fault control (which, running no node here, says so), once: a copy of it sent again is refused (403).
     */
    @Test
    void aNodeFaultForAnotherProcessIsObeyedOnlyWithTheSecretsTag() throws Exception {
        String secret = "a-cluster-secret-of-32-characters";
        JsonObject base = ClusteredInstances.threeNodes("raftline-nodefault-tag-" + ProcessHandle.current().pid());
        Vertx one = instances.join(base, 1);
        RemoteNodeFaults target = new RemoteNodeFaults(one, control(), 1, secret);
        await(target.start(), ClusteredInstances.WAIT);
        Vertx two = instances.join(base, 2);
        FaultControl asking = control();
        RemoteNodeFaults route = new RemoteNodeFaults(two, asking, 2, secret);
        await(route.start(), ClusteredInstances.WAIT);

        String address = RemoteNodeFaults.ADDRESS_PREFIX + 1;
        JsonObject crash = new JsonObject().put("node", 1).put("fault", "crash");
        for (String forged : List.of(new JsonObject().put("change", crash.encode()).encode(),
                new CoordinationSeal("another-secret-of-32-characters").seal(address, crash),
                new CoordinationSeal(secret).seal(RemoteNodeFaults.ADDRESS_PREFIX + 2, crash))) {
            Throwable refused = awaitFailure(two.eventBus().request(address, forged));
            assertThat(refused).isInstanceOf(io.vertx.core.eventbus.ReplyException.class);
            assertThat(((io.vertx.core.eventbus.ReplyException) refused).failureCode()).as(refused.getMessage())
                    .isEqualTo(403);
        }
        // Through the route, sealed with the secret: process 1 takes it, and says it runs no node 1 here.
        Throwable answered = awaitFailure(asking.inflict(1, io.raftline.faults.NodeFault.CRASH));
        assertThat(answered).hasMessageContaining("no node 1 here");

        // A request sealed with the secret, as process 2 makes them, and captured on the bus by a member without it:
        // taken once (process 1 runs no node 1: 404), its copy sent again is refused before anything is done.
        String captured = new NodeFaultRequest(asking, 2, secret).request(1, io.raftline.faults.NodeFault.CRASH);
        Throwable first = awaitFailure(two.eventBus().request(address, captured));
        assertThat(((io.vertx.core.eventbus.ReplyException) first).failureCode()).as(first.getMessage())
                .isEqualTo(404);
        for (int replay = 0; replay < 3; replay++) {
            Throwable again = awaitFailure(two.eventBus().request(address, captured));
            assertThat(((io.vertx.core.eventbus.ReplyException) again).failureCode()).as(again.getMessage())
                    .isEqualTo(403);
            assertThat(again).hasMessageContaining("carried out already");
        }
        route.stop();
        target.stop();
    }

    private static Throwable awaitFailure(io.vertx.core.Future<?> f) throws InterruptedException {
        try {
            await(f, ClusteredInstances.WAIT);
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("expected a failure");
    }
}
