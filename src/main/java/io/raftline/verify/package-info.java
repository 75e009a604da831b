/**
 * A linearizability checker for client histories recorded against Raftline.
 *
 * <p>Raft's promise to clients is linearizability: every request appears to take effect at one
 * instant between its invocation and its answer, in an order that is a legal sequential run of the
 * store. Unit tests and the simulator check the algorithm's invariants; this package checks the
 * promise itself, from the outside, on what real clients saw while nodes crashed and networks
 * split. It lives in main code because the nemesis harness and the {@code verify} command use it.
 *
 * <ul>
 *   <li>{@link io.raftline.verify.Operation}, {@link io.raftline.verify.Outcome},
 *       {@link io.raftline.verify.Value}: the history model, including operations whose outcome
 *       the client never learned.</li>
 *   <li>{@link io.raftline.verify.LinearizabilityChecker}: the check (per-key Wing &amp; Gong /
 *       Lowe search with a configuration cache, plus a cross-key revision check), answering a
 *       {@link io.raftline.verify.CheckResult} with readable
 *       {@link io.raftline.verify.Violation}s.</li>
 *   <li>{@link io.raftline.verify.HistoryNdjson}: histories as NDJSON files, one operation a line.</li>
 * </ul>
 *
 * <p>Like the Raft core, the package starts no threads and is deterministic: the same history gives
 * the same verdict and the same explanation, except that a time budget may cut a search short. It
 * uses only {@code java.*}, except that {@link io.raftline.verify.HistoryNdjson} reads and writes
 * JSON with Jackson's streaming API (jackson-core, the engine under Vert.x's JSON types), never
 * Vert.x itself. See {@code docs/verify.md}.
 */
package io.raftline.verify;
