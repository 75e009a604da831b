package io.raftline.api;

import io.raftline.kv.KvEntry;
import java.util.List;

/**
 * The answer to a prefix listing.
 *
 * @param entries      at most the requested number of entries, in key order
 * @param more         whether more entries match the prefix
 * @param appliedIndex the log index the listing reflects
 */
public record RangeResult(List<KvEntry> entries, boolean more, long appliedIndex) {

    /** Copies the list. */
    public RangeResult {
        entries = List.copyOf(entries);
    }
}
