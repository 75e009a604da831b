/**
 * The cluster's event stream: every Raft transition, message, log change and fault as a {@link
 * io.raftline.events.RaftEvent}, streamed to each browser of the live view and recorded as NDJSON for replay. The
 * stream is an RxJava 3 {@code Flowable} on a thread of its own ({@code raftline-events}); nodes only hand facts to it.
 *
 * <ul>
 *   <li>{@link io.raftline.events.EventPublisher}: the {@code NodeListener} the nodes report to; publishes
 *       without slowing consensus, to sinks and to one {@link io.raftline.events.ViewerFeed} per browser.</li>
 *   <li>{@link io.raftline.events.EventPipeline}: ordering, sequence numbers, sampling of message events
 *       under load, coalescing, dashboard rates, per 50 ms window.</li>
 *   <li>{@link io.raftline.events.ViewerFeed}: one browser's share, shaped by its demand (thinned when it is behind,
 *       resynchronised from a snapshot when it is too far behind).</li>
 *   <li>{@link io.raftline.events.EventJson}: the JSON schema (documented in {@code docs/events.md}).</li>
 *   <li>{@link io.raftline.events.ClusterState}: the state folded from the stream, sent to late joiners.</li>
 *   <li>{@link io.raftline.events.NdjsonRecorder}: bounded NDJSON recording with asynchronous writes.</li>
 * </ul>
 */
package io.raftline.events;
