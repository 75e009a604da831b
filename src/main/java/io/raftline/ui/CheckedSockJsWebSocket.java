package io.raftline.ui;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.WebSocketFrame;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.security.cert.Certificate;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WebSocket of SockJS's framed transport ({@code /eventbus/<server>/<session>/websocket}), with every text message
 * checked before SockJS reads it: it must be a JSON array of strings (the frames), or one string, as the HTTP
 * fallback's sends must ({@link UiRouter#sentFramesProblem}). SockJS takes each element's text, and an element that has
 * none (null, an object, an array) became a null frame that SockJS failed on ({@code Buffer.buffer(null)}): the session
 * ended as if normally (close status 1000), the bridge logged an error, once per message of any client that reaches
 * the admin port (a session needs no token), and the frames after it in the message were lost. SockJS offers no hook
 * before it parses a
 * message (the bridge's events and the socket handler see frames only after), so the request SockJS upgrades is handed
 * to it wrapped ({@link #wrap}), and the WebSocket it gets back checks what it passes on. A message that fails the check
 * closes the connection with status 1007 (invalid payload data) and one log line, without a stack trace.
 *
 * <p>Everything else is passed to the WebSocket underneath.
 */
final class CheckedSockJsWebSocket implements ServerWebSocket {

    private static final Logger LOG = LoggerFactory.getLogger(CheckedSockJsWebSocket.class);

    /** The close status of a connection that sent a message SockJS cannot take (RFC 6455: invalid payload data). */
    static final short BAD_MESSAGE_STATUS = 1007;

    private final ServerWebSocket ws;

    private CheckedSockJsWebSocket(ServerWebSocket ws) {
        this.ws = ws;
    }

    /**
     * The request SockJS is given for its WebSocket transport: the same request, whose WebSocket checks each message.
     *
     * @param request the upgrade request as the router has it
     * @return it, wrapped
     */
    static HttpServerRequestInternal wrap(HttpServerRequestInternal request) {
        return new HttpServerRequestWrapper(request) {
            @Override
            public Future<ServerWebSocket> toWebSocket() {
                return super.toWebSocket().map(CheckedSockJsWebSocket::new);
            }
        };
    }

    @Override
    public ServerWebSocket textMessageHandler(Handler<String> handler) {
        ws.textMessageHandler(handler == null ? null : message -> {
            String problem = message.isEmpty() ? null : UiRouter.sentFramesProblem(Buffer.buffer(message));
            if (problem == null) {
                handler.handle(message);
                return;
            }
            LOG.warn("closed a live-view WebSocket from {}: {}", ws.remoteAddress(),
                    problem.replace("the body of a SockJS send", "a SockJS message"));
            ws.close(BAD_MESSAGE_STATUS, "a SockJS message must be a JSON array of strings");
        });
        return this;
    }

    @Override
    public ServerWebSocket exceptionHandler(Handler<Throwable> handler) {
        ws.exceptionHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket handler(Handler<Buffer> handler) {
        ws.handler(handler);
        return this;
    }

    @Override
    public ServerWebSocket pause() {
        ws.pause();
        return this;
    }

    @Override
    public ServerWebSocket resume() {
        ws.resume();
        return this;
    }

    @Override
    public ServerWebSocket fetch(long amount) {
        ws.fetch(amount);
        return this;
    }

    @Override
    public ServerWebSocket endHandler(Handler<Void> handler) {
        ws.endHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket setWriteQueueMaxSize(int size) {
        ws.setWriteQueueMaxSize(size);
        return this;
    }

    @Override
    public ServerWebSocket drainHandler(Handler<Void> handler) {
        ws.drainHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket closeHandler(Handler<Void> handler) {
        ws.closeHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket shutdownHandler(Handler<Void> handler) {
        ws.shutdownHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket frameHandler(Handler<WebSocketFrame> handler) {
        ws.frameHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket binaryMessageHandler(Handler<Buffer> handler) {
        ws.binaryMessageHandler(handler);
        return this;
    }

    @Override
    public ServerWebSocket pongHandler(Handler<Buffer> handler) {
        ws.pongHandler(handler);
        return this;
    }

    @Override
    public String scheme() {
        return ws.scheme();
    }

    @Override
    public HostAndPort authority() {
        return ws.authority();
    }

    @Override
    public String uri() {
        return ws.uri();
    }

    @Override
    public String path() {
        return ws.path();
    }

    @Override
    public String query() {
        return ws.query();
    }

    @Override
    public Future<Void> close() {
        return ws.close();
    }

    @Override
    public SSLSession sslSession() {
        return ws.sslSession();
    }

    @Override
    public String binaryHandlerID() {
        return ws.binaryHandlerID();
    }

    @Override
    public String textHandlerID() {
        return ws.textHandlerID();
    }

    @Override
    public String subProtocol() {
        return ws.subProtocol();
    }

    @Override
    public Short closeStatusCode() {
        return ws.closeStatusCode();
    }

    @Override
    public String closeReason() {
        return ws.closeReason();
    }

    @Override
    public MultiMap headers() {
        return ws.headers();
    }

    @Override
    public Future<Void> writeFrame(WebSocketFrame frame) {
        return ws.writeFrame(frame);
    }

    @Override
    public Future<Void> writeFinalTextFrame(String text) {
        return ws.writeFinalTextFrame(text);
    }

    @Override
    public Future<Void> writeFinalBinaryFrame(Buffer data) {
        return ws.writeFinalBinaryFrame(data);
    }

    @Override
    public Future<Void> writeBinaryMessage(Buffer data) {
        return ws.writeBinaryMessage(data);
    }

    @Override
    public Future<Void> writeTextMessage(String text) {
        return ws.writeTextMessage(text);
    }

    @Override
    public Future<Void> writePing(Buffer data) {
        return ws.writePing(data);
    }

    @Override
    public Future<Void> writePong(Buffer data) {
        return ws.writePong(data);
    }

    @Override
    public Future<Void> end() {
        return ws.end();
    }

    @Override
    public Future<Void> shutdown(long timeout, TimeUnit unit, short status, String reason) {
        return ws.shutdown(timeout, unit, status, reason);
    }

    @Override
    public SocketAddress remoteAddress() {
        return ws.remoteAddress();
    }

    @Override
    public SocketAddress localAddress() {
        return ws.localAddress();
    }

    @Override
    public boolean isSsl() {
        return ws.isSsl();
    }

    @Override
    public boolean isClosed() {
        return ws.isClosed();
    }

    @Override
    public List<Certificate> peerCertificates() throws SSLPeerUnverifiedException {
        return ws.peerCertificates();
    }

    @Override
    public Future<Void> write(Buffer data) {
        return ws.write(data);
    }

    @Override
    public boolean writeQueueFull() {
        return ws.writeQueueFull();
    }
}
