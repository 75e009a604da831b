package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * HTTPS calls to nodes that run as processes, for the event-bus peer-authentication process tests: each test starts
 * its own processes (with its own certificates) and asks them the same way.
 */
final class NodeProcessCalls {

    private final Supplier<HttpClient> https;
    private final Map<Integer, Process> processes;
    private final Map<Integer, Integer> httpPorts;
    private final Supplier<Path> dir;

    /**
     * @param https     the client trusting the test's CA (read when a call is made: it is built after the processes)
     * @param processes each node's process, by node id
     * @param httpPorts each node's client port, by node id
     * @param dir       where the processes' logs are, for failure messages
     */
    NodeProcessCalls(Supplier<HttpClient> https, Map<Integer, Process> processes, Map<Integer, Integer> httpPorts,
                     Supplier<Path> dir) {
        this.https = https;
        this.processes = processes;
        this.httpPorts = httpPorts;
        this.dir = dir;
    }

    /** One request to node {@code id}'s client port, which must still run. */
    HttpResponse<String> send(int id, String method, String path, String body) throws Exception {
        assertThat(processes.get(id).isAlive()).as("process of node " + id + " (log in " + dir.get() + ")").isTrue();
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + httpPorts.get(id) + path))
                .timeout(Duration.ofSeconds(10));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return https.get().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The node's own entry in its {@code /v1/cluster?scope=local}. */
    JsonObject local(int id) throws Exception {
        JsonObject c = new JsonObject(send(id, "GET", "/v1/cluster?scope=local", null).body());
        JsonArray nodes = c.getJsonArray("nodes");
        for (int i = 0; i < nodes.size(); i++) {
            JsonObject n = nodes.getJsonObject(i);
            if (n.getInteger("id") == id) {
                return n;
            }
        }
        throw new AssertionError("node " + id + " does not list itself: " + c);
    }

    /** Stops every process (SIGTERM, then SIGKILL after 20 s) and waits for them. */
    void stopAll() throws InterruptedException {
        for (Process p : processes.values()) {
            p.destroy();
        }
        for (Process p : processes.values()) {
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
            }
        }
    }
}
