package io.raftline.events;

import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The message ids of a relaying process (one node per process, see {@link EventPublisher#ORIGIN_ADDRESS}). Each
 * process's pipeline numbers the messages it publishes from 1, so the windows of two processes carry the same
 * {@code msgId} for different messages; a browser keeps its arrows, flight times and left-out sends by {@code msgId},
 * so relayed as they are, a loss one process reported would be drawn on another process's arrow. The relay gives each
 * message an id of its own instead: a send gets the next id, and a receive or loss the id of its send, found by the
 * message's sender node and the id its process gave it (the process that published a send is its sender's; the one
 * that publishes its receive or loss must have given it the same id, which today only the sender's process can).
 *
 * <p>A receive or loss whose send was not relayed (this process joined after it, or the send was forgotten) is left
 * out, as the pipeline leaves out the receive of a send it did not publish. The newest {@code capacity} sends are
 * remembered. Used on the publisher's pipeline scheduler only.
 *
 * <p>A relayed send is marked {@code "receipt": false}: its receiver runs in another process, whose pipeline cannot
 * pair the receive with a send it never saw and leaves it out, so no receive will follow (a loss its sender's network
 * reports still does). A browser waits at the receiver's door for the receipt of an unmarked send; without the mark,
 * every arrow of a cluster of one node per process stood there until it timed out a minute later.
 */
final class RelayedMessageIds {

    private final Map<Key, Long> ids;
    private long next;

    /** A message as its publishing process named it. */
    private record Key(int from, long msgId) {
    }

    /**
     * @param capacity sends remembered, at most (beyond it the oldest is forgotten)
     */
    RelayedMessageIds(int capacity) {
        this.ids = new LinkedHashMap<>(1024, 0.75f, false) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Long> eldest) {
                return size() > capacity;
            }
        };
    }

    /**
     * Gives a relayed event the relay's id of its message, in place.
     *
     * @param e a relayed event (events that are not message events are left as they are)
     * @return false if the event is a receive or loss whose send is not known here: leave it out
     */
    boolean renumber(JsonObject e) {
        long msgId = e.getLong("msgId", 0L);
        if (msgId == 0) {
            return true;
        }
        String type = e.getString("type", "");
        Key key = new Key(e.getInteger("from", 0), msgId);
        if (type.equals("MessageSent")) {
            long id = ++next;
            // A send always gets a new id: a process that restarted numbers its messages from 1 again.
            ids.remove(key);
            ids.put(key, id);
            e.put("msgId", id).put("receipt", false);
            return true;
        }
        Long id = ids.get(key);
        if (id == null) {
            return false;
        }
        e.put("msgId", id);
        return true;
    }

    /** How many sends are remembered. */
    int size() {
        return ids.size();
    }
}
