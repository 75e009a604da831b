package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
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

    @Property(tries = 3000)
    void aProbesComparatorAgreesWithTheOrderInBothPositions(@ForAll("wellFormed") String probe,
                                                            @ForAll("wellFormed") String other) {
        Comparator<String> fast = Utf8.CODE_POINT_ORDER.forProbe(probe);
        assertThat(Integer.signum(fast.compare(probe, other)))
                .isEqualTo(Integer.signum(Utf8.CODE_POINT_ORDER.compare(probe, other)));
        assertThat(Integer.signum(fast.compare(other, probe)))
                .isEqualTo(Integer.signum(Utf8.CODE_POINT_ORDER.compare(other, probe)));
    }

    @Property(tries = 200)
    void anIndexOfTrickyKeysKeepsUtf8ByteOrder(@ForAll("keyLists") List<String> keys) {
        // The index compares each probe with the comparator the order offers for it: the map's order must still be
        // the keys' UTF-8 byte order, whatever mix of surrogates and U+E000..U+FFFF the keys hold.
        PersistentSortedMap<String, String> map = PersistentSortedMap.empty(Utf8.CODE_POINT_ORDER);
        TreeMap<byte[], String> model = new TreeMap<>(Arrays::compareUnsigned);
        for (String k : keys) {
            map = map.put(k, k);
            model.put(k.getBytes(StandardCharsets.UTF_8), k);
        }
        List<String> inOrder = new ArrayList<>();
        map.forEach(e -> inOrder.add(e.getKey()));
        assertThat(inOrder).containsExactlyElementsOf(model.values());
        for (String k : keys) {
            assertThat(map.get(k)).isEqualTo(k);
        }
        String removed = keys.get(0);
        assertThat(map.remove(removed).get(removed)).isNull();
        assertThat(map.remove(removed).size()).isEqualTo(model.size() - 1);
    }

    @Provide
    Arbitrary<List<String>> keyLists() {
        return wellFormed().list().ofMinSize(1).ofMaxSize(40);
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
