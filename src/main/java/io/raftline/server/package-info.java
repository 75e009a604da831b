/**
 * The composition root: {@link io.raftline.server.ClusterVerticle} wires the nodes of a process (one, or all of
 * a local cluster) to their log stores, the transport, the client APIs, the admin API and the live view;
 * {@link io.raftline.server.Clustering} sets up the clustered event bus; {@link io.raftline.server.Metrics} the
 * Prometheus registry. The command line ({@code app}) and the nemesis ({@code verify.nemesis}) start clusters
 * through it.
 */
package io.raftline.server;
