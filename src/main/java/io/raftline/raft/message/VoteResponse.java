package io.raftline.raft.message;

/**
 * Answer to a {@link VoteRequest}.
 *
 * @param granted whether the vote (or pre-vote) was granted
 * @param preVote answers a PreVote probe
 */
public record VoteResponse(int from, int to, long term, boolean granted, boolean preVote) implements Message {

    @Override
    public MessageKind kind() {
        return preVote ? MessageKind.PRE_VOTE_RESPONSE : MessageKind.REQUEST_VOTE_RESPONSE;
    }

    @Override
    public String summary() {
        return granted ? "granted" : "rejected";
    }
}
