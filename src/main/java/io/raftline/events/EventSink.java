package io.raftline.events;

import io.vertx.core.json.JsonObject;

/**
 * Receives every published event, in {@code seq} order, on the publisher's event loop. Implementations must
 * not block: they buffer and hand slow work (files) to asynchronous I/O.
 */
public interface EventSink {

    /**
     * One published event.
     *
     * @param event the event's JSON (shared: do not modify)
     */
    void accept(JsonObject event);

    /** The end of one flush: a good moment to write out what was buffered. */
    default void endOfBatch() {
    }
}
