package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.raft.RaftLog;
import io.raftline.raft.storage.LogCompactedException;
import io.raftline.raft.storage.MemoryStorage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaftLogTest {

    private static List<Entry> entries(long first, long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < terms.length; i++) {
            out.add(Entry.normal(first + i, terms[i], new byte[] {(byte) i}));
        }
        return out;
    }

    private static RaftLog logWithTerms(long... terms) {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, terms));
        return new RaftLog(s, Membership.EMPTY);
    }

    @Test
    void findConflictByTermSkipsAWholeTerm() {
        RaftLog log = logWithTerms(1, 1, 2, 2, 2, 4, 4);
        assertThat(log.findConflictByTerm(7, 3)).containsExactly(5, 2);
        assertThat(log.findConflictByTerm(7, 4)).containsExactly(7, 4);
        assertThat(log.findConflictByTerm(5, 1)).containsExactly(2, 1);
        assertThat(log.findConflictByTerm(5, 0)).containsExactly(0, 0);
    }

    @Test
    void maybeAppendTruncatesOnlyTheConflictingSuffixAndCommitsUpToLastNew() {
        RaftLog log = logWithTerms(1, 1, 1, 1);
        long last = log.maybeAppend(2, 1, 10, entries(3, 2));
        assertThat(last).isEqualTo(3);
        assertThat(log.lastIndex()).isEqualTo(3);
        assertThat(log.term(3)).isEqualTo(2);
        // Leader commit 10 but only index 3 is known to match: commit stops there (Figure 2, rule 5).
        assertThat(log.committed()).isEqualTo(3);
    }

    @Test
    void maybeAppendRejectsOnMismatchAndIgnoresDuplicates() {
        RaftLog log = logWithTerms(1, 1, 2);
        assertThat(log.maybeAppend(3, 1, 0, entries(4, 2))).isEqualTo(-1);
        // A stale duplicate of an older append must not truncate what follows.
        assertThat(log.maybeAppend(1, 1, 0, entries(2, 1))).isEqualTo(2);
        assertThat(log.lastIndex()).isEqualTo(3);
    }

    @Test
    void neverTruncatesCommittedEntries() {
        RaftLog log = logWithTerms(1, 1, 1);
        log.commitTo(3);
        assertThatThrownBy(() -> log.maybeAppend(1, 1, 3, entries(2, 2)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("conflicts with committed");
    }

    @Test
    void commitRuleRequiresTheCurrentTerm() {
        RaftLog log = logWithTerms(1, 2, 2);
        assertThat(log.maybeCommit(3, 3)).isFalse();
        assertThat(log.maybeCommit(3, 2)).isTrue();
        assertThat(log.committed()).isEqualTo(3);
    }

    @Test
    void upToDateComparesLastTermThenLength() {
        RaftLog log = logWithTerms(1, 2, 2);
        assertThat(log.isUpToDate(1, 3)).isTrue();
        assertThat(log.isUpToDate(3, 2)).isTrue();
        assertThat(log.isUpToDate(2, 2)).isFalse();
        assertThat(log.isUpToDate(10, 1)).isFalse();
    }

    @Test
    void memoryStorageCompactionKeepsTermOfSnapshotIndex() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 2, 2));
        s.createSnapshotAndCompact(3, List.of(1, 2, 3), new byte[] {1});
        assertThat(s.firstIndex()).isEqualTo(4);
        assertThat(s.term(3)).isEqualTo(2);
        assertThatThrownBy(() -> s.term(2)).isInstanceOf(LogCompactedException.class);
        assertThatThrownBy(() -> s.entries(2, 4, Long.MAX_VALUE)).isInstanceOf(LogCompactedException.class);
        assertThat(s.entries(4, 5, Long.MAX_VALUE)).hasSize(1);
        RaftLog log = new RaftLog(s, Membership.EMPTY);
        assertThat(log.committed()).isEqualTo(3);
        assertThat(log.term(2)).isEqualTo(-1);
    }

    @Test
    void entriesRespectTheByteLimitButReturnAtLeastOne() {
        RaftLog log = logWithTerms(1, 1, 1, 1);
        assertThat(log.entries(1, 1)).hasSize(1);
        assertThat(log.entries(1, 2 * (Entry.OVERHEAD_BYTES + 1))).hasSize(2);
        assertThat(log.entries(5, 100)).isEmpty();
    }
}
