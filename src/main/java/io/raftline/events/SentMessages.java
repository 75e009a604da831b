package io.raftline.events;

import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Message;
import io.raftline.raft.message.SnapshotRequest;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The sends the pipeline remembers so that a receive or a loss finds the send it belongs to, and so its
 * {@code msgId}, and whether it was published at all. Used on the pipeline's scheduler only.
 *
 * <p>A receive or a loss reports either the very object that was sent (the event bus in one JVM, every loss a sender
 * reports) or a copy of it: the gRPC transport delivers what it decoded from the wire, which is equal in content but
 * another object. So an arrival is matched first by identity, and failing that by content: to the oldest send of the
 * same content (same sender, receiver, kind, term and fields; an AppendEntries by its indexes, terms, commit and entry
 * count, which name its entries within one leader's term) that nothing arrived for yet. Messages of one link arrive in
 * the order they were sent (one stream per peer), so this is the send the copy came from; should two sends of equal
 * content be told apart wrongly (one was lost unreported), each is still drawn with content equal to its own. A copy
 * of a send whose arrivals all came already (the network duplicated it) matches the last such send, as a duplicated
 * object matches its send by identity.
 *
 * <p>Sends that sampling left out are remembered too (as unpublished), so that neither their own arrival nor the copy
 * of it is taken for a published send of equal content. Both kinds are forgotten after {@link #retentionMs}, and the
 * oldest of a kind beyond {@link #maxPerKind} sends or {@link #maxBytesPerKind} bytes of entries and snapshots: a
 * remembered send keeps its entries alive, and under a load of large values a count alone would hold gigabytes (8,192
 * AppendEntries of a 1 MiB value each) after the log itself let them go; a send forgotten early only means that its
 * receive, should it still come, is not drawn. All of this runs only for message events, which are only reported while
 * someone watches: unwatched, it costs nothing.
 */
final class SentMessages {

    /** One remembered send. */
    static final class Sent {
        final Message message;
        final Object key;
        /** Its published id, or 0 when sampling left it out. */
        final long msgId;
        final long at;
        /** What remembering it keeps alive: its entries' or snapshot's bytes ({@link #payloadBytes}). */
        final long bytes;
        /** Whether a receive or loss was matched to it. */
        boolean arrived;

        Sent(Message message, Object key, long msgId, long at) {
            this.message = message;
            this.key = key;
            this.msgId = msgId;
            this.at = at;
            this.bytes = payloadBytes(message);
        }

        boolean published() {
            return msgId != 0;
        }
    }

    private final int maxPerKind;
    private final long maxBytesPerKind;
    private final long retentionMs;
    private long publishedBytes;
    private long sampledOutBytes;
    private final IdentityHashMap<Message, Sent> byIdentity = new IdentityHashMap<>();
    /** Per content, the sends nothing arrived for yet, oldest first. */
    private final Map<Object, ArrayDeque<Sent>> awaiting = new HashMap<>();
    /** Per content, the send something arrived for last (for a duplicated copy). */
    private final Map<Object, Sent> lastArrived = new HashMap<>();
    private final ArrayDeque<Sent> publishedOrder = new ArrayDeque<>();
    private final ArrayDeque<Sent> sampledOutOrder = new ArrayDeque<>();

    /**
     * @param maxPerKind      most published sends, and most sampled-out sends, remembered
     * @param maxBytesPerKind most bytes of entries and snapshots the published sends keep alive, and the sampled-out
     *                        ones (the newest send is kept whatever its size)
     * @param retentionMs     how long a send is remembered (longer than the largest injected delay)
     */
    SentMessages(int maxPerKind, long maxBytesPerKind, long retentionMs) {
        this.maxPerKind = maxPerKind;
        this.maxBytesPerKind = maxBytesPerKind;
        this.retentionMs = retentionMs;
    }

    /** The bytes a message carries beyond its fixed fields: an AppendEntries' entries, a snapshot's data. */
    static long payloadBytes(Message m) {
        if (m instanceof AppendRequest a) {
            long total = 0;
            for (io.raftline.raft.Entry e : a.entries()) {
                total += e.sizeBytes();
            }
            return total;
        }
        if (m instanceof SnapshotRequest s) {
            return s.snapshot().data().length;
        }
        return 0;
    }

    /**
     * What a copy of a message is matched by: the message itself (records of numbers compare by value) except for the
     * two kinds that carry bytes, which would be expensive to hash and compare.
     *
     * @param m a message
     * @return its content key
     */
    static Object key(Message m) {
        if (m instanceof AppendRequest a) {
            return new AppendKey(a.from(), a.to(), a.term(), a.prevLogIndex(), a.prevLogTerm(), a.leaderCommit(),
                    a.entries().size());
        }
        if (m instanceof SnapshotRequest s) {
            return new SnapshotKey(s.from(), s.to(), s.term(), s.snapshot().metadata().index(),
                    s.snapshot().metadata().term(), s.snapshot().data().length);
        }
        return m;
    }

    /**
     * Remembers a send.
     *
     * @param m     the message sent
     * @param key   its {@link #key}
     * @param msgId its published id, 0 if sampling left it out
     * @param now   the pipeline's time, epoch ms
     */
    void add(Message m, Object key, long msgId, long now) {
        Sent s = new Sent(m, key, msgId, now);
        byIdentity.put(m, s);
        awaiting.computeIfAbsent(key, k -> new ArrayDeque<>()).add(s);
        if (s.published()) {
            publishedOrder.add(s);
            publishedBytes += s.bytes;
        } else {
            sampledOutOrder.add(s);
            sampledOutBytes += s.bytes;
        }
    }

    /**
     * The send an arrival reports by identity, marked arrived.
     *
     * @param m the message the receiver or the loss reported
     * @return the send, or null if that object is not a remembered send
     */
    Sent byIdentity(Message m) {
        Sent s = byIdentity.get(m);
        if (s != null) {
            arrived(s);
        }
        return s;
    }

    /**
     * The oldest send of the same content that nothing arrived for yet, marked arrived.
     *
     * @param key the arrival's {@link #key}
     * @return the send, or null if there is none
     */
    Sent awaitingContent(Object key) {
        ArrayDeque<Sent> q = awaiting.get(key);
        if (q == null) {
            return null;
        }
        Sent s = q.peek();
        arrived(s);
        return s;
    }

    /**
     * The send of the same content that something arrived for last: a copy of a message the network duplicated.
     *
     * @param key the arrival's {@link #key}
     * @return the send, or null if there is none
     */
    Sent arrivedContent(Object key) {
        return lastArrived.get(key);
    }

    private void arrived(Sent s) {
        if (!s.arrived) {
            s.arrived = true;
            removeAwaiting(s);
        }
        lastArrived.put(s.key, s);
    }

    private void removeAwaiting(Sent s) {
        ArrayDeque<Sent> q = awaiting.get(s.key);
        if (q != null) {
            if (q.peek() == s) {
                q.poll();
            } else {
                q.removeIf(x -> x == s);
            }
            if (q.isEmpty()) {
                awaiting.remove(s.key);
            }
        }
    }

    /**
     * Forgets the sends older than the retention, and the oldest beyond the bound of their kind.
     *
     * @param now the pipeline's time, epoch ms
     */
    void forgetOld(long now) {
        publishedBytes = forgetOld(publishedOrder, publishedBytes, now);
        sampledOutBytes = forgetOld(sampledOutOrder, sampledOutBytes, now);
    }

    /** Forgets from the head of one kind's sends; returns the bytes its remaining sends keep. */
    private long forgetOld(ArrayDeque<Sent> order, long bytes, long now) {
        while (!order.isEmpty() && (order.size() > maxPerKind || order.peek().at < now - retentionMs
                || (bytes > maxBytesPerKind && order.size() > 1))) {
            Sent s = order.poll();
            bytes -= s.bytes;
            byIdentity.remove(s.message, s);
            if (!s.arrived) {
                removeAwaiting(s);
            }
            lastArrived.remove(s.key, s);
        }
        return bytes;
    }

    /** Bytes of entries and snapshots the remembered sends keep alive, published and sampled out. */
    long bytes() {
        return publishedBytes + sampledOutBytes;
    }

    /** How many sends are remembered, published and sampled out. */
    int size() {
        return publishedOrder.size() + sampledOutOrder.size();
    }

    /** Forgets every send (the stream follows another group: arrivals of the old one are left out). */
    void clear() {
        byIdentity.clear();
        awaiting.clear();
        lastArrived.clear();
        publishedOrder.clear();
        sampledOutOrder.clear();
        publishedBytes = 0;
        sampledOutBytes = 0;
    }

    /** An AppendEntries' content: within one leader's term, its indexes name its entries. */
    private record AppendKey(int from, int to, long term, long prevLogIndex, long prevLogTerm, long commit,
            int entries) {
    }

    /** An InstallSnapshot's content. */
    private record SnapshotKey(int from, int to, long term, long index, long snapshotTerm, int bytes) {
    }
}
