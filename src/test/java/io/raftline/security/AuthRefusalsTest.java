package io.raftline.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** A flood of refused credentials costs one log line per minute, and the line says how many and from where. */
class AuthRefusalsTest {

    private final AtomicLong now = new AtomicLong(1_000);
    private final List<String> lines = new ArrayList<>();
    private final AuthRefusals refusals = new AuthRefusals(now::get, lines::add);

    @Test
    void theFirstRefusalIsLoggedAtOnceAndTheRestSummedUpAfterTheMinute() {
        refusals.refused("HTTP client API", "/10.0.0.5:40001", "wrong token");
        assertThat(lines).containsExactly("HTTP client API refused /10.0.0.5:40001: wrong token"
                + " (further refusals are summed up once a minute)");

        for (int i = 0; i < 30; i++) {
            refusals.refused("HTTP client API", "/10.0.0.5:" + (40002 + i), "wrong token");
        }
        refusals.refused("Redis protocol", "/10.0.0.9:5000", "wrong AUTH password");
        now.addAndGet(AuthRefusals.PERIOD_NANOS - 1);
        refusals.refused("Redis protocol", "/10.0.0.9:5001", "wrong AUTH password");
        assertThat(lines).as("within the minute: counted, not logged").hasSize(1);

        now.addAndGet(1);
        refusals.refused("admin API", "/192.168.1.7:6000", "wrong admin token");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).startsWith("32 more requests refused for want of a credential in the minute after the"
                + " last line, from /10.0.0.5 (30), /10.0.0.9 (2); then admin API refused /192.168.1.7:6000: wrong"
                + " admin token");
        assertThat(refusals.total()).isEqualTo(34);
    }

    @Test
    void aQuietMinuteEndsWithoutASummaryAndTheNextRefusalIsLoggedAtOnce() {
        refusals.refused("gRPC client API", "/10.0.0.5:1", "wrong token");
        now.addAndGet(2 * AuthRefusals.PERIOD_NANOS);
        refusals.refused("gRPC client API", "/10.0.0.5:2", "wrong token");
        assertThat(lines).hasSize(2);
        assertThat(lines.get(1)).startsWith("gRPC client API refused /10.0.0.5:2");
    }

    @Test
    void addressesBeyondTheBoundAreCountedTogether() {
        refusals.refused("HTTP client API", "/10.0.0.1:1", "wrong token");
        for (int i = 0; i < AuthRefusals.MAX_ADDRESSES + 4; i++) {
            refusals.refused("HTTP client API", "/10.0.1." + i + ":80", "wrong token");
        }
        now.addAndGet(AuthRefusals.PERIOD_NANOS);
        refusals.refused("HTTP client API", "/10.0.0.1:2", "wrong token");
        assertThat(lines.get(1)).startsWith(AuthRefusals.MAX_ADDRESSES + 4 + " more requests")
                .contains("other addresses (15)");
    }

    @Test
    void theHostIsTheAddressWithoutItsPort() {
        assertThat(AuthRefusals.hostOf("/10.0.0.5:40001")).isEqualTo("/10.0.0.5");
        assertThat(AuthRefusals.hostOf("10.0.0.5")).isEqualTo("10.0.0.5");
        assertThat(AuthRefusals.hostOf("an unknown address")).isEqualTo("an unknown address");
    }
}
