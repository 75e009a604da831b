package io.raftline.kv;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The binary encoding of a {@link KvCommand} inside a Raft log entry.
 *
 * <p>Log entries outlive the code that wrote them, so the first byte is a format version and
 * decoding is strict: every byte string decodes to at most one command, and a successfully
 * decoded command re-encodes to exactly the same bytes. Anything else (truncation, unknown
 * version or op code, over-long or non-minimal varints, malformed UTF-8, out-of-range fields,
 * trailing bytes) is a {@link KvFormatException} naming the problem and its offset; no other
 * exception escapes {@link #decode}, whatever the input.
 *
 * <p>Format version 1 (varint = unsigned LEB128, minimally encoded; text = UTF-8):
 * <pre>
 * Put:    01 01 varint(keyLen) key varint(idemLen+1) idem varint(expectedRevision+1)
 *         varint(valueLen) value
 * Delete: 01 02 varint(keyLen) key varint(idemLen+1) idem
 * Compare-and-delete: 01 03 varint(keyLen) key varint(idemLen+1) idem varint(expectedRevision+1)
 * </pre>
 * Transaction: 01 04 varint(n) n × compare, varint(n) n × op (success), varint(n) n × op (failure)
 *   compare:   u8 target (0 value, 1 mod revision, 2 create revision, 3 version) u8 op (0 =, 1 !=, 2 &lt;, 3 &gt;)
 *              varint(keyLen) key, then varint(valueLen) value for a value comparison, else varint(number)
 *   op:        u8 kind (1 put, 2 delete, 3 get, 4 increment, 5 conditional put) varint(keyLen) key, then
 *              varint(valueLen) value for a put, varint(zigzag(delta)) for an increment, u8 when (0 absent, 1
 *              present) varint(valueLen) value for a conditional put (kinds 4 and 5 added 2026-12-06: older code
 *              refuses them)
 * </pre>
 * Increment: 01 05 varint(keyLen) key varint(zigzag(delta))
 * Append: 01 07 varint(keyLen) key varint(suffixLen) suffix (added 2026-12-06: older code refuses it)
 * Set range: 01 08 varint(keyLen) key varint(offset) varint(bytesLen) bytes, at least one byte, ending within
 * {@link KvCommand#MAX_VALUE_BYTES} (added 2026-12-07: a node of 2026-12-06 stops at it, older ones skip it)
 * Increment by float: 01 09 varint(keyLen) key varint(textLen) text, the increment as {@code BigDecimal.toString()}
 * writes it (canonical: other text for the same number is refused), within {@code long double}'s range (added
 * 2026-12-07, as op 8)
 * Transaction whose branches may write a key more than once ({@link KvCommand.Txn#repeatedWrites()}, Redis's
 * MULTI): 01 06, then as a transaction. An entry 01 04 that writes a key twice is refused, as it always was.
 * Transaction holding an edit ({@link TxnOp.Edit}: Redis's APPEND, SETRANGE or INCRBYFLOAT inside MULTI): 01 0A u8
 * flags (1 if its branches may write a key more than once, else 0), then as a transaction whose ops may also be of
 * kind 6 (append: varint(keyLen) key varint(suffixLen) suffix), 7 (set range: varint(keyLen) key varint(offset)
 * varint(bytesLen) bytes) or 8 (increment by float: varint(keyLen) key varint(textLen) text), each field as in the
 * command of its own; at least one op is an edit, and ops 4 and 6 never hold one (added 2026-12-07, as op 10: a node
 * of 2026-12-06 skips it, one of the morning of 2026-12-07 stops at it)
 * Rename: 01 0B varint(sourceLen) source varint(targetLen) target u8 flags (1 if only when the target is absent, else 0)
 * (added 2026-12-07, as op 11)
 * Ops 3, 4, 5 and 6 were added later in the same version (older code refuses it as an unknown op, as it must); an
 * unconditional delete is always op 2, so op 3 never carries {@code expectedRevision = -1}. A version, op,
 * transaction operation, comparison or put condition above those this codec knows is reported as
 * {@linkplain KvFormatException#fromNewerRelease() from a newer release}, and the state machine stops at such an
 * entry instead of skipping it (code from before 2026-12-07 skipped it as rejected, and its state went apart).
 * <pre>
 * where {@code idemLen+1 = 0} encodes a {@code null} idempotency key (and no idem bytes follow),
 * and {@code expectedRevision+1} is taken as an unsigned 64-bit number, so -1 encodes as 0.
 */
public final class KvCodec {

    /** The format version this codec writes, and the only one it reads. */
    public static final int FORMAT_VERSION = 1;

    static final int OP_PUT = 1;
    static final int OP_DELETE = 2;
    static final int OP_DELETE_IF = 3;
    static final int OP_TXN = 4;
    static final int OP_INCREMENT = 5;
    static final int OP_TXN_REPEATED_WRITES = 6;
    static final int OP_APPEND = 7;
    static final int OP_SET_RANGE = 8;
    static final int OP_INCREMENT_BY_FLOAT = 9;
    static final int OP_TXN_EDITS = 10;
    static final int OP_RENAME = 11;
    /** The highest op code this codec reads: what a node tells its peers it applies ({@link #opOf}). */
    public static final int HIGHEST_OP = OP_RENAME;
    /** The highest op code of the releases of 2026-12-06, which do not say what they apply. */
    public static final int OP_OF_2026_12_06 = OP_APPEND;
    static final int TXN_PUT = 1;
    static final int TXN_DELETE = 2;
    static final int TXN_GET = 3;
    static final int TXN_INCREMENT = 4;
    static final int TXN_PUT_IF = 5;
    static final int TXN_APPEND = 6;
    static final int TXN_SET_RANGE = 7;
    static final int TXN_INCREMENT_BY_FLOAT = 8;
    /** The flag of a rename made only if its target is absent (Redis's RENAMENX). */
    private static final int RENAME_FLAG_ONLY_IF_ABSENT = 1;
    /** The flag of an {@link #OP_TXN_EDITS} transaction whose branches may write a key more than once. */
    private static final int TXN_FLAG_REPEATED_WRITES = 1;

    private KvCodec() {
    }

    /**
     * Encodes a command in the current format version.
     *
     * @param command the command to encode
     * @return a new array holding the encoding
     */
    public static byte[] encode(KvCommand command) {
        Objects.requireNonNull(command, "command");
        if (command instanceof KvCommand.Txn txn) {
            return encodeTxn(txn);
        }
        if (command instanceof KvCommand.Increment inc) {
            byte[] key = inc.key().getBytes(StandardCharsets.UTF_8);
            long zigzag = zigzag(inc.delta());
            byte[] out = new byte[2 + (int) sized(key.length) + Varint.size(zigzag)];
            out[0] = FORMAT_VERSION;
            out[1] = OP_INCREMENT;
            int pos = Varint.write(out, sizedCopy(key, out, 2), zigzag);
            assert pos == out.length;
            return out;
        }
        if (command instanceof KvCommand.Append || command instanceof KvCommand.SetRange
                || command instanceof KvCommand.IncrementByFloat) {
            return encodeEdit(new TxnOp.Edit(command));
        }
        if (command instanceof KvCommand.Rename rename) {
            byte[] source = rename.source().getBytes(StandardCharsets.UTF_8);
            byte[] target = rename.target().getBytes(StandardCharsets.UTF_8);
            byte[] out = new byte[2 + (int) sized(source.length) + (int) sized(target.length) + 1];
            out[0] = FORMAT_VERSION;
            out[1] = OP_RENAME;
            int pos = sizedCopy(target, out, sizedCopy(source, out, 2));
            out[pos++] = (byte) (rename.onlyIfAbsent() ? RENAME_FLAG_ONLY_IF_ABSENT : 0);
            assert pos == out.length;
            return out;
        }
        KvCommand.SingleKey single = (KvCommand.SingleKey) command;
        byte[] key = single.key().getBytes(StandardCharsets.UTF_8);
        String idemText = command.idempotencyKey();
        byte[] idem = idemText == null ? null : idemText.getBytes(StandardCharsets.UTF_8);
        int idemSize = idem == null ? 1 : Varint.size(idem.length + 1L) + idem.length;
        int size = 2 + Varint.size(key.length) + key.length + idemSize;
        KvCommand.Put value = null;
        long revisionField = 0;
        int op = OP_DELETE;
        if (command instanceof KvCommand.Put put) {
            op = OP_PUT;
            value = put;
            revisionField = put.expectedRevision() + 1;
            size += Varint.size(revisionField) + Varint.size(put.valueLength()) + put.valueLength();
        } else if (((KvCommand.Delete) command).expectedRevision() != KvCommand.UNCONDITIONAL) {
            op = OP_DELETE_IF;
            revisionField = ((KvCommand.Delete) command).expectedRevision() + 1;
            size += Varint.size(revisionField);
        }
        byte[] out = new byte[size];
        int pos = 0;
        out[pos++] = FORMAT_VERSION;
        out[pos++] = (byte) op;
        pos = Varint.write(out, pos, key.length);
        pos = copy(key, out, pos);
        if (idem == null) {
            out[pos++] = 0;
        } else {
            pos = Varint.write(out, pos, idem.length + 1L);
            pos = copy(idem, out, pos);
        }
        if (op == OP_DELETE_IF) {
            pos = Varint.write(out, pos, revisionField);
        } else if (value != null) {
            pos = Varint.write(out, pos, revisionField);
            pos = Varint.write(out, pos, value.valueLength());
            pos = value.copyValue(out, pos);
        }
        assert pos == size;
        return out;
    }

    /**
     * The fingerprint of a put or a delete: what an idempotency record keeps of the request it answered, so that a
     * request reusing the record's idempotency key is answered with the recorded result only if it is the same
     * request (the same key, precondition and value; see {@link KvStateMachine}).
     *
     * <p>It is the first 8 bytes, big-endian, of the SHA-256 of the command's format-1 encoding ({@link #encode})
     * with no idempotency key: everything the command says but its name. Computed from the command alone, so every
     * replica computes the same one from the same log entry, whatever node or API the request came through; being
     * kept in snapshots, it must never change for a given command. SHA-256 rather than a faster hash: two different
     * requests under one idempotency key get the same fingerprint with a chance of 2^-64, and the JDK's digest
     * is specified once and for all, where a hand-written one would be one more thing to keep stable.
     *
     * @param command the put or delete
     * @return the fingerprint
     */
    static long fingerprint(KvCommand.SingleKey command) {
        byte[] key = command.key().getBytes(StandardCharsets.UTF_8);
        KvCommand.Put put = command instanceof KvCommand.Put p ? p : null;
        int op = put != null ? OP_PUT : command.expectedRevision() == KvCommand.UNCONDITIONAL ? OP_DELETE : OP_DELETE_IF;
        byte[] head = new byte[2 + Varint.size(key.length) + key.length + 1 + 2 * Varint.MAX_BYTES];
        int pos = 0;
        head[pos++] = FORMAT_VERSION;
        head[pos++] = (byte) op;
        pos = Varint.write(head, pos, key.length);
        pos = copy(key, head, pos);
        head[pos++] = 0; // no idempotency key
        if (op != OP_DELETE) {
            pos = Varint.write(head, pos, command.expectedRevision() + 1);
        }
        if (put != null) {
            pos = Varint.write(head, pos, put.valueLength());
        }
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
        sha256.update(head, 0, pos);
        if (put != null) {
            put.digestValue(sha256);
        }
        byte[] digest = sha256.digest();
        long fingerprint = 0;
        for (int i = 0; i < 8; i++) {
            fingerprint = (fingerprint << 8) | (digest[i] & 0xFF);
        }
        return fingerprint;
    }

    /**
     * The op code a command is written with: a node applies the entries of the op codes up to the one it reports, and
     * a leader proposes a command only once every member applies its op ({@code io.raftline.api.ReleaseGate}).
     *
     * @param command the command
     * @return its op code, 1 to {@link #HIGHEST_OP}
     */
    public static int opOf(KvCommand command) {
        if (command instanceof KvCommand.Put) {
            return OP_PUT;
        }
        if (command instanceof KvCommand.Delete d) {
            return d.expectedRevision() == KvCommand.UNCONDITIONAL ? OP_DELETE : OP_DELETE_IF;
        }
        if (command instanceof KvCommand.Txn t) {
            return t.holdsEdits() ? OP_TXN_EDITS : t.repeatedWrites() ? OP_TXN_REPEATED_WRITES : OP_TXN;
        }
        if (command instanceof KvCommand.Increment) {
            return OP_INCREMENT;
        }
        if (command instanceof KvCommand.Append) {
            return OP_APPEND;
        }
        if (command instanceof KvCommand.SetRange) {
            return OP_SET_RANGE;
        }
        if (command instanceof KvCommand.Rename) {
            return OP_RENAME;
        }
        return OP_INCREMENT_BY_FLOAT;
    }

    /**
     * Decodes a command, refusing anything that {@link #encode} would not have produced.
     *
     * <p>A decoded put's value is a view of {@code bytes}, not a copy (the state machine keeps it as the key's value
     * without copying it again): {@code bytes} must not change afterwards, as a log entry's never does.
     *
     * @param bytes the encoding, as stored in a log entry
     * @return the command
     * @throws KvFormatException if the bytes are not a valid encoding
     */
    public static KvCommand decode(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        Reader in = new Reader(bytes);
        int version = in.readByte("format version");
        if (version != FORMAT_VERSION) {
            String problem = "unknown format version " + version + " (this codec reads version " + FORMAT_VERSION + ")";
            throw version > FORMAT_VERSION ? KvFormatException.unknownToThisRelease(problem, 0)
                    : new KvFormatException(problem, 0);
        }
        int op = in.readByte("op code");
        if (op < OP_PUT) {
            throw new KvFormatException("unknown op code " + op, 1);
        }
        if (op > HIGHEST_OP) {
            throw KvFormatException.unknownToThisRelease("unknown op code " + op, 1);
        }
        if (op == OP_INCREMENT) {
            String key = in.readText("key", in.readLength("key length", KvCommand.MAX_KEY_BYTES));
            long zigzag = in.readVarint("delta");
            in.requireEnd();
            return new KvCommand.Increment(key, unzigzag(zigzag));
        }
        if (op == OP_RENAME) {
            String source = in.readText("source key", in.readLength("source key length", KvCommand.MAX_KEY_BYTES));
            String target = in.readText("target key", in.readLength("target key length", KvCommand.MAX_KEY_BYTES));
            int flagsAt = in.pos;
            int flags = in.readByte("rename flags");
            if ((flags & ~RENAME_FLAG_ONLY_IF_ABSENT) != 0) {
                throw KvFormatException.unknownToThisRelease("unknown rename flags " + flags, flagsAt);
            }
            in.requireEnd();
            return new KvCommand.Rename(source, target, flags == RENAME_FLAG_ONLY_IF_ABSENT);
        }
        if (op == OP_INCREMENT_BY_FLOAT || op == OP_SET_RANGE || op == OP_APPEND) {
            String key = in.readText("key", in.readLength("key length", KvCommand.MAX_KEY_BYTES));
            KvCommand edit = readEdit(in, op, key);
            in.requireEnd();
            return edit;
        }
        if (op == OP_TXN || op == OP_TXN_REPEATED_WRITES || op == OP_TXN_EDITS) {
            boolean repeatedWrites = op == OP_TXN_REPEATED_WRITES;
            if (op == OP_TXN_EDITS) {
                int flagsAt = in.pos;
                int flags = in.readByte("transaction flags");
                if ((flags & ~TXN_FLAG_REPEATED_WRITES) != 0) {
                    throw KvFormatException.unknownToThisRelease("unknown transaction flags " + flags, flagsAt);
                }
                repeatedWrites = flags == TXN_FLAG_REPEATED_WRITES;
            }
            int at = in.pos;
            KvCommand.Txn txn = decodeTxn(in, repeatedWrites, op == OP_TXN_EDITS);
            if ((op == OP_TXN_EDITS) != txn.holdsEdits()) {
                throw new KvFormatException("a transaction of op " + OP_TXN_EDITS + " holds no append, set range or"
                        + " increment by float", at);
            }
            in.requireEnd();
            return txn;
        }
        String key = in.readText("key", in.readLength("key length", KvCommand.MAX_KEY_BYTES));
        String idempotencyKey = readIdempotencyKey(in);
        KvCommand command;
        if (op == OP_PUT) {
            int at = in.pos;
            long expectedRevision = in.readVarint("expected revision") - 1;
            if (expectedRevision < KvCommand.UNCONDITIONAL) {
                throw new KvFormatException("expected revision out of range", at);
            }
            int length = in.readLength("value length", KvCommand.MAX_VALUE_BYTES);
            command = KvCommand.Put.viewing(key, bytes, in.skip("value", length), length, expectedRevision,
                    idempotencyKey);
        } else if (op == OP_DELETE_IF) {
            int at = in.pos;
            long expectedRevision = in.readVarint("expected revision") - 1;
            if (expectedRevision < KvCommand.MUST_NOT_EXIST) {
                throw new KvFormatException("expected revision out of range for a compare-and-delete", at);
            }
            command = new KvCommand.Delete(key, expectedRevision, idempotencyKey);
        } else {
            command = new KvCommand.Delete(key, idempotencyKey);
        }
        in.requireEnd();
        return command;
    }

    /**
     * Encodes a transaction into one array of exactly its size: a first pass sizes it (the keys are encoded to UTF-8
     * once, there), a second writes it. A transaction may carry {@code max_body_bytes} of values (64 MiB at most), so
     * growing a stream would allocate about twice that and copy it again at the end.
     */
    private static byte[] encodeTxn(KvCommand.Txn txn) {
        List<TxnCompare> compares = txn.compares();
        List<List<TxnOp>> branches = List.of(txn.success(), txn.failure());
        byte[][] keys = new byte[compares.size() + txn.success().size() + txn.failure().size()][];
        int k = 0;
        boolean edits = txn.holdsEdits();
        long size = 2 + (edits ? 1 : 0) + Varint.size(compares.size());
        for (TxnCompare c : compares) {
            keys[k] = c.key().getBytes(StandardCharsets.UTF_8);
            size += 2 + sized(keys[k++].length) + (c.target() == TxnCompare.Target.VALUE
                    ? sized(c.sharedValue().length) : Varint.size(c.number()));
        }
        for (List<TxnOp> branch : branches) {
            size += Varint.size(branch.size());
            for (TxnOp op : branch) {
                keys[k] = op.key().getBytes(StandardCharsets.UTF_8);
                size += 1 + sized(keys[k++].length) + (op instanceof TxnOp.Put put ? sized(put.valueLength())
                        : op instanceof TxnOp.PutIf putIf ? 1 + sized(putIf.put().valueLength())
                        : op instanceof TxnOp.Increment inc ? Varint.size(zigzag(inc.delta()))
                        : op instanceof TxnOp.Edit edit ? editSize(edit.command()) : 0);
            }
        }
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("transaction of " + size + " bytes cannot be encoded");
        }
        byte[] out = new byte[(int) size];
        int pos = 0;
        out[pos++] = FORMAT_VERSION;
        if (edits) {
            out[pos++] = OP_TXN_EDITS;
            out[pos++] = (byte) (txn.repeatedWrites() ? TXN_FLAG_REPEATED_WRITES : 0);
        } else {
            out[pos++] = (byte) (txn.repeatedWrites() ? OP_TXN_REPEATED_WRITES : OP_TXN);
        }
        pos = Varint.write(out, pos, compares.size());
        k = 0;
        for (TxnCompare c : compares) {
            out[pos++] = (byte) c.target().ordinal();
            out[pos++] = (byte) c.op().ordinal();
            pos = sizedCopy(keys[k++], out, pos);
            pos = c.target() == TxnCompare.Target.VALUE ? sizedCopy(c.sharedValue(), out, pos)
                    : Varint.write(out, pos, c.number());
        }
        for (List<TxnOp> branch : branches) {
            pos = Varint.write(out, pos, branch.size());
            for (TxnOp op : branch) {
                out[pos++] = (byte) (op instanceof TxnOp.Put ? TXN_PUT : op instanceof TxnOp.Delete ? TXN_DELETE
                        : op instanceof TxnOp.Increment ? TXN_INCREMENT : op instanceof TxnOp.PutIf ? TXN_PUT_IF
                        : op instanceof TxnOp.Edit edit ? txnKindOf(edit.command()) : TXN_GET);
                pos = sizedCopy(keys[k++], out, pos);
                if (op instanceof TxnOp.Put put) {
                    pos = put.copyValue(out, Varint.write(out, pos, put.valueLength()));
                } else if (op instanceof TxnOp.PutIf putIf) {
                    out[pos++] = (byte) putIf.when().ordinal();
                    pos = putIf.put().copyValue(out, Varint.write(out, pos, putIf.put().valueLength()));
                } else if (op instanceof TxnOp.Increment inc) {
                    pos = Varint.write(out, pos, zigzag(inc.delta()));
                } else if (op instanceof TxnOp.Edit edit) {
                    pos = writeEdit(edit.command(), out, pos);
                }
            }
        }
        assert pos == out.length;
        return out;
    }

    /** A signed number as an unsigned one small in magnitude both ways (0, -1, 1, -2 ... as 0, 1, 2, 3 ...). */
    private static long zigzag(long n) {
        return (n << 1) ^ (n >> 63);
    }

    private static long unzigzag(long z) {
        return (z >>> 1) ^ -(z & 1);
    }

    /**
     * An append, a set range or an increment by a float as an entry of its own: its op code, its key, then the same
     * fields as a transaction's edit writes after its key ({@link #writeEdit}).
     */
    private static byte[] encodeEdit(TxnOp.Edit edit) {
        byte[] key = edit.key().getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[2 + (int) sized(key.length) + (int) editSize(edit.command())];
        out[0] = FORMAT_VERSION;
        out[1] = (byte) opOf(edit.command());
        int pos = writeEdit(edit.command(), out, sizedCopy(key, out, 2));
        assert pos == out.length;
        return out;
    }

    /** The bytes a length-prefixed field of {@code length} bytes takes. */
    private static long sized(int length) {
        return Varint.size(length) + (long) length;
    }

    private static int sizedCopy(byte[] from, byte[] to, int pos) {
        return copy(from, to, Varint.write(to, pos, from.length));
    }

    /**
     * Reads the fields after the key of an append, a set range or an increment by a float ({@code op}: the command's
     * op code), alone or in a transaction.
     */
    private static KvCommand readEdit(Reader in, int op, String key) {
        if (op == OP_INCREMENT_BY_FLOAT) {
            int textAt = in.pos;
            byte[] text = in.readBytes("increment", in.readLength("increment length",
                    KvCommand.IncrementByFloat.MAX_FLOAT_TEXT));
            java.math.BigDecimal increment = KvCommand.IncrementByFloat.parse(text,
                    KvCommand.IncrementByFloat.MAX_FLOAT_TEXT);
            if (increment == null || !increment.toString().equals(new String(text, StandardCharsets.US_ASCII))) {
                throw new KvFormatException("increment is not a number in its canonical form", textAt);
            }
            return new KvCommand.IncrementByFloat(key, increment);
        }
        if (op == OP_SET_RANGE) {
            int offsetAt = in.pos;
            int offset = in.readLength("offset", KvCommand.MAX_VALUE_BYTES - 1);
            int length = in.readLength("bytes length", KvCommand.MAX_VALUE_BYTES);
            if (length == 0 || (long) offset + length > KvCommand.MAX_VALUE_BYTES) {
                throw new KvFormatException("a set range of " + length + " bytes at offset " + offset
                        + " does not end within " + KvCommand.MAX_VALUE_BYTES + " bytes or writes none", offsetAt);
            }
            return new KvCommand.SetRange(key, offset, in.readBytes("bytes", length));
        }
        return new KvCommand.Append(key, in.readBytes("suffix", in.readLength("suffix length",
                KvCommand.MAX_VALUE_BYTES)));
    }

    /** The kind of a transaction's operation that is the edit {@code edit}. */
    private static int txnKindOf(KvCommand edit) {
        return edit instanceof KvCommand.Append ? TXN_APPEND : edit instanceof KvCommand.SetRange ? TXN_SET_RANGE
                : TXN_INCREMENT_BY_FLOAT;
    }

    /** The bytes an edit's fields after its key take ({@link #writeEdit}). */
    private static long editSize(KvCommand edit) {
        if (edit instanceof KvCommand.Append append) {
            return sized(append.suffix().length);
        }
        if (edit instanceof KvCommand.SetRange range) {
            return Varint.size(range.offset()) + sized(range.bytes().length);
        }
        return sized(((KvCommand.IncrementByFloat) edit).increment().toString().length());
    }

    /** Writes an edit's fields after its key at {@code pos}; returns the position after them. */
    private static int writeEdit(KvCommand edit, byte[] out, int pos) {
        if (edit instanceof KvCommand.Append append) {
            return sizedCopy(append.suffix(), out, pos);
        }
        if (edit instanceof KvCommand.SetRange range) {
            return sizedCopy(range.bytes(), out, Varint.write(out, pos, range.offset()));
        }
        return sizedCopy(((KvCommand.IncrementByFloat) edit).increment().toString()
                .getBytes(StandardCharsets.US_ASCII), out, pos);
    }

    private static KvCommand.Txn decodeTxn(Reader in, boolean repeatedWrites, boolean edits) {
        int compareCount = in.readLength("comparison count", KvCommand.MAX_TXN_ITEMS);
        List<TxnCompare> compares = new ArrayList<>(compareCount);
        for (int i = 0; i < compareCount; i++) {
            int at = in.pos;
            int target = in.readByte("comparison target");
            int op = in.readByte("comparison op");
            if (target >= TxnCompare.Target.values().length || op >= TxnCompare.Op.values().length) {
                throw KvFormatException.unknownToThisRelease("unknown comparison target " + target + " or op " + op,
                        at);
            }
            String key = in.readText("key", in.readLength("key length", KvCommand.MAX_KEY_BYTES));
            TxnCompare.Target t = TxnCompare.Target.values()[target];
            TxnCompare.Op o = TxnCompare.Op.values()[op];
            if (t == TxnCompare.Target.VALUE) {
                byte[] value = in.readBytes("value", in.readLength("value length", KvCommand.MAX_VALUE_BYTES));
                compares.add(TxnCompare.value(key, o, value));
            } else {
                int numberAt = in.pos;
                long number = in.readVarint("comparison operand");
                if (number < 0) {
                    throw new KvFormatException("comparison operand out of range", numberAt);
                }
                compares.add(TxnCompare.number(key, t, o, number));
            }
        }
        List<List<TxnOp>> branches = new ArrayList<>(2);
        for (String branch : new String[] {"success", "failure"}) {
            int count = in.readLength(branch + " operation count", KvCommand.MAX_TXN_ITEMS);
            List<TxnOp> ops = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                int at = in.pos;
                int kind = in.readByte("operation kind");
                if (kind < TXN_PUT) {
                    throw new KvFormatException("unknown transaction operation " + kind, at);
                }
                if (kind > TXN_INCREMENT_BY_FLOAT) {
                    throw KvFormatException.unknownToThisRelease("unknown transaction operation " + kind, at);
                }
                if (kind >= TXN_APPEND && !edits) {
                    throw new KvFormatException("transaction operation " + kind + " outside a transaction of op "
                            + OP_TXN_EDITS, at);
                }
                String key = in.readText("key", in.readLength("key length", KvCommand.MAX_KEY_BYTES));
                if (kind == TXN_PUT) {
                    int length = in.readLength("value length", KvCommand.MAX_VALUE_BYTES);
                    ops.add(TxnOp.Put.viewing(key, in.bytes, in.skip("value", length), length));
                } else if (kind == TXN_PUT_IF) {
                    int whenAt = in.pos;
                    int when = in.readByte("condition");
                    if (when >= TxnOp.PutIf.When.values().length) {
                        throw KvFormatException.unknownToThisRelease("unknown put condition " + when, whenAt);
                    }
                    int length = in.readLength("value length", KvCommand.MAX_VALUE_BYTES);
                    ops.add(new TxnOp.PutIf(TxnOp.Put.viewing(key, in.bytes, in.skip("value", length), length),
                            TxnOp.PutIf.When.values()[when]));
                } else if (kind == TXN_INCREMENT) {
                    ops.add(new TxnOp.Increment(key, unzigzag(in.readVarint("delta"))));
                } else if (kind >= TXN_APPEND) {
                    ops.add(new TxnOp.Edit(readEdit(in, kind == TXN_APPEND ? OP_APPEND
                            : kind == TXN_SET_RANGE ? OP_SET_RANGE : OP_INCREMENT_BY_FLOAT, key)));
                } else {
                    ops.add(kind == TXN_DELETE ? new TxnOp.Delete(key) : new TxnOp.Get(key));
                }
            }
            branches.add(ops);
        }
        try {
            return new KvCommand.Txn(compares, branches.get(0), branches.get(1), repeatedWrites);
        } catch (IllegalArgumentException e) {
            throw new KvFormatException(e.getMessage(), in.pos);
        }
    }

    private static String readIdempotencyKey(Reader in) {
        int at = in.pos;
        long lengthPlusOne = in.readVarint("idempotency key length");
        if (lengthPlusOne == 0) {
            return null;
        }
        long length = lengthPlusOne - 1;
        if (length == 0) {
            throw new KvFormatException("idempotency key is empty", at);
        }
        if (Long.compareUnsigned(length, KvCommand.MAX_IDEMPOTENCY_KEY_BYTES) > 0) {
            throw new KvFormatException("idempotency key length " + Long.toUnsignedString(length)
                    + " exceeds the maximum " + KvCommand.MAX_IDEMPOTENCY_KEY_BYTES, at);
        }
        return in.readText("idempotency key", (int) length);
    }

    private static int copy(byte[] from, byte[] to, int pos) {
        System.arraycopy(from, 0, to, pos, from.length);
        return pos + from.length;
    }

    /** A bounds-checked cursor: every read reports truncation as a {@link KvFormatException}. */
    private static final class Reader {
        private final byte[] bytes;
        private int pos;

        Reader(byte[] bytes) {
            this.bytes = bytes;
        }

        int readByte(String what) {
            if (pos >= bytes.length) {
                throw truncated(what);
            }
            return bytes[pos++] & 0xFF;
        }

        long readVarint(String what) {
            int start = pos;
            long result = 0;
            for (int i = 0; ; i++) {
                int b = readByte(what);
                if (i == Varint.MAX_BYTES - 1 && b > 1) {
                    throw new KvFormatException("varint for " + what + " overflows 64 bits", start);
                }
                result |= (long) (b & 0x7F) << (7 * i);
                if ((b & 0x80) == 0) {
                    if (b == 0 && i > 0) {
                        throw new KvFormatException(
                                "varint for " + what + " is not minimally encoded", start);
                    }
                    return result;
                }
            }
        }

        /** Reads a varint length and checks it against {@code max} (unsigned). */
        int readLength(String what, int max) {
            int start = pos;
            long length = readVarint(what);
            if (Long.compareUnsigned(length, max) > 0) {
                throw new KvFormatException(what + " " + Long.toUnsignedString(length)
                        + " exceeds the maximum " + max, start);
            }
            return (int) length;
        }

        /** Skips {@code length} bytes; returns where they start. */
        int skip(String what, int length) {
            requireRemaining(what, length);
            int start = pos;
            pos += length;
            return start;
        }

        byte[] readBytes(String what, int length) {
            requireRemaining(what, length);
            byte[] out = new byte[length];
            System.arraycopy(bytes, pos, out, 0, length);
            pos += length;
            return out;
        }

        String readText(String what, int length) {
            if (length == 0) {
                throw new KvFormatException(what + " is empty", pos);
            }
            requireRemaining(what, length);
            String text;
            try {
                text = Utf8.decode(bytes, pos, length);
            } catch (CharacterCodingException e) {
                throw new KvFormatException(what + " is not valid UTF-8", pos);
            }
            pos += length;
            return text;
        }

        /** Refuses bytes after the command: {@link #decode} takes exactly what {@link #encode} writes. */
        void requireEnd() {
            if (pos != bytes.length) {
                throw new KvFormatException((bytes.length - pos) + " trailing bytes after the command", pos);
            }
        }

        private void requireRemaining(String what, int length) {
            if (length < 0) {
                throw new KvFormatException(what + " length " + length + " is negative", pos);
            }
            if (length > bytes.length - pos) {
                throw new KvFormatException("truncated: " + what + " needs " + length
                        + " bytes but only " + (bytes.length - pos) + " remain", pos);
            }
        }

        private KvFormatException truncated(String what) {
            return new KvFormatException("truncated: input ends before the " + what, pos);
        }
    }
}
