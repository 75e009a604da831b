package io.raftline.verify.nemesis;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The ports the process harnesses write into configurations: never one handed out before (two nodes once got the
 * same port from two binds of port 0 in a row), never from the ephemeral range outgoing connections draw from (a
 * peer's connection once took a node's HTTP port before the node bound it), and bindable when handed out.
 */
class FreePortsTest {

    @Test
    void portsAreDistinctBindableAndBelowTheEphemeralRange() throws Exception {
        String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
        int ephemeralLow = Integer.parseInt(range.split("\\s+")[0]);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = FreePorts.next();
            assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
            assertThat(port).isBetween(10_000, ephemeralLow - 1);
        }
        int port = FreePorts.next();
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            assertThat(s.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void aPortInUseIsNeverHandedOut() throws Exception {
        // Hold many ports of the range so that a random pick lands on one of them often; none may come back.
        Set<Integer> held = new HashSet<>();
        java.util.List<ServerSocket> sockets = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                ServerSocket s = new ServerSocket();
                int port = FreePorts.next();
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
                sockets.add(s);
                held.add(port);
            }
            for (int i = 0; i < 200; i++) {
                assertThat(held).doesNotContain(FreePorts.next());
            }
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }
}
