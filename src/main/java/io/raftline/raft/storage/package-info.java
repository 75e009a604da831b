/**
 * What the core reads from stable storage ({@link io.raftline.raft.storage.Storage}) and an in-memory
 * implementation used by tests, the simulator and as the in-memory cache of the durable store.
 */
package io.raftline.raft.storage;
