package io.raftline.api.http;

import static io.raftline.verify.nemesis.Waits.await;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One open {@code GET /v1/watch} stream as the watch tests read it: each event's {@code id}, {@code event} and
 * {@code data}, the last id the stream sent (with an event or without one, as an {@code EventSource} keeps it), and
 * whether it ended.
 */
final class WatchStream {
    final List<String> ids = new CopyOnWriteArrayList<>();
    final List<JsonObject> data = new CopyOnWriteArrayList<>();
    final List<String> kinds = new CopyOnWriteArrayList<>();
    volatile String lastId;
    volatile boolean ended;
    private final StringBuilder pending = new StringBuilder();

    synchronized void feed(Buffer b) {
        pending.append(b.toString());
        int end;
        while ((end = pending.indexOf("\n\n")) >= 0) {
            String block = pending.substring(0, end);
            pending.delete(0, end + 2);
            String id = null;
            String kind = null;
            String json = null;
            for (String line : block.split("\n")) {
                if (line.startsWith("id: ")) {
                    id = line.substring(4);
                } else if (line.startsWith("event: ")) {
                    kind = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    json = line.substring(6);
                }
            }
            if (id != null) {
                lastId = id;
            }
            if (kind != null) {
                ids.add(id);
                kinds.add(kind);
                data.add(new JsonObject(json));
            }
        }
    }

    /** The last event's data. */
    JsonObject last() {
        return data.get(data.size() - 1);
    }

    /**
     * Opens a watch and requires it to be served (200, an event stream).
     *
     * @param http        the client
     * @param asking      the context the request is made from (see the callers: asked from a test's thread, the
     *                    callback that attaches the response's handler could run after the first events came)
     * @param url         the watch's absolute URL, query included
     * @param lastEventId the {@code Last-Event-ID} to send, or null
     * @return the stream, filling as events come
     * @throws InterruptedException if interrupted while waiting for the head
     */
    static WatchStream open(HttpClient http, Context asking, String url, String lastEventId)
            throws InterruptedException {
        WatchStream stream = new WatchStream();
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url);
        if (lastEventId != null) {
            o.putHeader("Last-Event-ID", lastEventId);
        }
        // The handlers are attached to the response as its head arrives, on the context it arrives on: the first
        // events may come in the same packet as the head, and a response without a handler by then would drop them.
        HttpClientResponse resp = await(io.raftline.transport.OnContext.call(asking, () -> http.request(o)
                .compose(req -> {
                    Future<HttpClientResponse> ready = req.response().map(r -> r.handler(stream::feed)
                            .endHandler(v -> stream.ended = true).exceptionHandler(e -> stream.ended = true));
                    req.end();
                    return ready;
                })));
        assertThat(resp.statusCode()).isEqualTo(200);
        assertThat(resp.getHeader("Content-Type")).startsWith("text/event-stream");
        return stream;
    }
}
