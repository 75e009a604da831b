package io.raftline.verify.nemesis;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Loopback ports for processes that a harness configures before it starts them (the child-process clusters: a
 * configuration file names every node's ports, so they cannot be 0).
 *
 * <p>Why not simply bind port 0 and close it: such a port comes from the kernel's ephemeral range, which every
 * outgoing connection on the machine draws from too. Between the harness closing it and the child binding it, a
 * peer's gRPC or Hazelcast connection may take it as its local port (seen: a node failing to start with "port
 * already in use" while the others elected a leader), and two calls in a row may even return the same port (seen:
 * one node's HTTP and bus port both 41609, which the configuration check rightly refused). So ports are chosen at
 * random <em>below</em> the ephemeral range, where no connection's local port ever comes from, checked to be
 * bindable now, and never handed out twice by this JVM.
 */
public final class FreePorts {

    private static final int LOWEST = 10_000;
    private static final Set<Integer> GIVEN = new HashSet<>();

    private FreePorts() {
    }

    /**
     * A port on 127.0.0.1 that is free now, outside the ephemeral range and not handed out before by this JVM.
     *
     * @return the port
     * @throws IOException if none is found after many tries
     */
    public static synchronized int next() throws IOException {
        int below = ephemeralLow();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = random.nextInt(LOWEST, below);
            if (!GIVEN.contains(port) && bindable(port)) {
                GIVEN.add(port);
                return port;
            }
        }
        throw new IOException("no free loopback port found between " + LOWEST + " and " + below);
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** The low end of Linux's ephemeral port range (32768 by default; 30000 where it cannot be read). */
    private static int ephemeralLow() {
        try {
            // readAllLines, not readString: Java 17's readString returns the first byte only of this file (its
            // reported size misleads it).
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST + 1_000 ? low : 30_000;
        } catch (IOException | RuntimeException e) {
            return 30_000;
        }
    }
}
