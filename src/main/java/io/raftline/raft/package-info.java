/**
 * The Raft algorithm as a pure, deterministic state machine.
 *
 * <p>Nothing in this package touches a clock, a thread, a socket or a file: {@link io.raftline.raft.RaftCore}
 * takes inputs ({@code tick()}, {@code step(message)}, {@code propose(data)}, {@code readIndex(context)})
 * and produces a {@link io.raftline.raft.Ready} that the host handles in the order
 * persist → send → apply → {@code advance()}. Randomness (the election timeout) comes from a
 * {@link java.util.random.RandomGenerator} the host injects, so a seeded generator makes every run
 * reproducible. This is what lets the test suite replay thousands of schedules exactly and what
 * keeps Vert.x, storage and the wire formats at the edges.
 */
package io.raftline.raft;
