package io.raftline.api;

import io.raftline.kv.KvEntry;
import java.util.Optional;

/**
 * The answer to a read of one key.
 *
 * @param entry        the key's entry, or empty if the key does not exist
 * @param appliedIndex the log index the read reflects
 */
public record GetResult(Optional<KvEntry> entry, long appliedIndex) {
}
