package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Redis's glob rules, as KEYS and SCAN MATCH use them. */
class GlobTest {

    private static boolean matches(String pattern, String key) {
        return Glob.of(pattern).matches(key);
    }

    @Test
    void starsQuestionMarksAndLiterals() {
        assertThat(matches("*", "")).isTrue();
        assertThat(matches("*", "anything")).isTrue();
        assertThat(matches("user:*", "user:1")).isTrue();
        assertThat(matches("user:*", "users:1")).isFalse();
        assertThat(matches("h?llo", "hello")).isTrue();
        assertThat(matches("h?llo", "hllo")).isFalse();
        assertThat(matches("h*llo", "hllo")).isTrue();
        assertThat(matches("h*llo", "heeeello")).isTrue();
        assertThat(matches("*a*b", "xaxxaxb")).isTrue();
        assertThat(matches("*a*b", "xaxxaxbc")).isFalse();
        assertThat(matches("exact", "exact")).isTrue();
        assertThat(matches("exact", "exactly")).isFalse();
        assertThat(matches("日?", "日本")).isTrue();
    }

    @Test
    void classesRangesNegationAndEscapes() {
        assertThat(matches("h[ae]llo", "hallo")).isTrue();
        assertThat(matches("h[ae]llo", "hillo")).isFalse();
        assertThat(matches("h[^e]llo", "hallo")).isTrue();
        assertThat(matches("h[^e]llo", "hello")).isFalse();
        assertThat(matches("h[a-b]llo", "hbllo")).isTrue();
        assertThat(matches("h[b-a]llo", "hallo")).isTrue();
        assertThat(matches("h[a-b]llo", "hcllo")).isFalse();
        assertThat(matches("a\\*b", "a*b")).isTrue();
        assertThat(matches("a\\*b", "axb")).isFalse();
        assertThat(matches("[\\]]", "]")).isTrue();
    }

    @Test
    void hostilePatternsFinishQuickly() {
        String key = "a".repeat(10_000);
        assertThat(matches("*a*a*a*a*a*a*a*a*a*a*b", key)).isFalse();
    }

    @Test
    void aLongClassCostsALookupPerCharacterNotItsLength() {
        // A class of a million members (a request may be that long): read again for every character of every key,
        // it took about a second per key of 1 KiB on the event loop. Compiled once, it is a binary search.
        Glob glob = Glob.of("*[" + "b".repeat(1_000_000) + "]x");
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int k = 0; k < 20; k++) {
                assertThat(glob.matches(("a" + k).repeat(512))).isFalse();
            }
            assertThat(glob.matches("a".repeat(1000) + "bx")).isTrue();
        });
        // More elements taking one character each than the key has characters: no match, without a walk.
        assertThat(matches("*" + "a".repeat(2000), "a".repeat(1024))).isFalse();
        assertThat(matches("a?c", "abcd")).isFalse();
    }

    @Test
    void compiledMatchingAgreesWithTheRulesOnRandomPatterns() {
        Random random = new Random(17);
        String alphabet = "ab-^]\\*?[";
        for (int n = 0; n < 20_000; n++) {
            StringBuilder pattern = new StringBuilder();
            for (int i = random.nextInt(9); i > 0; i--) {
                pattern.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            StringBuilder key = new StringBuilder();
            for (int i = random.nextInt(7); i > 0; i--) {
                key.append("ab-^]\\*".charAt(random.nextInt(7)));
            }
            assertThat(matches(pattern.toString(), key.toString())).as("%s against %s", pattern, key)
                    .isEqualTo(reference(pattern.toString().codePoints().toArray(), 0,
                            key.toString().codePoints().toArray(), 0));
        }
    }

    /** The rules read straight off (backtracking, exponential at worst): what the compiled matcher must agree with. */
    private static boolean reference(int[] p, int pi, int[] s, int si) {
        if (pi == p.length) {
            return si == s.length;
        }
        int c = p[pi];
        if (c == '*') {
            for (int k = si; k <= s.length; k++) {
                if (reference(p, pi + 1, s, k)) {
                    return true;
                }
            }
            return false;
        }
        if (si == s.length) {
            return false;
        }
        if (c == '?') {
            return reference(p, pi + 1, s, si + 1);
        }
        if (c == '\\' && pi + 1 < p.length) {
            return p[pi + 1] == s[si] && reference(p, pi + 2, s, si + 1);
        }
        if (c != '[') {
            return c == s[si] && reference(p, pi + 1, s, si + 1);
        }
        int q = pi + 1;
        boolean negate = q < p.length && p[q] == '^';
        if (negate) {
            q++;
        }
        boolean found = false;
        while (q < p.length && p[q] != ']') {
            if (p[q] == '\\' && q + 1 < p.length) {
                found |= p[q + 1] == s[si];
                q += 2;
            } else if (q + 2 < p.length && p[q + 1] == '-' && p[q + 2] != ']') {
                found |= s[si] >= Math.min(p[q], p[q + 2]) && s[si] <= Math.max(p[q], p[q + 2]);
                q += 3;
            } else {
                found |= p[q] == s[si];
                q++;
            }
        }
        return found != negate && reference(p, q < p.length ? q + 1 : q, s, si + 1);
    }

    @Test
    void literalPrefixStopsAtTheFirstSpecialCharacter() {
        assertThat(Glob.of("user:*:name").literalPrefix()).isEqualTo("user:");
        assertThat(Glob.of("a?").literalPrefix()).isEqualTo("a");
        assertThat(Glob.of("[ab]c").literalPrefix()).isEmpty();
        assertThat(Glob.of("x\\*").literalPrefix()).isEqualTo("x");
        assertThat(Glob.of("plain").literalPrefix()).isEqualTo("plain");
    }
}
