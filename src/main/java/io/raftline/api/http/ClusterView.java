package io.raftline.api.http;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

/**
 * The cluster as one process can see it, for {@code GET /v1/cluster}: every node in the local cluster, or this
 * node and what it knows of its peers in one-node-per-process mode.
 */
@FunctionalInterface
public interface ClusterView {

    /**
     * Describes the cluster.
     *
     * @return {@code {"leader":L,"term":T,"nodes":[{"id":..,"role":..,"term":..,"commit":..,"applied":..,
     *         "lastIndex":..,"up":..}]}}
     */
    Future<JsonObject> describe();

    /**
     * Describes only the nodes this process runs, without asking other processes: what another process asks for
     * ({@code GET /v1/cluster?scope=local}) when it has no clustered event bus to ask over.
     *
     * @return the same shape as {@link #describe()}; other processes' nodes are listed as unknown
     */
    default Future<JsonObject> describeLocal() {
        return describe();
    }
}
