/**
 * The core's view of the log: what stable storage holds plus the unstable tail not yet reported
 * persisted, with the conflict searches that AppendEntries and fast backtracking need.
 */
package io.raftline.raft.log;
