package io.raftline.api.resp;

/**
 * Redis's glob patterns, as KEYS, SCAN MATCH and CONFIG GET take them: {@code *} any run of characters, {@code ?}
 * one character, {@code [abc]}, {@code [^abc]} and {@code [a-z]} classes, and {@code \} to take the next
 * character literally. Matching is by Unicode code point and case-sensitive.
 *
 * <p>It runs in time linear in the pattern times the key (a star remembers where to resume instead of recursing),
 * so a hostile pattern such as {@code *a*a*a*a*b} cannot stall the event loop on a long key.
 */
public final class Glob {

    private final int[] pattern;

    private Glob(String pattern) {
        this.pattern = pattern.codePoints().toArray();
    }

    /**
     * Compiles a pattern.
     *
     * @param pattern the pattern
     * @return the glob
     */
    public static Glob of(String pattern) {
        return new Glob(pattern);
    }

    /**
     * The characters every match starts with: the pattern up to its first special character, so a listing can
     * start at that prefix instead of scanning every key.
     *
     * @return the literal prefix, possibly empty
     */
    public String literalPrefix() {
        StringBuilder b = new StringBuilder();
        for (int c : pattern) {
            if (c == '*' || c == '?' || c == '[' || c == '\\') {
                break;
            }
            b.appendCodePoint(c);
        }
        return b.toString();
    }

    /**
     * Whether the whole of {@code text} matches.
     *
     * @param text the key
     * @return true if it matches
     */
    public boolean matches(String text) {
        int[] s = text.codePoints().toArray();
        int p = 0;
        int i = 0;
        int starP = -1;
        int starI = -1;
        while (i < s.length) {
            if (p < pattern.length && pattern[p] == '*') {
                while (p < pattern.length && pattern[p] == '*') {
                    p++;
                }
                if (p == pattern.length) {
                    return true;
                }
                starP = p;
                starI = i;
                continue;
            }
            int next = p < pattern.length ? matchOne(p, s[i]) : -1;
            if (next >= 0) {
                p = next;
                i++;
            } else if (starP >= 0) {
                p = starP;
                i = ++starI;
            } else {
                return false;
            }
        }
        while (p < pattern.length && pattern[p] == '*') {
            p++;
        }
        return p == pattern.length;
    }

    /** Matches one character against the pattern element at {@code p}: the next element's index, or -1. */
    private int matchOne(int p, int c) {
        int e = pattern[p];
        if (e == '?') {
            return p + 1;
        }
        if (e == '\\' && p + 1 < pattern.length) {
            return pattern[p + 1] == c ? p + 2 : -1;
        }
        if (e != '[') {
            return e == c ? p + 1 : -1;
        }
        int q = p + 1;
        boolean negate = q < pattern.length && pattern[q] == '^';
        if (negate) {
            q++;
        }
        boolean found = false;
        while (q < pattern.length && pattern[q] != ']') {
            if (pattern[q] == '\\' && q + 1 < pattern.length) {
                found |= pattern[q + 1] == c;
                q += 2;
            } else if (q + 2 < pattern.length && pattern[q + 1] == '-' && pattern[q + 2] != ']') {
                int lo = Math.min(pattern[q], pattern[q + 2]);
                int hi = Math.max(pattern[q], pattern[q + 2]);
                found |= c >= lo && c <= hi;
                q += 3;
            } else {
                found |= pattern[q] == c;
                q++;
            }
        }
        // An unclosed class runs to the end of the pattern, as in Redis.
        int after = q < pattern.length ? q + 1 : q;
        return found != negate ? after : -1;
    }
}
