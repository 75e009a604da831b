package io.raftline.raft;

import io.raftline.raft.message.Message;
import java.util.List;

/**
 * Everything the core needs the host to do, collected since the last {@link RaftCore#advance(Ready)}.
 *
 * <p>The host handles it in this order: persist {@link #snapshot}, {@link #entries} and {@link #hardState}
 * (one fsync covers them all); send {@link #messages}; install {@link #snapshot} in the state machine and
 * apply {@link #committedEntries}; serve {@link #readStates} once applied; then call
 * {@link RaftCore#advance(Ready)}. Persisting before sending is what makes a vote or an acknowledgement
 * a promise (Raft §5, "respond to RPCs only after updating stable storage"). A leader's own messages
 * may be sent while its write is still in progress, since it counts its own log for commitment only
 * after {@code advance} reports it durable (thesis §10.2.1).
 *
 * @param softState        new leader/role, or null if unchanged
 * @param hardState        new term/vote/commit to persist, or null if unchanged
 * @param entries          entries to append to stable storage (may overwrite a conflicting suffix)
 * @param snapshot         snapshot from the leader to persist and install, or null
 * @param committedEntries entries to apply to the state machine, in order
 * @param messages         messages to send after persisting
 * @param readStates       ReadIndex answers, each to serve once {@code index} is applied
 * @param events           transitions for logs and the event stream
 * @param mustSync         whether the write must be fsynced before messages leave: true when entries, a
 *                         snapshot, the term or the vote changed (a commit index change alone may be lazy)
 */
public record Ready(SoftState softState, HardState hardState, List<Entry> entries, Snapshot snapshot,
        List<Entry> committedEntries, List<Message> messages, List<ReadState> readStates, List<CoreEvent> events,
        boolean mustSync) {

    /** Whether there is nothing at all to do. */
    public boolean isEmpty() {
        return softState == null && hardState == null && entries.isEmpty() && snapshot == null
                && committedEntries.isEmpty() && messages.isEmpty() && readStates.isEmpty() && events.isEmpty();
    }
}
