package io.raftline.server;

import static io.raftline.verify.nemesis.Waits.await;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A gRPC call written by hand over h2c, for the tests that send what no gRPC client sends (bytes that are no message
 * of the method, a compression flag the call did not announce), and the status it is answered with.
 *
 * <p>It exists because the obvious way to read such an answer is racy: the response's future may reach the caller
 * after the response has ended (a trailers-only answer ends with its head), and {@code HttpClientResponse.body()}
 * asked for then never completes: the call timed out in CI, and in 4 of 300 runs on a busy machine. {@code end()}
 * asked for then says so at once ({@link IllegalStateException}), and here that means the answer is whole.
 */
public final class RawGrpcCall {

    /** The gRPC status of an answer (from its head, or its trailers) and its message, percent-decoded. */
    public record Answer(String status, String message) {
    }

    private RawGrpcCall() {
    }

    /**
     * Calls {@code path} (e.g. {@code /raftline.kv.v1.KvService/Get}) on {@code port} of 127.0.0.1 with {@code body}
     * as the request's whole body, with {@code extra} headers (name, value, ...), and waits for the whole answer.
     */
    public static Answer call(HttpClient h2c, int port, String path, Buffer body, Duration wait, String... extra)
            throws InterruptedException {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                .setURI(path).putHeader("content-type", "application/grpc").putHeader("te", "trailers");
        for (int i = 0; i + 1 < extra.length; i += 2) {
            options.putHeader(extra[i], extra[i + 1]);
        }
        HttpClientResponse r = await(h2c.request(options).compose(req -> req.send(body)).compose(RawGrpcCall::whole),
                wait);
        String status = r.getHeader("grpc-status") != null ? r.getHeader("grpc-status") : r.getTrailer("grpc-status");
        String message = r.getHeader("grpc-message") != null ? r.getHeader("grpc-message")
                : r.getTrailer("grpc-message");
        return new Answer(status, message == null ? null : URLDecoder.decode(message, StandardCharsets.UTF_8));
    }

    /** The response once it has ended (its body, if any, is not kept: a gRPC error answer has none). */
    private static Future<HttpClientResponse> whole(HttpClientResponse r) {
        try {
            return r.end().map(v -> r);
        } catch (IllegalStateException ended) {
            return Future.succeededFuture(r);
        }
    }
}
