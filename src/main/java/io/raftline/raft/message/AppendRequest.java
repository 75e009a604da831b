package io.raftline.raft.message;

import io.raftline.raft.Entry;
import java.util.List;
import java.util.stream.Collectors;

/**
 * AppendEntries (Raft §5.3): entries to append after {@code prevLogIndex}, accepted only if the
 * follower's entry there has {@code prevLogTerm} (the consistency check).
 *
 * @param prevLogIndex index of the entry before {@code entries}
 * @param prevLogTerm  its term
 * @param entries      entries to append (may be empty: then it only probes or carries the commit index)
 * @param leaderCommit leader's commit index
 */
public record AppendRequest(int from, int to, long term, long prevLogIndex, long prevLogTerm, List<Entry> entries,
        long leaderCommit) implements Message {

    public AppendRequest {
        entries = List.copyOf(entries);
    }

    @Override
    public MessageKind kind() {
        return MessageKind.APPEND_ENTRIES;
    }

    @Override
    public String summary() {
        String ents = entries.size() <= 8
                ? entries.stream().map(Entry::describe).collect(Collectors.joining(", ", "[", "]"))
                : "[" + entries.get(0).describe() + " … " + entries.get(entries.size() - 1).describe() + "] ("
                        + entries.size() + ")";
        return "prev=" + prevLogIndex + "@" + prevLogTerm + " commit=" + leaderCommit + " entries=" + ents;
    }
}
