package io.raftline.api.http;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;

/**
 * Reads a request's body as bytes, whatever its {@code Content-Type}, up to a limit (413 beyond, decided from
 * {@code Content-Length} before a byte is read when the client announces it). It exists because a value is bytes:
 * Vert.x Web's {@code BodyHandler} decodes {@code application/x-www-form-urlencoded} bodies (what {@code curl
 * --data-binary} sends by default) as forms, and failed on a value with a {@code %} or over its form attribute size.
 * No body is ever parsed as a form here.
 */
final class RawBody implements Handler<RoutingContext> {

    /**
     * The most room taken for a body before its bytes arrive: a request that announces more grows its buffer as they
     * do. Reserving the announced size let heads alone, a few dozen bytes each, make a node hold 1 MiB per request
     * (measured: 405 MiB for 400 heads on one HTTP/2 connection).
     */
    static final int INITIAL_BYTES = 64 * 1024;

    /** Where the body is left in the routing context, as a {@link Buffer}. */
    static final String KEY = "raftline.rawBody";

    private final long limit;

    /**
     * Creates the handler.
     *
     * @param limit largest body accepted, in bytes
     */
    RawBody(long limit) {
        this.limit = limit;
    }

    /**
     * The body a {@link RawBody} handler read.
     *
     * @param ctx the request
     * @return the bytes (empty if there were none)
     */
    static Buffer of(RoutingContext ctx) {
        Buffer b = ctx.get(KEY);
        return b == null ? Buffer.buffer() : b;
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (ctx.get(KEY) != null) {
            ctx.next();
            return;
        }
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        long announced = -1;
        if (length != null) {
            try {
                announced = Long.parseLong(length.trim());
            } catch (NumberFormatException e) {
                HttpErrors.badRequest(ctx, "Content-Length is not a number: " + length);
                return;
            }
        }
        if (announced > limit) {
            if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2 && Expectations.continueExpected(request)) {
                // Refused before the client sent its body: it waits for "100 Continue" and sends nothing (or, as curl,
                // the whole body a second later). The connection is closed once the answer is written, instead of
                // being held for a body that does not come until the listener's timeouts end it (11 s here); but not
                // if some of the body came meanwhile (a client that did not wait): closed with unread bytes, the
                // connection would be reset, and the client might lose the answer. That body is read and dropped.
                boolean[] sending = {false};
                ctx.addBodyEndHandler(v -> {
                    if (!sending[0]) {
                        request.connection().close();
                    }
                });
                tooLarge(ctx, chunk -> sending[0] = true);
                return;
            }
            tooLarge(ctx);
            return;
        }
        // Room for what the client announces, up to INITIAL_BYTES: the rest as it comes. A head costs what it carries,
        // not what it announces (one HTTP/2 connection has up to 1,024 requests open at once).
        Buffer body = Buffer.buffer((int) Math.max(64, Math.min(announced, INITIAL_BYTES)));
        if (request.isEnded()) {
            ctx.put(KEY, body);
            ctx.next();
            return;
        }
        if (request.version() != io.vertx.core.http.HttpVersion.HTTP_1_0 && Expectations.continueExpected(request)) {
            // The client waits for this before it sends the body (curl for a second, then sends anyway; others for
            // good): only now, once the body's announced size was found acceptable, so a 413 still saves the upload.
            request.response().writeContinue();
        }
        boolean[] failed = {false};
        request.handler(chunk -> {
            if (failed[0]) {
                return;
            }
            if (body.length() + (long) chunk.length() > limit) {
                failed[0] = true;
                tooLarge(ctx);
                return;
            }
            body.appendBuffer(chunk);
        });
        request.endHandler(v -> {
            if (!failed[0]) {
                ctx.put(KEY, body);
                ctx.next();
            }
        });
        request.exceptionHandler(e -> failed[0] = true);
        request.resume();
    }

    private void tooLarge(RoutingContext ctx) {
        tooLarge(ctx, chunk -> { });
    }

    private void tooLarge(RoutingContext ctx, Handler<Buffer> dropped) {
        // The rest of the body is read and dropped, so the client reads the answer instead of a broken pipe and the
        // connection can go on; the listener's request timeout (limits.request_timeout_ms) bounds how long that lasts.
        ctx.request().handler(dropped).resume();
        HttpErrors.send(ctx, 413, "payload_too_large", "request body exceeds the configured limit of " + limit
                + " bytes (service.max_body_bytes)");
    }
}
