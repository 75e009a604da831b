package io.raftline.events;

import io.raftline.raft.Entry;
import io.raftline.raft.message.Message;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;

/**
 * One thing that happened in the cluster, as the live view and the NDJSON recordings see it. The set is closed:
 * {@link EventJson} maps every kind to the JSON object of the event schema ({@code seq}, {@code ts},
 * {@code node}, {@code term}, {@code role}, {@code type}, then the fields of the type), and the browser's reducer
 * folds exactly these types into its model.
 *
 * <p>Events are immutable values. Those that wrap a Raft {@link Message} or log {@link Entry} list keep the
 * (immutable) original and are summarised only when published, so reporting a fact costs a node's event loop
 * one small allocation.
 */
public sealed interface RaftEvent {

    /**
     * The common fields.
     *
     * @return the header
     */
    EventHeader header();

    /**
     * The same event with another header (the publisher's sequence number, term and role).
     *
     * @param header the new header
     * @return a copy
     */
    RaftEvent withHeader(EventHeader header);

    /**
     * The {@code type} field of the JSON form: the record's simple name.
     *
     * @return the type
     */
    default String type() {
        return getClass().getSimpleName();
    }

    /**
     * Whether the event is about one Raft message: such events may be sampled under load, all others never
     * are.
     *
     * @return true for {@link MessageSent}, {@link MessageReceived} and {@link MessageDropped}
     */
    default boolean isMessageEvent() {
        return false;
    }

    /**
     * Role, term or known leader of a node changed.
     *
     * @param header common fields
     * @param from   previous role name
     * @param to     new role name
     * @param leader leader the node knows of, or 0
     * @param reason why, in words
     */
    record StateChange(EventHeader header, String from, String to, int leader, String reason) implements RaftEvent {
        @Override
        public StateChange withHeader(EventHeader h) {
            return new StateChange(h, from, to, leader, reason);
        }
    }

    /**
     * A node started an election or a PreVote round.
     *
     * @param header       common fields
     * @param electionTerm the term the election is for (prospective for PreVote)
     * @param preVote      whether it is a PreVote round
     * @param transfer     whether it was triggered by a leadership transfer
     */
    record ElectionStarted(EventHeader header, long electionTerm, boolean preVote, boolean transfer) implements RaftEvent {
        @Override
        public ElectionStarted withHeader(EventHeader h) {
            return new ElectionStarted(h, electionTerm, preVote, transfer);
        }
    }

    /**
     * A node granted its vote (or pre-vote).
     *
     * @param header    common fields
     * @param candidate who got it
     * @param voteTerm  for which term
     * @param preVote   whether it was a pre-vote
     */
    record VoteGranted(EventHeader header, int candidate, long voteTerm, boolean preVote) implements RaftEvent {
        @Override
        public VoteGranted withHeader(EventHeader h) {
            return new VoteGranted(h, candidate, voteTerm, preVote);
        }
    }

    /**
     * A node won an election.
     *
     * @param header     common fields
     * @param leader     the winner (the node itself)
     * @param leaderTerm the term it leads
     * @param votes      votes it received
     */
    record LeaderElected(EventHeader header, int leader, long leaderTerm, int votes) implements RaftEvent {
        @Override
        public LeaderElected withHeader(EventHeader h) {
            return new LeaderElected(h, leader, leaderTerm, votes);
        }
    }

    /**
     * Leadership transfer started, completed or was aborted.
     *
     * @param header  common fields
     * @param target  the node leadership goes to
     * @param outcome what happened, in words
     */
    record LeadershipTransfer(EventHeader header, int target, String outcome) implements RaftEvent {
        @Override
        public LeadershipTransfer withHeader(EventHeader h) {
            return new LeadershipTransfer(h, target, outcome);
        }
    }

    /**
     * A message left a node.
     *
     * @param header  common fields (node = sender)
     * @param msgId   publisher-assigned id shared with the message's receive or drop events
     * @param message the message
     */
    record MessageSent(EventHeader header, long msgId, Message message) implements RaftEvent {
        @Override
        public MessageSent withHeader(EventHeader h) {
            return new MessageSent(h, msgId, message);
        }

        /**
         * The same event with its message id.
         *
         * @param id the id
         * @return a copy
         */
        public MessageSent withMsgId(long id) {
            return new MessageSent(header, id, message);
        }

        @Override
        public boolean isMessageEvent() {
            return true;
        }
    }

    /**
     * A message reached a node and was stepped into its core.
     *
     * @param header  common fields (node = receiver)
     * @param msgId   the id its {@link MessageSent} got
     * @param message the message
     */
    record MessageReceived(EventHeader header, long msgId, Message message) implements RaftEvent {
        @Override
        public MessageReceived withHeader(EventHeader h) {
            return new MessageReceived(h, msgId, message);
        }

