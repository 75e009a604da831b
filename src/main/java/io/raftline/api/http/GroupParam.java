package io.raftline.api.http;

import io.vertx.ext.web.RoutingContext;

/**
 * The {@code ?group=G} query parameter of the membership and leadership routes, read and refused in one place. Each
 * route used to read it itself: a missing one was refused without a {@code field}, a bad one too, and on a cluster of
 * one group any value ({@code ?group=7}, {@code ?group=x}) was ignored, so a change meant for a group that does not
 * exist was made in the only one there is.
 */
final class GroupParam {

    /** The parameter, and the {@code field} of its 400s. */
    static final String NAME = "group";

    /** What {@link #read} returns when the request does not name a group. */
    static final int ABSENT = -1;

    /** What {@link #read} returns once it has answered the request with a 400. */
    static final int REFUSED = -2;

    private GroupParam() {
    }

    /**
     * The group a request names: an integer in {@code 0..groups-1} written in ASCII digits, else 400
     * {@code bad_request} with {@code field} {@code group} and the range.
     *
     * @param ctx    the request
     * @param groups the cluster's number of groups
     * @return the group, {@link #ABSENT}, or {@link #REFUSED} once answered
     */
    static int read(RoutingContext ctx, int groups) {
        String raw = ctx.request().getParam(NAME);
        if (raw == null) {
            return ABSENT;
        }
        int group = raw.isEmpty() || raw.length() > 10 || !raw.chars().allMatch(c -> c >= '0' && c <= '9') ? -1
                : (int) Math.min(Integer.MAX_VALUE, Long.parseLong(raw));
        if (group < 0 || group >= groups) {
            HttpErrors.badField(ctx, NAME, NAME + ": must be a group of this cluster, an integer in 0.." + (groups - 1)
                    + ", got '" + raw + "'");
            return REFUSED;
        }
        return group;
    }

    /**
     * As {@link #read}, for a route that needs a group on a sharded cluster: a request without one is a 400 too.
     *
     * @param ctx    the request
     * @param groups the cluster's number of groups
     * @param why    what the route does with one group, for the refusal
     * @return the group ({@code 0} on a cluster of one group when none is named), or {@link #REFUSED} once answered
     */
    static int required(RoutingContext ctx, int groups, String why) {
        int group = read(ctx, groups);
        if (group == ABSENT && groups > 1) {
            HttpErrors.badField(ctx, NAME, NAME + ": required on a cluster sharded over " + groups + " Raft groups ("
                    + why + ")");
            return REFUSED;
        }
        return group == ABSENT ? 0 : group;
    }
}
