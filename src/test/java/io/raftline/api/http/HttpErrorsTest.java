package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.StorageException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a failure that is no node refusal is answered: a storage refusal (a restart in a process whose write-ahead log
 * failed, asked of the admin API) is 409 {@code storage_failed} with its reason, not 500 {@code internal}.
 */
class HttpErrorsTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() throws Exception {
        await(vertx.close());
    }

    @Test
    void aStorageRefusalIsAConflictNamingWhatFailed() throws Exception {
        Router router = Router.router(vertx);
        router.get("/storage").handler(ctx -> HttpErrors.failure(ctx, new StorageException("node 2 cannot restart in"
                + " this process: the write-ahead log the node's groups share failed")));
        router.get("/other").handler(ctx -> HttpErrors.failure(ctx, new IllegalStateException("boom")));
        HttpServer server = await(vertx.createHttpServer().requestHandler(router).listen(0, "127.0.0.1"));
        WebClient web = WebClient.create(vertx);
        HttpResponse<Buffer> storage = await(web.get(server.actualPort(), "127.0.0.1", "/storage").send());
        assertThat(storage.statusCode()).isEqualTo(409);
        assertThat(storage.bodyAsJsonObject().getString("error")).isEqualTo("storage_failed");
        assertThat(storage.bodyAsJsonObject().getString("message")).startsWith("node 2 cannot restart in this process");
        assertThat(await(web.get(server.actualPort(), "127.0.0.1", "/other").send()).statusCode()).isEqualTo(500);
    }
}
