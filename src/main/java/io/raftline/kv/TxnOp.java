package io.raftline.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One operation of a transaction branch ({@link KvCommand.Txn}): a write, a delete, an increment, an edit of a value
 * or a read of one key. The operations of the branch that runs are applied in order, all at the transaction's
 * revision, so a read sees the writes before it in the same branch.
 */
public sealed interface TxnOp permits TxnOp.Put, TxnOp.PutIf, TxnOp.Delete, TxnOp.Increment, TxnOp.Edit, TxnOp.Get {

    /**
     * The key the operation is about.
     *
     * @return the key
     */
    String key();

    /**
     * Writes {@code value} under {@code key}. The value is copied in and out, so a put never changes after it is
     * built; one decoded from a log entry instead views the value inside the entry's bytes ({@code viewing}), so that
     * the key's new {@link KvEntry} shares it without a copy, as {@link KvCommand.Put} does. A class rather than a
     * record for that reason: a transaction (a Redis MSET) may carry {@code max_body_bytes} of values, and each copy
     * of them on every replica was that much more to allocate and collect.
     */
    final class Put implements TxnOp {

        private final String key;
        private final byte[] bytes;
        private final int offset;
        private final int length;

        /**
         * Validates the key and value and copies the value.
         *
         * @param key   the key
         * @param value the value, copied
         */
        public Put(String key, byte[] value) {
            this(KvCommand.validateKey(key), KvCommand.validateValue(value).clone(), 0, value.length);
        }

        /**
         * Validates the key and value and takes {@code value} as it is, without the copy the constructor makes: for a
         * request's value in an array of its own (a decoded body or argument), which the caller hands over and never
         * changes.
         *
         * @param key   the key
         * @param value the value, kept (not copied)
         * @return the put
         */
        public static Put taking(String key, byte[] value) {
            return new Put(KvCommand.validateKey(key), KvCommand.validateValue(value), 0, value.length);
        }

        private Put(String key, byte[] bytes, int offset, int length) {
            this.key = key;
            this.bytes = bytes;
            this.offset = offset;
            this.length = length;
        }

        /**
         * A put whose value is {@code bytes[offset, offset + length)}, not copied: for the decoder, which has checked
         * the key and the value's size, and whose array nobody changes.
         */
        static Put viewing(String key, byte[] bytes, int offset, int length) {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            return new Put(key, bytes, offset, length);
        }

        @Override
        public String key() {
            return key;
        }

        /**
         * Returns a copy of the value.
         *
         * @return the value bytes
         */
        public byte[] value() {
            return Arrays.copyOfRange(bytes, offset, offset + length);
        }

        /** The value's size in bytes. */
        int valueLength() {
            return length;
        }

        /** Copies the value into {@code out} at {@code pos}; returns the position after it. */
        int copyValue(byte[] out, int pos) {
            System.arraycopy(bytes, offset, out, pos, length);
            return pos + length;
        }

        /** The key's entry after this put, sharing the value's bytes (nothing changes them). */
        KvEntry entry(String storedKey, long createRevision, long modRevision, long version) {
            return KvEntry.sharing(storedKey, bytes, offset, length, createRevision, modRevision, version);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && key.equals(p.key)
                    && Arrays.equals(bytes, offset, offset + length, p.bytes, p.offset, p.offset + p.length);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Bytes.hashCode(bytes, offset, length));
        }

        @Override
        public String toString() {
            return "Put[" + key + "=" + Bytes.preview(value()) + "]";
        }
    }

    /**
     * A {@link Put} made only if its key is absent ({@link When#ABSENT}, Redis's {@code SET ... NX}) or present
     * ({@link When#PRESENT}, {@code SET ... XX}) at that point of the branch (after the branch's earlier operations),
     * else nothing: Redis's SET with NX or XX inside MULTI, whose refusal answers nil for that command while the
     * transaction's other commands apply. A transaction's comparisons cannot say this: they are evaluated once, before
     * any operation, and choose the branch of the whole transaction.
     *
     * @param put  the write to make
     * @param when the state of the key the write needs
     */
    record PutIf(Put put, When when) implements TxnOp {

        /** The state of the key a {@link PutIf} needs. */
        public enum When {
            /** The key does not exist (Redis's NX). */
            ABSENT,
            /** The key exists (Redis's XX). */
            PRESENT
        }

        /**
         * Checks that both are given.
         *
         * @param put  the write
         * @param when the condition
         */
        public PutIf {
            Objects.requireNonNull(put, "put");
            Objects.requireNonNull(when, "when");
        }

        @Override
        public String key() {
            return put.key();
        }

        /** Whether the write is made when the key's entry is {@code current} (null: absent). */
        boolean holds(KvEntry current) {
            return (current == null) == (when == When.ABSENT);
        }
    }

    /**
     * Deletes {@code key} (nothing if it is absent).
     *
     * @param key the key
     */
    record Delete(String key) implements TxnOp {
        /**
         * Validates the key.
         *
         * @param key the key
         */
        public Delete {
            KvCommand.validateKey(key);
        }
    }

    /**
     * Adds {@code delta} to the decimal integer stored under {@code key} (an absent key counts as 0), as
     * {@link KvCommand.Increment} does alone: Redis's INCR, DECR, INCRBY and DECRBY inside MULTI. A value that is not
     * the decimal text of a signed 64-bit integer, or a result beyond one, leaves the key as it is and makes this
     * operation's result an error; the transaction's other operations apply all the same (as Redis's EXEC runs every
     * queued command whatever one of them answers).
     *
     * @param key   the key
     * @param delta what to add (negative to subtract)
     */
    record Increment(String key, long delta) implements TxnOp {
        /**
         * Validates the key.
         *
         * @param key   the key
         * @param delta what to add
         */
        public Increment {
            KvCommand.validateKey(key);
        }
    }

    /**
     * Reads {@code key}.
     *
     * @param key the key
     */
    record Get(String key) implements TxnOp {
        /**
         * Validates the key.
         *
         * @param key the key
         */
        public Get {
            KvCommand.validateKey(key);
        }
    }

    /**
     * An edit of a key's value computed where it applies, as the command of the same kind does alone: Redis's APPEND
     * ({@link KvCommand.Append}), SETRANGE ({@link KvCommand.SetRange}) and INCRBYFLOAT
     * ({@link KvCommand.IncrementByFloat}) inside MULTI. An edit the state machine refuses (an append past the largest
     * value, a value that is not a number) leaves the key as it is and makes this operation's result an error; the
     * transaction's other operations apply all the same, as for an {@link Increment}. A transaction holding an edit is
     * a log entry of its own op code, which nodes from before 2026-12-07 do not apply ({@link KvCodec#opOf}).
     *
     * @param command the edit, validated as it is alone
     */
    record Edit(KvCommand command) implements TxnOp {
        /**
         * Checks that the command is one of the edits.
         *
         * @param command an append, a set range or an increment by a float
         */
        public Edit {
            if (!(command instanceof KvCommand.Append || command instanceof KvCommand.SetRange
                    || command instanceof KvCommand.IncrementByFloat)) {
                throw new IllegalArgumentException("not an edit of a value: " + command);
            }
        }

        @Override
        public String key() {
            return command instanceof KvCommand.Append a ? a.key()
                    : command instanceof KvCommand.SetRange r ? r.key() : ((KvCommand.IncrementByFloat) command).key();
        }
    }
}
