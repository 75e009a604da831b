package io.raftline.raft;

/**
 * Where a proposal landed in the leader's log. The proposal took effect if and only if the entry
 * applied at {@code index} has this {@code term}; if an entry with another term is applied there, a
 * new leader overwrote it and the caller must report failure (or retry).
 *
 * @param index log index assigned to the proposal
 * @param term  leader term it was appended in
 */
public record Proposal(long index, long term) {
}
