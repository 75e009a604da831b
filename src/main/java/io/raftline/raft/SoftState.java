package io.raftline.raft;

/**
 * Volatile state the host may want to react to (for example: fail pending reads when leadership is lost).
 * It is never persisted.
 *
 * @param leader the leader this node knows of, or 0
 * @param role   this node's role
 */
public record SoftState(int leader, Role role) {
}
