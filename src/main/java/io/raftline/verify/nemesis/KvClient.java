package io.raftline.verify.nemesis;

import io.vertx.core.Future;

/**
 * Sends one request to one node. The harness's clients go through this interface so that what they record does
 * not depend on how requests travel; {@link HttpKvClient} is the real one.
 */
public interface KvClient {

    /**
     * Sends {@code request} to {@code node}'s HTTP API.
     *
     * @param node    the node id
     * @param request the request
     * @return the answer, or why there was none; never a failed future
     */
    Future<KvResponse> send(int node, KvRequest request);

    /**
     * Releases connections.
     *
     * @return completes once closed
     */
    Future<Void> close();
}
