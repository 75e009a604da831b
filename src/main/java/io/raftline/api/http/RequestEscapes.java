package io.raftline.api.http;

import io.vertx.ext.web.RoutingContext;

/**
 * The first handler of every router: a request whose path or query holds a malformed %-escape ({@code /v1/kv/%ZZ},
 * {@code ?limit=%ZZ}) is refused with a 400 naming the part it is in and the rule. Left to Vert.x, such a request
 * failed wherever the path or a parameter was first decoded, with that decoder's words: "Invalid escape sequence:
 * %ZZ" for a key, "invalid hex byte 'ZZ' at index 14 of '/v1/kv?limit=%ZZ'" for a parameter, "bad request" for
 * another path, none of them saying which field was wrong.
 */
public final class RequestEscapes {

    /** Where a key starts in a path. */
    private static final String KV_PREFIX = "/v1/kv/";

    private RequestEscapes() {
    }

    /**
     * Lets the request on if every %-escape of its path and query is well formed; else answers 400
     * {@code bad_request} whose {@code field} is {@code key} (a path under {@code /v1/kv/}), {@code path} (any other
     * path) or the query parameter's name.
     *
     * @param ctx the request
     */
    public static void check(RoutingContext ctx) {
        String path = ctx.request().path();
        String bad = path == null ? null : KeyPath.badEscape(path);
        if (bad != null) {
            if (path.startsWith(KV_PREFIX)) {
                // Its position counted from the key's first character, as the key's own decoder counts.
                HttpErrors.badField(ctx, "key", "key: " + KeyPath.badEscape(path.substring(KV_PREFIX.length())));
            } else {
                HttpErrors.badField(ctx, "path", "path: " + bad);
            }
            return;
        }
        String query = ctx.request().query();
        if (query != null && query.indexOf('%') >= 0) {
            for (String part : query.split("&", -1)) {
                int eq = part.indexOf('=');
                String rawName = eq < 0 ? part : part.substring(0, eq);
                String name;
                try {
                    name = KeyPath.decodeParamName(rawName.replace("+", "%20"));
                } catch (IllegalArgumentException e) {
                    // The answer QueryParams gives a name it cannot decode.
                    HttpErrors.badField(ctx, rawName, rawName + ": " + e.getMessage());
                    return;
                }
                bad = eq < 0 ? null : KeyPath.badEscape(part.substring(eq + 1));
                if (bad != null) {
                    HttpErrors.badField(ctx, name, name + ": " + bad);
                    return;
                }
            }
        }
        ctx.next();
    }
}
