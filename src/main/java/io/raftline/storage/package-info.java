/**
 * Durable storage for one node: a segmented, checksummed write-ahead log ({@link io.raftline.storage.Wal}),
 * snapshot files ({@link io.raftline.storage.SnapshotStore}), and {@link io.raftline.storage.DurableStorage}
 * which recovers both at start and serves the Raft core's {@link io.raftline.raft.storage.Storage} view.
 *
 * <p>All file I/O goes through {@link io.raftline.storage.Disk}: {@link io.raftline.storage.NioDisk} in
 * production, a simulated disk that crashes and fails in the seeded simulator, so the recovery code users
 * depend on is the code the simulator tests.
 *
 * <p>Threading: file I/O (the {@code write...} and {@code sync} methods) runs on one worker thread, in
 * order; only {@link io.raftline.storage.DurableStorage#writeSnapshotFile} may run on a second worker. The
 * in-memory view the core reads is updated on the node's event loop once a write is durable. Nothing here
 * ever runs on an event loop.
 */
package io.raftline.storage;
