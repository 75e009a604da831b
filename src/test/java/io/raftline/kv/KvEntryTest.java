package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvEntryTest {

    @Test
    void equalityComparesValueContents() {
        KvEntry a = new KvEntry("k", new byte[] {1, 2}, 3, 5, 2);
        KvEntry b = new KvEntry("k", new byte[] {1, 2}, 3, 5, 2);

        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(new KvEntry("k", new byte[] {1, 3}, 3, 5, 2));
        assertThat(a.toString()).isEqualTo("KvEntry[key=k, value=0102, createRevision=3, modRevision=5, version=2]");
    }

    @Test
    void valueIsCopiedInAndOut() {
        byte[] value = {1, 2};
        KvEntry entry = new KvEntry("k", value, 1, 1, 1);
        value[0] = 9;
        entry.value()[1] = 9;

        assertThat(entry.value()).containsExactly(1, 2);
    }

    @Test
    void revisionsAndVersionAreChecked() {
        assertThatThrownBy(() -> new KvEntry("k", new byte[0], 0, 1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new KvEntry("k", new byte[0], 2, 1, 1))
                .hasMessage("revisions must satisfy 1 <= createRevision (2) <= modRevision (1)");
        assertThatThrownBy(() -> new KvEntry("k", new byte[0], 1, 1, 0)).hasMessage("version must be >= 1, not 0");
        assertThatThrownBy(() -> new KvEntry("", new byte[0], 1, 1, 1)).isInstanceOf(IllegalArgumentException.class);
    }
}
