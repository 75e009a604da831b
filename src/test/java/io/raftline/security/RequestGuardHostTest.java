package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The {@code Host} rule of {@link RequestGuard} on its own: which names pass without being configured (IP literals,
 * localhost's names) and which need {@code security.allowed_hosts}. A rebound DNS name must not pass as an address.
 */
class RequestGuardHostTest {

    private final RequestGuard guard = new RequestGuard(List.of("db.example.org"), List.of());

    @Test
    void ipv4LiteralsAreFourGroupsOfOneToThreeDigits() {
        for (String yes : List.of("127.0.0.1", "0.0.0.0", "10.1.22.255", "999.999.999.999")) {
            assertThat(RequestGuard.ipv4Literal(yes)).as(yes).isTrue();
        }
        for (String no : List.of("", ".", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "1234.1.1.1",
                "1.2.3.4a", "a.1.2.3", "1.2.3.0x1", "1.2.3.٣", "1.2.3.4.")) {
            assertThat(RequestGuard.ipv4Literal(no)).as(no).isFalse();
        }
    }

    @Test
    void addressesAndLocalNamesPassAndOtherNamesOnlyWhenConfigured() {
        assertThat(guard.hostAllowed("127.0.0.1")).isTrue();
        assertThat(guard.hostAllowed("[::1]")).isTrue();
        assertThat(guard.hostAllowed("localhost")).isTrue();
        assertThat(guard.hostAllowed("LOCALHOST.")).isTrue();
        assertThat(guard.hostAllowed("ui.localhost")).isTrue();
        assertThat(guard.hostAllowed("DB.example.org")).isTrue();
        assertThat(guard.hostAllowed("attacker.example")).isFalse();
        assertThat(guard.hostAllowed("127.0.0.1.attacker.example")).isFalse();
        assertThat(guard.hostAllowed("1.2.3.4.5")).isFalse();
    }
}
