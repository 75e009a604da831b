package io.raftline.api;

import io.raftline.kv.KvChange;
import io.raftline.node.WatchPosition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Where a client's watch stream is, in every Raft group it covers, and its text form: the SSE event id
 * ({@code GET /v1/watch}) and the gRPC Watch {@code cursor}. A client that resumes with it goes on right after the
 * last change it received in each group, with no gap and no duplicate.
 *
 * <p>One group's part is {@code R:P} after the change at position {@code P} of revision {@code R} (the id of that
 * change's event), or {@code R} once every change up to and including revision {@code R} was passed (the id a stream
 * sends before its first change, naming the revision before its start, and the progress it reports on a quiet
 * prefix; {@code 0} before revision 1). A cluster sharded over several groups joins one part per group, in group
 * order, with commas: {@code 14:0,9,12:1} is after change 0 of revision 14 in group 0, after revision 9 in group 1
 * and after change 1 of revision 12 in group 2. An unsharded cluster's id is one part, as it always was.
 */
public final class WatchCursor {

    private final WatchPosition[] next;

    /**
     * A cursor at the start of a watch.
     *
     * @param start each group's start, by group
     */
    public WatchCursor(List<WatchPosition> start) {
        if (start.isEmpty()) {
            throw new IllegalArgumentException("a watch covers at least one group");
        }
        this.next = start.toArray(new WatchPosition[0]);
    }

    /**
     * The stream delivered a change of a group.
     *
     * @param group the group
     * @param c     the change
     */
    public void passed(int group, KvChange c) {
        next[group] = new WatchPosition(c.revision(), c.seq() + 1);
    }

    /**
     * A group's watch passed every change up to and including {@code revision}.
     *
     * @param group    the group
     * @param revision the revision passed
     * @return whether the cursor moved (it never goes back)
     */
    public boolean progressed(int group, long revision) {
        WatchPosition p = new WatchPosition(revision + 1, 0);
        if (!p.isAfter(next[group])) {
            return false;
        }
        next[group] = p;
        return true;
    }

    /**
     * The text form of where the stream is.
     *
     * @return the id
     */
    public String id() {
        StringBuilder id = new StringBuilder();
        for (WatchPosition p : next) {
            if (id.length() > 0) {
                id.append(',');
            }
            if (p.skip() == 0) {
                id.append(p.revision() - 1);
            } else {
                id.append(p.revision()).append(':').append(p.skip() - 1);
            }
        }
        return id.toString();
    }

    /**
     * Each group's position to resume at, from an id this class wrote.
     *
     * @param id the id
     * @return the positions, by group
     * @throws IllegalArgumentException if it is not such an id
     */
    public static List<WatchPosition> parse(String id) {
        List<WatchPosition> from = new ArrayList<>();
        for (String part : id.trim().split(",", -1)) {
            from.add(parsePart(part.trim(), id));
        }
        return List.copyOf(from);
    }

    private static WatchPosition parsePart(String part, String id) {
        try {
            int colon = part.indexOf(':');
            if (colon < 0) {
                long passed = Long.parseLong(part);
                if (passed >= 0 && passed < Long.MAX_VALUE) {
                    return new WatchPosition(passed + 1, 0);
                }
            } else {
                long revision = Long.parseLong(part.substring(0, colon).trim());
                int position = Integer.parseInt(part.substring(colon + 1).trim());
                if (revision >= 1 && position >= 0 && position < Integer.MAX_VALUE) {
                    return new WatchPosition(revision, position + 1);
                }
            }
        } catch (NumberFormatException e) {
            // the message below
        }
        throw new IllegalArgumentException("a watch id is revision:position (like 14:0) or a revision (like 13), one"
                + " per Raft group joined by commas on a sharded cluster; got '" + id + "'");
    }

    @Override
    public String toString() {
        return "WatchCursor" + Arrays.toString(next);
    }
}
