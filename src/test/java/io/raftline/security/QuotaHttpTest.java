package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.TestHttp;
import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * With {@code limits.quota_bytes}, writes that would grow the key space beyond it are refused with 507
 * {@code quota_exceeded} (like etcd's NOSPACE), from any node; reads, deletes and writes that do not grow it go on, and
 * so do retries of writes that were applied (they write nothing). Each test starts from an empty key space.
 */
class QuotaHttpTest {

    private static final long QUOTA = 4096;
    private static InJvmCluster cluster;
    private static final HttpClient HTTP = TestHttp.builder().build();

    @BeforeAll
    static void start() throws Exception {
        cluster = InJvmCluster.builder(ClusterConfigs.cluster(3, 23)
                .put("storage", new JsonObject().put("engine", "memory"))
                .put("limits", new JsonObject().put("quota_bytes", QUOTA))).start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Deletes every key (the tests share the cluster, and each fills the key space up to its quota). */
    @BeforeEach
    void emptyKeySpace() throws Exception {
        int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
        JsonObject page = new JsonObject(call(leader, "GET", "/v1/kv?prefix=&limit=1000", null).body());
        assertThat(page.getBoolean("more")).isFalse();
        for (Object item : page.getJsonArray("items", new JsonArray())) {
            String key = ((JsonObject) item).getString("key");
            assertThat(call(leader, "DELETE", "/v1/kv/" + key, null).statusCode()).isEqualTo(200);
        }
    }

    private static HttpResponse<String> call(int node, String method, String path, String body) throws Exception {
        return call(node, method, path, body, null);
    }

    private static HttpResponse<String> call(int node, String method, String path, String body, String idempotencyKey)
            throws Exception {
        URI uri = cluster.nodeUrls().get(node).resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (path.startsWith("/v1/txn")) {
            b.header("Content-Type", "application/json");
        }
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void writesBeyondTheQuotaAre507WhileReadsAndDeletesWork() throws Exception {
        int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
        int follower = leader % 3 + 1;
        String value = "v".repeat(1000);
        int written = 0;
        HttpResponse<String> last;
        // Keys of 2 bytes + 1000-byte values: four fit in 4096 bytes, the fifth does not.
        while (true) {
            last = call(follower, "PUT", "/v1/kv/k" + written, value);
            if (last.statusCode() != 200) {
                break;
            }
            written++;
            assertThat(written).isLessThanOrEqualTo(5);
        }
        assertThat(written).isEqualTo(4);
        assertThat(last.statusCode()).isEqualTo(507);
        JsonObject error = new JsonObject(last.body());
        assertThat(error.getString("error")).isEqualTo("quota_exceeded");
        assertThat(error.getString("message")).contains("limits.quota_bytes");
        // A transaction that would grow it too.
        HttpResponse<String> txn = call(follower, "POST", "/v1/txn",
                "{\"success\":[{\"put\":{\"key\":\"t\",\"value\":\"" + value + "\"}}]}");
        assertThat(txn.statusCode()).isEqualTo(507);
        // Reads, shrinking writes and deletes go on; after a delete there is room again.
        assertThat(call(follower, "GET", "/v1/kv/k0", null).body()).isEqualTo(value);
        assertThat(call(leader, "PUT", "/v1/kv/k1", "small").statusCode()).isEqualTo(200);
        assertThat(call(follower, "DELETE", "/v1/kv/k2", null).statusCode()).isEqualTo(200);
        assertThat(call(follower, "PUT", "/v1/kv/k4", value).statusCode()).isEqualTo(200);
    }

    @Test
    void theRetryOfAnAppliedWriteAnswersItsFirstResultWithTheKeySpaceFull() throws Exception {
        int leader = cluster.leader().toCompletionStage().toCompletableFuture().get();
        int follower = leader % 3 + 1;
        String value = "v".repeat(1000);
        // A client's write is applied, but the client does not hear the answer (a timeout, say)...
        HttpResponse<String> first = call(follower, "PUT", "/v1/kv/a", value, "req-1");
        assertThat(first.statusCode()).isEqualTo(200);
        long revision = new JsonObject(first.body()).getLong("revision");
        // ...meanwhile others delete its key and fill the key space up to the quota...
        assertThat(call(leader, "DELETE", "/v1/kv/a", null).statusCode()).isEqualTo(200);
        for (int i = 0; i < 4; i++) {
            assertThat(call(leader, "PUT", "/v1/kv/b" + i, value).statusCode()).isEqualTo(200);
        }
        assertThat(call(leader, "PUT", "/v1/kv/c", value).statusCode()).isEqualTo(507);
        // ...and its retry is answered with the first result: it writes nothing, so the quota has no say. Counted as a
        // new put it was refused with 507, telling the client that a write applied at that revision was not.
        HttpResponse<String> retry = call(follower, "PUT", "/v1/kv/a", value, "req-1");
        assertThat(retry.statusCode()).as("%s", retry.body()).isEqualTo(200);
        assertThat(new JsonObject(retry.body()).getLong("revision")).isEqualTo(revision);
        assertThat(call(leader, "GET", "/v1/kv/a", null).statusCode()).isEqualTo(404);
        // The same key for another request is refused as a reuse, not as a write beyond the quota.
        assertThat(call(follower, "PUT", "/v1/kv/other", value, "req-1").statusCode()).isEqualTo(409);
    }
}
