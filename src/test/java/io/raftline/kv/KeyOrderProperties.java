package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class KeyOrderProperties {

    @Provide
    static Arbitrary<String> wellFormed() {
        Arbitrary<String> anyChars = Arbitraries.strings().all().ofMaxLength(8);
        Arbitrary<String> tricky = Arbitraries.strings()
                .withChars('a', '\u00E9', '\uD7FF', '\uE000', '\uFFFF')
                .withChars("\uD83D\uDE00\uD800\uDC00\uDBFF\uDFFF")
                .ofMaxLength(6);
        return Arbitraries.oneOf(anyChars, tricky).filter(s -> Utf8.encodedLength(s) >= 0);
    }

    @Property(tries = 3000)
    void codePointOrderIsUtf8ByteOrder(@ForAll("wellFormed") String a, @ForAll("wellFormed") String b) {
        int expected = Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
        assertThat(Integer.signum(Utf8.CODE_POINT_ORDER.compare(a, b))).isEqualTo(Integer.signum(expected));
    }

    @Property(tries = 1000)
    void encodedLengthMatchesTheJdk(@ForAll("wellFormed") String s) {
        assertThat(Utf8.encodedLength(s)).isEqualTo(s.getBytes(StandardCharsets.UTF_8).length);
    }

    @Example
    void supplementaryCharactersSortAfterPrivateUseArea() {
        // String.compareTo gets this one wrong: it compares UTF-16 units.
        assertThat("\uD83D\uDE00".compareTo("\uE000")).isNegative();
        assertThat(Utf8.CODE_POINT_ORDER.compare("\uD83D\uDE00", "\uE000")).isPositive();
    }
}
