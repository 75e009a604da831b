package io.raftline.api.resp;

import java.util.ArrayDeque;
import java.util.List;

/**
 * The requests one connection has parsed and not yet started, bounded by count and by bytes.
 *
 * <p>A client may pipeline far more than the node can run at once; the connection stops reading its socket while
 * this queue is {@linkplain #full() full}, so what a connection holds is bounded whatever the client sends. A count
 * alone does not bound memory: with a request limit of many MiB, 1,024 queued requests could be gigabytes, so the
 * bytes of the queued arguments count too. A single request larger than {@link #MAX_BYTES} (the request limit
 * allows it) is still queued; the queue is then full until it starts.
 */
final class RequestQueue {

    /** Most requests waiting. */
    static final int MAX_REQUESTS = 1024;
    /** Most bytes of arguments waiting (plus {@link #PER_ARGUMENT} for each argument). */
    static final long MAX_BYTES = 8L * 1024 * 1024;
    /** What an argument costs beyond its bytes: the array and the list slot holding it. */
    static final int PER_ARGUMENT = 32;

    private final ArrayDeque<List<byte[]>> requests = new ArrayDeque<>();
    private long bytes;

    void add(List<byte[]> request) {
        requests.add(request);
        bytes += cost(request);
    }

    /** The next request, removed, or null when none waits. */
    List<byte[]> poll() {
        List<byte[]> request = requests.poll();
        if (request != null) {
            bytes -= cost(request);
        }
        return request;
    }

    /**
     * Puts requests taken off the queue back at its head, in their order (a batch that cannot start yet).
     *
     * @param taken the requests, in the order they were taken
     */
    void putBack(List<List<byte[]>> taken) {
        for (int i = taken.size() - 1; i >= 0; i--) {
            requests.addFirst(taken.get(i));
            bytes += cost(taken.get(i));
        }
    }

    /** The next request, left in place, or null when none waits. */
    List<byte[]> peek() {
        return requests.peek();
    }

    boolean isEmpty() {
        return requests.isEmpty();
    }

    void clear() {
        requests.clear();
        bytes = 0;
    }

    /** True when the connection should stop reading until the queue has drained. */
    boolean full() {
        return requests.size() >= MAX_REQUESTS || bytes >= MAX_BYTES;
    }

    /** Bytes the waiting requests are accounted at. */
    long bytes() {
        return bytes;
    }

    int size() {
        return requests.size();
    }

    private static long cost(List<byte[]> request) {
        long total = 0;
        for (byte[] arg : request) {
            total += arg.length + PER_ARGUMENT;
        }
        return total;
    }
}
