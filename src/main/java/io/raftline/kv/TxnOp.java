package io.raftline.kv;

import java.util.Arrays;
import java.util.Objects;

/**
 * One operation of a transaction branch ({@link KvCommand.Txn}): a write, a delete or a read of one key. The
 * operations of the branch that runs are applied in order, all at the transaction's revision, so a read sees the
 * writes before it in the same branch.
 */
public sealed interface TxnOp permits TxnOp.Put, TxnOp.Delete, TxnOp.Get {

    /**
     * The key the operation is about.
     *
     * @return the key
     */
    String key();

    /**
     * Writes {@code value} under {@code key}.
     *
     * @param key   the key
     * @param value the value
     */
    record Put(String key, byte[] value) implements TxnOp {
        /**
         * Validates the key and value.
         *
         * @param key   the key
         * @param value the value
         */
        public Put {
            KvCommand.validateKey(key);
            value = KvCommand.validateValue(value).clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        byte[] sharedValue() {
            return value;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p && key.equals(p.key) && Arrays.equals(value, p.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "Put[" + key + "=" + Bytes.preview(value) + "]";
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
}
