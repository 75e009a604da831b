package io.raftline.api.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The methods a router's routes take on a path: the {@code Allow} header of a 405. Vert.x knows them when it finds the
 * path but not the method, and puts them on the 405 it writes itself; a router that answers 405 with its own JSON
 * error (every Raftline router) does not get them, so they are read back from the routes here. A route that names no
 * method (a body handler, a gate that passes some methods on) is not counted: only a resource's routes name theirs.
 */
final class AllowedMethods {

    /** A path parameter ({@code :id}) in a route's path. */
    private static final Pattern PARAM = Pattern.compile(":[A-Za-z0-9_]+");

    private AllowedMethods() {
    }

    /**
     * The methods of every route of {@code routers} that names its methods and takes {@code path}, comma-separated in
     * alphabetical order.
     *
     * @param routers the router that found the path but not the method, and those mounted on it at its root
     * @param path    the request's normalized path
     * @return the list, empty if no route names its methods for the path
     */
    static String of(java.util.List<Router> routers, String path) {
        Set<String> methods = new TreeSet<>();
        for (Route route : routers.stream().flatMap(r -> r.getRoutes().stream()).toList()) {
            Set<HttpMethod> taken = route.methods();
            if (taken == null || taken.isEmpty() || route.getPath() == null || !takes(route, path)) {
                continue;
            }
            taken.forEach(m -> methods.add(m.name()));
        }
        return String.join(", ", methods);
    }

    /** Whether the route's path takes {@code path}: equal, under a prefix ({@code /v1/kv/*}), or with parameters. */
    private static boolean takes(Route route, String path) {
        String pattern = route.getPath();
        if (PARAM.matcher(pattern).find()) {
            StringBuilder regex = new StringBuilder();
            Matcher m = PARAM.matcher(pattern);
            int at = 0;
            while (m.find()) {
                regex.append(Pattern.quote(pattern.substring(at, m.start()))).append("[^/]+");
                at = m.end();
            }
            regex.append(Pattern.quote(pattern.substring(at)));
            return Pattern.compile(regex + (route.isExactPath() ? "/?" : ".*")).matcher(path).matches();
        }
        if (route.isExactPath()) {
            return path.equals(pattern) || path.equals(pattern + "/");
        }
        return path.startsWith(pattern);
    }
}
