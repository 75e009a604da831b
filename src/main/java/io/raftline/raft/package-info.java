/**
 * The Raft algorithm as a pure, deterministic state machine.
 */
package io.raftline.raft;
