package io.raftline.api.resp;

import java.util.Arrays;

/**
 * Redis's glob patterns, as KEYS, SCAN MATCH and CONFIG GET take them: {@code *} any run of characters, {@code ?}
 * one character, {@code [abc]}, {@code [^abc]} and {@code [a-z]} classes, and {@code \} to take the next
 * character literally. Matching is by Unicode code point and case-sensitive.
 *
 * <p>What it costs, since KEYS and SCAN match every key they visit on the event loop and a pattern may be as long as a
 * request: the pattern is compiled once into elements, a class into sorted, merged ranges searched in O(log n) (a
 * class was read again for every character of every key, and a class of a million characters took a second per key).
 * Every element but a star takes exactly one character, so a pattern with more of them than a key has characters
 * cannot match it and is refused in O(1): keys are at most 1,024 bytes, so no more than 1,024 elements are ever
 * walked. Matching is linear in those elements times the key (a star remembers where to resume instead of
 * recursing), so a hostile pattern such as {@code *a*a*a*a*b} cannot stall the loop: at most about a million steps
 * for a key of the longest size.
 */
public final class Glob {

    private static final int STAR = 0;
    private static final int ANY = 1;
    private static final int LITERAL = 2;
    private static final int CLASS = 3;

    /** Per element: its kind; a literal's code point; a class's ranges (lo, hi pairs, sorted, disjoint) and sense. */
    private final int[] kinds;
    private final int[] literals;
    private final int[][] ranges;
    private final boolean[] negated;
    /** Elements that take one character each (every element but the stars). */
    private final int singles;
    private final boolean hasStar;
    private final String literalPrefix;

    private Glob(int[] kinds, int[] literals, int[][] ranges, boolean[] negated, String literalPrefix) {
        this.kinds = kinds;
        this.literals = literals;
        this.ranges = ranges;
        this.negated = negated;
        int stars = 0;
        for (int k : kinds) {
            stars += k == STAR ? 1 : 0;
        }
        this.singles = kinds.length - stars;
        this.hasStar = stars > 0;
        this.literalPrefix = literalPrefix;
    }

    /**
     * Compiles a pattern.
     *
     * @param pattern the pattern
     * @return the glob
     */
    public static Glob of(String pattern) {
        int[] p = pattern.codePoints().toArray();
        // At most one element per code point; trimmed to the elements found at the end.
        int[] kinds = new int[p.length];
        int[] literals = new int[p.length];
        int[][] ranges = new int[p.length][];
        boolean[] negated = new boolean[p.length];
        int n = 0;
        StringBuilder prefix = new StringBuilder();
        boolean inPrefix = true;
        int i = 0;
        while (i < p.length) {
            int c = p[i];
            if (c == '*' || c == '?' || c == '[' || c == '\\') {
                inPrefix = false;
            } else if (inPrefix) {
                prefix.appendCodePoint(c);
            }
            int kind;
            int literal = 0;
            int[] range = null;
            boolean negate = false;
            if (c == '*') {
                kind = STAR;
                while (i < p.length && p[i] == '*') {
                    i++; // a run of stars is one star
                }
            } else if (c == '?') {
                kind = ANY;
                i++;
            } else if (c == '\\' && i + 1 < p.length) {
                kind = LITERAL;
                literal = p[i + 1];
                i += 2;
            } else if (c != '[') {
                kind = LITERAL;
                literal = c;
                i++;
            } else {
                kind = CLASS;
                int q = i + 1;
                negate = q < p.length && p[q] == '^';
                if (negate) {
                    q++;
                }
                // Each member as (lo << 32 | hi): code points are below 2^21, so the longs sort by lo.
                long[] members = new long[8];
                int count = 0;
                while (q < p.length && p[q] != ']') {
                    int lo;
                    int hi;
                    if (p[q] == '\\' && q + 1 < p.length) {
                        lo = p[q + 1];
                        hi = lo;
                        q += 2;
                    } else if (q + 2 < p.length && p[q + 1] == '-' && p[q + 2] != ']') {
                        lo = Math.min(p[q], p[q + 2]);
                        hi = Math.max(p[q], p[q + 2]);
                        q += 3;
                    } else {
                        lo = p[q];
                        hi = lo;
                        q++;
                    }
                    if (count == members.length) {
                        members = Arrays.copyOf(members, count * 2);
                    }
                    members[count++] = (long) lo << 32 | hi;
                }
                range = merged(Arrays.copyOf(members, count));
                // An unclosed class runs to the end of the pattern, as in Redis.
                i = q < p.length ? q + 1 : q;
            }
            kinds[n] = kind;
            literals[n] = literal;
            ranges[n] = range;
            negated[n] = negate;
            n++;
        }
        return new Glob(Arrays.copyOf(kinds, n), Arrays.copyOf(literals, n), Arrays.copyOf(ranges, n),
                Arrays.copyOf(negated, n), prefix.toString());
    }

    /** A class's members ({@code lo << 32 | hi} each) as sorted, disjoint ranges, flattened to lo, hi, lo, hi... */
    private static int[] merged(long[] members) {
        Arrays.sort(members);
        int[] out = new int[members.length * 2];
        int n = 0;
        for (long m : members) {
            int lo = (int) (m >>> 32);
            int hi = (int) m;
            if (n > 0 && lo <= out[n - 1] + 1L) {
                out[n - 1] = Math.max(out[n - 1], hi);
            } else {
                out[n++] = lo;
                out[n++] = hi;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * The characters every match starts with: the pattern up to its first special character, so a listing can
     * start at that prefix instead of scanning every key.
     *
     * @return the literal prefix, possibly empty
     */
    public String literalPrefix() {
        return literalPrefix;
    }

    /**
     * Whether the whole of {@code text} matches.
     *
     * @param text the key
     * @return true if it matches
     */
    public boolean matches(String text) {
        int length = text.codePointCount(0, text.length());
        if (singles > length || (!hasStar && singles != length)) {
            return false;
        }
        int[] s = text.codePoints().toArray();
        int p = 0;
        int i = 0;
        int starP = -1;
        int starI = -1;
        while (i < s.length) {
            if (p < kinds.length && kinds[p] == STAR) {
                p++;
                if (p == kinds.length) {
                    return true;
                }
                starP = p;
                starI = i;
                continue;
            }
            if (p < kinds.length && matchOne(p, s[i])) {
                p++;
                i++;
            } else if (starP >= 0) {
                p = starP;
                i = ++starI;
            } else {
                return false;
            }
        }
        while (p < kinds.length && kinds[p] == STAR) {
            p++;
        }
        return p == kinds.length;
    }

    /** Whether element {@code p}, which takes one character, takes {@code c}. */
    private boolean matchOne(int p, int c) {
        return switch (kinds[p]) {
            case ANY -> true;
            case LITERAL -> literals[p] == c;
            default -> inRanges(ranges[p], c) != negated[p];
        };
    }

    /** Binary search of the sorted, disjoint ranges {@code r} (lo, hi pairs) for {@code c}. */
    private static boolean inRanges(int[] r, int c) {
        int lo = 0;
        int hi = r.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (c < r[2 * mid]) {
                hi = mid - 1;
            } else if (c > r[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }
}
