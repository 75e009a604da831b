/**
 * Durable storage for one node: a segmented, checksummed write-ahead log ({@link io.raftline.storage.Wal}),
 * snapshot files ({@link io.raftline.storage.SnapshotStore}), and {@link io.raftline.storage.DurableStorage}
 * which recovers both at start and serves the Raft core's {@link io.raftline.raft.storage.Storage} view.
 *
 * <p>Threading: file I/O (the {@code write...} and {@code sync} methods) runs on one worker thread, in
 * order; the in-memory view the core reads is updated on the node's event loop once a write is durable.
 * Nothing here ever runs on an event loop.
 */
package io.raftline.storage;
