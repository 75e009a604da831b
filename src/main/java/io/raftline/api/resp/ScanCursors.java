package io.raftline.api.resp;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where each SCAN left off. Redis's cursor is a number that encodes a position in its hash table; Raftline's keys
 * are ordered, so the position is the last key returned, which is not a number. Clients insist on numbers (redis-cli
 * parses the cursor as one), so the node hands out a fresh number per page and remembers its key here, for the most
 * recent {@code capacity} pages. A cursor is valid on the node that returned it, for as long as it is remembered;
 * an unknown one is an error, never a silent restart.
 */
final class ScanCursors {

    private final int capacity;
    private final Map<Long, String> positions;
    private long next = 1;

    ScanCursors(int capacity) {
        this.capacity = capacity;
        this.positions = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, String> eldest) {
                return size() > ScanCursors.this.capacity;
            }
        };
    }

    /** Remembers a position; the cursor to hand out for it (never 0, which means "start" and "done"). */
    synchronized long save(String lastKey) {
        long cursor = next++;
        positions.put(cursor, lastKey);
        return cursor;
    }

    /** The position of a cursor handed out earlier, or null if unknown (never given, or forgotten). */
    synchronized String position(long cursor) {
        return positions.get(cursor);
    }
}
