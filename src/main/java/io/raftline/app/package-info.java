/**
 * Entry points: {@link io.raftline.app.Main} (local cluster in one JVM, one node per process, bench) and
 * {@link io.raftline.app.ClusterVerticle}, the composition root that wires nodes, transport and HTTP APIs.
 */
package io.raftline.app;
