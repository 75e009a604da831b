package io.raftline;

import java.net.http.HttpClient;

/**
 * JDK HTTP clients for tests that call a node without TLS. They speak HTTP/1.1, as the project's client commands do
 * ({@code ApiCall.HTTP}): left at its default (HTTP/2), JDK 17's client asks a plain-text port for an h2c upgrade,
 * which a node's client port grants (it serves gRPC over h2c), and then, on about one fresh connection in ten, misreads
 * the frames that came with the {@code 101} or waits forever for the rest of a response body over about 16 KiB. A test
 * that read a large answer that way failed or hung at random, for a reason that is not the node's (docs/decisions.md).
 */
public final class TestHttp {

    private TestHttp() {
    }

    /**
     * A client builder set to HTTP/1.1, for the rest of the options a test needs.
     *
     * @return the builder
     */
    public static HttpClient.Builder builder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1);
    }
}
