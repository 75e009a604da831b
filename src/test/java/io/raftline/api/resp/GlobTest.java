package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;

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
    void literalPrefixStopsAtTheFirstSpecialCharacter() {
        assertThat(Glob.of("user:*:name").literalPrefix()).isEqualTo("user:");
        assertThat(Glob.of("a?").literalPrefix()).isEqualTo("a");
        assertThat(Glob.of("[ab]c").literalPrefix()).isEmpty();
        assertThat(Glob.of("x\\*").literalPrefix()).isEqualTo("x");
        assertThat(Glob.of("plain").literalPrefix()).isEqualTo("plain");
    }
}
