package io.raftline.api.http;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The query parameters an endpoint reads, and a route handler that refuses a request with any other, or with one
 * given twice. An endpoint read the parameters it knew and ignored the rest, so a misspelt name changed what a request
 * did without a word ({@code ?ifRevison=5} made a compare-and-set an unconditional write, {@code ?consistancy=stale}
 * a linearizable read), and of a parameter given twice the first copy counted
 * ({@code ?consistency=stale&consistency=linearizable} was a stale read).
 */
final class QueryParams {

    private QueryParams() {
    }

    /**
     * A handler that lets a request on only if its query names nothing but {@code names}, each once: else 400
     * {@code bad_request} whose {@code field} is the first offending name.
     *
     * @param names the parameters the endpoint reads (none: it takes no query)
     * @return the handler, to put before the endpoint's own on its route
     */
    static Handler<RoutingContext> only(String... names) {
        List<String> known = List.of(names);
        String takes = known.isEmpty() ? "it takes none" : "it takes " + String.join(", ", known);
        return ctx -> {
            String raw = ctx.request().query();
            Refusal refusal = raw == null || raw.isEmpty() ? null : refusal(raw, known, takes);
            if (refusal != null) {
                HttpErrors.badField(ctx, refusal.name(), refusal.name() + ": " + refusal.reason());
                return;
            }
            ctx.next();
        };
    }

    /** Why the parameter {@code name} (as the query gave it, if it does not decode) cannot be taken. */
    private record Refusal(String name, String reason) {
    }

    /** Why the query cannot be taken, or null. */
    private static Refusal refusal(String raw, List<String> known, String takes) {
        Set<String> seen = new HashSet<>();
        for (String part : raw.split("&", -1)) {
            int eq = part.indexOf('=');
            String rawName = (eq < 0 ? part : part.substring(0, eq)).replace("+", "%20");
            if (rawName.isEmpty()) {
                continue; // "?", "a=1&&b=2": nothing named
            }
            String name;
            try {
                name = KeyPath.decodeParamName(rawName);
            } catch (IllegalArgumentException e) {
                return new Refusal(rawName, e.getMessage());
            }
            if (!known.contains(name)) {
                return new Refusal(name, "not a query parameter of this endpoint (" + takes + ")");
            }
            if (!seen.add(name)) {
                return new Refusal(name, "given more than once in the query; a parameter may appear once");
            }
        }
        return null;
    }
}
