package io.raftline.kv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvResultTest {

    @Test
    void wireTextIsRedisLike() {
        assertThat(new KvResult.Written(7).wire()).isEqualTo("OK");
        assertThat(new KvResult.Deleted(1, 7).wire()).isEqualTo("1");
        assertThat(new KvResult.Deleted(0, 7).wire()).isEqualTo("0");
        assertThat(new KvResult.PreconditionFailed(3, 7).wire()).isEqualTo("PRECONDITION");
        assertThat(new KvResult.Rejected("unknown op code 9 at offset 1", 7).wire())
                .isEqualTo("ERR unknown op code 9 at offset 1");
    }

    @Test
    void fieldsAreChecked() {
        assertThatThrownBy(() -> new KvResult.Written(0)).hasMessage("revision must be >= 1, not 0");
        assertThatThrownBy(() -> new KvResult.Deleted(2, 1)).hasMessage("deleted must be 0 or 1, not 2");
        assertThatThrownBy(() -> new KvResult.PreconditionFailed(-1, 1))
                .hasMessage("actualRevision must be >= 0, not -1");
        assertThatThrownBy(() -> new KvResult.Rejected(null, 1)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void revisionIsCommonToAllResults() {
        assertThat(new KvResult.Written(5).revision()).isEqualTo(5);
        assertThat(new KvResult.Deleted(0, 6).revision()).isEqualTo(6);
        assertThat(new KvResult.PreconditionFailed(0, 7).revision()).isEqualTo(7);
        assertThat(new KvResult.Rejected("x", 8).revision()).isEqualTo(8);
    }
}
