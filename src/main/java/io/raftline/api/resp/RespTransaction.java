package io.raftline.api.resp;

import io.raftline.kv.KvCommand;
import io.raftline.kv.KvResult;
import io.raftline.kv.TxnOp;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The commands a client queued between MULTI and EXEC, as the operations of one Raftline transaction: EXEC proposes
 * them as one log entry, so they apply all together, in order, with no other write in between (Redis's guarantee),
 * and each command's reply is read back from its operations' results. Several commands may write the same key, each
 * seeing the writes before it ({@code INCR k; INCR k} answers 1 then 2). A command that cannot be queued (unknown,
 * wrong arity, or one a transaction cannot hold) makes the transaction fail at EXEC with EXECABORT, as Redis discards
 * a transaction one of whose commands was refused. Only the connection's event loop touches it.
 */
final class RespTransaction {

    /**
     * One queued command: its operations and how its reply is made from their results.
     *
     * @param ops   the operations, in order (none for PING or ECHO)
     * @param bytes the bytes of its arguments, keys and values
     * @param reply the reply, from the results of {@code ops}
     */
    record Queued(List<TxnOp> ops, long bytes, Function<List<KvResult.OpResult>, RespReply> reply) {
    }

    private final List<Queued> queued = new ArrayList<>();
    private final long maxBytes;
    private int ops;
    private long bytes;
    private boolean refused;

    /**
     * A transaction begun by MULTI.
     *
     * @param maxBytes most key and value bytes its commands may carry together (what one request may)
     */
    RespTransaction(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /**
     * Queues a command, or refuses it (the whole transaction then fails at EXEC).
     *
     * @param command the command's operations and reply
     * @throws RespError if the transaction would grow beyond one transaction's size
     */
    void add(Queued command) {
        long more = command.bytes();
        if (ops + command.ops().size() > KvCommand.MAX_TXN_ITEMS || queued.size() >= KvCommand.MAX_TXN_ITEMS) {
            throw refuse(new RespError("ERR the transaction would hold more than " + KvCommand.MAX_TXN_ITEMS
                    + " commands or keys: Raftline runs at most that many in one atomic transaction (one log entry)"));
        }
        if (bytes + more > maxBytes) {
            throw refuse(new RespError("ERR the transaction's keys and values would take more than " + maxBytes
                    + " bytes, what one request may carry"));
        }
        ops += command.ops().size();
        bytes += more;
        queued.add(command);
    }

    /** Marks the transaction refused (a command of it was): EXEC will discard it. */
    void refuse() {
        refused = true;
    }

    private RespError refuse(RespError why) {
        refuse();
        return why;
    }

    /** Whether a command was refused, so EXEC discards the transaction. */
    boolean refused() {
        return refused;
    }

    /** Every queued command's operations, in order: the transaction's one branch. */
    List<TxnOp> operations() {
        List<TxnOp> all = new ArrayList<>(ops);
        for (Queued q : queued) {
            all.addAll(q.ops());
        }
        return all;
    }

    /**
     * Each command's reply from the transaction's results (one per operation, in order).
     *
     * @param results the results
     * @return the replies, one per queued command
     */
    List<RespReply> replies(List<KvResult.OpResult> results) {
        List<RespReply> out = new ArrayList<>(queued.size());
        int at = 0;
        for (Queued q : queued) {
            int n = q.ops().size();
            out.add(q.reply().apply(results.subList(at, at + n)));
            at += n;
        }
        return out;
    }
}
