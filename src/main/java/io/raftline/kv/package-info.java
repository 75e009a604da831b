/**
 * The replicated key-value state machine that a Raft node applies committed log entries to.
 *
 * <p>Everything here is deterministic: applying the same sequence of {@code (index, bytes)}
 * produces byte-identical state, results, snapshots and state hashes on every replica. The
 * package therefore uses only {@code java.*}, never reads a clock or a random source, and never
 * lets hash-map iteration order reach a result, a snapshot or a hash.
 *
 * <ul>
 *   <li>{@link io.raftline.kv.KvCommand} and {@link io.raftline.kv.KvCodec}: what a log entry
 *       carries, and its versioned binary encoding.</li>
 *   <li>{@link io.raftline.kv.KvStateMachine}: applies entries; revisions are Raft log indexes.</li>
 *   <li>{@link io.raftline.kv.KvResult}: the deterministic outcome of each entry.</li>
 *   <li>{@link io.raftline.kv.KvSnapshot}: an O(1) point-in-time capture that another thread
 *       can serialize while the owner keeps applying.</li>
 * </ul>
 */
package io.raftline.kv;
