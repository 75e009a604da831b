/**
 * The cluster's event stream: every Raft transition, message, log change and fault as a {@link
 * io.raftline.events.RaftEvent}, published on the event bus for the live view and recorded as NDJSON for
 * replay.
 *
 * <ul>
 *   <li>{@link io.raftline.events.EventPublisher}: the {@code NodeListener} the nodes report to; publishes on
 *       {@code raft.events} without slowing consensus.</li>
 *   <li>{@link io.raftline.events.EventPipeline}: ordering, sequence numbers, sampling of message events
 *       under load, coalescing, dashboard rates.</li>
 *   <li>{@link io.raftline.events.EventJson}: the JSON schema (documented in {@code docs/events.md}).</li>
 *   <li>{@link io.raftline.events.ClusterState}: the state folded from the stream, sent to late joiners.</li>
 *   <li>{@link io.raftline.events.NdjsonRecorder}: bounded NDJSON recording with asynchronous writes.</li>
 * </ul>
 */
package io.raftline.events;