        /**
         * The same event with its message id.
         *
         * @param id the id
         * @return a copy
         */
        public MessageReceived withMsgId(long id) {
            return new MessageReceived(header, id, message);
        }

        @Override
        public boolean isMessageEvent() {
            return true;
        }
    }

    /**
     * A message was lost.
     *
     * @param header  common fields (node = sender for network losses, receiver when it was down or paused)
     * @param msgId   the id its {@link MessageSent} got
     * @param message the message
     * @param reason  {@code partition}, {@code drop}, {@code paused}, {@code link drop}, {@code receiver paused},
     *                {@code receiver down} (also a copy held back while its receiver crashed), ...
     */
    record MessageDropped(EventHeader header, long msgId, Message message, String reason) implements RaftEvent {
        @Override
        public MessageDropped withHeader(EventHeader h) {
            return new MessageDropped(h, msgId, message, reason);
        }

        /**
         * The same event with its message id.
         *
         * @param id the id
         * @return a copy
         */
        public MessageDropped withMsgId(long id) {
            return new MessageDropped(header, id, message, reason);
        }

        @Override
        public boolean isMessageEvent() {
            return true;
        }
    }

    /**
     * Entries were persisted to a node's log; any entries it had from {@code entries.get(0).index()} on are
     * replaced.
     *
     * @param header  common fields
     * @param entries the entries, in index order, not empty
     */
    record LogAppended(EventHeader header, List<Entry> entries) implements RaftEvent {
        /**
         * Checks and freezes the entries.
         *
         * @param header  common fields
         * @param entries the entries
         */
        public LogAppended {
            entries = List.copyOf(entries);
            if (entries.isEmpty()) {
                throw new IllegalArgumentException("LogAppended needs at least one entry");
            }
        }

        @Override
        public LogAppended withHeader(EventHeader h) {
            return new LogAppended(h, entries);
        }
    }

    /**
     * A node's commit index moved forward.
     *
     * @param header common fields
     * @param commit the new commit index
     */
    record LogCommitted(EventHeader header, long commit) implements RaftEvent {
        @Override
        public LogCommitted withHeader(EventHeader h) {
            return new LogCommitted(h, commit);
        }
    }

    /**
     * A node applied entries {@code first..last} to its key-value state (consecutive applications are
     * coalesced into one event).
     *
     * @param header common fields
     * @param first  first index applied
     * @param last   last index applied
     */
    record Applied(EventHeader header, long first, long last) implements RaftEvent {
        @Override
        public Applied withHeader(EventHeader h) {
            return new Applied(h, first, last);
        }
    }

    /**
     * A node snapshotted its state and compacted its log up to {@code index}.
     *
     * @param header common fields
     * @param index  the snapshot's index
     */
    record SnapshotTaken(EventHeader header, long index) implements RaftEvent {
        @Override
        public SnapshotTaken withHeader(EventHeader h) {
            return new SnapshotTaken(h, index);
        }
    }

    /**
     * A node installed a snapshot sent by the leader: its log now starts after {@code index}.
     *
     * @param header common fields
     * @param index  the snapshot's index
     */
    record SnapshotInstalled(EventHeader header, long index) implements RaftEvent {
        @Override
        public SnapshotInstalled withHeader(EventHeader h) {
            return new SnapshotInstalled(h, index);
        }
    }

    /**
     * A node crashed.
     *
     * @param header common fields
     */
    record NodeCrashed(EventHeader header) implements RaftEvent {
        @Override
        public NodeCrashed withHeader(EventHeader h) {
            return new NodeCrashed(h);
        }
    }

    /**
     * A node restarted from its log store.
     *
     * @param header  common fields
     * @param applied the index its state was rebuilt to
     */
    record NodeRestarted(EventHeader header, long applied) implements RaftEvent {
        @Override
        public NodeRestarted withHeader(EventHeader h) {
            return new NodeRestarted(h, applied);
        }
    }

    /**
     * A node was paused (frozen) or resumed.
     *
     * @param header common fields
     * @param paused whether it is paused now
     */
    record NodePaused(EventHeader header, boolean paused) implements RaftEvent {
        @Override
        public NodePaused withHeader(EventHeader h) {
            return new NodePaused(h, paused);
        }
    }

    /**
     * A node was frozen (stopped with wall time running on, as under SIGSTOP or a long GC pause) or thawed.
     *
     * @param header common fields
     * @param frozen whether it is frozen now
     */
    record NodeFrozen(EventHeader header, boolean frozen) implements RaftEvent {
        @Override
        public NodeFrozen withHeader(EventHeader h) {
            return new NodeFrozen(h, frozen);
        }
    }

