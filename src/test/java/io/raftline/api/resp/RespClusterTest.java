package io.raftline.api.resp;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.server.ClusterVerticle;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.ProtocolVersion;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.RedisOptions;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import io.vertx.redis.client.ResponseType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Redis protocol against a real 3-node cluster, through the Vert.x Redis client (RESP3 after its HELLO 3) on a
 * follower, which forwards to the leader, and through raw sockets (RESP2, pipelines, protocol errors). Each test uses
 * keys of its own, so they share one cluster.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RespClusterTest {

    private InJvmCluster harness;
    private ClusterVerticle cluster;
    private Vertx vertx;
    private int leader;
    private int follower;
    private RedisConnection redis;

    @BeforeAll
    void start() throws Exception {
        // Long election timeouts: these tests are about the protocol, and a starved CI machine should not move the
        // leader under them (redis-benchmark alone takes a core).
        JsonObject config = ClusterConfigs.cluster(3, 17, 3000);
        config.getJsonObject("raft").put("heartbeat_ms", 100).put("election_timeout_min_ms", 1500)
                .put("election_timeout_max_ms", 3000);
        harness = InJvmCluster.builder(config).start();
        cluster = harness.verticle();
        vertx = harness.vertx();
        leader = await(harness.leader());
        follower = leader % 3 + 1;
        redis = await(Redis.createClient(vertx, new RedisOptions()
                .setConnectionString("redis://" + cluster.respAddress(follower))).connect());
    }

    @AfterAll
    void stop() {
        if (harness != null) {
            harness.close();
        }
    }

    /** Each test talks to a follower of the current leader (should an election have moved it). */
    @BeforeEach
    void findTheLeader() throws Exception {
        int now = await(harness.leader());
        if (now != leader) {
            redis.close();
            leader = now;
            follower = leader % 3 + 1;
            redis = await(Redis.createClient(vertx, new RedisOptions()
                    .setConnectionString("redis://" + cluster.respAddress(follower))).connect());
        }
    }

    private Response send(Object... words) throws InterruptedException {
        Request r = Request.cmd(Command.create(String.valueOf(words[0])));
        for (int i = 1; i < words.length; i++) {
            if (words[i] instanceof byte[] b) {
                r.arg(b);
            } else {
                r.arg(String.valueOf(words[i]));
            }
        }
        return await(redis.send(r));
    }

    private String error(Object... words) {
        return assertThatThrownBy(() -> send(words)).actual().getMessage();
    }

    @Test
    void helloSwitchesToResp3AndDescribesTheNode() throws Exception {
        Response hello = send("HELLO", 3);
        assertThat(hello.type()).isEqualTo(ResponseType.MULTI);
        assertThat(hello.get("server").toString()).isEqualTo("raftline");
        assertThat(hello.get("proto").toInteger()).isEqualTo(3);
        assertThat(hello.get("role").toString()).isEqualTo("replica");
        assertThat(error("HELLO", 4)).isEqualTo("NOPROTO unsupported protocol version");
        assertThat(send("PING").toString()).isEqualTo("PONG");
        assertThat(send("ECHO", "héllo").toString()).isEqualTo("héllo");
        assertThat(send("SELECT", 0).toString()).isEqualTo("OK");
        assertThat(error("SELECT", 1)).isEqualTo("ERR DB index is out of range");
        assertThat(send("CLIENT", "SETNAME", "tester").toString()).isEqualTo("OK");
        assertThat(send("CLIENT", "GETNAME").toString()).isEqualTo("tester");
        assertThat(error("CLIENT", "SETNAME", "two words")).startsWith("ERR Client names cannot contain spaces");
        assertThat(send("COMMAND", "COUNT").toInteger()).isEqualTo(52);
        assertThat(error("AUTH", "x")).startsWith("ERR AUTH <password> called without any password configured");
        assertThat(send("COMMAND", "INFO", "get").get(0).get(1).toInteger()).isEqualTo(2);
        assertThat(send("CONFIG", "GET", "save").get("save").toString()).isEmpty();
    }

    /**
     * A client that sends its requests and then shuts its side of the connection (what {@code nc -N} and a script's
     * {@code shutdown(SHUT_WR)} do) gets every reply before the close, as from Redis. The node closed the connection
     * at the end of the input: the write already started was applied and its reply lost, the rest dropped unanswered.
     */
    @Test
    void aClientThatShutsItsSideAfterItsRequestsGetsEveryReply() throws Exception {
        String[] hostPort = cluster.respAddress(follower).split(":");
        try (java.net.Socket s = new java.net.Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
            s.setSoTimeout(20_000);
            String requests = RawResp.array("SET", "hc:a", "1") + RawResp.array("GET", "hc:a").repeat(50)
                    + RawResp.array("INCR", "hc:n") + "PING\r\n";
            s.getOutputStream().write(requests.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            s.shutdownOutput();
            String replies = new String(s.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(replies).isEqualTo("+OK\r\n" + "$1\r\n1\r\n".repeat(50) + ":1\r\n+PONG\r\n");
        }
    }

    @Test
    void writesThroughAFollowerAreReadEverywhere() throws Exception {
        assertThat(send("SET", "w:a", "1").toString()).isEqualTo("OK");
        assertThat(send("GET", "w:a").toString()).isEqualTo("1");
        assertThat(send("GET", "w:missing")).isNull();
        byte[] binary = {0, (byte) 0xff, '\r', '\n'};
        send("SET", "w:bin", binary);
        assertThat(send("GET", "w:bin").toBytes()).isEqualTo(binary);
        assertThat(send("MSET", "w:b", "2", "w:c", "3", "w:b", "4").toString()).isEqualTo("OK");
        Response values = send("MGET", "w:a", "w:b", "w:c", "w:none");
        assertThat(values.size()).isEqualTo(4);
        assertThat(values.get(1).toString()).isEqualTo("4");
        assertThat(values.get(3)).isNull();
        assertThat(send("EXISTS", "w:a", "w:b", "w:none", "w:a").toInteger()).isEqualTo(3);
        assertThat(send("DEL", "w:a", "w:b", "w:none", "w:a").toInteger()).isEqualTo(2);
        assertThat(send("DEL", "w:c").toInteger()).isEqualTo(1);
        assertThat(send("EXISTS", "w:a", "w:b", "w:c").toInteger()).isZero();
        // The other nodes hold the same values: read through the leader's own listener too.
        RedisConnection onLeader = await(Redis.createClient(vertx, new RedisOptions()
                .setPreferredProtocolVersion(ProtocolVersion.RESP2)
                .setConnectionString("redis://" + cluster.respAddress(leader))).connect());
        assertThat(await(onLeader.send(Request.cmd(Command.GET).arg("w:bin"))).toBytes()).isEqualTo(binary);
        onLeader.close();
    }

    @Test
    void setOptionsFollowRedisAndExpiryIsRefused() throws Exception {
        assertThat(send("SET", "s:k", "v1", "NX").toString()).isEqualTo("OK");
        assertThat(send("SET", "s:k", "v2", "NX")).isNull();
        assertThat(send("SET", "s:none", "v", "XX")).isNull();
        assertThat(send("SET", "s:k", "v3", "XX").toString()).isEqualTo("OK");
        assertThat(send("SET", "s:k", "v4", "GET").toString()).isEqualTo("v3");
        assertThat(send("SET", "s:k", "v5", "NX", "GET").toString()).isEqualTo("v4");
        assertThat(send("GET", "s:k").toString()).isEqualTo("v4");
        assertThat(send("SET", "s:new", "v", "XX", "GET")).isNull();
        assertThat(send("GET", "s:new")).isNull();
        assertThat(error("SET", "s:k", "v", "EX", 10)).startsWith("ERR expiry is not supported");
        // KEEPTTL keeps the time to live a key has: none, here.
        assertThat(send("SET", "s:k", "v4", "XX", "KEEPTTL").toString()).isEqualTo("OK");
        assertThat(error("SET", "s:k", "v", "NX", "XX")).isEqualTo("ERR syntax error");
        assertThat(error("SET", "s:k", "v", "BOGUS")).isEqualTo("ERR syntax error");
    }

    /**
     * The string commands client libraries and tools send besides SET and GET: SETNX, GETSET and GETDEL (the old value
     * read in the write's own log entry), STRLEN, and TTL, PTTL and PERSIST answering as Redis does for keys without
     * an expiry (every key here), while EXPIRE and its kind are refused with the reason. Alone and inside MULTI,
     * through a follower. Before 2026-12-06 each was an unknown command.
     */
    @Test
    void theStringCommandsOfClientLibrariesAnswerAsRedis() throws Exception {
        assertThat(send("SETNX", "sc:k", "v1").toLong()).isEqualTo(1);
        assertThat(send("SETNX", "sc:k", "v2").toLong()).isZero();
        assertThat(send("STRLEN", "sc:k").toLong()).isEqualTo(2);
        assertThat(send("STRLEN", "sc:none").toLong()).isZero();
        assertThat(send("GETSET", "sc:k", "longer").toString()).isEqualTo("v1");
        assertThat(send("GETSET", "sc:new", "x")).isNull();
        assertThat(send("MGET", "sc:k", "sc:new").toString()).isEqualTo("[longer, x]");
        assertThat(send("GETDEL", "sc:new").toString()).isEqualTo("x");
        assertThat(send("GETDEL", "sc:new")).isNull();
        assertThat(send("EXISTS", "sc:new").toLong()).isZero();
        assertThat(send("TTL", "sc:k").toLong()).isEqualTo(-1);
        assertThat(send("PTTL", "sc:none").toLong()).isEqualTo(-2);
        assertThat(send("PERSIST", "sc:k").toLong()).isZero();
        assertThat(error("EXPIRE", "sc:k", 10)).startsWith("ERR expiry is not supported").contains("EXPIRE");
        assertThat(error("SETEX", "sc:k", 10, "v")).startsWith("ERR expiry is not supported").contains("SETEX");
        assertThat(error("PSETEX", "sc:k", 10, "v")).startsWith("ERR expiry is not supported").contains("PSETEX");
        assertThat(error("PEXPIREAT", "sc:k", 10, "NX")).contains("PEXPIREAT");
        assertThat(send("GET", "sc:k").toString()).isEqualTo("longer");
        // GETRANGE as Redis's documentation shows it; GETEX as GET, PERSIST taken, an expiry refused.
        send("SET", "sc:s", "This is a string");
        assertThat(send("GETRANGE", "sc:s", 0, 3).toString()).isEqualTo("This");
        assertThat(send("GETRANGE", "sc:s", -3, -1).toString()).isEqualTo("ing");
        assertThat(send("GETRANGE", "sc:s", 0, -1).toString()).isEqualTo("This is a string");
        assertThat(send("GETRANGE", "sc:s", 10, 100).toString()).isEqualTo("string");
        assertThat(send("GETRANGE", "sc:s", 5, 2).toString()).isEmpty();
        assertThat(send("GETRANGE", "sc:none", 0, -1).toString()).isEmpty();
        assertThat(error("GETRANGE", "sc:s", "a", 1)).isEqualTo("ERR value is not an integer or out of range");
        assertThat(send("GETEX", "sc:s", "PERSIST").toString()).isEqualTo("This is a string");
        assertThat(send("GETEX", "sc:none")).isNull();
        assertThat(error("GETEX", "sc:s", "EX", 10)).startsWith("ERR expiry is not supported");
        // MSETNX: all or none.
        assertThat(send("MSETNX", "sc:m1", "1", "sc:m2", "2").toLong()).isEqualTo(1);
        assertThat(send("MSETNX", "sc:m2", "x", "sc:m3", "3").toLong()).isZero();
        assertThat(send("MGET", "sc:m1", "sc:m2", "sc:m3").toString()).isEqualTo("[1, 2, null]");
        assertThat(exchange(follower, array("GETSET", "sc:k") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("-ERR wrong number of arguments for 'getset' command\r\n+OK\r\n");
        // A key without its value: the error names the command sent, as Redis's does (it named MSET).
        assertThat(exchange(follower, array("MSETNX", "sc:m4", "4", "sc:m5") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("-ERR wrong number of arguments for 'msetnx' command\r\n+OK\r\n");

        assertThat(exchange(follower, array("MULTI") + array("SETNX", "sc:t", "a") + array("GETSET", "sc:t", "bb")
                + array("STRLEN", "sc:t") + array("TTL", "sc:t") + array("GETDEL", "sc:t") + array("PTTL", "sc:t")
                + array("SETNX", "sc:t", "c") + array("SETNX", "sc:t", "d") + array("GETRANGE", "sc:t", "-1", "5")
                + array("GETEX", "sc:t") + array("EXEC") + array("GET", "sc:t")
                + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n" + "+QUEUED\r\n".repeat(10) + "*10\r\n:1\r\n$1\r\na\r\n:2\r\n:-1\r\n"
                        + "$2\r\nbb\r\n:-2\r\n:1\r\n:0\r\n$1\r\nc\r\n$1\r\nc\r\n$1\r\nc\r\n+OK\r\n");
    }

    /**
     * APPEND is applied in the state machine: appends from four connections at once, through every node, lose none of
     * each other's bytes (a read and a write of the client's would), and a value that would grow past 1 MiB is
     * refused with Redis's words and left as it was.
     */
    @Test
    void appendsFromManyClientsAtOnceLoseNothing() throws Exception {
        assertThat(send("APPEND", "ap:k", "ab").toLong()).isEqualTo(2);
        assertThat(send("APPEND", "ap:k", "cd").toLong()).isEqualTo(4);
        assertThat(send("GET", "ap:k").toString()).isEqualTo("abcd");
        List<RedisConnection> clients = new ArrayList<>();
        List<io.vertx.core.Future<?>> done = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            RedisConnection client = await(Redis.createClient(vertx, new RedisOptions()
                    .setConnectionString("redis://" + cluster.respAddress(c % 3 + 1))).connect());
            clients.add(client);
            io.vertx.core.Future<?> chain = io.vertx.core.Future.succeededFuture();
            for (int i = 0; i < 25; i++) {
                chain = chain.compose(v -> client.send(Request.cmd(Command.APPEND).arg("ap:many").arg("x")));
            }
            done.add(chain);
        }
        await(io.vertx.core.Future.all(done), java.time.Duration.ofSeconds(60));
        clients.forEach(RedisConnection::close);
        assertThat(send("STRLEN", "ap:many").toLong()).isEqualTo(100);
        send("SET", "ap:big", new byte[(1 << 20) - 1]);
        assertThat(send("APPEND", "ap:big", "y").toLong()).isEqualTo(1 << 20);
        assertThat(error("APPEND", "ap:big", "z")).startsWith("ERR string exceeds maximum allowed size");
        assertThat(send("STRLEN", "ap:big").toLong()).isEqualTo(1 << 20);
    }

    /**
     * SETRANGE, through a follower, as Redis answers it: zero bytes pad up to the offset, the bytes past the range
     * stay; an empty value writes nothing (an absent key stays absent); a negative offset, or a range ending past
     * 1 MiB, is refused with nothing written.
     */
    @Test
    void setRangeWritesIntoTheValueAsRedisDoes() throws Exception {
        assertThat(send("SETRANGE", "sr:k", 3, "ab").toLong()).isEqualTo(5);
        assertThat(send("GET", "sr:k").toBytes()).isEqualTo(new byte[] {0, 0, 0, 'a', 'b'});
        assertThat(send("SETRANGE", "sr:k", 1, "xyz").toLong()).isEqualTo(5);
        assertThat(send("GET", "sr:k").toBytes()).isEqualTo(new byte[] {0, 'x', 'y', 'z', 'b'});
        assertThat(send("SETRANGE", "sr:k", 0, "").toLong()).as("nothing to write: the length").isEqualTo(5);
        assertThat(send("SETRANGE", "sr:absent", 7, "").toLong()).isZero();
        assertThat(send("EXISTS", "sr:absent").toLong()).as("not created").isZero();
        assertThat(error("SETRANGE", "sr:k", -1, "a")).isEqualTo("ERR offset is out of range");
        assertThat(error("SETRANGE", "sr:k", "one", "a")).isEqualTo("ERR value is not an integer or out of range");
        assertThat(error("SETRANGE", "sr:k", 1 << 20, "a")).isEqualTo("ERR string exceeds maximum allowed size"
                + " (1048577 bytes; a value holds at most 1048576)");
        // An end past 2^63 - 1 is refused for its size too, not taken for a negative offset.
        assertThat(error("SETRANGE", "sr:k", Long.MAX_VALUE, "ab")).isEqualTo("ERR string exceeds maximum allowed"
                + " size (9223372036854775809 bytes; a value holds at most 1048576)");
        assertThat(send("SETRANGE", "sr:k", (1 << 20) - 1, "a").toLong()).isEqualTo(1 << 20);
        assertThat(send("GETRANGE", "sr:k", 0, 5).toBytes()).isEqualTo(new byte[] {0, 'x', 'y', 'z', 'b', 0});
    }

    /** INCRBYFLOAT, through a follower, with Redis's documented examples and errors. */
    @Test
    void floatIncrementsAnswerAsRedisDoes() throws Exception {
        send("SET", "f:k", "10.50");
        assertThat(send("INCRBYFLOAT", "f:k", "0.1").toString()).isEqualTo("10.6");
        assertThat(send("INCRBYFLOAT", "f:k", "-5").toString()).isEqualTo("5.6");
        send("SET", "f:k", "5.0e3");
        assertThat(send("INCRBYFLOAT", "f:k", "2.0e2").toString()).isEqualTo("5200");
        assertThat(send("INCRBYFLOAT", "f:new", "3").toString()).isEqualTo("3");
        assertThat(send("INCR", "f:new").toLong()).isEqualTo(4);
        send("SET", "f:text", "abc");
        assertThat(error("INCRBYFLOAT", "f:text", "1")).isEqualTo("ERR value is not a valid float");
        assertThat(error("INCRBYFLOAT", "f:k", "one")).isEqualTo("ERR value is not a valid float");
        send("SET", "f:huge", "9e4931");
        assertThat(error("INCRBYFLOAT", "f:huge", "1e4931")).isEqualTo("ERR increment would produce NaN or Infinity");
        assertThat(send("GET", "f:huge").toString()).isEqualTo("9e4931");
    }

    @Test
    void countersAreAppliedInTheStateMachine() throws Exception {
        assertThat(send("INCR", "c:n").toLong()).isEqualTo(1);
        assertThat(send("INCRBY", "c:n", 41).toLong()).isEqualTo(42);
        assertThat(send("DECR", "c:n").toLong()).isEqualTo(41);
        assertThat(send("DECRBY", "c:n", -9).toLong()).isEqualTo(50);
        send("SET", "c:text", "abc");
        assertThat(error("INCR", "c:text")).isEqualTo("ERR value is not an integer or out of range");
        send("SET", "c:max", String.valueOf(Long.MAX_VALUE));
        assertThat(error("INCR", "c:max")).isEqualTo("ERR increment or decrement would overflow");
        assertThat(error("INCRBY", "c:n", "1.5")).isEqualTo("ERR value is not an integer or out of range");
        assertThat(send("GET", "c:n").toString()).isEqualTo("50");
    }

    @Test
    void keysScanAndDbsizeSeeTheWholeStore() throws Exception {
        List<Object> mset = new ArrayList<>(List.of("MSET"));
        for (int i = 0; i < 25; i++) {
            mset.add("scan:" + i);
            mset.add("v" + i);
        }
        send(mset.toArray());
        send("SET", "scanx", "other");
        assertThat(send("DBSIZE").toLong()).isGreaterThanOrEqualTo(26);
        TreeSet<String> keys = new TreeSet<>();
        send("KEYS", "scan:*").forEach(r -> keys.add(r.toString()));
        assertThat(keys).hasSize(25).contains("scan:0", "scan:24");
        assertThat(send("KEYS", "scan:2?").size()).isEqualTo(5);
        TreeSet<String> scanned = new TreeSet<>();
        String cursor = "0";
        int pages = 0;
        do {
            Response page = send("SCAN", cursor, "MATCH", "scan:*", "COUNT", 7);
            cursor = page.get(0).toString();
            page.get(1).forEach(r -> assertThat(scanned.add(r.toString())).as("no key twice").isTrue());
            pages++;
        } while (!"0".equals(cursor));
        assertThat(scanned).isEqualTo(keys);
        assertThat(pages).isEqualTo(4);
        assertThat(error("SCAN", "987654321")).startsWith("ERR invalid cursor");
        assertThat(send("SCAN", "0", "TYPE", "hash").get(1).size()).isZero();
    }

    @Test
    void unknownCommandsAndWrongAritiesGetRedisErrors() throws Exception {
        assertThat(error("FLY", "a", "b")).isEqualTo("ERR unknown command 'FLY', with args beginning with: 'a' 'b' ");
        // The client library checks arities of commands it knows, so these go over a raw socket.
        assertThat(exchange(follower, array("GET") + array("MSET", "a", "1", "b") + array("PING", "a", "b")
                + array("QUIT"), Integer.MAX_VALUE)).isEqualTo("-ERR wrong number of arguments for 'get' command\r\n"
                        + "-ERR wrong number of arguments for 'mset' command\r\n"
                        + "-ERR wrong number of arguments for 'ping' command\r\n+OK\r\n");
        assertThat(error("GET", "")).isEqualTo("ERR invalid key: key must not be empty");
        assertThat(error("GET", new byte[] {(byte) 0xc3, 0x28})).startsWith("ERR invalid key: Raftline keys are UTF-8");
    }

    /**
     * A transaction pipelined as clients send it (redis-py's default pipeline: MULTI, the commands, EXEC, without
     * waiting) runs as one transaction, through a follower: each command is queued, and EXEC answers their replies
     * in order, each seeing the writes before it. Before, MULTI was an unknown command and the commands after it ran
     * one by one, so the writes of a transaction the client saw fail were applied.
     */
    @Test
    void aPipelinedTransactionRunsAsOneAndEachCommandSeesTheOnesBeforeIt() throws Exception {
        assertThat(exchange(follower, array("SET", "tx:old", "0") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("SET", "tx:a", "1")
                + array("MSET", "tx:b", "2", "tx:c", "3") + array("GET", "tx:a") + array("MGET", "tx:b", "tx:none")
                + array("EXISTS", "tx:a", "tx:c", "tx:none") + array("DEL", "tx:old", "tx:old", "tx:none")
                + array("PING") + array("EXEC") + array("MGET", "tx:a", "tx:c", "tx:old") + array("QUIT"),
                Integer.MAX_VALUE)).isEqualTo("+OK\r\n" + "+QUEUED\r\n".repeat(7)
                        + "*7\r\n+OK\r\n+OK\r\n$1\r\n1\r\n*2\r\n$1\r\n2\r\n$-1\r\n:2\r\n:1\r\n+PONG\r\n"
                        + "*3\r\n$1\r\n1\r\n$1\r\n3\r\n$-1\r\n+OK\r\n");
        // Nothing queued: nothing written, an empty reply.
        assertThat(exchange(leader, array("MULTI") + array("EXEC") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n*0\r\n+OK\r\n");
    }

    /**
     * INCR, DECR, INCRBY and DECRBY inside MULTI, through a follower: applied in the transaction's log entry, each
     * answering the key's new value in EXEC's array; one whose key holds no integer answers Redis's error there and
     * leaves that key alone while the others apply (Redis does not roll back). Before, they were refused as queued.
     */
    @Test
    void incrementsRunInsideATransactionAndAFailedOneLeavesTheOthersApplied() throws Exception {
        assertThat(exchange(follower, array("MSET", "ti:a", "5", "ti:s", "abc", "ti:max", "9223372036854775807")
                + array("QUIT"), Integer.MAX_VALUE)).isEqualTo("+OK\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("INCR", "ti:a") + array("GET", "ti:a")
                + array("INCRBY", "ti:new", "10") + array("DECR", "ti:s") + array("DECRBY", "ti:b", "3")
                + array("INCR", "ti:max") + array("SET", "ti:c", "x") + array("EXEC")
                + array("MGET", "ti:a", "ti:new", "ti:s", "ti:b", "ti:max", "ti:c") + array("QUIT"),
                Integer.MAX_VALUE)).isEqualTo("+OK\r\n" + "+QUEUED\r\n".repeat(7)
                        + "*7\r\n:6\r\n$1\r\n6\r\n:10\r\n-ERR value is not an integer or out of range\r\n:-3\r\n"
                        + "-ERR increment or decrement would overflow\r\n+OK\r\n"
                        + "*6\r\n$1\r\n6\r\n$2\r\n10\r\n$3\r\nabc\r\n$2\r\n-3\r\n$19\r\n9223372036854775807\r\n"
                        + "$1\r\nx\r\n+OK\r\n");
        // A key incremented twice: each increment sees the one before it, as in Redis (until 2026-12-06 the second
        // was refused as it was queued, and EXEC answered EXECABORT).
        assertThat(exchange(follower, array("MULTI") + array("INCR", "ti:a") + array("INCR", "ti:a")
                + array("EXEC") + array("GET", "ti:a") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:7\r\n:8\r\n$1\r\n8\r\n+OK\r\n");
    }

    /**
     * RENAME moves a key's value in one log entry, over an existing target; RENAMENX only onto an absent one (0
     * otherwise, nothing moved); a missing source gets Redis's error. Through a follower. Not inside MULTI.
     */
    @Test
    void renameMovesAValueAsRedisDoes() throws Exception {
        assertThat(exchange(follower, array("MSET", "rn:draft", "v2", "rn:live", "v1", "rn:other", "o")
                + array("RENAME", "rn:draft", "rn:live") + array("MGET", "rn:draft", "rn:live")
                + array("RENAMENX", "rn:live", "rn:other") + array("RENAMENX", "rn:live", "rn:new")
                + array("MGET", "rn:live", "rn:new", "rn:other") + array("RENAME", "rn:gone", "rn:x")
                + array("RENAME", "rn:new", "rn:new") + array("GET", "rn:new") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n*2\r\n$-1\r\n$2\r\nv2\r\n:0\r\n:1\r\n"
                        + "*3\r\n$-1\r\n$2\r\nv2\r\n$1\r\no\r\n-ERR no such key\r\n+OK\r\n$2\r\nv2\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("RENAME", "rn:new", "rn:x") + array("EXEC")
                + array("QUIT"), Integer.MAX_VALUE)).startsWith("+OK\r\n-ERR RENAME cannot run inside MULTI");
    }

    /**
     * TYPE answers {@code string} for a key that exists and {@code none} for a missing one, as Redis does (browsers of a
     * key space ask it of every key); UNLINK deletes as DEL does. Through a follower, alone and inside MULTI.
     */
    @Test
    void typeAndUnlinkAnswerAsRedisDoes() throws Exception {
        assertThat(exchange(follower, array("MSET", "ty:a", "1", "ty:b", "2", "ty:c", "3") + array("TYPE", "ty:a")
                + array("TYPE", "ty:none") + array("UNLINK", "ty:a", "ty:none") + array("TYPE", "ty:a")
                + array("MULTI") + array("TYPE", "ty:b") + array("UNLINK", "ty:b", "ty:c") + array("TYPE", "ty:b")
                + array("EXEC") + array("EXISTS", "ty:a", "ty:b", "ty:c") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+string\r\n+none\r\n:1\r\n+none\r\n+OK\r\n+QUEUED\r\n+QUEUED\r\n+QUEUED\r\n"
                        + "*3\r\n+string\r\n:2\r\n+none\r\n:0\r\n+OK\r\n");
    }

    /**
     * APPEND, SETRANGE and INCRBYFLOAT inside MULTI, through a follower: each applied in the transaction's log entry as
     * it is alone, seeing the commands before it, and answering in EXEC's array; one the state machine refuses (a value
     * that is not a number) answers Redis's error there while the others apply. An argument refused alone (a negative
     * offset, an increment that is not a number) is refused as it is queued, and EXEC discards the transaction. Until
     * 2026-12-07 the three were refused as queued.
     */
    @Test
    void editsRunInsideATransaction() throws Exception {
        assertThat(exchange(follower, array("MSET", "te:s", "Hello", "te:f", "10.5", "te:t", "abc")
                + array("QUIT"), Integer.MAX_VALUE)).isEqualTo("+OK\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("APPEND", "te:s", " World")
                + array("SETRANGE", "te:s", "6", "Redis") + array("GET", "te:s") + array("INCRBYFLOAT", "te:f", "0.1")
                + array("INCRBYFLOAT", "te:f", "-5") + array("INCRBYFLOAT", "te:t", "1")
                + array("SETRANGE", "te:new", "2", "x") + array("SETRANGE", "te:s", "0", "")
                + array("APPEND", "te:f", "0") + array("EXEC")
                + array("MGET", "te:s", "te:f", "te:t", "te:new") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n" + "+QUEUED\r\n".repeat(9) + "*9\r\n:11\r\n:11\r\n$11\r\nHello Redis\r\n"
                        + "$4\r\n10.6\r\n$3\r\n5.6\r\n-ERR value is not a valid float\r\n:3\r\n:11\r\n:4\r\n"
                        + "*4\r\n$11\r\nHello Redis\r\n$4\r\n5.60\r\n$3\r\nabc\r\n$3\r\n\0\0x\r\n+OK\r\n");
        String execAbort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
        assertThat(exchange(follower, array("MULTI") + array("APPEND", "te:s", "!")
                + array("SETRANGE", "te:s", "-1", "x") + array("INCRBYFLOAT", "te:f", "one") + array("EXEC")
                + array("GET", "te:s") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+QUEUED\r\n-ERR offset is out of range\r\n-ERR value is not a valid float\r\n"
                        + execAbort + "$11\r\nHello Redis\r\n+OK\r\n");
    }

    /**
     * Inside MULTI, as in Redis: a key may be written by several commands, each seeing the ones before it, and SET
     * takes NX, XX and GET, each decided where it falls in the transaction; a SET NX or XX that does not apply answers
     * nil and the rest of the transaction still runs. Through a follower (the transaction goes to the leader as one
     * entry). Until 2026-12-06 a second write of a key and SET with any option were refused as queued (EXECABORT).
     */
    @Test
    void aTransactionWritesAKeySeveralTimesAndTakesSetsOptions() throws Exception {
        assertThat(exchange(follower, array("SET", "tm:k", "old") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("SET", "tm:k", "1") + array("INCR", "tm:k")
                + array("INCRBY", "tm:k", "10") + array("SET", "tm:k", "a", "NX") + array("SET", "tm:k", "b", "XX")
                + array("SET", "tm:k", "c", "GET") + array("SET", "tm:n", "1", "NX")
                + array("SET", "tm:n", "2", "NX", "GET") + array("DEL", "tm:k") + array("SET", "tm:k", "z", "XX")
                + array("SET", "tm:k", "y", "GET", "NX") + array("SET", "tm:none", "v", "XX", "GET")
                + array("GET", "tm:k") + array("EXEC")
                + array("MGET", "tm:k", "tm:n", "tm:none") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n" + "+QUEUED\r\n".repeat(13) + "*13\r\n+OK\r\n:2\r\n:12\r\n$-1\r\n+OK\r\n"
                        + "$1\r\nb\r\n+OK\r\n$1\r\n1\r\n:1\r\n$-1\r\n$-1\r\n$-1\r\n$1\r\ny\r\n"
                        + "*3\r\n$1\r\ny\r\n$1\r\n1\r\n$-1\r\n+OK\r\n");

        // A watched key written by another client still aborts the whole transaction: nothing of it applies.
        assertThat(send("WATCH", "tm:n").toString()).isEqualTo("OK");
        assertThat(exchange(leader, array("SET", "tm:n", "5") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n");
        assertThat(send("MULTI").toString()).isEqualTo("OK");
        assertThat(send("INCR", "tm:n").toString()).isEqualTo("QUEUED");
        assertThat(send("INCR", "tm:n").toString()).isEqualTo("QUEUED");
        assertThat(send("SET", "tm:k", "w", "XX").toString()).isEqualTo("QUEUED");
        assertThat(send("EXEC")).as("aborted: the null array").isNull();
        assertThat(exchange(follower, array("MGET", "tm:n", "tm:k") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("*2\r\n$1\r\n5\r\n$1\r\ny\r\n+OK\r\n");
    }

    /**
     * A command a transaction cannot hold is refused as it is queued, and EXEC then discards the whole transaction,
     * as Redis does: none of it is written. DISCARD drops a transaction; EXEC and DISCARD without MULTI, and a MULTI
     * inside one, get Redis's errors.
     */
    @Test
    void aTransactionWithARefusedCommandWritesNothing() throws Exception {
        String execAbort = "-EXECABORT Transaction discarded because of previous errors.\r\n";
        assertThat(exchange(follower, array("MULTI") + array("SET", "tx:d", "1") + array("KEYS", "tx:*")
                + array("EXEC") + array("GET", "tx:d") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+QUEUED\r\n-ERR KEYS cannot run inside MULTI on Raftline: a transaction is one"
                        + " log entry of reads, writes, increments, edits and deletes of named keys, and holds "
                        + RespCommands.IN_TRANSACTION + "\r\n" + execAbort + "$-1\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("SET", "tx:e", "1") + array("DEL", "tx:f", "tx:e")
                + array("NOSUCH", "x") + array("SET", "tx:e") + array("SET", "tx:f", "1", "NX", "EX", "10")
                + array("SET", "tx:f", "1", "NX", "XX") + array("EXEC")
                + array("EXISTS", "tx:e", "tx:f") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+QUEUED\r\n+QUEUED\r\n-ERR unknown command 'NOSUCH', with"
                        + " args beginning with: 'x' \r\n-ERR wrong number of arguments for 'set' command\r\n-ERR"
                        + " expiry is not supported: Raftline keys do not expire (SET without EX/PX/EXAT/PXAT)"
                        + "\r\n-ERR syntax error\r\n" + execAbort + ":0\r\n+OK\r\n");
        assertThat(exchange(follower, array("MULTI") + array("SET", "tx:g", "1") + array("MULTI")
                + array("DISCARD") + array("DISCARD") + array("EXEC") + array("SET", "tx:g", "2")
                + array("GET", "tx:g") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+QUEUED\r\n-ERR MULTI calls can not be nested\r\n+OK\r\n"
                        + "-ERR DISCARD without MULTI\r\n-ERR EXEC without MULTI\r\n+OK\r\n$1\r\n2\r\n+OK\r\n");
    }

    /**
     * WATCH: EXEC runs the transaction only if no watched key was written since WATCH read it, and answers the null
     * array otherwise, with nothing applied (the optimistic locking clients build on WATCH, checked in the same log
     * entry as the commands).
     */
    @Test
    void aWatchedKeyWrittenBeforeExecAbortsTheTransaction() throws Exception {
        assertThat(send("SET", "w:a", "0").toString()).isEqualTo("OK");
        assertThat(send("WATCH", "w:a", "w:none").toString()).isEqualTo("OK");
        // Another client writes the watched key.
        assertThat(exchange(leader, array("SET", "w:a", "1") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n");
        assertThat(send("MULTI").toString()).isEqualTo("OK");
        assertThat(send("SET", "w:b", "1").toString()).isEqualTo("QUEUED");
        assertThat(send("EXEC")).as("aborted: the null array").isNull();
        assertThat(send("GET", "w:b")).as("nothing applied").isNull();

        // Unchanged since WATCH (EXEC ended the last watch): the transaction runs.
        assertThat(send("WATCH", "w:a", "w:none").toString()).isEqualTo("OK");
        assertThat(send("MULTI").toString()).isEqualTo("OK");
        assertThat(send("SET", "w:a", "2").toString()).isEqualTo("QUEUED");
        assertThat(error("WATCH", "w:c")).isEqualTo("ERR WATCH inside MULTI is not allowed");
        Response done = send("EXEC");
        assertThat(done.size()).isEqualTo(1);
        assertThat(done.get(0).toString()).isEqualTo("OK");
        assertThat(send("GET", "w:a").toString()).isEqualTo("2");

        // UNWATCH forgets: a write after it does not abort.
        assertThat(send("WATCH", "w:a").toString()).isEqualTo("OK");
        assertThat(send("UNWATCH").toString()).isEqualTo("OK");
        assertThat(exchange(leader, array("SET", "w:a", "3") + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n");
        assertThat(send("MULTI").toString()).isEqualTo("OK");
        assertThat(send("GET", "w:a").toString()).isEqualTo("QUEUED");
        assertThat(send("EXEC").get(0).toString()).isEqualTo("3");
    }

    /**
     * Regression: WATCH and an UNWATCH right after it in one pipeline. The UNWATCH ran in the WATCH's batch, at once,
     * while the WATCH's read of its keys' revisions was still on its way: the watch was recorded after the UNWATCH had
     * cleared it, and the next EXEC compared a key the client no longer watched (here written by the client itself
     * after the UNWATCH), answering the null array with nothing applied where Redis runs the transaction.
     */
    @Test
    void anUnwatchPipelinedAfterAWatchEndsIt() throws Exception {
        String request = array("WATCH", "uw:a") + array("UNWATCH") + array("SET", "uw:a", "1") + array("MULTI")
                + array("SET", "uw:b", "1") + array("EXEC") + array("GET", "uw:b") + array("QUIT");
        assertThat(exchange(follower, request, Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n+OK\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\n1\r\n+OK\r\n");
    }

    @Test
    void infoReportsTheRaftRoles() throws Exception {
        String info = send("INFO", "replication").toString();
        assertThat(info).contains("role:slave").contains("raft_leader_id:" + leader).contains("raft_role:Follower");
        RedisConnection onLeader = await(Redis.createClient(vertx, new RedisOptions()
                .setConnectionString("redis://" + cluster.respAddress(leader))).connect());
        String leaderInfo = await(onLeader.send(Request.cmd(Command.INFO))).toString();
        onLeader.close();
        assertThat(leaderInfo).contains("# Server", "# Clients", "role:master", "raft_role:Leader", "# Keyspace");
        assertThat(leaderInfo).as("the leader's replicas: the two other nodes, not the leader itself")
                .contains("connected_slaves:2\r\n");
    }

    private String exchange(int node, String request, int expectedBytes) throws Exception {
        return RawResp.exchange(vertx, cluster.respAddress(node), request, expectedBytes);
    }

    @Test
    void aPipelineIsAnsweredInOrderAndEachCommandSeesTheOnesBeforeIt() throws Exception {
        StringBuilder request = new StringBuilder();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 150; i++) {
            String key = "p:" + (i % 7);
            request.append(array("SET", key, "v" + i)).append(array("GET", key)).append(array("INCR", "p:count"));
            expected.append("+OK\r\n").append(bulk("v" + i)).append(':').append(i + 1).append("\r\n");
        }
        request.append("PING\r\n").append(array("QUIT"));
        expected.append("+PONG\r\n+OK\r\n");
        assertThat(exchange(follower, request.toString(), Integer.MAX_VALUE)).isEqualTo(expected.toString());
    }

    @Test
    void largeMultiKeyWritesWorkThroughAFollowerAsOnTheLeader() throws Exception {
        // 1.2 MB of values: more than an HTTP body may carry (1 MiB), less than a Redis request may (1 MiB + 256
        // KiB). The follower forwards it to the leader, whose forwarding endpoint takes what any front end accepts.
        String v = "x".repeat(600_000);
        for (int node : new int[] {leader, follower}) {
            assertThat(exchange(node, array("MSET", "big:" + node + "a", v, "big:" + node + "b", v) + array("QUIT"),
                    Integer.MAX_VALUE)).as("MSET on node %d", node).isEqualTo("+OK\r\n+OK\r\n");
        }
        // A pipeline of large SETs: the SETs that have arrived when the listener starts a write are folded, into
        // writes no larger than one request may be (RespCommandsTest pins the split), never one of 1.8 MB.
        String sets = array("SET", "big:s1", v + "1") + array("SET", "big:s2", v + "2") + array("SET", "big:s3", v + "3");
        assertThat(exchange(follower, sets + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("+OK\r\n+OK\r\n+OK\r\n+OK\r\n");
        String gets = array("GET", "big:s1") + array("GET", "big:s2") + array("GET", "big:s3")
                + array("GET", "big:" + follower + "b");
        assertThat(exchange(follower, gets + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo(bulk(v + "1") + bulk(v + "2") + bulk(v + "3") + bulk(v) + "+OK\r\n");
    }

    @Test
    void aRunOfGetsIsOneReadAndABadKeyAmongThemGetsItsOwnError() throws Exception {
        send("MSET", "g:1", "one", "g:2", "two");
        String gets = array("GET", "g:1") + array("GET", "g:none") + array("GET", "g:2") + array("PING");
        assertThat(exchange(follower, gets + array("QUIT"), Integer.MAX_VALUE))
                .isEqualTo("$3\r\none\r\n$-1\r\n$3\r\ntwo\r\n+PONG\r\n+OK\r\n");
        String withBadKey = array("GET", "g:1") + array("GET", "") + array("GET", "g:2") + array("QUIT");
        assertThat(exchange(follower, withBadKey, Integer.MAX_VALUE))
                .isEqualTo("$3\r\none\r\n-ERR invalid key: key must not be empty\r\n$3\r\ntwo\r\n+OK\r\n");
    }

    @Test
    void repliesBeforeAHelloInAPipelineKeepTheProtocolTheyWereAskedIn() throws Exception {
        // RESP2 until the HELLO 3, RESP3 after it (its own reply included), and back: the null of a missing key is
        // $-1 in RESP2 and _ in RESP3, whatever else the pipeline holds.
        String request = array("GET", "hp:none") + array("PING") + array("HELLO", "3") + array("GET", "hp:none")
                + array("HELLO", "2") + array("GET", "hp:none") + array("QUIT");
        String answer = exchange(follower, request, Integer.MAX_VALUE);
        assertThat(answer).startsWith("$-1\r\n+PONG\r\n%7\r\n");
        assertThat(answer).contains("*0\r\n_\r\n*14\r\n").endsWith("*0\r\n$-1\r\n+OK\r\n");
    }

    @Test
    void anHttpRequestFromAWebPageIsClosedBeforeItsCommandsRun() throws Exception {
        String attack = "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n\r\n"
                + array("SET", "http:k", "from a web page");
        assertThat(exchange(follower, attack, Integer.MAX_VALUE)).isEmpty();
        String browserGet = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n" + array("SET", "http:k", "x");
        assertThat(exchange(follower, browserGet, Integer.MAX_VALUE)).as("closed at its Host: line").isEmpty();
        assertThat(send("EXISTS", "http:k").toInteger()).isZero();
    }

    @Test
    void aProtocolErrorIsAnsweredAfterTheRequestsBeforeItAndClosesTheConnection() throws Exception {
        String answer = exchange(follower, array("SET", "pe:k", "v") + array("GET", "pe:k") + "*1\r\n:1\r\n"
                + array("GET", "pe:k"), Integer.MAX_VALUE);
        assertThat(answer).isEqualTo("+OK\r\n$1\r\nv\r\n-ERR Protocol error: expected '$', got ':'\r\n");
    }

    private static String array(String... words) {
        return RawResp.array(words);
    }

    private static String bulk(String s) {
        return RawResp.bulk(s);
    }

    @Test
    void redisCliAndRedisBenchmarkRunWithoutErrors() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/redis-cli")), "redis-tools is not installed");
        String port = cluster.respAddress(follower).split(":")[1];
        assertThat(run("redis-cli", "-p", port, "SET", "cli:k", "from redis-cli")).isEqualTo("OK\n");
        assertThat(run("redis-cli", "-p", port, "GET", "cli:k")).isEqualTo("from redis-cli\n");
        assertThat(run("redis-cli", "-3", "-p", port, "HELLO", "3")).contains("raftline");
        String bench = run("redis-benchmark", "-p", port, "-t", "ping,set,get,incr,mset", "-n", "2000", "-P", "16",
                "-c", "8", "-q");
        assertThat(bench).contains("PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET").doesNotContain("ERR",
                "rror");
        assertThat(send("GET", "counter:__rand_int__").toLong()).isGreaterThanOrEqualTo(2000);
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as(text).isZero();
        // redis-benchmark redraws its progress line with carriage returns: keep what remains on screen.
        return text.replaceAll("[^\n]*\r", "");
    }

    @Test
    void aCrashedNodeSaysSoAndTheOthersCarryOn() throws Exception {
        int other = 6 - leader - follower;
        await(harness.crash(other));
        try {
            String answer = exchange(other, array("GET", "x"), 1);
            assertThat(answer).startsWith("-TRYAGAIN node_down");
            // A write it refuses did nothing either: safe to retry, like every node_down (not -ERR, "may be applied").
            assertThat(exchange(other, array("SET", "crash:w", "v"), 1)).startsWith("-TRYAGAIN node_down");
            assertThat(send("SET", "crash:k", "v").toString()).isEqualTo("OK");
        } finally {
            await(harness.restart(other));
        }
    }
}
