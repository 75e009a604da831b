package io.raftline.api.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RequestQueueTest {

    private static List<byte[]> set(int valueBytes) {
        return List.of("SET".getBytes(StandardCharsets.UTF_8), "k".getBytes(StandardCharsets.UTF_8),
                new byte[valueBytes]);
    }

    @Test
    void largeRequestsFillTheQueueByBytesLongBeforeTheirCount() {
        RequestQueue queue = new RequestQueue();
        int value = 1024 * 1024;
        int added = 0;
        while (!queue.full()) {
            queue.add(set(value));
            added++;
        }
        // 1 MiB values: the byte bound (8 MiB) is reached at the eighth request, not at the 1,024th.
        assertThat(added).isEqualTo((int) (RequestQueue.MAX_BYTES / value));
        assertThat(queue.bytes()).isGreaterThanOrEqualTo(RequestQueue.MAX_BYTES)
                .isLessThan(RequestQueue.MAX_BYTES + value + 3L * RequestQueue.PER_ARGUMENT);

        queue.poll();
        assertThat(queue.full()).as("one request started frees its bytes").isFalse();
        while (queue.poll() != null) {
            // drain
        }
        assertThat(queue.bytes()).isZero();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void smallRequestsFillTheQueueByCount() {
        RequestQueue queue = new RequestQueue();
        for (int i = 0; i < RequestQueue.MAX_REQUESTS - 1; i++) {
            queue.add(set(10));
        }
        assertThat(queue.full()).isFalse();
        queue.add(set(10));
        assertThat(queue.full()).isTrue();
        assertThat(queue.size()).isEqualTo(RequestQueue.MAX_REQUESTS);
    }

    @Test
    void oneRequestLargerThanTheBoundIsQueuedAloneAndClearingForgetsItsBytes() {
        RequestQueue queue = new RequestQueue();
        queue.add(set((int) RequestQueue.MAX_BYTES * 2));
        assertThat(queue.size()).isEqualTo(1);
        assertThat(queue.full()).isTrue();
        assertThat(queue.peek()).isNotNull();
        assertThat(queue.full()).as("peeking leaves it queued").isTrue();
        queue.clear();
        assertThat(queue.full()).isFalse();
        assertThat(queue.bytes()).isZero();
    }
}