    /**
     * The injected faults changed (partitions, loss, delay, per-link conditions, paused nodes).
     *
     * @param header common fields (node 0)
     * @param faults the whole new fault state
     */
    record FaultChanged(EventHeader header, JsonObject faults) implements RaftEvent {
        /**
         * Copies the faults so the event cannot change afterwards.
         *
         * @param header common fields
         * @param faults the fault state
         */
        public FaultChanged {
            faults = faults.copy();
        }

        @Override
        public FaultChanged withHeader(EventHeader h) {
            return new FaultChanged(h, faults);
        }
    }

    /**
     * A client write issued from the live view was submitted or completed.
     *
     * @param header  common fields (node = the node it was sent to)
     * @param request the request's fields ({@code reqId}, {@code op}, {@code key}, {@code value}, {@code phase},
     *                and on completion {@code ok}, {@code revision} or {@code error})
     */
    record ClientRequest(EventHeader header, JsonObject request) implements RaftEvent {
        /**
         * Copies the request so the event cannot change afterwards.
         *
         * @param header  common fields
         * @param request the fields
         */
        public ClientRequest {
            request = request.copy();
        }

        @Override
        public ClientRequest withHeader(EventHeader h) {
            return new ClientRequest(h, request);
        }
    }

    /**
     * The verdict of a linearizability check of what clients saw of this cluster: the {@code verify} command
     * publishes it once its run is over, so that live views and recordings end with it.
     *
     * @param header common fields (node 0)
     * @param result {@code verdict} ({@code LINEARIZABLE}, {@code NOT_LINEARIZABLE} or {@code UNKNOWN}),
     *               {@code linearizable}, {@code operations}, {@code ok}, {@code failed}, {@code unknown},
     *               {@code violations}, {@code faults} (injections by kind), {@code summary}, {@code report}
     */
    record CheckVerdict(EventHeader header, JsonObject result) implements RaftEvent {
        /**
         * Copies the result so the event cannot change afterwards.
         *
         * @param header common fields
         * @param result the figures
         */
        public CheckVerdict {
            result = result.copy();
        }

        @Override
        public CheckVerdict withHeader(EventHeader h) {
            return new CheckVerdict(h, result);
        }
    }

    /**
     * The membership in effect on a node changed: a configuration entry was appended, a truncated one reverted it,
     * a snapshot brought one, or the node started (it reports what it recovered). Each node reports its own view,
     * so the live view can tell voters from learners, draw nodes added at runtime and drop removed ones.
     *
     * @param header    common fields (node = the node whose membership changed)
     * @param index     the configuration entry (or snapshot) the membership comes from, 0 for the bootstrap one
     * @param voters    the voters, ascending
     * @param learners  the learners, ascending
     * @param addresses URLs members were added with, by id (members of the configuration file have none)
     * @param reason    what changed it, in words
     */
    record MembershipChanged(EventHeader header, long index, List<Integer> voters, List<Integer> learners,
            Map<Integer, String> addresses, String reason) implements RaftEvent {
        /**
         * Freezes the lists and the addresses.
         *
         * @param header    common fields
         * @param index     the configuration's index
         * @param voters    the voters
         * @param learners  the learners
         * @param addresses member URLs
         * @param reason    why
         */
        public MembershipChanged {
            voters = List.copyOf(voters);
            learners = List.copyOf(learners);
            addresses = Map.copyOf(addresses);
        }

        @Override
        public MembershipChanged withHeader(EventHeader h) {
            return new MembershipChanged(h, index, voters, learners, addresses, reason);
        }
    }

    /**
     * The members of the cluster, published first so a recording knows every node before it speaks, with the
     * configured Raft timing so that the view draws election-timeout rings over the real range.
     *
     * @param header  common fields (node 0)
     * @param members the node ids
     * @param timing  {@code heartbeatMs}, {@code electionMs: [min, max]}, {@code tickMs}; null when unknown
     */
    record ClusterInfo(EventHeader header, List<Integer> members, JsonObject timing) implements RaftEvent {
        /**
         * Freezes the members and the timing.
         *
         * @param header  common fields
         * @param members the ids
         * @param timing  the configured timing, or null
         */
        public ClusterInfo {
            members = List.copyOf(members);
            timing = timing == null ? null : timing.copy();
        }

        /**
         * Members only, timing unknown.
         *
         * @param header  common fields
         * @param members the ids
         */
        public ClusterInfo(EventHeader header, List<Integer> members) {
            this(header, members, null);
        }

