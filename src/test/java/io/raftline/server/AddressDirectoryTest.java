package io.raftline.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.api.http.MembersApi;
import io.raftline.api.http.PeerDirectory.Address;
import io.raftline.raft.Membership;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Where a process reaches each node follows the current memberships of every group: a node removed from every group
 * loses the address a membership taught, a node re-added at a new URL by a group other than 0 is reached there, and a
 * replica that lags behind cannot bring an old address back (group 0's still wins where no group saw the node move).
 */
class AddressDirectoryTest {

    private static final String OLD = "http://127.0.0.1:9004";
    private static final String NEW = "http://127.0.0.1:9104";
    private static final Address OLD_ADDRESS = new Address("127.0.0.1", 9004);
    private static final Address NEW_ADDRESS = new Address("127.0.0.1", 9104);

    /** Node 1 runs here; 1 to 3 are configured; 4 joins at runtime. */
    private final AddressDirectory directory = new AddressDirectory(Map.of(1, address(8081), 2, address(8082),
            3, address(8083)), MembersApi::address);
    /** Config indexes of each group's entries, increasing. */
    private long index = 10;

    private static Address address(int port) {
        return new Address("127.0.0.1", port);
    }

    private static Membership with4(String url) {
        return new Membership(List.of(1, 2, 3, 4), List.of(), Map.of(4, url));
    }

    private static Membership without4() {
        return Membership.ofVoters(List.of(1, 2, 3));
    }

    private void report(int group, Membership m) {
        directory.reported(1, group, index++, m);
    }

    @Test
    void configuredNodesAreReachedBeforeAnyMembershipAndLocalNodesWhereTheyListen() {
        assertThat(directory.address(2)).contains(address(8082));
        assertThat(directory.address(4)).isEmpty();
        directory.local(1, address(40001));
        report(0, with4(OLD));
        assertThat(directory.address(1)).contains(address(40001));
        assertThat(directory.address(4)).contains(OLD_ADDRESS);
    }

    @Test
    void aNodeRemovedFromEveryGroupIsDropped() {
        report(0, with4(OLD));
        report(1, with4(OLD));
        report(1, without4());
        assertThat(directory.address(4)).as("still a member of group 0").contains(OLD_ADDRESS);
        report(0, without4());
        assertThat(directory.address(4)).isEmpty();
        // A configured node removed from every group is still where its configuration says.
        report(0, Membership.ofVoters(List.of(1, 2)));
        report(1, Membership.ofVoters(List.of(1, 2)));
        assertThat(directory.address(3)).contains(address(8083));
    }

    /** The defect: group 0 had recorded the old address, and another group's new one only filled in an id with none. */
    @Test
    void aNodeReaddedAtANewUrlInAnotherGroupThanZeroIsReachedThere() {
        report(0, with4(OLD));
        report(1, with4(OLD));
        report(1, without4());
        report(0, without4());
        report(1, with4(NEW));
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
    }

    /**
     * This process's replica of group 0 has not applied node 4's removal yet, while group 1 removed it and added it
     * again at a new URL: group 1 saw the old address dropped, so group 0's is that of a removed incarnation.
     */
    @Test
    void groupZeroLaggingBehindARemovalDoesNotKeepTheOldAddress() {
        report(0, with4(OLD));
        report(1, with4(OLD));
        report(1, without4());
        report(1, with4(NEW));
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
        // Group 0 catches up: removed, then added again at the new URL.
        report(0, without4());
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
        report(0, with4(NEW));
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
    }

    /**
     * The reason group 0 won before, still honoured: node 4 moved in every group, and this process's replica of
     * group 1 lags behind, replaying the old incarnation; it must not bring the old address back.
     */
    @Test
    void aLaggingGroupReplayingAnOldIncarnationDoesNotBringItsAddressBack() {
        report(0, with4(OLD));
        report(0, without4());
        report(0, with4(NEW));
        report(1, with4(OLD)); // group 1's replica catching up, far behind
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
        report(1, without4());
        report(1, with4(NEW));
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
    }

    /** Two groups that each list the node at another address with no history to tell: group 0's wins. */
    @Test
    void withoutEvidenceOfAMoveGroupZeroWins() {
        report(1, with4(NEW));
        report(0, with4(OLD));
        assertThat(directory.address(4)).contains(OLD_ADDRESS);
    }

    /**
     * The node moved from OLD to NEW and back to OLD. Group 0 saw all of it; group 1's replica replays it from far
     * behind and, for a while, lists NEW after dropping OLD. Group 0 saw NEW dropped before OLD came back: the groups
     * disagree, and group 0's address stays.
     */
    @Test
    void aNodeThatMovedBackIsNotSentToTheAddressALaggingGroupReplays() {
        report(0, with4(OLD));
        report(0, without4());
        report(0, with4(NEW));
        report(0, without4());
        report(0, with4(OLD));
        report(1, with4(OLD));
        report(1, without4());
        report(1, with4(NEW));
        assertThat(directory.address(4)).contains(OLD_ADDRESS);
    }

    /** Several local nodes report the same group: the newest report is the group's view, not the last one heard. */
    @Test
    void aLocalReplicaBehindTheOthersDoesNotMoveItsGroupsView() {
        directory.reported(1, 0, 5, with4(OLD));
        directory.reported(2, 0, 5, with4(OLD));
        directory.reported(1, 0, 7, without4());
        directory.reported(1, 0, 9, with4(NEW));
        directory.reported(3, 0, 5, with4(OLD)); // node 3 starts behind
        assertThat(directory.address(4)).contains(NEW_ADDRESS);
        // Node 1 stops: the others' views decide (here node 2's and node 3's, which still list the old address).
        directory.stopped(1);
        assertThat(directory.address(4)).contains(OLD_ADDRESS);
    }
}
