package io.raftline.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.raftline.kv.KvChange;
import io.raftline.node.WatchPosition;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The text form of a watch's position: an unsharded stream keeps its {@code revision:position} ids, its start is the
 * revision before it, a sharded stream's id names every group, and each form resumes exactly after what it names.
 */
class WatchCursorTest {

    @Test
    void theStartNamesTheRevisionBeforeItAndResumesExactlyThere() {
        WatchCursor c = new WatchCursor(List.of(new WatchPosition(3, 0)));
        assertThat(c.id()).isEqualTo("2");
        assertThat(WatchCursor.parse("2")).containsExactly(new WatchPosition(3, 0));
        // A watch of an empty log starts at revision 1: "0" is before it.
        assertThat(new WatchCursor(List.of(new WatchPosition(1, 0))).id()).isEqualTo("0");
        assertThat(WatchCursor.parse("0")).containsExactly(new WatchPosition(1, 0));
        // A resumed start inside a revision names the change before it.
        assertThat(new WatchCursor(List.of(new WatchPosition(7, 2))).id()).isEqualTo("7:1");
    }

    @Test
    void anEventsIdIsItsRevisionAndPositionAndResumesRightAfterIt() {
        WatchCursor c = new WatchCursor(List.of(new WatchPosition(3, 0)));
        c.passed(0, new KvChange(14, 0, "a", null));
        assertThat(c.id()).isEqualTo("14:0");
        assertThat(WatchCursor.parse("14:0")).containsExactly(new WatchPosition(14, 1));
        // Progress moves it past a whole revision, never back.
        assertThat(c.progressed(0, 13)).isFalse();
        assertThat(c.progressed(0, 14)).isTrue();
        assertThat(c.id()).isEqualTo("14");
        assertThat(c.progressed(0, 14)).isFalse();
    }

    @Test
    void aShardedStreamsIdNamesEveryGroupInOrder() {
        WatchCursor c = new WatchCursor(List.of(new WatchPosition(5, 0), new WatchPosition(9, 0),
                new WatchPosition(1, 0)));
        assertThat(c.id()).isEqualTo("4,8,0");
        c.passed(1, new KvChange(9, 0, "b", null));
        c.passed(0, new KvChange(6, 1, "a", null));
        assertThat(c.id()).isEqualTo("6:1,9:0,0");
        assertThat(WatchCursor.parse("6:1,9:0,0")).containsExactly(new WatchPosition(6, 2), new WatchPosition(9, 1),
                new WatchPosition(1, 0));
    }

    @Test
    void anythingElseIsRefused() {
        for (String bad : List.of("x", "", "-1", "0:0", "3:-1", "1,,2", "3:x", "9223372036854775807")) {
            assertThatThrownBy(() -> WatchCursor.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
