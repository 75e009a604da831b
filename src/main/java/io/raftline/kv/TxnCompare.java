package io.raftline.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One condition of a transaction ({@link KvCommand.Txn}): a key's value, revision or version compared with an
 * operand, evaluated by every replica against the state at the transaction's place in the log, as etcd's Txn does.
 * A missing key has revision 0, create revision 0 and version 0 (so "the key exists" is {@code version > 0}), and
 * no value: every value comparison of a missing key is false.
 *
 * @param key    the key
 * @param target what of the key is compared
 * @param op     how
 * @param value  the operand of a {@link Target#VALUE} comparison (compared as unsigned bytes), else empty
 * @param number the operand of the other targets, else 0
 */
public record TxnCompare(String key, Target target, Op op, byte[] value, long number) {

    /** What of the key is compared. */
    public enum Target {
        /** The value's bytes, unsigned lexicographic order. */
        VALUE,
        /** The revision of the key's last write (0 if absent). */
        MOD_REVISION,
        /** The revision of the write that created the key (0 if absent). */
        CREATE_REVISION,
        /** How many times the key was written since it was created (0 if absent). */
        VERSION
    }

    /** The comparison. */
    public enum Op {
        /** Equal. */
        EQUAL,
        /** Not equal. */
        NOT_EQUAL,
        /** Less than. */
        LESS,
        /** Greater than. */
        GREATER
    }

    /**
     * Validates every field.
     *
     * @param key    the key
     * @param target what is compared
     * @param op     how
     * @param value  the value operand (VALUE only)
     * @param number the number operand (other targets)
     */
    public TxnCompare {
        KvCommand.validateKey(key);
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(op, "op");
        if (target == Target.VALUE) {
            value = KvCommand.validateValue(value).clone();
            if (number != 0) {
                throw new IllegalArgumentException("a value comparison has no number operand");
            }
        } else {
            if (value != null && value.length > 0) {
                throw new IllegalArgumentException("a " + target + " comparison has no value operand");
            }
            value = new byte[0];
            if (number < 0) {
                throw new IllegalArgumentException(target + " operand must be >= 0, not " + number);
            }
        }
    }

    /** A comparison of the value. */
    public static TxnCompare value(String key, Op op, byte[] value) {
        return new TxnCompare(key, Target.VALUE, op, value, 0);
    }

    /** A comparison of a number (revision, create revision or version). */
    public static TxnCompare number(String key, Target target, Op op, long number) {
        return new TxnCompare(key, target, op, null, number);
    }

    /** The value operand (a copy). */
    @Override
    public byte[] value() {
        return value.clone();
    }

    byte[] sharedValue() {
        return value;
    }

    /**
     * Whether the condition holds for the key's current entry.
     *
     * @param current the entry, or null if the key is absent
     * @return the outcome
     */
    boolean holds(KvEntry current) {
        int cmp;
        if (target == Target.VALUE) {
            if (current == null) {
                return false;
            }
            cmp = current.compareValue(value);
        } else {
            long actual = current == null ? 0 : switch (target) {
                case MOD_REVISION -> current.modRevision();
                case CREATE_REVISION -> current.createRevision();
                default -> current.version();
            };
            cmp = Long.compare(actual, number);
        }
        return switch (op) {
            case EQUAL -> cmp == 0;
            case NOT_EQUAL -> cmp != 0;
            case LESS -> cmp < 0;
            case GREATER -> cmp > 0;
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TxnCompare c && key.equals(c.key) && target == c.target && op == c.op
                && Arrays.equals(value, c.value) && number == c.number;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, target, op, Arrays.hashCode(value), number);
    }

    @Override
    public String toString() {
        return "TxnCompare[" + key + " " + target + " " + op + " "
                + (target == Target.VALUE ? Bytes.preview(value) : String.valueOf(number)) + "]";
    }
}
