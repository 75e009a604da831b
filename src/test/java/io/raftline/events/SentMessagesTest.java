package io.raftline.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.raftline.raft.Entry;
import io.raftline.raft.message.AppendRequest;
import io.raftline.raft.message.Heartbeat;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentMessagesTest {

    private static AppendRequest append(long index, int valueBytes) {
        return new AppendRequest(1, 2, 1, index - 1, 1, List.of(Entry.normal(index, 1, new byte[valueBytes])), 0);
    }

    @Test
    void sendsOfLargeValuesAreForgottenByBytesLongBeforeTheirCount() {
        int mib = 1 << 20;
        SentMessages sends = new SentMessages(8192, 8L * mib, 70_000);
        List<AppendRequest> sent = new ArrayList<>();
        for (int i = 1; i <= 64; i++) {
            AppendRequest a = append(i, mib);
            sent.add(a);
            sends.add(a, SentMessages.key(a), i, 1_000);
            sends.forgetOld(1_000);
        }
        // 64 MiB of values sent; what is remembered keeps at most the bound alive (plus, at most, the newest send).
        assertThat(sends.bytes()).isLessThanOrEqualTo(8L * mib + SentMessages.payloadBytes(sent.get(63)));
        assertThat(sends.size()).isLessThan(10);
        assertThat(sends.byIdentity(sent.get(0))).as("the oldest is forgotten").isNull();
        assertThat(sends.byIdentity(sent.get(63))).as("the newest is remembered").isNotNull();
    }

    @Test
    void theNewestSendIsKeptWhateverItsSizeAndSmallOnesAreBoundByCountAndAge() {
        SentMessages sends = new SentMessages(4, 1024, 70_000);
        AppendRequest huge = append(1, 1 << 20);
        sends.add(huge, SentMessages.key(huge), 1, 1_000);
        sends.forgetOld(1_000);
        assertThat(sends.byIdentity(huge)).isNotNull();

        for (int i = 0; i < 10; i++) {
            Heartbeat h = new Heartbeat(1, 2, 1, 0, i);
            sends.add(h, SentMessages.key(h), 10 + i, 2_000);
        }
        sends.forgetOld(2_000);
        assertThat(sends.size()).isEqualTo(4);
        assertThat(sends.bytes()).isZero();
        sends.forgetOld(2_000 + 70_001);
        assertThat(sends.size()).isZero();
    }
}
