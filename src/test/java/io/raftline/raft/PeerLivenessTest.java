package io.raftline.raft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A node's record of its peers' liveness, which wakes quiet groups whose leader's node went silent. */
class PeerLivenessTest {

    @Test
    void aPeerIsSilentOnlyAfterTheThresholdWithoutAnyMessage() {
        PeerLiveness l = new PeerLiveness(30, 5, 100);
        assertThat(l.silent(2, 129)).as("never heard of: counts from creation").isFalse();
        assertThat(l.silent(2, 130)).isTrue();
        l.heard(2, 125);
        assertThat(l.silent(2, 154)).isFalse();
        assertThat(l.silent(2, 155)).isTrue();
        l.heard(2, 120); // a late report of an older message never moves the time back
        assertThat(l.silent(2, 154)).isFalse();
        assertThat(l.silent(3, 154)).as("each peer on its own").isTrue();
    }

    @Test
    void aKeepaliveIsDueOnlyOnALinkQuietForAnIntervalAndOnlyOnce() {
        PeerLiveness l = new PeerLiveness(30, 5, 0);
        assertThat(l.keepaliveDue(2, 4)).isFalse();
        assertThat(l.keepaliveDue(2, 5)).isTrue();
        assertThat(l.keepaliveDue(2, 5)).as("recorded as sent by the first caller").isFalse();
        l.sent(2, 8); // other traffic to the peer serves as a sign of life
        assertThat(l.keepaliveDue(2, 12)).isFalse();
        assertThat(l.keepaliveDue(2, 13)).isTrue();
    }

    @Test
    void theIntervalMustBeShorterThanTheSilence() {
        assertThatThrownBy(() -> new PeerLiveness(5, 5, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PeerLiveness(30, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
