package io.raftline.security;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The checks every HTTP listener makes before a request reaches its router, against attacks that come through the
 * user's own browser rather than from the network:
 *
 * <ul>
 *   <li><b>DNS rebinding</b>: a page on {@code evil.example} re-points its name to 127.0.0.1 and then reads and
 *       writes the local server as if it were its own origin. Its requests carry {@code Host: evil.example}, so a
 *       request whose {@code Host} is a name nobody configured is refused (403 {@code forbidden_host}). IP literals,
 *       {@code localhost} and {@code *.localhost} are always accepted (a rebinding attack cannot produce them).</li>
 *   <li><b>Cross-site requests</b>: any page may make the browser POST to {@code http://127.0.0.1:8080} (a "simple"
 *       request needs no CORS preflight). Browsers name the page's origin in {@code Origin} on every request that is
 *       not a GET or HEAD, so a state-changing request from a foreign origin is refused (403
 *       {@code forbidden_origin}); requests without {@code Origin} (curl, other nodes) pass.</li>
 * </ul>
 * Native gRPC calls (HTTP/2, {@code content-type: application/grpc}) are not checked, so that gRPC clients may use
 * any name: a browser cannot make them to a plain-text port (it speaks HTTP/2 only over TLS, where a rebound name fails
 * the certificate). gRPC-Web calls are checked like any request: they are HTTP/1.1 that a rebound page sends to its own
 * origin without a preflight.
 */
public final class RequestGuard {

    private final boolean anyHost;
    private final Set<String> hosts = new HashSet<>();
    private final Set<String> origins = new HashSet<>();

    /**
     * Creates the guard.
     *
     * @param hosts   names clients may use in {@code Host}: the configured hosts and {@code security.allowed_hosts}
     *                ({@code "*"} accepts any)
     * @param origins origins, besides the server's own, allowed to send state-changing requests
     */
    public RequestGuard(Collection<String> hosts, Collection<String> origins) {
        boolean any = false;
        for (String h : hosts) {
            if (h.equals("*")) {
                any = true;
            } else {
                this.hosts.add(normalizeHost(h));
            }
        }
        this.anyHost = any;
        for (String o : origins) {
            this.origins.add(normalizeOrigin(o));
        }
    }

    /** Why a request was refused: an HTTP status, an error code and a message. */
    public record Refusal(int status, String code, String message) {
    }

    /**
     * Checks a request.
     *
     * @param request the request, before routing
     * @return null if it may go on, else why not
     */
    public Refusal check(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        if (authority != null && !hostAllowed(authority.host())) {
            return new Refusal(403, "forbidden_host", "Host '" + authority.host() + "' is not a name of this server"
                    + " (add it to security.allowed_hosts)");
        }
        HttpMethod m = request.method();
        if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS) {
            return null;
        }
        String origin = request.getHeader("Origin");
        if (origin != null && !originAllowed(origin, authority, request.isSSL())) {
            return new Refusal(403, "forbidden_origin", "a page of origin " + origin + " may not change this server"
                    + " (same origin or security.allowed_origins only)");
        }
        return null;
    }

    /**
     * Whether a page of {@code origin} may act on this server: its own origin or a configured one.
     *
     * @param origin    the {@code Origin} header
     * @param authority the host and port the client asked for
     * @param ssl       whether the request came over TLS
     * @return true if allowed
     */
    public boolean originAllowed(String origin, HostAndPort authority, boolean ssl) {
        String o = normalizeOrigin(origin);
        return origins.contains(o) || sameOrigin(o, authority, ssl);
    }

    /**
     * Whether {@code Host} names this server: any IP literal, {@code localhost}, {@code *.localhost}, or a
     * configured name.
     *
     * @param host the host part of the {@code Host} header
     * @return true if allowed
     */
    public boolean hostAllowed(String host) {
        if (anyHost || host == null || host.isEmpty()) {
            return true;
        }
        String h = normalizeHost(host);
        return h.indexOf(':') >= 0 || ipv4Literal(h) || h.equals("localhost")
                || h.endsWith(".localhost") || hosts.contains(h);
    }

    /**
     * Whether {@code h} is four groups of one to three ASCII digits joined by dots, the form the guard lets through
     * as an IPv4 literal. A scan, not a regular expression: it runs on every request, and the matcher's code was among
     * what a fresh process's compilers spent their first seconds under load on (docs/performance.md, fortieth round).
     *
     * @param h the host, lower case
     * @return whether it is an IPv4 literal
     */
    static boolean ipv4Literal(String h) {
        int groups = 0;
        int digits = 0;
        for (int i = 0; i < h.length(); i++) {
            char c = h.charAt(i);
            if (c >= '0' && c <= '9') {
                if (++digits > 3) {
                    return false;
                }
            } else if (c == '.' && digits > 0 && groups < 3) {
                groups++;
                digits = 0;
            } else {
                return false;
            }
        }
        return groups == 3 && digits > 0;
    }

    private static String normalizeHost(String host) {
        String h = host.toLowerCase(Locale.ROOT);
        if (h.startsWith("[") && h.endsWith("]")) {
            h = h.substring(1, h.length() - 1);
        }
        return h.endsWith(".") ? h.substring(0, h.length() - 1) : h;
    }

    private static String normalizeOrigin(String origin) {
        try {
            URI u = new URI(origin.trim());
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (u.getHost() == null) {
                return origin.trim().toLowerCase(Locale.ROOT);
            }
            int port = u.getPort() >= 0 ? u.getPort() : defaultPort(scheme);
            return scheme + "://" + normalizeHost(u.getHost()) + ":" + port;
        } catch (URISyntaxException e) {
            return origin.trim().toLowerCase(Locale.ROOT);
        }
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }

    private static boolean sameOrigin(String normalizedOrigin, HostAndPort authority, boolean ssl) {
        if (authority == null) {
            return false;
        }
        String scheme = ssl ? "https" : "http";
        int port = authority.port() >= 0 ? authority.port() : defaultPort(scheme);
        return normalizedOrigin.equals(scheme + "://" + normalizeHost(authority.host()) + ":" + port);
    }
}
