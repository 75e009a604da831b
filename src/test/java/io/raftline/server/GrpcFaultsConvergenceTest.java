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
import io.raftline.transport.grpc.GrpcTransport;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.server.GrpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three processes' {@link GrpcFaults} calling each other's FaultService (no nodes, no Raft: their fault controls and
 * the service alone). Changes made at once on two processes end the same on every process, whatever order the calls
 * arrive in; a process started later catches up with them; and a change made on a process that has not caught up yet
 * (its record below the cluster's) goes after the cluster's record instead of being ignored by every other process.
 */
class GrpcFaultsConvergenceTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final Vertx vertx = Vertx.vertx();
    /** Node id to the port its process's service listens on (absent: not started). */
    private final Map<Integer, Integer> ports = new ConcurrentHashMap<>();
    private final List<GrpcFaults> started = new ArrayList<>();
    private final List<GrpcTransport> transports = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (GrpcFaults f : started) {
            await(f.stop(), WAIT);
        }
        for (GrpcTransport t : transports) {
            await(t.close(), WAIT);
        }
        await(vertx.close(), WAIT);
    }

    private static FaultControl control() {
        Map<Integer, RaftNode> none = new ConcurrentHashMap<>();
        return new FaultControl(none, () -> List.of(1, 2, 3), new NetworkConditioner(1), new LinkFaults(2),
                new EventPublisher(List.of(1, 2, 3)));
    }

    private Optional<SocketAddress> address(int node) {
        Integer port = ports.get(node);
        return port == null ? Optional.empty() : Optional.of(SocketAddress.inetSocketAddress(port, "127.0.0.1"));
    }

    /** A process of node {@code id}: its control, its GrpcFaults serving on a port of its own, started. */
    private GrpcFaults process(int id, FaultControl control, String secret) throws Exception {
        GrpcTransport transport = new GrpcTransport(vertx, new NetworkConditioner(id), (m, why) -> { },
                this::address, Set.of(1, 2, 3), GrpcTransport.Options.DEFAULTS);
        transports.add(transport);
        GrpcFaults faults = new GrpcFaults(vertx, control, id, secret, transport, this::address);
        GrpcServer grpc = GrpcServer.server(vertx).addService(faults.service());
        HttpServer server = await(vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(grpc).listen(), WAIT);
        faults.start();
        started.add(faults);
        ports.put(id, server.actualPort());
        return faults;
    }

    @Test
    void changesMadeAtOnceOnTwoProcessesEndTheSameOnEveryProcessAndALateProcessCatchesUp() throws Exception {
        List<FaultControl> controls = List.of(control(), control());
        List<GrpcFaults> faults = List.of(process(1, controls.get(0), ""), process(2, controls.get(1), ""));
        // Forty changes, alternating between the two processes, none waiting for the one before.
        for (int i = 0; i < 40; i++) {
            FaultControl on = controls.get(i % 2);
            on.setNetwork(new NetworkFaults(List.of(Set.of(1), Set.of(2, 3)), i / 100.0, 0, 0, 0));
            on.setLink(1 + i % 2, 3, new LinkFaults.Condition(0, i, i + 1), false);
        }
        for (GrpcFaults f : faults) {
            await(f.shared(), WAIT);
        }
        eventually("both processes holding the same faults", WAIT,
                () -> controls.get(0).clusterState().equals(controls.get(1).clusterState())
                        && faults.get(0).version() == faults.get(1).version());
        JsonObject last = controls.get(0).clusterState();
        assertThat(faults.get(0).version()).isGreaterThanOrEqualTo(40);

        // A process started afterwards asks the others for their record.
        FaultControl late = control();
        GrpcFaults third = process(3, late, "");
        await(third.catchUp(), WAIT);
        assertThat(late.clusterState()).isEqualTo(last);
        assertThat(late.network().partitions()).containsExactly(Set.of(1), Set.of(2, 3));
    }

    @Test
    void aChangeOnAProcessThatHasNotCaughtUpGoesAfterTheClustersRecord() throws Exception {
        String secret = "a-cluster-secret-of-32-characters";
        FaultControl first = control();
        FaultControl second = control();
        GrpcFaults one = process(1, first, secret);
        process(2, second, secret);
        for (int i = 1; i <= 5; i++) {
            first.setNetwork(new NetworkFaults(List.of(), i / 10.0, 0, 0, 0));
        }
        await(one.shared(), WAIT);
        assertThat(second.network().dropRate()).isEqualTo(0.5);

        // Process 3 starts and, before it asked anyone, a heal is asked of it: its first record is version 1, below
        // the others' 5. They answer theirs, and the heal goes again above it, so every process ends healed.
        FaultControl third = control();
        GrpcFaults three = process(3, third, secret);
        third.heal();
        await(three.shared(), WAIT);
        for (FaultControl c : List.of(first, second, third)) {
            assertThat(c.network().dropRate()).isZero();
        }
        assertThat(three.version()).isGreaterThan(5);
        assertThat(one.version()).isEqualTo(three.version());
    }
}
