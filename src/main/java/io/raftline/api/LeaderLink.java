package io.raftline.api;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.node.ReadConsistency;
import io.vertx.core.Future;
import java.util.List;

/**
 * How a follower hands a client's request to the leader and gets the leader's answer back, the same way for
 * every client protocol. A failure is a {@link io.raftline.node.NodeRequestException} with the leader's own
 * reason (relayed), or {@code leader_unreachable}/{@code timeout} when the leader could not be asked.
 *
 * <p>Every call names the Raft group it is for (0 in a cluster of one group): the leader serves it in that group,
 * which for a keyed request is the group that owns the key ({@link io.raftline.shard.KeyGroups}).
 */
public interface LeaderLink {

    /**
     * Has the leader propose a write.
     *
     * @param leader  the leader's id
     * @param group   the group the write is for
     * @param command the write
     * @return the leader's result
     */
    Future<Served<KvResult>> write(int leader, int group, KvCommand command);

    /**
     * Has the leader read one key.
     *
     * @param leader      the leader's id
     * @param group       the group that owns the key
     * @param key         the key
     * @param consistency linearizable or lease
     * @return the leader's answer
     */
    Future<Served<GetResult>> get(int leader, int group, String key, ReadConsistency consistency);

    /**
     * Has the leader list a prefix.
     *
     * @param leader      the leader's id
     * @param group       the group to list
     * @param prefix      the prefix
     * @param startAfter  the last key of the previous page, or ""
     * @param limit       most entries
     * @param consistency linearizable or lease
     * @param values      whether the entries must hold their values; false: the keys and what is known of them
     *                    ({@link io.raftline.kv.KvEntry#withoutValue}), and a page bounded by its keys' bytes alone
     * @return the leader's answer
     */
    Future<Served<RangeResult>> range(int leader, int group, String prefix, String startAfter, int limit,
            ReadConsistency consistency, boolean values);

    /**
     * Has the leader read several keys, and count every key, at one point of the log.
     *
     * @param leader      the leader's id
     * @param group       the group to read (every key belongs to it)
     * @param keys        the keys (may be empty: only the count)
     * @param consistency linearizable or lease
     * @param fetch       whether the values are needed, and how many bytes of them the answer may carry at most
     * @return the leader's answer
     */
    Future<Served<LookupResult>> lookup(int leader, int group, List<String> keys, ReadConsistency consistency,
            Fetch fetch);
}
