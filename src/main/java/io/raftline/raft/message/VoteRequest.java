package io.raftline.raft.message;

/**
 * RequestVote (Raft §5.2) or its PreVote probe (thesis §9.6).
 *
 * @param lastLogIndex candidate's last log index (for the up-to-date check, §5.4.1)
 * @param lastLogTerm  term of that entry
 * @param preVote      a probe that changes no term or vote on the receiver
 * @param transfer     sent because of leadership transfer: receivers ignore their leader lease
 */
public record VoteRequest(int from, int to, long term, long lastLogIndex, long lastLogTerm, boolean preVote,
        boolean transfer) implements Message {

    @Override
    public MessageKind kind() {
        return preVote ? MessageKind.PRE_VOTE : MessageKind.REQUEST_VOTE;
    }

    @Override
    public String summary() {
        return "last=" + lastLogIndex + "@" + lastLogTerm + (transfer ? " transfer" : "");
    }
}
