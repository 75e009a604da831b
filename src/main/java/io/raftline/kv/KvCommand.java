package io.raftline.kv;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A write that a client proposes and that, once committed by Raft, every replica applies.
 *
 * <p>The set is closed so that {@link KvCodec} and {@link KvStateMachine} can handle every kind
 * exhaustively. Records validate on construction, so a command that exists is always encodable
 * and applicable; {@link #validateKey} and friends let the API edge reject bad input early with
 * the same rules.
 *
 * <p>An {@code idempotencyKey} (may be {@code null}) names the client request: a retried write
 * with the same idempotency key is applied once, see {@link KvStateMachine}.
 */
public sealed interface KvCommand permits KvCommand.SingleKey, KvCommand.Txn, KvCommand.Increment,
        KvCommand.Append, KvCommand.SetRange, KvCommand.IncrementByFloat, KvCommand.Rename {

    /** Largest key, in UTF-8 bytes. */
    int MAX_KEY_BYTES = 1024;

    /** Largest idempotency key, in UTF-8 bytes. */
    int MAX_IDEMPOTENCY_KEY_BYTES = 256;

    /** Largest value, in bytes (1 MiB): bounds what one log entry may carry. */
    int MAX_VALUE_BYTES = 1 << 20;

    /** {@link Put#expectedRevision()} meaning "write whatever the key holds". */
    long UNCONDITIONAL = -1;

    /** {@link Put#expectedRevision()} meaning "the key must not exist". */
    long MUST_NOT_EXIST = 0;

    /** Most comparisons, and most operations per branch, of one transaction. */
    int MAX_TXN_ITEMS = 128;

    /**
     * Every key the command names: what a sharded node checks against its groups (all of one group, or refused
     * across groups) and which keys it locks against concurrent writes.
     *
     * @return the keys, in the order they appear (a transaction's compared keys, then both branches'; with repeats)
     */
    List<String> keys();

    /** A command about one key: a write or a delete, each with an optional precondition on its revision. */
    sealed interface SingleKey extends KvCommand permits Put, Delete {
        /**
         * Returns the key this command writes.
         *
         * @return the key, never empty
         */
        String key();

        @Override
        default List<String> keys() {
            return List.of(key());
        }

        /**
         * Returns the precondition.
         *
         * @return {@link #UNCONDITIONAL}, {@link #MUST_NOT_EXIST} or the revision the key must have
         */
        long expectedRevision();
    }

    /**
     * Returns the client-chosen name of this request, used to apply retries once.
     *
     * @return the idempotency key, or {@code null} if the client gave none
     */
    String idempotencyKey();

    /**
     * Checks that {@code key} is a valid key: non-empty, well-formed Unicode (no unpaired
     * surrogates) and at most {@link #MAX_KEY_BYTES} in UTF-8.
     *
     * @param key the key to check
     * @return {@code key}, for chaining
     * @throws IllegalArgumentException if it is not valid
     * @throws NullPointerException     if it is {@code null}
     */
    static String validateKey(String key) {
        return validateText("key", key, MAX_KEY_BYTES);
    }

    /**
     * Checks that {@code prefix}, a listing's or a watch's, could match a key: empty (every key) or at most
     * {@link #MAX_KEY_BYTES} in UTF-8, without unpaired surrogates. A longer prefix matches no key that can exist,
     * so a client asking for it has a bug (a value passed as a prefix, a doubled path), which an empty answer would
     * hide.
     *
     * @param prefix the prefix to check
     * @return {@code prefix}, for chaining
     * @throws IllegalArgumentException if no key can start with it, naming the rule
     * @throws NullPointerException     if it is {@code null}
     */
    static String validatePrefix(String prefix) {
        Objects.requireNonNull(prefix, "prefix");
        int bytes = Utf8.encodedLength(prefix);
        if (bytes < 0) {
            throw new IllegalArgumentException("prefix contains an unpaired surrogate");
        }
        if (bytes > MAX_KEY_BYTES) {
            throw new IllegalArgumentException("prefix is " + bytes + " bytes in UTF-8, more than the longest key ("
                    + MAX_KEY_BYTES + " bytes): it can match no key");
        }
        return prefix;
    }

    /**
     * Checks that {@code idempotencyKey} is {@code null} or non-empty, well-formed Unicode and
     * at most {@link #MAX_IDEMPOTENCY_KEY_BYTES} in UTF-8.
     *
     * @param idempotencyKey the idempotency key to check, may be {@code null}
     * @return {@code idempotencyKey}, for chaining
     * @throws IllegalArgumentException if it is not valid
     */
    static String validateIdempotencyKey(String idempotencyKey) {
        return idempotencyKey == null
                ? null
                : validateText("idempotency key", idempotencyKey, MAX_IDEMPOTENCY_KEY_BYTES);
    }

    /**
     * Checks that {@code value} is at most {@link #MAX_VALUE_BYTES} long.
     *
     * @param value the value to check
     * @return {@code value}, for chaining
     * @throws IllegalArgumentException if it is too long
     * @throws NullPointerException     if it is {@code null}
     */
    static byte[] validateValue(byte[] value) {
        Objects.requireNonNull(value, "value");
        if (value.length > MAX_VALUE_BYTES) {
            throw new IllegalArgumentException(
                    "value is " + value.length + " bytes, more than the maximum " + MAX_VALUE_BYTES);
        }
        return value;
    }

    private static String validateText(String what, String text, int maxBytes) {
        Objects.requireNonNull(text, what);
        if (text.isEmpty()) {
            throw new IllegalArgumentException(what + " must not be empty");
        }
        int bytes = Utf8.encodedLength(text);
        if (bytes < 0) {
            throw new IllegalArgumentException(what + " contains an unpaired surrogate");
        }
        if (bytes > maxBytes) {
            throw new IllegalArgumentException(
                    what + " is " + bytes + " bytes in UTF-8, more than the maximum " + maxBytes);
        }
        return text;
    }

    /**
     * Writes {@code value} under {@code key}, optionally as a compare-and-set.
     *
     * <p>{@code expectedRevision} is {@link #UNCONDITIONAL} ({@code -1}) for a plain write,
     * {@link #MUST_NOT_EXIST} ({@code 0}) to create only, or {@code R > 0} to write only if the
     * key's current {@link KvEntry#modRevision()} is {@code R}. The value is copied in and out,
     * so a command never changes after it is built.
     *
     * <p>A put decoded from a log entry instead views the value inside the entry's bytes ({@code viewing}), so that
     * the key's new {@link KvEntry} can share it without a copy (see {@link KvEntry}); a class rather than a record
     * for that reason.
     */
    final class Put implements SingleKey {

        private final String key;
        private final byte[] bytes;
        private final int offset;
        private final int length;
        private final long expectedRevision;
        private final String idempotencyKey;

        /**
         * Validates every field and copies the value.
         *
         * @param key the key
         * @param value the value bytes, copied
         * @param expectedRevision precondition: -1, 0 or a revision
         * @param idempotencyKey the request's name, or {@code null}
         */
        public Put(String key, byte[] value, long expectedRevision, String idempotencyKey) {
            this(validateKey(key), validateValue(value).clone(), 0, value.length, expectedRevision,
                    validateIdempotencyKey(idempotencyKey));
        }

        private Put(String key, byte[] bytes, int offset, int length, long expectedRevision, String idempotencyKey) {
            if (expectedRevision < UNCONDITIONAL) {
                throw new IllegalArgumentException(
                        "expectedRevision must be -1, 0 or a positive revision, not " + expectedRevision);
            }
            this.key = key;
            this.bytes = bytes;
            this.offset = offset;
            this.length = length;
            this.expectedRevision = expectedRevision;
            this.idempotencyKey = idempotencyKey;
        }

        /**
         * Creates an unconditional write without an idempotency key.
         *
         * @param key   the key to write
         * @param value the bytes to store
         */
        public Put(String key, byte[] value) {
            this(key, value, UNCONDITIONAL, null);
        }

        /**
         * Validates every field and takes {@code value} as it is, without the copy the constructor makes: for a
         * request's value in an array of its own (a decoded body), which the caller hands over and never changes.
         * On a busy leader that copy was one more value-sized array per write.
         *
         * @param key the key
         * @param value the value bytes, kept (not copied)
         * @param expectedRevision precondition: -1, 0 or a revision
         * @param idempotencyKey the request's name, or {@code null}
         * @return the put
         */
        public static Put taking(String key, byte[] value, long expectedRevision, String idempotencyKey) {
            return new Put(validateKey(key), validateValue(value), 0, value.length, expectedRevision,
                    validateIdempotencyKey(idempotencyKey));
        }

        /**
         * A put whose value is {@code bytes[offset, offset + length)}, not copied: for the decoder, which has checked
         * the key, the value's size and the idempotency key.
         */
        static Put viewing(String key, byte[] bytes, int offset, int length, long expectedRevision,
                           String idempotencyKey) {
            java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
            return new Put(key, bytes, offset, length, expectedRevision, idempotencyKey);
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

        /**
         * Returns the value's size.
         *
         * @return bytes
         */
        public int valueLength() {
            return length;
        }

        @Override
        public long expectedRevision() {
            return expectedRevision;
        }

        @Override
        public String idempotencyKey() {
            return idempotencyKey;
        }

        /** The key's entry after this put, sharing the value's bytes (nothing changes them). */
        KvEntry entry(String storedKey, long createRevision, long modRevision, long version) {
            return KvEntry.sharing(storedKey, bytes, offset, length, createRevision, modRevision, version);
        }

        /** Feeds the value to {@code digest}, without a copy. */
        void digestValue(java.security.MessageDigest digest) {
            digest.update(bytes, offset, length);
        }

        /** Copies the value into {@code out} at {@code pos}; returns the position after it. */
        int copyValue(byte[] out, int pos) {
            System.arraycopy(bytes, offset, out, pos, length);
            return pos + length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Put p
                    && key.equals(p.key)
                    && Arrays.equals(bytes, offset, offset + length, p.bytes, p.offset, p.offset + p.length)
                    && expectedRevision == p.expectedRevision
                    && Objects.equals(idempotencyKey, p.idempotencyKey);
        }

        @Override
        public int hashCode() {
            return Objects.hash(key, Bytes.hashCode(bytes, offset, length), expectedRevision, idempotencyKey);
        }

        @Override
        public String toString() {
            return "Put[key=" + key + ", value=" + Bytes.preview(value())
                    + ", expectedRevision=" + expectedRevision
                    + ", idempotencyKey=" + idempotencyKey + "]";
        }
    }

    /**
     * Removes {@code key}; deleting a missing key is not an error (it deletes nothing). With an
     * {@code expectedRevision} other than {@link #UNCONDITIONAL} it is a compare-and-delete: applied only if the
     * key's revision is that one ({@link #MUST_NOT_EXIST}: the key must be absent, so nothing is deleted), else the
     * result is {@link KvResult.PreconditionFailed}.
     *
     * @param key              the key to delete
     * @param expectedRevision precondition: -1 (none), 0 or a revision
     * @param idempotencyKey   the request's name, or {@code null}
     */
    record Delete(String key, long expectedRevision, String idempotencyKey) implements SingleKey {

        /**
         * Validates every field.
         *
         * @param key              the key
         * @param expectedRevision precondition: -1, 0 or a revision
         * @param idempotencyKey   the request's name, or {@code null}
         */
        public Delete {
            validateKey(key);
            if (expectedRevision < UNCONDITIONAL) {
                throw new IllegalArgumentException(
                        "expectedRevision must be -1, 0 or a positive revision, not " + expectedRevision);
            }
            validateIdempotencyKey(idempotencyKey);
        }

        /**
         * Creates an unconditional delete.
         *
         * @param key            the key to delete
         * @param idempotencyKey the request's name, or {@code null}
         */
        public Delete(String key, String idempotencyKey) {
            this(key, UNCONDITIONAL, idempotencyKey);
        }

        /**
         * Creates an unconditional delete without an idempotency key.
         *
         * @param key the key to delete
         */
        public Delete(String key) {
            this(key, null);
        }
    }

    /**
     * Moves a key's value to another key, as Redis's RENAME and RENAMENX do: applied in the state machine, so the read
     * of the source and the writes of both keys are one step of the log. The target gets the source's value (created,
     * or overwritten as a put overwrites it, unless {@code onlyIfAbsent} and it exists: then nothing changes) and the
     * source is deleted, both at the entry's revision. A missing source changes nothing and gives
     * {@link KvResult.Rejected} ({@link KvStateMachine#NO_SUCH_KEY}); a key renamed to itself stays as it is. Like an
     * append it carries no idempotency key.
     *
     * @param source       the key whose value moves
     * @param target       the key it moves to
     * @param onlyIfAbsent RENAMENX: only if the target does not exist
     */
    record Rename(String source, String target, boolean onlyIfAbsent) implements KvCommand {

        /**
         * Validates both keys.
         *
         * @param source       the key whose value moves
         * @param target       the key it moves to
         * @param onlyIfAbsent only if the target does not exist
         */
        public Rename {
            validateKey(source);
            validateKey(target);
        }

        @Override
        public List<String> keys() {
            return List.of(source, target);
        }

        @Override
        public String idempotencyKey() {
            return null;
        }
    }

    /**
     * Appends bytes to the value a key holds, as Redis's APPEND does (an absent key counts as empty): applied in the
     * state machine, so the read of the old value and the write of the new one are one step of the log, whatever other
     * writes of the key come before or after. A value that would grow past {@link #MAX_VALUE_BYTES} changes nothing
     * and gives {@link KvResult.Rejected}. Like an increment it carries no idempotency key: a retried append appends
     * twice, as in Redis.
     *
     * @param key    the key
     * @param suffix the bytes to append (the array is kept, not copied: the caller must not change it)
     */
    record Append(String key, byte[] suffix) implements KvCommand {

        @Override
        public List<String> keys() {
            return List.of(key);
        }

        /**
         * Validates the key and the suffix's size.
         *
         * @param key    the key
         * @param suffix the bytes to append
         */
        public Append {
            validateKey(key);
            validateValue(suffix);
        }

        @Override
        public String idempotencyKey() {
            return null;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Append a && key.equals(a.key) && java.util.Arrays.equals(suffix, a.suffix);
        }

        @Override
        public int hashCode() {
            return 31 * key.hashCode() + java.util.Arrays.hashCode(suffix);
        }

        @Override
        public String toString() {
            return "Append[key=" + key + ", " + suffix.length + " bytes]";
        }
    }

    /**
     * Writes bytes into the value a key holds from {@code offset} on, as Redis's SETRANGE does: a value shorter than
     * {@code offset} is first padded with zero bytes (an absent key counts as empty), bytes past the written range stay.
     * Applied in the state machine, so the read of the old value and the write of the new one are one step of the log.
     * The written range must end within {@link #MAX_VALUE_BYTES}, so the value never grows past it. Like an append it
     * carries no idempotency key.
     *
     * @param key    the key
     * @param offset where the bytes go, 0 or more
     * @param bytes  what is written there, at least one byte (the array is kept, not copied: the caller must not
     *               change it)
     */
    record SetRange(String key, int offset, byte[] bytes) implements KvCommand {

        @Override
        public List<String> keys() {
            return List.of(key);
        }

        /**
         * Validates the key, the offset and the written range.
         *
         * @param key    the key
         * @param offset where the bytes go
         * @param bytes  what is written there
         */
        public SetRange {
            validateKey(key);
            Objects.requireNonNull(bytes, "bytes");
            if (bytes.length == 0) {
                throw new IllegalArgumentException("a set range writes at least one byte");
            }
            if (offset < 0 || (long) offset + bytes.length > MAX_VALUE_BYTES) {
                throw new IllegalArgumentException("a set range must end within " + MAX_VALUE_BYTES + " bytes (offset "
                        + offset + ", " + bytes.length + " bytes)");
            }
        }

        /** The value's length once written over a value of {@code length} bytes. */
        public int lengthOver(int length) {
            return Math.max(length, offset + bytes.length);
        }

        @Override
        public String idempotencyKey() {
            return null;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SetRange r && key.equals(r.key) && offset == r.offset && Arrays.equals(bytes, r.bytes);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * key.hashCode() + offset) + Arrays.hashCode(bytes);
        }

        @Override
        public String toString() {
            return "SetRange[key=" + key + ", offset=" + offset + ", " + bytes.length + " bytes]";
        }
    }

    /**
     * Adds a decimal number to the number a key holds, as Redis's INCRBYFLOAT does: the value must be the text of a
     * finite number (an absent key counts as 0), and the sum is written back as text, rounded to 17 decimal places,
     * without trailing zeros or exponent ({@link #format}). Applied in the state machine, so every replica computes the
     * same text from the same log. The arithmetic is decimal, to {@link #PRECISION}'s 34 significant digits (IEEE 754
     * decimal128): numbers are read to 34 digits and sums rounded to them, half to even. Redis computes in a C {@code
     * long double} (about 19 digits, in binary), so past about 18 significant digits its results carry binary rounding
     * this one does not; exact arithmetic on numbers of thousands of digits cost every replica milliseconds an entry. A
     * value that is not such a number, or a sum of magnitude {@code 1e4932} or more (a {@code long double}'s range),
     * changes nothing and gives {@link KvResult.Rejected} with Redis's message. It carries no idempotency key.
     *
     * @param key       the key
     * @param increment what to add, in {@link #parse}'s range
     */
    record IncrementByFloat(String key, java.math.BigDecimal increment) implements KvCommand {

        @Override
        public List<String> keys() {
            return List.of(key);
        }

        /** Bound of a number's text: one read is shorter (Redis's {@code MAX_LONG_DOUBLE_CHARS}), the log's within. */
        public static final int MAX_FLOAT_TEXT = 5 * 1024;
        /** Decimal places a result keeps, as Redis prints it ({@code %.17Lf}). */
        public static final int RESULT_SCALE = 17;
        /** The digits numbers are read to and sums rounded to: 34 significant digits (IEEE 754 decimal128). */
        public static final java.math.MathContext PRECISION = java.math.MathContext.DECIMAL128;
        /** Powers of ten a number may have, either way ({@code long double}'s range: about 1e-4951 to 1.2e4932). */
        static final int MAX_EXPONENT = 4931;
        /**
         * The longest text a sum is written as ({@link #format}): a sign, the integer digits of a number below 1e4932,
         * a point and {@link #RESULT_SCALE} decimals.
         */
        static final int MAX_RESULT_TEXT = 1 + (MAX_EXPONENT + 1) + 1 + RESULT_SCALE;

        /**
         * Validates the key and the increment's range.
         *
         * @param key       the key
         * @param increment what to add
         */
        public IncrementByFloat {
            validateKey(key);
            Objects.requireNonNull(increment, "increment");
            if (increment.signum() == 0) {
                // A zero may carry any scale (0e-999999999): added as it is, it would scale the value by that power
                // of ten, which takes longer than any replica can wait.
                increment = java.math.BigDecimal.ZERO;
            }
            // As parse reads it, so that the entry's text reads back to this very number.
            increment = increment.round(PRECISION);
            if (!inRange(increment)) {
                throw new IllegalArgumentException("an increment's magnitude must be 0 or between 1e-" + MAX_EXPONENT
                        + " and 1e" + (MAX_EXPONENT + 1) + ": " + increment);
            }
        }

        @Override
        public String idempotencyKey() {
            return null;
        }

        /**
         * Reads a number as Redis reads a float: decimal digits with an optional sign, point and exponent ({@code 10},
         * {@code -1.5}, {@code .5}, {@code 5.0e3}), no spaces, shorter than {@link #MAX_FLOAT_TEXT} bytes, of magnitude
         * 0 or within {@code long double}'s range. Not read: {@code inf}, {@code nan} and hexadecimal floats, which
         * Redis's {@code strtold} takes but whose sums Redis refuses or prints in binary rounding. A zero is read as
         * {@link java.math.BigDecimal#ZERO}, whatever its exponent: its scale would cost a sum that power of ten.
         *
         * @param text the bytes
         * @return the number, or null if the text is not such a number
         */
        public static java.math.BigDecimal parse(byte[] text) {
            // Shorter than the bound, as Redis's string2ld reads: BigDecimal's canonical text, which the log carries,
            // is then within it (it can be a character longer than the text read: 1...1e-9999 is 1.1...1E-4886).
            return parse(text, MAX_FLOAT_TEXT - 1);
        }

        /** {@link #parse(byte[])} of a text of up to {@code maxLength} bytes (the log's canonical text: the bound). */
        static java.math.BigDecimal parse(byte[] text, int maxLength) {
            if (text.length == 0 || text.length > maxLength) {
                return null;
            }
            java.math.BigDecimal n = readRounded(text);
            if (n == null || n.signum() == 0) {
                // A zero is read as Redis's strtold reads it, 0, without the text's scale (see the constructor).
                return n == null ? null : java.math.BigDecimal.ZERO;
            }
            return inRange(n) ? n : null;
        }

        /** Significant digits kept from a text before rounding: the 34 of the result, and a guard for the rounding. */
        private static final int READ_DIGITS = 40;

        /**
         * A decimal text ({@code [+-]digits[.digits][e[+-]digits]}, or a point with digits after it only) rounded to
         * {@link #PRECISION}, in time linear in its length: only its first {@value #READ_DIGITS} significant digits
         * become a number, and a digit 1 after them if any later digit is not 0, which rounds as the whole text would
         * (half to even). {@code new BigDecimal(text)} of 5,000 digits, then rounded, cost each replica 0.4 ms an entry.
         * Null for another text.
         */
        static java.math.BigDecimal readRounded(byte[] text) {
            int i = 0;
            boolean negative = false;
            if (i < text.length && (text[i] == '+' || text[i] == '-')) {
                negative = text[i] == '-';
                i++;
            }
            // The number is 0.d1d2d3... x 10^(point + exponent), d1 its first significant digit.
            StringBuilder kept = new StringBuilder(READ_DIGITS + 1);
            boolean rest = false; // a digit after the kept ones is not 0
            long point = 0; // significant digits before the point, or minus the zeros between the point and d1
            int digits = 0;
            boolean afterPoint = false;
            for (; i < text.length && text[i] != 'e' && text[i] != 'E'; i++) {
                byte b = text[i];
                if (b == '.' && !afterPoint) {
                    afterPoint = true;
                    continue;
                }
                if (b < '0' || b > '9') {
                    return null;
                }
                digits++;
                boolean significant = kept.length() > 0 || rest || b != '0';
                if (!significant) {
                    point -= afterPoint ? 1 : 0;
                    continue;
                }
                if (!afterPoint) {
                    point++;
                }
                if (kept.length() < READ_DIGITS) {
                    kept.append((char) b);
                } else {
                    rest |= b != '0';
                }
            }
            if (digits == 0) {
                return null;
            }
            long exponent = 0;
            if (i < text.length) {
                i++; // the e
                boolean negativeExponent = false;
                if (i < text.length && (text[i] == '+' || text[i] == '-')) {
                    negativeExponent = text[i] == '-';
                    i++;
                }
                if (i == text.length) {
                    return null;
                }
                for (; i < text.length; i++) {
                    if (text[i] < '0' || text[i] > '9') {
                        return null;
                    }
                    // Beyond a billion either way the number is out of any range read here: kept there, not overflowed.
                    exponent = Math.min(1_000_000_000L, exponent * 10 + (text[i] - '0'));
                }
                exponent = negativeExponent ? -exponent : exponent;
            }
            if (kept.length() == 0) {
                return java.math.BigDecimal.ZERO;
            }
            if (rest) {
                kept.append('1');
            }
            long scale = kept.length() - point - exponent;
            if (scale > Integer.MAX_VALUE / 2 || scale < Integer.MIN_VALUE / 2) {
                return scale > 0 ? java.math.BigDecimal.ZERO : null;
            }
            java.math.BigDecimal n = new java.math.BigDecimal(new java.math.BigInteger(kept.toString()), (int) scale);
            return (negative ? n.negate() : n).round(PRECISION);
        }

        /** Whether a number is 0 or of a magnitude {@code long double} holds: 1e-4931 up to below 1e4932. */
        static boolean inRange(java.math.BigDecimal n) {
            if (n.signum() == 0) {
                return true;
            }
            // The power of ten of the number's leading digit, computed without scaling (a scale of 10^9 is cheap here).
            long exponent = (long) n.precision() - n.scale() - 1;
            return exponent >= -MAX_EXPONENT && exponent <= MAX_EXPONENT;
        }

        /**
         * A result as Redis prints it: rounded to {@link #RESULT_SCALE} decimal places (half to even), trailing zeros
         * and a bare point dropped, no exponent, {@code 0} for a negative zero.
         *
         * @param n the number, in {@link #inRange} (its text then has at most about 4,950 characters)
         * @return its text
         */
        public static String format(java.math.BigDecimal n) {
            java.math.BigDecimal rounded = n.setScale(RESULT_SCALE, java.math.RoundingMode.HALF_EVEN);
            if (rounded.signum() == 0) {
                return "0";
            }
            return rounded.stripTrailingZeros().toPlainString();
        }
    }

    /**
     * Adds {@code delta} to the integer a key holds, as Redis's INCRBY does: the value must be the decimal text of a
     * signed 64-bit integer (an absent key counts as 0), and the sum is written back as decimal text. Applied in the
     * state machine, so every replica computes the same number from the same log; a value that is not such an
     * integer, or a sum that overflows, changes nothing and gives {@link KvResult.Rejected} with Redis's message.
     * Like a transaction it carries no idempotency key: a retried increment counts twice, as in Redis.
     *
     * @param key   the key
     * @param delta what to add (negative to subtract)
     */
    record Increment(String key, long delta) implements KvCommand {

        @Override
        public List<String> keys() {
            return List.of(key);
        }

        /** Largest integer text an increment reads: 20 characters hold every signed 64-bit number. */
        public static final int MAX_INTEGER_TEXT = 20;

        /**
         * Validates the key.
         *
         * @param key   the key
         * @param delta what to add
         */
        public Increment {
            validateKey(key);
        }

        @Override
        public String idempotencyKey() {
            return null;
        }

        /**
         * Reads a value as Redis reads an integer: optional minus sign, decimal digits, no leading zeros (but "0"), no
         * plus sign or spaces, within a signed 64-bit range.
         *
         * @param value the stored bytes
         * @return the number, or null if the value is not such an integer
         */
        public static Long parse(byte[] value) {
            return parse(value, 0, value.length);
        }

        /** {@link #parse(byte[])} of {@code bytes[offset, offset + n)}. */
        static Long parse(byte[] bytes, int offset, int n) {
            if (n == 0 || n > MAX_INTEGER_TEXT) {
                return null;
            }
            int end = offset + n;
            boolean negative = bytes[offset] == '-';
            int i = negative ? offset + 1 : offset;
            if (i == end || (bytes[i] == '0' && (end > i + 1 || negative))) {
                return null; // "-", "-0", "007"
            }
            long acc = 0;
            for (; i < end; i++) {
                int d = bytes[i] - '0';
                if (d < 0 || d > 9) {
                    return null;
                }
                // Accumulate negatively: Long.MIN_VALUE has no positive counterpart.
                if (acc < (Long.MIN_VALUE + d) / 10) {
                    return null;
                }
                acc = acc * 10 - d;
            }
            if (negative) {
                return acc;
            }
            return acc == Long.MIN_VALUE ? null : -acc;
        }
    }

    /**
     * A transaction, applied atomically as one log entry (etcd's Txn model): if every comparison holds against the
     * state at its place in the log, the {@code success} operations run, else the {@code failure} ones; all writes
     * get the entry's index as their revision. A transaction carries no idempotency key: its comparisons are what make
     * a retry safe (compare the revision the first attempt would have left).
     *
     * <p>A branch writes each key at most once (the rule of the HTTP and gRPC transactions, as etcd's), unless
     * {@code repeatedWrites} is set: then a branch may write a key several times, each operation seeing the ones
     * before it, as the commands of a Redis MULTI do ({@code INCR k; INCR k} answers 1 then 2). The entry is still
     * one revision: a key written several times is one change of it (one watch event, with the key's last value),
     * and its version grows by 1 (a key deleted and written again is created at that revision, version 1; one written
     * and then deleted, absent before, is no change); see {@link KvStateMachine}. The flag is part of the log entry
     * (op code 6 instead of 4), so an entry written without it decodes as before: one that wrote a key twice was
     * refused, and still is.
     *
     * @param compares       the conditions, all of which must hold (none: always true)
     * @param success        what runs if they hold
     * @param failure        what runs otherwise
     * @param repeatedWrites whether a branch may write a key more than once
     */
    record Txn(List<TxnCompare> compares, List<TxnOp> success, List<TxnOp> failure, boolean repeatedWrites)
            implements KvCommand {

        @Override
        public List<String> keys() {
            List<String> keys = new java.util.ArrayList<>(compares.size() + success.size() + failure.size());
            for (TxnCompare c : compares) {
                keys.add(c.key());
            }
            for (TxnOp op : success) {
                keys.add(op.key());
            }
            for (TxnOp op : failure) {
                keys.add(op.key());
            }
            return keys;
        }

        /**
         * Validates the sizes and, unless {@code repeatedWrites}, that no branch writes a key twice.
         *
         * @param compares       the conditions
         * @param success        the success branch
         * @param failure        the failure branch
         * @param repeatedWrites whether a branch may write a key more than once
         */
        public Txn {
            compares = List.copyOf(compares);
            success = List.copyOf(success);
            failure = List.copyOf(failure);
            if (compares.size() > MAX_TXN_ITEMS || success.size() > MAX_TXN_ITEMS
                    || failure.size() > MAX_TXN_ITEMS) {
                throw new IllegalArgumentException("a transaction has at most " + MAX_TXN_ITEMS
                        + " comparisons and " + MAX_TXN_ITEMS + " operations per branch");
            }
            if (!repeatedWrites) {
                requireOneWritePerKey("success", success);
                requireOneWritePerKey("failure", failure);
            }
        }

        /**
         * A transaction whose branches write each key at most once (the HTTP and gRPC APIs' rule).
         *
         * @param compares the conditions
         * @param success  the success branch
         * @param failure  the failure branch
         */
        public Txn(List<TxnCompare> compares, List<TxnOp> success, List<TxnOp> failure) {
            this(compares, success, failure, false);
        }

        /**
         * Whether a branch holds an append, a set range or an increment by a float ({@link TxnOp.Edit}): a log entry
         * of its own op code, which nodes from before 2026-12-07 do not apply.
         *
         * @return true if some operation is an edit
         */
        public boolean holdsEdits() {
            for (List<TxnOp> branch : List.of(success, failure)) {
                for (TxnOp op : branch) {
                    if (op instanceof TxnOp.Edit) {
                        return true;
                    }
                }
            }
            return false;
        }

        /**
         * Whether some branch of these writes a key more than once (what needs {@code repeatedWrites}).
         *
         * @param ops a branch's operations
         * @return true if a key is written twice
         */
        public static boolean writesAKeyTwice(List<TxnOp> ops) {
            Set<String> written = new HashSet<>();
            for (TxnOp op : ops) {
                if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
                    return true;
                }
            }
            return false;
        }

        private static void requireOneWritePerKey(String branch, List<TxnOp> ops) {
            Set<String> written = new HashSet<>();
            for (TxnOp op : ops) {
                if (!(op instanceof TxnOp.Get) && !written.add(op.key())) {
                    throw new IllegalArgumentException("the " + branch + " branch writes key '" + op.key()
                            + "' twice; write each key at most once per branch");
                }
            }
        }

        @Override
        public String idempotencyKey() {
            return null;
        }
    }
}
