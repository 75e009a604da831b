package io.raftline.ui;

import io.raftline.events.EventPublisher;
import io.raftline.events.ViewerFeed;
import io.reactivex.rxjava3.disposables.Disposable;
import io.raftline.security.AdminAccess;
import io.raftline.security.RequestGuard;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.bridge.BridgeEventType;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.BridgeEvent;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.SockJSSocket;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live view's HTTP side, mounted on a router the application owns (the admin port in local mode):
 *
 * <ul>
 *   <li>{@code /eventbus/*}: the SockJS event-bus bridge. Outbound only {@value EventPublisher#ADDRESS}: a browser
 *       that registers there gets its own feed of events ({@link SocketFeed}), shaped to what it can take;
 *       inbound only {@value ControlHandler#ADDRESS}; nothing else, so node RPC addresses
 *       ({@code raft.rpc.<id>}) are never reachable from a browser. Connections from a page of another origin
 *       are refused (403) before the SockJS handshake. Every {@code register} and {@code send} is authorized by the
 *       same {@link AdminAccess} as the admin API: a loopback client (if loopback is trusted), or a frame whose
 *       {@code headers} carry {@code "Authorization": "Bearer <token>"} (or a connection opened with that header).
 *       Each connection may send at most {@code framesPerSecond} frames a second, every frame counted (pings and
 *       frames the bridge cannot use too, {@link RateLimitedSocket}): beyond it a frame is refused unread with a
 *       {@code rate_limited} error, and a connection that floods on is closed. A client that leaves more than
 *       {@value #MAX_UNREAD_BYTES} bytes unread (answers and events alike) is closed too, instead of having them
 *       kept for it without bound.
 *       A refused {@code send} is answered on its reply address with {@code {"ok":false,"error":"forbidden",
 *       "message":...}}, which is how the page knows to ask for the token.</li>
 *   <li>{@code /vendor/<library>/*}: d3, uPlot and sockjs-client from their Maven WebJars on the classpath,
 *       without a version in the URL: the pom is the one place the versions are written (see
 *       {@value #WEBJAR_VERSIONS}).</li>
 *   <li>everything else under {@code /}: the static UI from {@code webroot/} on the classpath; unknown paths
 *       fall through to the application's other routes.</li>
 * </ul>
 *
 * <p>{@link #mount} also starts the {@link ControlHandler} consumer; {@link #close} stops it.
 */
public final class UiRouter {

    private static final Logger LOG = LoggerFactory.getLogger(UiRouter.class);

    /** Largest body of a SockJS HTTP-fallback request: control frames are small JSON objects. */
    static final long BRIDGE_BODY_LIMIT = 64 * 1024;

    /**
     * Bytes written to a browser and not yet taken by its connection, at most, before it is closed (see
     * {@link RateLimitedSocket}): far above what the event feed leaves in flight ({@value SocketFeed#IN_FLIGHT} frames,
     * a few KiB each), so only a client that stopped reading reaches it.
     */
    static final long MAX_UNREAD_BYTES = 1L << 20;

    /** How long the bridge waits for a client ping before closing the socket; the UI pings every 5 s. */
    public static final long PING_TIMEOUT_MS = 15_000;

    private final Vertx vertx;
    private final ControlHandler control;
    /** Only its origin check is used here: the server's guard checks the host before routing. */
    private final RequestGuard origins;
    private final AdminAccess access;
    private final int frameLimit;
    private final ViewerFeed.Options feedOptions;
    private final Map<SockJSSocket, Disposable> feeds = new ConcurrentHashMap<>();
    private MessageConsumer<Object> consumer;

    /** Inbound frames (commands, subscriptions) a connection may send per second by default. */
    public static final int DEFAULT_FRAMES_PER_SECOND = 50;

    /**
     * Creates the UI routes.
     *
     * @param vertx        the Vert.x instance
     * @param control      executes the commands browsers send
     * @param extraOrigins origins besides the server's own allowed to open the bridge
     *                     (e.g. {@code http://localhost:5173}); usually empty
     * @param access       who may receive events and send commands (the admin API's policy)
     */
    public UiRouter(Vertx vertx, ControlHandler control, Set<String> extraOrigins, AdminAccess access) {
        this(vertx, control, extraOrigins, access, DEFAULT_FRAMES_PER_SECOND, ViewerFeed.Options.DEFAULTS);
    }

    /**
     * Creates the UI routes with explicit bounds.
     *
     * @param vertx           the Vert.x instance
     * @param control         executes the commands browsers send
     * @param extraOrigins    origins besides the server's own allowed to open the bridge
     * @param access          who may receive events and send commands
     * @param framesPerSecond inbound frames a connection may send per second (every frame, pings included)
     * @param feedOptions     how far a browser may fall behind before it is resynchronised
     */
    public UiRouter(Vertx vertx, ControlHandler control, Set<String> extraOrigins, AdminAccess access,
            int framesPerSecond, ViewerFeed.Options feedOptions) {
        if (framesPerSecond < 1) {
            throw new IllegalArgumentException("framesPerSecond must be >= 1, got " + framesPerSecond);
        }
        this.vertx = vertx;
        this.control = control;
        this.origins = new RequestGuard(Set.of("*"), extraOrigins);
        this.access = access;
        this.frameLimit = framesPerSecond;
        this.feedOptions = feedOptions;
    }

    /**
     * The bridge permissions: exact addresses only (an empty {@link PermittedOptions} would permit everything).
     *
     * @return the options
     */
    public static SockJSBridgeOptions bridgeOptions() {
        return new SockJSBridgeOptions()
                .addOutboundPermitted(new PermittedOptions().setAddress(EventPublisher.ADDRESS))
                .addInboundPermitted(new PermittedOptions().setAddress(ControlHandler.ADDRESS))
                .setPingTimeout(PING_TIMEOUT_MS)
                .setReplyTimeout(30_000)
                .setMaxHandlersPerSocket(4)
                .setMaxAddressLength(64);
    }

    /**
     * Adds the routes to {@code router} and starts the control consumer.
     *
     * @param router the application's router
     * @return completes once the control consumer is registered
     */
    public Future<Void> mount(Router router) {
        // Before every route mounted after it (the page, the bridge, the admin API on the admin port).
        router.route().handler(UiRouter::noFraming);
        router.route("/eventbus/*").handler(this::checkOrigin);
        // SockJS's HTTP fallbacks (xhr-streaming, xhr-polling, used where a proxy blocks WebSockets) read the
        // frames a client sends from the request body: bounded like every other input.
        router.route("/eventbus/*").handler(io.raftline.api.http.HttpErrors.bodyHandler(BRIDGE_BODY_LIMIT));
        router.postWithRegex(XHR_SEND).handler(UiRouter::requireOrigin).handler(UiRouter::checkSentFrames);
        // The bridge gets each connection through RateLimitedSocket, which counts every frame before the bridge reads
        // it: what SockJSHandler.bridge does (it makes this same EventBusBridgeImpl and gives it to socketHandler),
        // with the socket wrapped, since the bridge's hook never hears of frames it cannot parse.
        io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl bridge =
                new io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl(vertx, null, bridgeOptions(),
                        this::onBridgeEvent);
        // SockJS's framed WebSocket reads each message itself, with no hook before: its upgrade goes to SockJS
        // (another handler, the same options and bridge) with the request wrapped, so that the WebSocket it gets
        // checks every message first (CheckedSockJsWebSocket).
        Router checkedWebSockets = Router.router(vertx);
        checkedWebSockets.route("/eventbus/*").subRouter(sockJs(bridge));
        router.getWithRegex(FRAMED_WEBSOCKET).handler(ctx -> checkedWebSockets.handle(CheckedSockJsWebSocket.wrap(
                (io.vertx.core.internal.http.HttpServerRequestInternal) ctx.request())));
        router.route("/eventbus/*").subRouter(sockJs(bridge));
        webjarVersions().forEach((library, version) -> router.route("/vendor/" + library + "/*")
                .handler(StaticHandler.create("META-INF/resources/webjars/" + library + "/" + version)));
        router.route("/*").handler(StaticHandler.create("webroot").setCachingEnabled(false)
                .setDefaultContentEncoding("UTF-8"));
        return control.register().onSuccess(c -> consumer = c).mapEmpty();
    }

    /** The path of SockJS's framed WebSocket transport: {@code /eventbus/<server>/<session>/websocket}. */
    private static final String FRAMED_WEBSOCKET = "/eventbus/[^/.]+/[^/.]+/websocket";

    /**
     * The SockJS handler of the bridge. SockJS's iframe page loads the client library from {@link #SOCKJS_LIBRARY} (by
     * default a CDN's copy, third-party code run in this origin).
     */
    private Router sockJs(io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl bridge) {
        return SockJSHandler.create(vertx, new SockJSHandlerOptions()
                .setRegisterWriteHandler(false).setLibraryURL(SOCKJS_LIBRARY)
                // JSONP takes its frames as a form's field, what a page of another site can post (without an Origin in
                // older browsers); the page's SockJS client never needs it (WebSocket, else XHR).
                .addDisabledTransport(io.vertx.ext.web.handler.sockjs.Transport.JSON_P.name()))
                .socketHandler(socket -> bridge.handle(new RateLimitedSocket(vertx, socket, frameLimit,
                        MAX_UNREAD_BYTES)));
    }

    /** The path of SockJS's XHR send: {@code /eventbus/<server>/<session>/xhr_send}. */
    private static final String XHR_SEND = "/eventbus/[^/.]+/[^/.]+/xhr_send";

    /**
     * Refuses an XHR send without an {@code Origin} (checkOrigin has refused a foreign one already). SockJS's send is
     * a POST of {@code text/plain}, a "simple" request a page of any site can make a browser send without a CORS
     * preflight; a browser names the page's origin on every POST (the Fetch standard; the page's own SockJS client's
     * sends carry this server's origin), so only a request that does not come from a current browser, or from one that
     * leaves the header out, has none, and the bridge cannot tell whose page sent it. The commands the bridge takes
     * (crash, partition, writes) must come from the live view's own page: a client that is not a browser names the
     * server's origin, as it does to pass any other origin check. The WebSocket transport is not affected: its
     * handshake is a GET a page cannot make without the browser naming its origin.
     */
    private static void requireOrigin(RoutingContext ctx) {
        if (ctx.request().getHeader("Origin") != null) {
            ctx.next();
            return;
        }
        LOG.warn("refused a live-view send without an Origin from {}", ctx.request().remoteAddress());
        ctx.response().setStatusCode(403).putHeader("Content-Type", "application/json")
                .end(new JsonObject().put("error", "forbidden_origin").put("message", "a send on the live view's"
                        + " bridge must name the page's origin (Origin header): browsers do on every POST").encode());
    }

    /**
     * Refuses an XHR send whose body is not what SockJS can take: a JSON array of strings (the frames), or one string.
     * SockJS takes the text of each element, and an element that has none (null, an object, an array) became a null
     * frame on which the session threw a NullPointerException, logged by the process as an unhandled error with its
     * stack trace, once per request of any client that reaches the port (a session needs no token), and the frames
     * after it were lost; a body that is not JSON got a 500. Answered 400 naming the rule, before SockJS reads it.
     */
    private static void checkSentFrames(RoutingContext ctx) {
        String problem = sentFramesProblem(ctx.body().buffer());
        if (problem == null) {
            ctx.next();
        } else {
            io.raftline.api.http.HttpErrors.badRequest(ctx, problem);
        }
    }

    /** What is wrong with the body of a SockJS send, or null. */
    static String sentFramesProblem(Buffer body) {
        String rule = "the body of a SockJS send must be a JSON array of strings (the frames)";
        if (body == null || body.length() == 0) {
            return rule + ", got no body";
        }
        Object parsed;
        try {
            parsed = io.vertx.core.json.Json.decodeValue(body);
        } catch (io.vertx.core.json.DecodeException e) {
            return rule + ", got no JSON: " + io.raftline.config.JsonErrors.describe(e);
        }
        if (parsed instanceof String) {
            return null;
        }
        if (!(parsed instanceof JsonArray frames)) {
            return rule + ", got " + (parsed instanceof JsonObject ? "an object" : String.valueOf(parsed));
        }
        for (int i = 0; i < frames.size(); i++) {
            if (!(frames.getValue(i) instanceof String)) {
                return rule + ", element " + i + " is " + (frames.getValue(i) == null ? "null" : "no string");
            }
        }
        return null;
    }

    /** The SockJS client as this server serves it from its WebJar (what the page loads too). */
    static final String SOCKJS_LIBRARY = "/vendor/sockjs-client/dist/sockjs.min.js";

    /**
     * Forbids other sites' pages to frame what this router serves. A loopback browser is an admin while loopback is
     * trusted (the default), so a page of any site that framed the live view, invisible under its own buttons, turned
     * the operator's clicks into crashes and partitions (clickjacking): the framed page is of this server's origin, so
     * its bridge passes the origin check. {@code frame-ancestors 'self'} for browsers that read CSP,
     * {@code X-Frame-Options} for the others; the server's own pages may still frame each other (SockJS's iframe
     * transports).
     */
    private static void noFraming(RoutingContext ctx) {
        ctx.response().putHeader("X-Frame-Options", "SAMEORIGIN")
                .putHeader("Content-Security-Policy", "frame-ancestors 'self'");
        ctx.next();
    }

    /** Classpath resource with the WebJar versions, filled in from the pom at build time. */
    static final String WEBJAR_VERSIONS = "raftline-webjars.properties";

    /** Library name → WebJar version, as the build wrote them. */
    static java.util.Map<String, String> webjarVersions() {
        java.util.Properties p = new java.util.Properties();
        try (java.io.InputStream in = UiRouter.class.getClassLoader().getResourceAsStream(WEBJAR_VERSIONS)) {
            if (in == null) {
                throw new IllegalStateException(WEBJAR_VERSIONS + " is missing from the classpath (a broken build)");
            }
            p.load(in);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + WEBJAR_VERSIONS, e);
        }
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        p.forEach((k, v) -> out.put((String) k, (String) v));
        return out;
    }

    /**
     * Stops the control consumer.
     *
     * @return completes once unregistered
     */
    public Future<Void> close() {
        return consumer == null ? Future.succeededFuture() : consumer.unregister();
    }

    private void onBridgeEvent(BridgeEvent event) {
        if (event.type() == BridgeEventType.SOCKET_CLOSED) {
            stopFeed(event.socket());
        }
        if (event.type() == BridgeEventType.SOCKET_CREATED || event.type() == BridgeEventType.SOCKET_CLOSED) {
            LOG.debug("live view {}: {}", event.type() == BridgeEventType.SOCKET_CREATED ? "connected" : "disconnected",
                    event.socket().remoteAddress());
        }
        if (event.type() == BridgeEventType.SEND || event.type() == BridgeEventType.PUBLISH
                || event.type() == BridgeEventType.REGISTER) {
            boolean ok = authorize(event);
            if (ok && event.type() == BridgeEventType.REGISTER && isEvents(event)) {
                startFeed(event.socket());
            }
            event.complete(ok);
            return;
        }
        if (event.type() == BridgeEventType.UNREGISTER && isEvents(event)) {
            stopFeed(event.socket());
        }
        event.complete(true);
    }

    private static boolean isEvents(BridgeEvent event) {
        JsonObject raw = event.getRawMessage();
        return raw != null && EventPublisher.ADDRESS.equals(raw.getString("address"));
    }

    /**
     * Gives a browser that registered for events its own feed (see {@link io.raftline.events.ViewerFeed}); nothing is
     * published on the event bus for the bridge to forward, so the feed is the only way events reach it.
     */
    private void startFeed(SockJSSocket socket) {
        feeds.computeIfAbsent(socket, s -> {
            // A viewer, for whom the nodes report message events, is a browser with a feed: one that registered for
            // events with the right token, not any socket (counted at its opening, a client without a token turned on
            // the reporting of every message for as long as it stayed connected).
            control.publisher().viewerConnected();
            return SocketFeed.start(control.publisher().viewerFeed(feedOptions), s, vertx.getOrCreateContext());
        });
    }

    private void stopFeed(SockJSSocket socket) {
        Disposable d = feeds.remove(socket);
        if (d != null) {
            d.dispose();
            control.publisher().viewerDisconnected();
        }
    }

    /**
     * Authorizes a frame that receives events or sends a command, like an admin API call: the token comes from the
     * frame's {@code headers} (what the page sends) or from the connection's own headers (non-browser clients); it is
     * removed from the frame so it never travels on the event bus. A refused command is answered on its reply
     * address, so the sender's request ends with a reason instead of a timeout.
     */
    private boolean authorize(BridgeEvent event) {
        JsonObject raw = event.getRawMessage();
        String auth = null;
        Object rawHeaders = raw == null ? null : raw.getValue("headers");
        JsonObject headers = rawHeaders instanceof JsonObject h ? h : null;
        if (headers != null) {
            for (String name : java.util.List.copyOf(headers.fieldNames())) {
                if (name.equalsIgnoreCase("Authorization")) {
                    Object v = headers.remove(name);
                    auth = v instanceof String str ? str : null;
                }
            }
        }
        if (auth == null && event.socket().headers() != null) {
            auth = event.socket().headers().get("Authorization");
        }
        String refusal = access.refusal(event.socket().remoteAddress(), auth);
        if (refusal != null) {
            io.raftline.security.AuthRefusals.process().refused("live view (" + event.type() + ")",
                    String.valueOf(event.socket().remoteAddress()), refusal);
            return refuse(event, raw, "forbidden", refusal);
        }
        // The bridge reads a frame's headers as an object of strings once this hook let it through: anything else
        // threw inside the bridge (a ClassCastException), and the sender waited out its own timeout for an answer.
        String badHeaders = headersProblem(rawHeaders);
        return badHeaders == null || refuse(event, raw, "bad_request", badHeaders);
    }

    /** What is wrong with a frame's {@code headers} for the bridge, which reads them as an object of strings. */
    private static String headersProblem(Object headers) {
        if (headers == null) {
            return null;
        }
        if (!(headers instanceof JsonObject h)) {
            String kind = headers instanceof JsonArray ? "an array" : headers instanceof String ? "a string"
                    : "a " + headers.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
            return "headers must be a JSON object, got " + kind;
        }
        for (Map.Entry<String, Object> e : h) {
            if (!(e.getValue() instanceof String)) {
                return "headers." + e.getKey() + " must be a string";
            }
        }
        return null;
    }

    /**
     * Answers a frame the hook refuses: a command on its reply address, so the sender's request ends with a reason
     * instead of a timeout, any other frame with an error frame. Any JSON value reaches this hook (the bridge checks
     * replyAddress only when it forwards a frame): a frame whose replyAddress is not a string gets an error frame.
     *
     * @return false, what the hook then answers the bridge
     */
    private static boolean refuse(BridgeEvent event, JsonObject raw, String error, String message) {
        String replyAddress = raw != null && raw.getValue("replyAddress") instanceof String r ? r : null;
        if (event.type() == BridgeEventType.SEND && replyAddress != null) {
            JsonObject body = new JsonObject().put("ok", false).put("error", error).put("message", message);
            event.socket().write(Buffer.buffer(new JsonObject().put("type", "rec").put("address", replyAddress)
                    .put("body", body).encode()));
        } else {
            Object address = raw == null ? null : raw.getValue("address");
            event.socket().write(Buffer.buffer(new JsonObject().put("type", "err")
                    .put("address", address instanceof String a ? a : null).put("body", error)
                    .put("message", message).encode()));
        }
        return false;
    }

    /**
     * Refuses a bridge request that a page of another origin makes (cross-site WebSocket hijacking): a
     * browser always names the page's origin, which must be this server's own or a configured one. Requests
     * without an {@code Origin} header (same-origin GETs, non-browser clients) pass.
     */
    private void checkOrigin(RoutingContext ctx) {
        String origin = ctx.request().getHeader("Origin");
        if (origin == null || origins.originAllowed(origin, ctx.request().authority(), ctx.request().isSSL())) {
            ctx.next();
            return;
        }
        LOG.warn("refused a live-view connection from origin {}", origin);
        ctx.response().setStatusCode(403).putHeader("Content-Type", "application/json")
                .end("{\"error\":\"forbidden_origin\",\"message\":\"origin not allowed\"}");
    }
}
