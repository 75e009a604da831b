package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PersistentHashMapTest {

    /** A key whose hash the test chooses, so that full 32-bit collisions and shared prefixes are common. */
    private record Key(int hash, String name) {
        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.name.equals(name);
        }
    }

    private static Key key(Random random) {
        int n = random.nextInt(2_000);
        // Few distinct hashes (many collisions) for some keys, hashes differing only in high bits for others.
        int hash = switch (n % 3) {
            case 0 -> n % 7;
            case 1 -> n << 25;
            default -> n * 0x9E3779B9;
        };
        return new Key(hash, "k" + n);
    }

    private static <K, V> void assertSame(PersistentHashMap<K, V> map, Map<K, V> model, List<K> universe) {
        assertThat(map.size()).isEqualTo(model.size());
        for (K k : universe) {
            assertThat(map.get(k)).as("value of %s", k).isEqualTo(model.get(k));
        }
    }

    @Test
    void behavesAsAMapThroughPutsReplacementsAndRemovalsWithCollidingHashes() {
        Random random = new Random(11);
        List<Key> universe = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            universe.add(key(new Random(i)));
        }
        PersistentHashMap<Key, Integer> map = PersistentHashMap.empty();
        Map<Key, Integer> model = new HashMap<>();
        for (int step = 0; step < 40_000; step++) {
            Key k = key(random);
            universe.add(k);
            if (random.nextInt(3) == 0) {
                map = map.remove(k);
                model.remove(k);
            } else {
                map = map.put(k, step);
                model.put(k, step);
            }
            if (step % 5_000 == 0) {
                assertSame(map, model, universe);
            }
        }
        assertSame(map, model, universe);
        // Remove everything: the trie folds back to empty.
        for (Key k : new ArrayList<>(model.keySet())) {
            map = map.remove(k);
        }
        assertThat(map.size()).isZero();
        assertThat(map.get(universe.get(0))).isNull();
    }

    @Test
    void earlierVersionsNeverChange() {
        Random random = new Random(5);
        PersistentHashMap<Key, Integer> map = PersistentHashMap.empty();
        Map<Key, Integer> model = new HashMap<>();
        List<PersistentHashMap<Key, Integer>> versions = new ArrayList<>();
        List<Map<Key, Integer>> models = new ArrayList<>();
        List<Key> universe = new ArrayList<>();
        for (int step = 0; step < 6_000; step++) {
            Key k = key(random);
            universe.add(k);
            if (random.nextInt(4) == 0) {
                map = map.remove(k);
                model.remove(k);
            } else {
                map = map.put(k, step);
                model.put(k, step);
            }
            if (step % 500 == 0) {
                versions.add(map);
                models.add(new HashMap<>(model));
            }
        }
        for (int v = 0; v < versions.size(); v++) {
            assertSame(versions.get(v), models.get(v), universe);
        }
    }

    @Test
    void unchangedOperationsReturnTheSameMap() {
        PersistentHashMap<String, String> map = PersistentHashMap.<String, String>empty().put("a", "1").put("b", "2");
        assertThat(map.remove("absent")).isSameAs(map);
        String one = map.get("a");
        assertThat(map.put("a", one)).isSameAs(map);
        assertThat(map.put("a", "other")).isNotSameAs(map);
        assertThat(map.put("a", "other").size()).isEqualTo(2);
    }
}
