package io.raftline.node;

/**
 * A fingerprint of a node's key-value state: replicas that applied the same index must have the same hash.
 * Operators and tests compare them across nodes (after a crash test, for instance) to prove the replicas
 * did not diverge.
 *
 * @param node         the node
 * @param appliedIndex index the state was taken at
 * @param stateHash    SHA-256 of the state, hex
 * @param keys         number of keys
 */
public record StateDigest(int node, long appliedIndex, String stateHash, int keys) {
}
