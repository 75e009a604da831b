package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.verify.nemesis.ClusterConfigs;
import io.raftline.verify.nemesis.InJvmCluster;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * With {@code limits.quota_bytes}, writes that would grow the key space beyond it are refused with 507
 * {@code quota_exceeded} (like etcd's NOSPACE), from any node; reads, deletes and writes that do not grow it go on.
 */
class QuotaHttpTest {

    private static final long QUOTA = 4096;
    private static InJvmCluster cluster;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

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

    private static HttpResponse<String> call(int node, String method, String path, String body) throws Exception {
        URI uri = cluster.nodeUrls().get(node).resolve(path);
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (path.startsWith("/v1/txn")) {
            b.header("Content-Type", "application/json");
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
}
