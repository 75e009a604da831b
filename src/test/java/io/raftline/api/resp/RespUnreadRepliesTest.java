package io.raftline.api.resp;

import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.raftline.verify.nemesis.Waits;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Connections that pipeline reads and never read the replies hold no more than the port's {@link ReplyBudget} of
 * replies in the node. A connection's replies are written a batch at a time, and a batch of 128 GETs of a 1 MiB value
 * is 128 MiB: each such connection held one batch in the node, and enough of them ran it out of heap. Now, while the
 * port's unsent replies are at its budget, reads wait (the other connections' and a well-behaved client's alike),
 * writes are still answered, and a connection whose replies stay unsent past {@code limits.request_timeout_ms} is
 * closed, which lets the reads that waited go on.
 *
 * <p>The clients that do not read are plain sockets with a small receive buffer that send their pipeline and never
 * read a byte.
 */
class RespUnreadRepliesTest {

    private static final int VALUE_BYTES = 1_000_000;
    private static final int UNREAD = 3;
    /** Two batches of GETs per connection that does not read. */
    private static final int GETS = 2 * RespConnection.MAX_BATCH;
    private static final byte[] VALUE = new byte[VALUE_BYTES];

    static {
        Arrays.fill(VALUE, (byte) 'v');
    }

    private InJvmCluster cluster;
    private final List<Socket> sockets = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void readsWaitWhileConnectionsThatDoNotReadHoldThePortsReplyBudgetAndGoOnOnceTheyClose() throws Exception {
        InetSocketAddress node = start(new JsonObject().put("request_timeout_ms", 600_000));
        Socket control = connect(node, 0);
        long directBefore = directMemory();
        long heapBefore = liveHeap();
        long budget = info(control, "raftline_reply_budget_bytes");
        List<Socket> unread = fillTheBudget(node, control, budget);
        long batch = RespConnection.MAX_BATCH * (VALUE_BYTES + 12L);
        assertThat(info(control, "raftline_unsent_reply_bytes"))
                .as("one batch out, the first connection's, less what the sockets' buffers took")
                .isBetween(budget, batch);
        // The replies out are held as the reads returned them, not copied for the socket: a batch written whole put
        // a copy of its 128 MB in direct memory (the socket's queue) for each connection that does not read, and
        // went on to its next batch, which waited whole in Vert.x's queue.
        assertThat(directMemory() - directBefore).as("direct memory taken by replies nobody reads")
                .isLessThan(32L * 1024 * 1024);
        // And a GET's reply is a view of the stored value: a copy per GET held the batch's 128 MB in the heap.
        assertThat(liveHeap() - heapBefore).as("heap taken by replies nobody reads").isLessThan(32L * 1024 * 1024);
        // A client that reads: its read waits as well, its write does not (a write's reply is owed once it ran).
        Socket reader = connect(node, 0);
        send(reader, "GET", "big");
        eventually("the reader's GET waiting for the reply budget", Duration.ofSeconds(30),
                () -> info(control, "raftline_clients_waiting_for_reply_budget") == UNREAD);
        assertThat(reader.getInputStream().available()).as("nothing answered to the reader yet").isZero();
        send(control, "SET", "small", "x");
        assertThat(RawResp.line(control.getInputStream())).isEqualTo("+OK");

        for (Socket s : unread) {
            s.close();
        }
        reader.setSoTimeout(30_000);
        assertThat(Arrays.equals(bulk(reader.getInputStream()), VALUE))
                .as("the value, read whole once the unread replies are gone").isTrue();
        eventually("nothing waiting or unsent", Duration.ofSeconds(30),
                () -> info(control, "raftline_clients_waiting_for_reply_budget") == 0
                        && info(control, "raftline_unsent_reply_bytes") < budget);
    }

