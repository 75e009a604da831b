package io.raftline.api.resp;

import static io.raftline.verify.nemesis.Waits.await;
import static io.raftline.verify.nemesis.Waits.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.GetResult;
import io.raftline.api.KvRequests;
import io.raftline.api.LeaderLink;
import io.raftline.api.LookupResult;
import io.raftline.api.RangeResult;
import io.raftline.api.Served;
import io.raftline.kv.KvCommand;
import io.raftline.kv.KvEntry;
import io.raftline.kv.KvResult;
import io.raftline.kv.TxnOp;
import io.raftline.node.NodeRequestException;
import io.raftline.node.NodeRequestException.Reason;
import io.raftline.kv.KvStateMachine;
import io.raftline.node.KvViews;
import io.raftline.node.NodeStatus;
import io.raftline.node.RaftNode;
import io.raftline.raft.Role;
import java.lang.reflect.Proxy;
import io.raftline.node.ReadConsistency;
import io.raftline.security.ClientAccess;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetServer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Redis-protocol endpoint of a follower whose leader is a stub holding a small store: transactions that a refused
 * EXEC or DISCARD must abort, integer arguments read by Redis's rule, what a failed read answers, requests of more
 * arguments than the limit, the port's bound on queued requests, and the INFO fields and MEMORY USAGE that
 * {@code redis-cli --stat} and {@code --memkeys} read. Each was found by a review of the endpoint.
 */
class RespEndpointTest {

    private static final int SELF = 1;
    private static final int LEADER = 2;
    /** The port's budget of queued requests, small so that a few connections fill it. */
    private static final long REQUEST_BUDGET = 4L * 1024 * 1024;

    /** The leader's store, the writes forwarded to it, and the failure its reads and writes answer (null: none). */
    private final NavigableMap<String, KvEntry> stored = new ConcurrentSkipListMap<>();
    private final List<KvCommand> forwarded = new CopyOnWriteArrayList<>();
    private volatile NodeRequestException readFailure;
    private volatile NodeRequestException writeFailure;

