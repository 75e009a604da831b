package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Checks the persistent tree against {@link TreeMap}, version by version. */
class PersistentSortedMapProperties {

    record Op(boolean put, int key, int value) {
    }

    @Provide
    static Arbitrary<List<Op>> ops() {
        Arbitrary<Op> op = Combinators.combine(
                Arbitraries.integers().between(0, 3).map(n -> n > 0),
                Arbitraries.integers().between(0, 60),
                Arbitraries.integers())
                .as(Op::new);
        return op.list().ofMaxSize(200);
    }

    @Property(tries = 300)
    void behavesLikeTreeMapAndOldVersionsNeverChange(@ForAll("ops") List<Op> ops, @ForAll int probe) {
        PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty(Comparator.naturalOrder());
        TreeMap<Integer, Integer> model = new TreeMap<>();
        List<PersistentSortedMap<Integer, Integer>> versions = new ArrayList<>();
        List<TreeMap<Integer, Integer>> models = new ArrayList<>();
        for (Op op : ops) {
            if (op.put()) {
                map = map.put(op.key(), op.value());
                model.put(op.key(), op.value());
            } else {
                map = map.remove(op.key());
                model.remove(op.key());
            }
            versions.add(map);
            models.add(new TreeMap<>(model));
        }
        for (int i = 0; i < versions.size(); i++) {
            assertSameContents(versions.get(i), models.get(i), Math.floorMod(probe, 62));
        }
    }

    @Property(tries = 100)
    void ofSortedBuildsTheSameMap(@ForAll("ops") List<Op> ops) {
        TreeMap<Integer, Integer> model = new TreeMap<>();
        ops.forEach(op -> model.put(op.key(), op.value()));
        PersistentSortedMap<Integer, Integer> built = PersistentSortedMap.ofSorted(
                Comparator.naturalOrder(), new ArrayList<>(model.keySet()), new ArrayList<>(model.values()));
        assertSameContents(built, model, 30);
        assertSameContents(built.put(-1, 0).remove(model.isEmpty() ? 0 : model.firstKey()),
                withFirstReplaced(model), 0);
    }

    @Example
    void staysBalancedUnderSequentialInsertsAndRemovals() {
        // An unbalanced tree would be 200k deep here and overflow the recursive update.
        PersistentSortedMap<Integer, Integer> map = PersistentSortedMap.empty(Comparator.naturalOrder());
        for (int i = 0; i < 200_000; i++) {
            map = map.put(i, i);
        }
        for (int i = 0; i < 199_990; i++) {
            map = map.remove(map.firstKey());
        }
        assertThat(map.size()).isEqualTo(10);
        assertThat(map.firstKey()).isEqualTo(199_990);
    }

    private static TreeMap<Integer, Integer> withFirstReplaced(TreeMap<Integer, Integer> model) {
        TreeMap<Integer, Integer> copy = new TreeMap<>(model);
        copy.put(-1, 0);
        copy.remove(model.isEmpty() ? 0 : model.firstKey());
        return copy;
    }

    private static void assertSameContents(PersistentSortedMap<Integer, Integer> map,
                                           TreeMap<Integer, Integer> model, int from) {
        assertThat(map.size()).isEqualTo(model.size());
        assertThat(map.isEmpty()).isEqualTo(model.isEmpty());
        assertThat(map.firstKey()).isEqualTo(model.isEmpty() ? null : model.firstKey());
        assertThat(toList(map.iterator())).containsExactlyElementsOf(model.entrySet());
        assertThat(toList(map.iteratorFrom(from))).containsExactlyElementsOf(model.tailMap(from, true).entrySet());
        List<Integer> walked = new ArrayList<>();
        map.forEachValue(walked::add);
        assertThat(walked).as("forEachValue, in key order").containsExactlyElementsOf(model.values());
        for (int k = -1; k <= 61; k++) {
            assertThat(map.get(k)).isEqualTo(model.get(k));
        }
    }

    private static List<Map.Entry<Integer, Integer>> toList(Iterator<Map.Entry<Integer, Integer>> it) {
        List<Map.Entry<Integer, Integer>> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
