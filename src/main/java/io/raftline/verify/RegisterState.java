package io.raftline.verify;

/**
 * What the sequential model knows about one key after a sequence of operations.
 *
 * <p>Revisions are Raft log indexes, which the checker cannot predict: other keys, no-ops and
 * failed entries take indexes too. So the state does not hold "the" revision. It holds the
 * smallest revision the latest log entry on this key can have, {@code floor}, and whether that
 * entry's revision has actually been observed:
 * <ul>
 *   <li>an entry whose revision the client saw (a PUT answered {@code revision: 57}) sets
 *       {@code floor} to it, which must exceed the previous floor: revisions of successive entries
 *       on a key strictly increase;</li>
 *   <li>an entry whose revision nobody saw (a write with an unknown outcome) can only be
 *       {@code floor + 1} or later;</li>
 *   <li>when the key is present, its latest entry is the write that produced the current value,
 *       so its modRevision is exactly {@code floor} if {@code revisionKnown}, and otherwise any
 *       revision from {@code floor} up. The first observation of it (a GET's
 *       {@code Raft-Revision}, a successful {@code ifRevision}) fixes it, in this branch of the
 *       search only.</li>
 * </ul>
 * That is exact for what the checker can see, and it never guesses a number. Values are
 * interned per key to small integers; {@link #ABSENT} means the key does not exist.
 *
 * @param value         the interned current value, or {@link #ABSENT}
 * @param revisionKnown whether the current value's modRevision is exactly {@code floor}
 *                      (always {@code false} when absent)
 * @param floor         the smallest revision the latest entry on the key can have; 0 before any
 */
record RegisterState(int value, boolean revisionKnown, long floor) {

    /** {@link #value()} of a key that does not exist. */
    static final int ABSENT = -1;

    /** A key that has never been written: the state every key starts the history in. */
    static final RegisterState INITIAL = new RegisterState(ABSENT, false, 0);

    boolean present() {
        return value != ABSENT;
    }

    static RegisterState absent(long floor) {
        return new RegisterState(ABSENT, false, floor);
    }
}