    private final LeaderLink leader = new LeaderLink() {
        @Override
        public Future<Served<KvResult>> write(int leader, int group, KvCommand command) {
            if (writeFailure != null) {
                return Future.failedFuture(writeFailure);
            }
            forwarded.add(command);
            long revision = forwarded.size();
            KvResult result;
            if (command instanceof KvCommand.Put put) {
                stored.put(put.key(), new KvEntry(put.key(), put.value(), revision, revision, 1));
                result = new KvResult.Written(revision);
            } else if (command instanceof KvCommand.Txn txn) {
                List<KvResult.OpResult> results = new ArrayList<>();
                for (TxnOp op : txn.success()) {
                    if (op instanceof TxnOp.Put put) {
                        stored.put(put.key(), new KvEntry(put.key(), put.value(), revision, revision, 1));
                        results.add(new KvResult.PutDone());
                    } else if (op instanceof TxnOp.Get get) {
                        results.add(new KvResult.GetDone(Optional.ofNullable(stored.get(get.key()))));
                    } else {
                        throw new UnsupportedOperationException("not in these tests: " + op);
                    }
                }
                result = new KvResult.TxnResult(true, results, revision);
            } else {
                throw new UnsupportedOperationException("not in these tests: " + command);
            }
            return Future.succeededFuture(new Served<>(result, leader));
        }

        @Override
        public Future<Served<GetResult>> get(int leader, int group, String key, ReadConsistency consistency) {
            if (readFailure != null) {
                return Future.failedFuture(readFailure);
            }
            return Future.succeededFuture(new Served<>(new GetResult(Optional.ofNullable(stored.get(key)), 1),
                    leader));
        }

        @Override
        public Future<Served<RangeResult>> range(int leader, int group, String prefix, String startAfter, int limit,
                ReadConsistency consistency, boolean values) {
            List<KvEntry> page = new ArrayList<>();
            for (KvEntry e : stored.tailMap(startAfter, false).values()) {
                if (page.size() == limit) {
                    return Future.succeededFuture(new Served<>(new RangeResult(page, true, 1), leader));
                }
                if (e.key().startsWith(prefix)) {
                    page.add(e);
                }
            }
            return Future.succeededFuture(new Served<>(new RangeResult(page, false, 1), leader));
        }

        @Override
        public Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys,
                ReadConsistency consistency, io.raftline.api.Fetch fetch) {
            if (readFailure != null) {
                return Future.failedFuture(readFailure);
            }
            List<Optional<KvEntry>> entries = new ArrayList<>();
            for (String key : keys) {
                entries.add(Optional.ofNullable(stored.get(key)));
            }
            return Future.succeededFuture(new Served<>(new LookupResult(entries, stored.size(), 1), leader));
        }
    };

    private Vertx vertx;
    private NetServer server;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        vertx = Vertx.vertx();
        RaftNode follower = follower();
        int[] port = {0};
        RespServer resp = new RespServer(vertx, follower, new KvRequests(follower, leader), () -> port[0], 1 << 20,
                100, ClientAccess.open(), ReplyBudget.DEFAULT_BYTES, REQUEST_BUDGET, 0);
        server = await(vertx.createNetServer().connectHandler(resp).listen(0, "127.0.0.1"));
        port[0] = server.actualPort();
    }

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) {
            s.close();
        }
        await(vertx.close());
    }

    private String exchange(String request, String expected) throws Exception {
        return RawResp.exchange(vertx, "127.0.0.1:" + server.actualPort(), request, expected.length());
    }

    private static String array(String... words) {
        return RawResp.array(words);
    }

    // ---------------------------------------------------------------- MULTI: a refused EXEC or DISCARD

    /**
     * Between MULTI and EXEC, EXEC and DISCARD run rather than queue, and a wrong number of arguments to either left
     * the transaction as it was: the next EXEC applied it. Redis flags the transaction of any command it rejects, and
     * the next EXEC discards it.
     */
    @Test
    void aWrongArityExecOrDiscardInsideMultiMakesTheNextExecDiscardTheTransaction() throws Exception {
        String aborted = "-EXECABORT Transaction discarded because of previous errors.\r\n";
        String execX = "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'exec' command\r\n" + aborted;
        assertThat(exchange(array("MULTI") + array("SET", "ea", "applied") + array("EXEC", "x") + array("EXEC"),
                execX)).isEqualTo(execX);
        String discardX = "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'discard' command\r\n" + aborted;
        assertThat(exchange(array("MULTI") + array("SET", "ea", "2") + array("DISCARD", "x") + array("EXEC"),
                discardX)).isEqualTo(discardX);
        String multiX = "+OK\r\n+QUEUED\r\n-ERR wrong number of arguments for 'multi' command\r\n" + aborted;
        assertThat(exchange(array("MULTI") + array("SET", "ea", "3") + array("MULTI", "x") + array("EXEC"),
                multiX)).isEqualTo(multiX);
        assertThat(forwarded).as("writes forwarded to the leader").isEmpty();
        assertThat(stored).doesNotContainKey("ea");
        // Outside a transaction a wrong arity is only its own error, and a transaction without one is applied.
        String applied = "-ERR wrong number of arguments for 'exec' command\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n";
        assertThat(exchange(array("EXEC", "x") + array("MULTI") + array("SET", "ea", "4") + array("EXEC"), applied))
                .isEqualTo(applied);
        assertThat(new String(stored.get("ea").value(), StandardCharsets.UTF_8)).isEqualTo("4");
    }

    // ---------------------------------------------------------------- integers

    /**
     * GETRANGE and SETRANGE read their offsets with Long.parseLong, which takes a sign, leading zeros and digits of
     * other scripts; Redis refuses them, as every other command here does.
     */
    @Test
    void getrangeAndSetrangeTakeOnlyTheIntegersRedisTakes() throws Exception {
        stored.put("n", new KvEntry("n", "0.3".getBytes(StandardCharsets.UTF_8), 1, 1, 1));
        String notAnInteger = "-ERR value is not an integer or out of range\r\n";
        for (String bad : List.of("+1", "007", "\u0661", "-0", " 1", "1 ", "9223372036854775808", "")) {
            assertThat(exchange(array("GETRANGE", "n", bad, "2"), notAnInteger)).as("start %s", bad)
                    .isEqualTo(notAnInteger);
            assertThat(exchange(array("GETRANGE", "n", "0", bad), notAnInteger)).as("end %s", bad)
                    .isEqualTo(notAnInteger);
            assertThat(exchange(array("SETRANGE", "n", bad, "x"), notAnInteger)).as("offset %s", bad)
                    .isEqualTo(notAnInteger);
            assertThat(exchange(array("MULTI") + array("GETRANGE", "n", bad, "2"), "+OK\r\n" + notAnInteger))
                    .as("queued, start %s", bad).isEqualTo("+OK\r\n" + notAnInteger);
        }
        assertThat(forwarded).as("writes forwarded").isEmpty();
        // What Redis takes still works: 0, negative offsets, the extremes of a long.
        String ok = "$2\r\n.3\r\n$3\r\n0.3\r\n$1\r\n3\r\n";
        assertThat(exchange(array("GETRANGE", "n", "1", "2") + array("GETRANGE", "n", "-9223372036854775808",
                "9223372036854775807") + array("GETRANGE", "n", "-1", "-1"), ok)).isEqualTo(ok);
    }

    // ---------------------------------------------------------------- a read that fails

    /**
     * A read refused for a reason that is not its own fault may be asked again: it changed nothing. A read that timed
     * out was answered {@code ERR timeout: ... (a write may still be applied)}, as a write is, because only a 503 made
     * a read's refusal TRYAGAIN and a timeout is a 504.
     */
    @Test
    void aReadThatTimesOutIsTryagainAndItsAnswerSpeaksOfARead() throws Exception {
        readFailure = new NodeRequestException(Reason.TIMEOUT, LEADER, "the leader (node " + LEADER
                + ") did not answer within 5000 ms (a write may still be applied)");
        writeFailure = readFailure;
        Socket s = connect(0);
        s.getOutputStream().write((array("EXISTS", "k") + array("GET", "k") + array("MGET", "a", "b")
                + array("STRLEN", "k") + array("SET", "k", "v") + array("PING")).getBytes(StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add(RawResp.line(s.getInputStream()));
        }
        assertThat(lines.get(5)).isEqualTo("+PONG");
        for (String read : lines.subList(0, 4)) {
            assertThat(read).startsWith("-TRYAGAIN timeout: ").contains("retry")
                    .doesNotContainIgnoringCase("write").doesNotContainIgnoringCase("applied");
        }
        assertThat(lines.get(4)).as("a write that timed out may still be applied")
                .isEqualTo("-ERR timeout: the leader (node 2) did not answer within 5000 ms (a write may still be"
                        + " applied)");
        // A read's own message is kept when it says nothing of writes.
        readFailure = new NodeRequestException(Reason.TIMEOUT, LEADER, "read not confirmed within 5000 ms");
        String kept = "-TRYAGAIN timeout: read not confirmed within 5000 ms\r\n";
        assertThat(exchange(array("EXISTS", "k"), kept)).isEqualTo(kept);
    }

    /** Every reason a node refuses for, as a read's and as a write's error code. */
    @Test
    void everyRefusalOfAReadThatIsNotItsOwnFaultIsTryagain() {
        for (Reason reason : Reason.values()) {
            NodeRequestException e = new NodeRequestException(reason, 0, "the leader did not answer (a write may"
                    + " still be applied)");
            String read = ((RespReply.Error) RespCommands.error(e, true)).text();
            String write = ((RespReply.Error) RespCommands.error(e, false)).text();
            String code = read.substring(0, read.indexOf(' '));
            switch (reason) {
                case QUOTA_EXCEEDED -> assertThat(code).isEqualTo("OOM");
                case CROSS_GROUP -> assertThat(code).isEqualTo("CROSSSLOT");
                case NOT_LEADER, NO_LEADER, NODE_DOWN, NODE_PAUSED, OVERLOADED, LEADERSHIP_LOST, PROPOSAL_DROPPED,
                        OUTCOME_UNKNOWN, STATE_LOST, NOT_MEMBER, LEADER_UNREACHABLE, TIMEOUT ->
                        assertThat(code).as(reason.code()).isEqualTo("TRYAGAIN");
                default -> assertThat(code).as(reason.code() + ": a client error or a refusal that stays")
                        .isEqualTo("ERR");
            }
            if ("TRYAGAIN".equals(code)) {
                assertThat(read).as(reason.code()).doesNotContainIgnoringCase("write");
            }
            boolean notApplied = List.of(Reason.NOT_LEADER, Reason.NO_LEADER, Reason.OVERLOADED, Reason.NODE_PAUSED,
                    Reason.NODE_DOWN, Reason.PROPOSAL_DROPPED, Reason.STATE_LOST, Reason.NOT_MEMBER).contains(reason);
            if (reason != Reason.QUOTA_EXCEEDED && reason != Reason.CROSS_GROUP) {
                assertThat(write).as("a write's %s", reason.code()).startsWith(notApplied ? "TRYAGAIN " : "ERR ");
            }
        }
    }

    // ---------------------------------------------------------------- more arguments than a request holds

    private static String many(String command, int arguments) {
        StringBuilder b = new StringBuilder("*").append(arguments + 1).append("\r\n").append(RawResp.bulk(command));
        for (int i = 0; i < arguments; i++) {
            b.append(RawResp.bulk("k" + (i % 1000)));
        }
        return b.toString();
    }

    /**
     * A request of more words than {@link RespServer#MAX_ARGUMENTS} was a protocol error that closed the connection
     * ({@code invalid multibulk length}), a DEL of that many keys too, where the 128-key refusal is documented. It is
     * now read to its end and refused, and the connection goes on.
     */
    @Test
    void aRequestOfMoreArgumentsThanTheLimitIsRefusedAndTheConnectionGoesOn() throws Exception {
        int keys = RespServer.MAX_ARGUMENTS - 1;
        String within = "*" + keys + "\r\n" + "$-1\r\n".repeat(keys);
        assertThat(exchange(many("MGET", keys), within)).as("MGET of %d keys", keys).isEqualTo(within);

        String mget = "-ERR MGET of " + (RespServer.MAX_ARGUMENTS + 1) + " words: a request holds at most "
                + RespServer.MAX_ARGUMENTS + " (the command and " + keys + " keys or arguments); nothing of it ran\r\n";
        String del = "-ERR DEL of " + (keys + 1) + " keys: Raftline writes at most " + KvCommand.MAX_TXN_ITEMS
                + " keys in one atomic command (one log entry)\r\n";
        String unknown = "-ERR unknown command 'NOPE', with args beginning with: 'k0' 'k1' 'k2' \r\n";
        String arity = "-ERR wrong number of arguments for 'get' command\r\n";
        String expected = mget + del + unknown + arity + "+PONG\r\n";
        assertThat(exchange(many("MGET", keys + 1) + many("DEL", keys + 1) + many("NOPE", keys + 1)
                + many("GET", keys + 1) + array("PING"), expected)).isEqualTo(expected);
        // Inside MULTI it is refused as any command refused there: the next EXEC discards the transaction.
        String multi = "+OK\r\n+QUEUED\r\n" + mget + "-EXECABORT Transaction discarded because of previous errors.\r\n";
        assertThat(exchange(array("MULTI") + array("SET", "x", "1") + many("MGET", keys + 1) + array("EXEC"), multi))
                .isEqualTo(multi);
        assertThat(forwarded).isEmpty();
        // Beyond a million arguments the connection closes, as Redis 6's did.
        String beyond = "-ERR Protocol error: invalid multibulk length\r\n";
        assertThat(exchange(array("PING") + "*" + (RespParser.MAX_SKIPPED_ARGUMENTS + 1) + "\r\n" + array("PING"),
                "+PONG\r\n" + beyond + "+PONG\r\n")).isEqualTo("+PONG\r\n" + beyond);
    }

    // ---------------------------------------------------------------- queued requests across the port

    /**
     * Connections that pipeline and never read their replies fill their queue of parsed requests (8 MiB each) and
     * keep it: nothing bounded the port's total, and a review's 60 such connections held 240 MB of heap. Now, at the
     * port's budget, each connection reads one read at a time, so the total stays within the budget and one read per
     * connection; a client that reads is still answered, and the bytes come back when the connections close.
     */
    @Test
    void queuedRequestsOfConnectionsThatDoNotReadStayWithinThePortsBudget() throws Exception {
        byte[] value = new byte[1 << 20];
        stored.put("big", new KvEntry("big", value, 1, 1, 1));
        int unread = 5;
        Socket control = connect(0);
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < unread; i++) {
            Socket s = connect(4096);
            // 16 GETs of 1 MiB (replies the client never reads: the batch stays under way), then 40 SETs of 256 KiB
            // that wait behind it: 10 MiB, more than a connection's queue holds.
            Thread t = new Thread(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    out.write("*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(16).getBytes(StandardCharsets.US_ASCII));
                    byte[] set = ("*3\r\n$3\r\nSET\r\n$1\r\nv\r\n$" + (256 * 1024) + "\r\n")
                            .getBytes(StandardCharsets.US_ASCII);
                    for (int j = 0; j < 40; j++) {
                        out.write(set);
                        out.write(new byte[256 * 1024]);
                        out.write(new byte[] {'\r', '\n'});
                    }
                    out.flush();
                } catch (IOException closed) {
                    // the test closed the socket
                }
            }, "unread-writer-" + i);
            t.setDaemon(true);
            t.start();
            writers.add(t);
        }
        eventually("every connection that does not read stopped being read", Duration.ofSeconds(30),
                () -> info(control, "raftline_clients_not_reading") >= unread);
        long queued = info(control, "raftline_queued_request_bytes");
        assertThat(info(control, "raftline_request_budget_bytes")).isEqualTo(REQUEST_BUDGET);
        assertThat(queued).as("queued request bytes of the port").isGreaterThanOrEqualTo(REQUEST_BUDGET)
                .isLessThan(REQUEST_BUDGET + unread * (1L << 20));
        // The control connection is still answered (the port reads it a read at a time).
        send(control, "PING");
        assertThat(RawResp.line(control.getInputStream())).isEqualTo("+PONG");
        for (Socket s : sockets.subList(1, sockets.size())) {
            s.close();
        }
        for (Thread t : writers) {
            t.join(10_000);
        }
        eventually("the closed connections' queued requests given back", Duration.ofSeconds(30),
                () -> info(control, "raftline_queued_request_bytes") == 0
                        && info(control, "raftline_clients_not_reading") == 0);
    }

    // ---------------------------------------------------------------- INFO for redis-cli --stat, MEMORY USAGE

    /** The INFO fields redis-cli --stat reads, with this port's counts and the JVM's heap in use. */
    @Test
    void infoHasTheFieldsRedisCliStatReads() throws Exception {
        Socket control = connect(0);
        long connections = info(control, "total_connections_received");
        long commands = info(control, "total_commands_processed");
        assertThat(connections).isEqualTo(1);
        assertThat(commands).as("the INFO before this one (each is counted once answered)").isEqualTo(1);
        assertThat(exchange(array("PING") + array("PING") + array("PING"), "+PONG\r\n".repeat(3)))
                .isEqualTo("+PONG\r\n".repeat(3));
        assertThat(info(control, "total_connections_received")).isEqualTo(2);
        assertThat(info(control, "total_commands_processed")).as("two more INFOs and the PINGs")
                .isEqualTo(commands + 2 + 3);
        assertThat(info(control, "used_memory")).isPositive();
        assertThat(info(control, "blocked_clients")).isZero();
        assertThat(info(control, "loading")).isZero();
        assertThat(info(control, "rejected_connections")).isZero();
    }

    @Test
    void redisCliStatShowsThePortsFiguresAndMemkeysTheKeysSizes() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-cli")), "redis-tools is not installed");
        stored.put("small", new KvEntry("small", new byte[10], 1, 1, 1));
        stored.put("large", new KvEntry("large", new byte[100_000], 1, 1, 1));
        String port = String.valueOf(server.actualPort());
        Process stat = new ProcessBuilder("redis-cli", "-p", port, "--stat", "-i", "0.1").redirectErrorStream(true)
                .start();
        List<String> rows = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(stat.getInputStream(),
                StandardCharsets.UTF_8))) {
            String l;
            while (rows.size() < 3 && (l = out.readLine()) != null) {
                if (!l.startsWith("---") && !l.startsWith("keys")) {
                    rows.add(l);
                }
            }
        } finally {
            stat.destroy();
            stat.waitFor(10, TimeUnit.SECONDS);
        }
        assertThat(rows).hasSize(3);
        for (String row : rows) {
            // keys, memory, clients, blocked, requests (+new), connections
            assertThat(row).doesNotContain("-9223372036854775808").doesNotContain("--")
                    .matches("\\d+ +\\d+(\\.\\d+)?[BKMG] +1 +0 +\\d+ \\(\\+\\d+\\) +1 *");
        }
        assertThat(rows.get(2)).as("INFO requests counted").doesNotContain("(+0)");

        Process memkeys = new ProcessBuilder("redis-cli", "-p", port, "--memkeys").redirectErrorStream(true).start();
        String text = new String(memkeys.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(memkeys.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(text).doesNotContainIgnoringCase("warning").doesNotContainIgnoringCase("error")
                .contains("Biggest string found '\"large\"' has " + (5 + 100_000 + RespCommands.ENTRY_OVERHEAD_BYTES)
                        + " bytes");
    }

    @Test
    void memoryUsageEstimatesAKeysBytes() throws Exception {
        stored.put("k", new KvEntry("k", new byte[1000], 1, 1, 1));
        long usage = 1 + 1000 + RespCommands.ENTRY_OVERHEAD_BYTES;
        String expected = ":" + usage + "\r\n:" + usage + "\r\n$-1\r\n-ERR syntax error\r\n";
        assertThat(exchange(array("MEMORY", "USAGE", "k") + array("MEMORY", "USAGE", "k", "SAMPLES", "5")
                + array("MEMORY", "USAGE", "none") + array("MEMORY", "USAGE", "k", "x"), expected))
                .isEqualTo(expected);
    }

    // ---------------------------------------------------------------- helpers

    private Socket connect(int receiveBuffer) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        if (receiveBuffer > 0) {
            s.setReceiveBufferSize(receiveBuffer);
        }
        s.connect(new java.net.InetSocketAddress("127.0.0.1", server.actualPort()));
        s.setSoTimeout(20_000);
        return s;
    }

    private static void send(Socket s, String... words) throws IOException {
        s.getOutputStream().write(RawResp.array(words).getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    /** A numeric field of INFO (every section); -1 if INFO does not have it. */
    private static long info(Socket control, String field) throws IOException {
        send(control, "INFO");
        String head = RawResp.line(control.getInputStream());
        assertThat(head).startsWith("$");
        byte[] body = control.getInputStream().readNBytes(Integer.parseInt(head.substring(1)) + 2);
        for (String l : new String(body, StandardCharsets.UTF_8).split("\r\n")) {
            if (l.startsWith(field + ":")) {
                return Long.parseLong(l.substring(field.length() + 1));
            }
        }
        return -1;
    }

    /**
     * A follower that knows its leader, as {@link StubFollower}, and answers what INFO asks of it: its status and a
     * read of its own (empty) replica.
     */
    private static RaftNode follower() {
        RaftNode known = StubFollower.of(SELF, LEADER);
        return (RaftNode) Proxy.newProxyInstance(RaftNode.class.getClassLoader(), new Class<?>[] {RaftNode.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "status" -> Future.succeededFuture(new NodeStatus(SELF, true, false, Role.FOLLOWER, 1, LEADER,
                            0, 0, 0, 0, 0, null, false, false, null, 0, Map.of(), 0));
                    case "read" -> Future.succeededFuture(KvViews.of(new KvStateMachine()));
                    default -> method.invoke(known, args);
                });
    }
}
