package io.raftline.api.http;

import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;

/**
 * What a request's {@code Expect} header asks for. The listener refuses any expectation but {@code 100-continue} with
 * 417 (RFC 9110, section 10.1.1) and the body reader answers {@code 100-continue} once the announced size is
 * acceptable: both read the header's comma-separated members the same way, here.
 */
public final class Expectations {

    private static final String CONTINUE = "100-continue";

    private Expectations() {
    }

    /**
     * The first expectation that is not {@code 100-continue}: a client that sends one it needs met must not have its
     * request served without it.
     *
     * @param request a request
     * @return the expectation as written, or null if every one is {@code 100-continue} (or there is none)
     */
    public static String unmet(HttpServerRequest request) {
        return first(request, false);
    }

    /**
     * Whether the request asks for {@code 100 Continue} before it sends its body.
     *
     * @param request a request
     * @return true if one of its expectations is {@code 100-continue}
     */
    public static boolean continueExpected(HttpServerRequest request) {
        return first(request, true) != null;
    }

    /** The first non-empty member of the {@code Expect} headers that is (or is not) {@code 100-continue}. */
    private static String first(HttpServerRequest request, boolean isContinue) {
        for (String header : request.headers().getAll(HttpHeaders.EXPECT)) {
            for (String member : header.split(",")) {
                String expectation = member.trim();
                if (!expectation.isEmpty() && expectation.equalsIgnoreCase(CONTINUE) == isContinue) {
                    return expectation;
                }
            }
        }
        return null;
    }
}
