package io.raftline.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.kv.KvChange;
import io.raftline.kv.KvEntry;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The watch history gives back exactly the changes it was given, from any position, across the boundaries of its
 * chunks, and forgets whole revisions, oldest first, at its bounds. Each test compares it with a plain list.
 */
class ChangeHistoryTest {

    private static KvChange put(long revision, int seq, String key, String value, long version) {
        return new KvChange(revision, seq, key, new KvEntry(key, value.getBytes(StandardCharsets.UTF_8),
                Math.max(1, revision - version + 1), revision, version));
    }

    private static KvChange delete(long revision, int seq, String key) {
        return new KvChange(revision, seq, key, null);
    }

    @Test
    void givesBackPutsAndDeletesFromAnyPosition() {
        ChangeHistory h = new ChangeHistory(5, 100, 1 << 20, 256);
        List<KvChange> all = new ArrayList<>();
        all.add(put(5, 0, "a", "one", 1));
        all.add(put(6, 0, "b/x", "two", 1));
        all.add(put(6, 1, "b/y", "three", 1));
        all.add(delete(6, 2, "a"));
        all.add(put(7, 0, "ключ", "€", 2));
        h.add(all.subList(0, 1));
        h.add(all.subList(1, 4));
        h.add(all.subList(4, 5));

        assertThat(h.from(5, 0, "")).isEqualTo(all);
        assertThat(h.from(6, 1, "")).isEqualTo(all.subList(2, 5));
        assertThat(h.from(6, 3, "")).isEqualTo(all.subList(4, 5));
        assertThat(h.from(8, 0, "")).isEmpty();
        assertThat(h.from(5, 0, "b/")).isEqualTo(all.subList(1, 3));
        assertThat(h.from(5, 0, "клю")).containsExactly(all.get(4));
        assertThat(h.from(6, 2, "")).first().satisfies(c -> assertThat(c.deleted()).isTrue());
        assertThat(h.firstRevision()).isEqualTo(5);
    }

    @Test
    void dropsWholeRevisionsOldestFirstAtTheCountBound() {
        ChangeHistory h = new ChangeHistory(1, 3, 1 << 20, 256);
        h.add(List.of(put(1, 0, "a", "1", 1)));
        h.add(List.of(put(2, 0, "b", "2", 1), put(2, 1, "c", "3", 1)));
        assertThat(h.size()).isEqualTo(3);
        h.add(List.of(put(3, 0, "d", "4", 1)));
        assertThat(h.firstRevision()).isEqualTo(2);
        assertThat(h.from(2, 0, "")).extracting(KvChange::key).containsExactly("b", "c", "d");
        h.add(List.of(put(4, 0, "e", "5", 1)));
        assertThat(h.firstRevision()).as("revision 2's two changes leave together").isEqualTo(3);
        assertThat(h.size()).isEqualTo(2);
    }

    @Test
    void dropsAtTheByteBoundAndAChangeLargerThanAChunkHasOneOfItsOwn() {
        int record = ChangeHistory.HEADER_BYTES + 1 + 100;
        ChangeHistory h = new ChangeHistory(1, 1_000, 3L * record, 256);
        for (int i = 1; i <= 5; i++) {
            h.add(List.of(put(i, 0, "k", "v".repeat(100), i)));
        }
        assertThat(h.bytes()).isEqualTo(3L * record);
        assertThat(h.firstRevision()).isEqualTo(3);
        String big = "x".repeat(1_000);
        ChangeHistory roomy = new ChangeHistory(1, 1_000, 1 << 20, 256);
        roomy.add(List.of(put(1, 0, "a", "small", 1)));
        roomy.add(List.of(put(2, 0, "big", big, 1)));
        roomy.add(List.of(put(3, 0, "b", "after", 1)));
        assertThat(roomy.from(1, 0, "")).extracting(c -> new String(c.entry().value(), StandardCharsets.UTF_8))
                .containsExactly("small", big, "after");
    }

    /** Random changes through small chunks: every position read back equals the plain list's, before and after drops. */
    @Test
    void matchesAPlainListAcrossChunksAndDrops() {
        SplittableRandom random = new SplittableRandom(42);
        for (int run = 0; run < 50; run++) {
            int maxChanges = 5 + random.nextInt(60);
            ChangeHistory h = new ChangeHistory(1, maxChanges, 1 << 20, 128 + random.nextInt(512));
            List<KvChange> model = new ArrayList<>();
            long first = 1;
            for (long rev = 1; rev <= 200; rev++) {
                int n = 1 + (random.nextInt(5) == 0 ? random.nextInt(6) : 0);
                List<KvChange> batch = new ArrayList<>();
                for (int seq = 0; seq < n; seq++) {
                    String key = "k" + random.nextInt(20);
                    batch.add(random.nextInt(4) == 0 ? delete(rev, seq, key)
                            : put(rev, seq, key, "v".repeat(random.nextInt(120)), 1 + random.nextInt(3)));
                }
                h.add(batch);
                model.addAll(batch);
                while (model.size() > maxChanges) {
                    long dropped = model.get(0).revision();
                    model.removeIf(c -> c.revision() == dropped);
                    first = dropped + 1;
                }
                assertThat(h.firstRevision()).isEqualTo(first);
                long from = first + random.nextInt((int) (rev - first + 2));
                int skip = random.nextInt(3);
                List<KvChange> expected = model.stream()
                        .filter(c -> c.revision() > from || c.revision() == from && c.seq() >= skip).toList();
                assertThat(h.from(from, skip, "")).as("run %d, revision %d, from %d/%d", run, rev, from, skip)
                        .isEqualTo(expected);
            }
        }
    }
}
