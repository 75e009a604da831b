/**
 * The command line, and nothing else: {@link io.raftline.app.Main} parses the commands (local cluster, one node
 * per process, bench, verify) and starts what {@code io.raftline.server} and {@code io.raftline.verify} provide.
 * Nothing imports this package.
 */
package io.raftline.app;