        @Override
        public ClusterInfo withHeader(EventHeader h) {
            return new ClusterInfo(h, members, timing);
        }
    }

    /**
     * The per-write state events ({@code LogAppended}, {@code LogCommitted}, {@code Applied}) that the nodes reported
     * faster than the pipeline thread took them, beyond its bound, were discarded at the hand-off: this many since the
     * last such marker. Published once the backlog is down again, right before every local node reports its state
     * again as a {@link ReplicaState}, which replaces what the discarded events would have told.
     *
     * @param header common fields (node 0)
     * @param count  events discarded
     */
    record EventsDropped(EventHeader header, long count) implements RaftEvent {
        @Override
        public EventsDropped withHeader(EventHeader h) {
            return new EventsDropped(h, count);
        }
    }

    /**
     * Dashboard rates derived from the whole stream (sampled-out messages included), published once a
     * second.
     *
     * @param header common fields (node 0)
     * @param rates  {@code msgsPerSec}, {@code dropsPerSec}, {@code sampledOutPerSec}, {@code electionsPerMin},
     *               {@code commitsPerSec}, {@code byKind}
     */
    record Rates(EventHeader header, JsonObject rates) implements RaftEvent {
        /**
         * Copies the rates so the event cannot change afterwards.
         *
         * @param header common fields
         * @param rates  the figures
         */
        public Rates {
            rates = rates.copy();
        }

        @Override
        public Rates withHeader(EventHeader h) {
            return new Rates(h, rates);
        }
    }

    /**
     * What waits in one node, from the server (not derived from the arrows a browser saw): pending proposals, held
     * inputs, a leader's unacknowledged appends per follower, and the copies the network holds back. Reported
     * twice a second per node while someone watches.
     *
     * @param header common fields (the node)
     * @param stats  the node's own figures
     * @param outbox copies of its messages the network holds back (injected delay), soonest first
     */
    record QueueStats(EventHeader header, io.raftline.node.QueueStats stats,
            List<io.raftline.transport.NetworkConditioner.InNetwork> outbox) implements RaftEvent {
        /**
         * Freezes the outbox.
         *
         * @param header common fields
         * @param stats  the figures
         * @param outbox held copies
         */
        public QueueStats {
            outbox = List.copyOf(outbox);
        }

        @Override
        public QueueStats withHeader(EventHeader h) {
            return new QueueStats(h, stats, outbox);
        }
    }
    /**
     * The grid of a sharded cluster: every group's leader, term, commit index and each node's role in it, and how
     * many groups each node leads, as the replicas of this process report them. Published periodically, and only
     * while someone watches (see {@code docs/events.md}).
     *
     * @param header common fields (node 0)
     * @param state  {@code count}, {@code focusedGroup}, {@code focusable}, {@code nodes} (the nodes it covers),
     *               {@code groups}, {@code leads}
     */
    record GroupsState(EventHeader header, JsonObject state) implements RaftEvent {
        /**
         * Copies the state so the event cannot change afterwards.
         *
         * @param header common fields
         * @param state  the figures
         */
        public GroupsState {
            state = state.copy();
        }

        @Override
        public GroupsState withHeader(EventHeader h) {
            return new GroupsState(h, state);
        }
    }

    /**
     * The live view now follows another Raft group in detail: the listed nodes' events from here on are of
     * {@code group}; each of them then reports a {@link ReplicaState} to start from. Consumers forget the listed
     * nodes' replicated state (roles, terms, logs, indexes) and what they derived from it.
     *
     * @param header   common fields (node 0)
     * @param group    the group followed from now on
     * @param previous the group followed until now
     * @param nodes    the nodes whose events switch (this process's)
     */
    record FocusChanged(EventHeader header, int group, int previous, List<Integer> nodes) implements RaftEvent {
        /**
         * Freezes the nodes.
         *
         * @param header   common fields
         * @param group    the new group
         * @param previous the old group
         * @param nodes    the nodes
         */
        public FocusChanged {
            nodes = List.copyOf(nodes);
        }

        @Override
        public FocusChanged withHeader(EventHeader h) {
            return new FocusChanged(h, group, previous, nodes);
        }
    }

    /**
     * One node's replica of the newly followed group, captured on the node's event loop right before its events of
     * that group start being published: the state a consumer replaces the node's with after a {@link FocusChanged}.
     *
     * @param header common fields (the node)
     * @param group  the group
     * @param view   the replica's status, vote and log tail
     */
    record ReplicaState(EventHeader header, int group, io.raftline.node.NodeHost.ReplicaView view) implements RaftEvent {
        @Override
        public ReplicaState withHeader(EventHeader h) {
            return new ReplicaState(h, group, view);
        }
    }
}