    @Test
    void connectionsWhoseRepliesStayUnreadPastTheDeadlineAreClosedAndTheReadsThatWaitedGoOn() throws Exception {
        InetSocketAddress node = start(new JsonObject().put("request_timeout_ms", 2000));
        Socket control = connect(node, 0);
        fillTheBudget(node, control, info(control, "raftline_reply_budget_bytes"));
        Socket reader = connect(node, 0);
        send(reader, "GET", "big");
        // Each in turn gets its batch written, leaves it unread for 2 s and is closed; then the reader's turn comes.
        reader.setSoTimeout(60_000);
        assertThat(Arrays.equals(bulk(reader.getInputStream()), VALUE)).as("the value, read whole").isTrue();
        eventually("only the clients that read still connected", Duration.ofSeconds(30),
                () -> info(control, "connected_clients") == 2);
    }

    /**
     * Opens the connections that do not read: the first one's batch (128 MB) takes the port past its budget, then
     * the others' reads wait for it.
     */
    private List<Socket> fillTheBudget(InetSocketAddress node, Socket control, long budget) throws Exception {
        List<Socket> unread = new ArrayList<>();
        unread.add(askAndNeverRead(node));
        eventually("the first connection's replies out, past the port's budget", Duration.ofSeconds(30),
                () -> info(control, "raftline_unsent_reply_bytes") >= budget);
        for (int i = 1; i < UNREAD; i++) {
            unread.add(askAndNeverRead(node));
        }
        eventually("the reads of the others waiting for the budget", Duration.ofSeconds(30),
                () -> info(control, "raftline_clients_waiting_for_reply_budget") >= UNREAD - 1);
        return unread;
    }

    /** The heap in use after a full collection (what is live). */
    private static long liveHeap() {
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Direct memory in use: the JDK's direct buffers, and Netty's own when it allocates them without the JDK. */
    private static long directMemory() {
        long jdk = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> "direct".equals(b.getName())).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
        return jdk + Math.max(0, io.netty.util.internal.PlatformDependent.usedDirectMemory());
    }

    /** A 3-node cluster with {@code limits}, the value under {@code big}: its leader's Redis-protocol address. */
    private InetSocketAddress start(JsonObject limits) throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 47, 4000)
                .put("storage", new JsonObject().put("engine", "memory")).put("limits", limits)).start();
        String[] hostPort = cluster.respAddresses().get(Waits.await(cluster.leader())).split(":");
        InetSocketAddress node = new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1]));
        try (Socket s = new Socket()) {
            s.connect(node);
            OutputStream out = s.getOutputStream();
            out.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + VALUE_BYTES + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(VALUE);
            out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(RawResp.line(s.getInputStream())).isEqualTo("+OK");
        }
        return node;
    }

    private Socket connect(InetSocketAddress node, int receiveBuffer) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(node);
        s.setSoTimeout(10_000);
        return s;
    }

    /** A connection that pipelines {@link #GETS} GETs of the value and never reads. */
    private Socket askAndNeverRead(InetSocketAddress node) throws IOException {
        Socket s = connect(node, 4096);
        OutputStream out = s.getOutputStream();
        out.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(GETS).getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private static void send(Socket s, String... words) throws IOException {
        StringBuilder b = new StringBuilder("*").append(words.length).append("\r\n");
        for (String w : words) {
            b.append('$').append(w.length()).append("\r\n").append(w).append("\r\n");
        }
        s.getOutputStream().write(b.toString().getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

    /** A numeric field of INFO's clients section; -1 if INFO does not have it. */
    private static long info(Socket control, String field) throws IOException {
        send(control, "INFO", "clients");
        String text = new String(bulk(control.getInputStream()), StandardCharsets.UTF_8);
        for (String l : text.split("\r\n")) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.substring(field.length() + 1));
            }
        }
        return -1;
    }

    private static byte[] bulk(InputStream in) throws IOException {
        String head = RawResp.line(in);
        assertThat(head).startsWith("$");
        int n = Integer.parseInt(head.substring(1));
        byte[] body = in.readNBytes(n + 2);
        assertThat(body).hasSize(n + 2);
        return Arrays.copyOf(body, n);
    }
}
