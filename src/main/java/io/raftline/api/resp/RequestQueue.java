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
 * allows it) is still queued; the queue is then full until it starts. Across the port, the queues' bytes together are
 * bounded by its {@link RequestBudget}: at it, no connection resumes reading.
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
    /** The port's budget of queued requests, which this queue's bytes are part of. */
    private final PortBudget port;

    /** A queue that counts its bytes in no port's budget (tests). */
    RequestQueue() {
        this(new RequestBudget(Long.MAX_VALUE));
    }

    /**
     * A connection's queue.
     *
     * @param port the port's budget of queued requests: the queue's bytes are taken from it as requests are added and
     *             given back as they start (or the queue is cleared, when the connection closes)
     */
    RequestQueue(PortBudget port) {
        this.port = port;
    }

    void add(List<byte[]> request) {
        requests.add(request);
        long cost = cost(request);
        bytes += cost;
        port.take(cost);
    }

    /** The next request, removed, or null when none waits. */
    List<byte[]> poll() {
        List<byte[]> request = requests.poll();
        if (request != null) {
            long cost = cost(request);
            bytes -= cost;
            port.giveBack(cost);
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
            long cost = cost(taken.get(i));
            bytes += cost;
            port.take(cost);
        }
    }

    /** The next request, left in place, or null when none waits. */
    List<byte[]> peek() {
        return requests.peek();
    }

    boolean isEmpty() {
        return requests.isEmpty();
    }

    /** Drops every waiting request (the connection closed): their bytes go back to the port's budget. */
    void clear() {
        requests.clear();
        port.giveBack(bytes);
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
