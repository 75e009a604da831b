// The live view's model: a pure fold of events. reduce(model, event) never mutates its inputs and
// depends on nothing but them, so the same events give the same model whether they arrive live over
// the bridge or are read from an NDJSON recording, and any earlier model can be kept as a checkpoint.
// The rules for node state mirror io.raftline.events.ClusterState (the server's fold that late
// joiners start from): keep the two in step.

export const LOG_TAIL = 200;          // log entries kept per node (the newest), as on the server
const CLIENTS_KEPT = 12;
/** The kinds of log entry a client's write makes (not a leader's no-op, a membership change or an elided entry). */
const CLIENT_WRITES = new Set(['put', 'cas', 'delete', 'cad', 'incr', 'incrbyfloat', 'append', 'setrange', 'rename',
  'renamenx', 'txn']);
const VIOLATIONS_KEPT = 200;

const EMPTY_FAULTS = Object.freeze({ partitions: [], dropRate: 0, delayMs: [0, 0], duplicateRate: 0,
  pausedNodes: [], links: [] });

export function initialModel() {
  return Object.freeze({
    seq: 0, ts: 0,
    members: [],               // the ids drawn: voters and learners of `membership` (every node seen without one)
    membership: null,          // the cluster's newest membership { configIndex, voters, learners, addresses }, or null
    nodes: {},                 // id -> node (see newNode), removed nodes included
    faults: EMPTY_FAULTS,
    leadersByTerm: {},         // term -> node id that became leader in it
    violations: [],            // safety monitor findings, newest last
    match: { leader: 0, term: 0, byNode: {} }, // what the current leader knows of each follower
    rates: null,               // last Rates event's figures
    clients: [],               // recent client requests from this page, newest first
    writes: [],                // recent writes the leader appended (from any client), newest first
    verdict: null,             // the last CheckVerdict (a verify run's linearizability check), or null
    groups: null,              // a sharded cluster's grid (see groupsGrid), or null for a cluster of one group
  });
}

function newNode(id) {
  return { id, role: 'Follower', term: 0, leader: 0, votedFor: 0, voteTerm: 0, commit: 0, applied: 0,
    lastIndex: 0, snapshotIndex: 0, up: true, paused: false, frozen: false, configIndex: 0, voters: [], learners: [],
    log: [], tally: null };
}

function withNode(m, id, change) {
  const old = m.nodes[id] || newNode(id);
  const next = { ...old, ...change(old) };
  // Once a membership is known, it alone decides who is drawn: a joining or removed node keeps its state only.
  const members = m.membership || m.members.includes(id) ? m.members : [...m.members, id].sort((a, b) => a - b);
  return { ...m, members, nodes: { ...m.nodes, [id]: next } };
}

/** The term of an index inside a LogAppended's term runs [[firstIndex, term], ...]. */
function termAt(runs, i) {
  let t = 0;
  for (const [start, term] of runs || []) if (start <= i) t = term;
  return t;
}

/** Entries from `first` on are replaced, exactly as ClusterState.NodeState.append does. */
export function appendEntries(log, e) {
  const given = new Map((e.entries || []).map(x => [x.i, x]));
  const kept = log.filter(x => x.i < e.first);
  for (let i = Math.max(e.first, e.last - LOG_TAIL + 1); i <= e.last; i++) {
    kept.push(given.get(i) || { i, t: termAt(e.terms, i), op: 'elided' });
  }
  return kept.filter(x => x.i > e.last - LOG_TAIL);
}

/** What must agree between two replicas' entries at one index. */
export function entrySignature(x) {
  return x.op === 'elided' ? `${x.t}` : `${x.t}:${x.op}:${x.key ?? ''}:${x.value ?? x.valueLength ?? ''}`;
}

function sameEntry(a, b) {
  if (a.op === 'elided' || b.op === 'elided') return a.t === b.t;
  return entrySignature(a) === entrySignature(b);
}

function violation(m, e, kind, text) {
  const v = { seq: e.seq, ts: e.ts, kind, text };
  return { ...m, violations: [...m.violations, v].slice(-VIOLATIONS_KEPT) };
}

/** Safety: entries a node just committed must match what any other node committed at those indexes. */
function checkCommitted(m, e, id, from, to) {
  const n = m.nodes[id];
  for (const x of n.log) {
    if (x.i <= from || x.i > to) continue;
    for (const o of Object.values(m.nodes)) {
      if (o.id === id || o.commit < x.i) continue;
      const y = o.log.find(z => z.i === x.i);
      if (y && !sameEntry(x, y)) {
        return violation(m, e, 'committed-mismatch',
          `Index ${x.i} committed as ${entrySignature(x)} on node ${id} but ${entrySignature(y)} on node ${o.id}`);
      }
    }
  }
  return m;
}

/** What the views show of a CheckVerdict: clean means linearizable and nothing else wrong (lost writes, diverging replicas). */
export function verdictOf(e) {
  const clean = e.verdict === 'LINEARIZABLE' && e.clean !== false;
  return { seq: e.seq, ts: e.ts, verdict: e.verdict, clean, operations: e.operations ?? 0, ok: e.ok ?? 0,
    failed: e.failed ?? 0, unknown: e.unknown ?? 0, violations: e.violations ?? 0, faults: { ...(e.faults || {}) },
    summary: e.summary || '' };
}

function membersOf(ms) {
  return [...new Set([...ms.voters, ...ms.learners])].sort((a, b) => a - b);
}

/**
 * A node reported its membership: kept per node, and it becomes the cluster's when it is the newest (highest
 * configuration index); when the node that held the newest reverts (a truncated configuration entry), the newest one
 * any node still holds (lowest id among equals). Empty memberships (a node waiting to join) never count. The same rule
 * as io.raftline.events.ClusterState.membershipChanged.
 */
function membershipChanged(m, e) {
  const id = e.node;
  if (!(id > 0)) return m;
  const before = (m.nodes[id] || newNode(id)).configIndex;
  const voters = [...(e.voters || [])], learners = [...(e.learners || [])];
  let n = withNode(m, id, () => ({ configIndex: e.index || 0, voters, learners }));
  const current = m.membership ? m.membership.configIndex : -1;
  const index = e.index || 0;
  let ms = null;
  if ((voters.length || learners.length) && index >= current) {
    ms = { configIndex: index, voters, learners, addresses: { ...(e.addresses || {}) } };
  } else if (index < current && before === current) {
    let best = null;
    for (const o of Object.values(n.nodes).sort((a, b) => a.id - b.id)) {
      if ((o.voters.length || o.learners.length) && (!best || o.configIndex > best.configIndex)) best = o;
    }
    if (best && best.configIndex !== current) {
      ms = { configIndex: best.configIndex, voters: best.voters, learners: best.learners, addresses: m.membership.addresses };
    }
  }
  if (ms) {
    n = { ...n, membership: ms, members: membersOf(ms) };
    // A member no event spoke of yet (it was just added) is drawn with a fresh state.
    for (const mid of n.members) if (!n.nodes[mid]) n = withNode(n, mid, () => ({}));
  }
  return n;
}

/** 'voter', 'learner', or '' for a node outside the cluster's membership (or when none is known). */
export function memberKind(m, id) {
  if (!m.membership) return '';
  return m.membership.voters.includes(id) ? 'voter' : m.membership.learners.includes(id) ? 'learner' : '';
}

/** The newest GroupsState of each process (by the nodes it covers), kept under the followed group. */
function withGrid(m, e) {
  const key = (e.nodes || []).join(',');
  const g = m.groups || { count: 0, focused: 0, sources: {} };
  return { ...m, groups: { count: e.count || g.count, focused: e.focusedGroup ?? g.focused,
    sources: { ...g.sources, [key]: { ts: e.ts || 0, nodes: [...(e.nodes || [])], groups: e.groups || [],
      leads: { ...(e.leads || {}) }, focusable: e.focusable !== false } } } };
}

/** A grid older than this behind the newest one is a process that stopped reporting (one node per process). */
const GRID_STALE_MS = 3000;

/**
 * The grid of a sharded cluster as the views draw it, merged from every process's newest GroupsState: per group its
 * leader, term, commit index and each node's role; per node how many groups it leads. Null for one group.
 * @param {object} m the model
 * @returns {{count:number, focused:number, nodes:number[], rows:object[], leads:object, focusable:boolean}|null}
 */
export function groupsGrid(m) {
  const g = m.groups;
  if (!g || g.count <= 1) return null;
  const sources = Object.values(g.sources);
  const newest = Math.max(0, ...sources.map(x => x.ts));
  const fresh = sources.filter(x => x.ts >= newest - GRID_STALE_MS);
  const nodes = [...new Set([...m.members, ...fresh.flatMap(x => x.nodes)])].sort((a, b) => a - b);
  const rows = [];
  for (let i = 0; i < g.count; i++) {
    const row = { id: i, leader: 0, term: 0, commit: 0, roles: {}, quiet: false };
    let leaderTerm = -1;
    for (const src of fresh) {
      const r = src.groups[i];
      if (!r) continue;
      Object.assign(row.roles, r.roles || {});
      row.term = Math.max(row.term, r.term || 0);
      row.commit = Math.max(row.commit, r.commit || 0);
      if (r.leader && (r.term || 0) > leaderTerm) {
        row.leader = r.leader;
        leaderTerm = r.term || 0;
        row.quiet = r.quiet === true;   // its leader quiesced it: idle, no heartbeats
      }
    }
    rows.push(row);
  }
  const leads = {};
  for (const id of nodes) leads[id] = rows.filter(r => r.leader === id).length;
  // With one node per process the server cannot switch groups: the page does not offer it.
  const focusable = fresh.every(x => x.focusable !== false);
  return { count: g.count, focused: g.focused, nodes, rows, leads, focusable };
}

/** The state a node's replica is reset to when the view starts following another group (ReplicaState then says). */
function forgetReplica(n) {
  return { role: n.up ? 'Follower' : 'Down', term: 0, leader: 0, votedFor: 0, voteTerm: 0, commit: 0, applied: 0,
    lastIndex: 0, snapshotIndex: 0, log: [], tally: null, queues: undefined };
}

/**
 * The view follows another group: the listed nodes' replicated state, and everything derived from the old group's
 * events (leaders by term for the safety monitor, the leader's match indexes, commit times, recent writes), is
 * forgotten; each node's ReplicaState then gives its replica of the new group.
 */
function focusChanged(m, e) {
  let n = { ...m, leadersByTerm: {}, match: { leader: 0, term: 0, byNode: {} }, commitTop: 0, commitTimes: [],
    writes: [], groups: m.groups ? { ...m.groups, focused: e.group } : { count: 0, focused: e.group, sources: {} } };
  for (const id of e.nodes || []) if (n.nodes[id]) n = withNode(n, id, forgetReplica);
  return n;
}

function fromSnapshot(m, e) {
  const nodes = {};
  const leadersByTerm = { ...m.leadersByTerm };
  for (const s of e.nodes || []) {
    nodes[s.id] = { ...newNode(s.id), ...s, log: [...(s.log || [])] };
    if (s.role === 'Leader') leadersByTerm[s.term] = s.id;
  }
  const membership = e.membership ? { configIndex: e.membership.configIndex, voters: [...e.membership.voters],
    learners: [...e.membership.learners], addresses: { ...(e.membership.addresses || {}) } } : null;
  let n = { ...m, members: [...(e.members || Object.keys(nodes).map(Number))].sort((a, b) => a - b), membership, nodes,
    faults: { ...EMPTY_FAULTS, ...(e.faults || {}) }, leadersByTerm,
    eventValues: e.eventValues || m.eventValues, raft: e.raft || m.raft };
  if (e.groupsStates || e.focusedGroup !== undefined) {
    n = { ...n, groups: null };
    for (const g of e.groupsStates || []) n = withGrid(n, g);
    if (e.focusedGroup !== undefined) {
      n = { ...n, groups: { ...(n.groups || { count: 0, sources: {} }), focused: e.focusedGroup } };
    }
  }
  return n;
}

/** Commit runs remembered for the log-entry inspector's "committed at". */
const COMMIT_RUNS_KEPT = 2000;

/**
 * When entry i was first committed: { ts, node }, or null if not known (committed before the view started).
 * @param {object} m the model
 * @param {number} i the index
 */
export function commitTimeOf(m, i) {
  for (const [a, b, ts, node] of m.commitTimes || []) if (i >= a && i <= b) return { ts, node };
  return null;
}

/**
 * Folds one event into the model.
 * @param {object} m the model (not modified)
 * @param {object} e an event in the schema of docs/events.md
 * @returns {object} the next model
 */
export function reduce(m, e) {
  if (!e || typeof e !== 'object') return m;
  let n = { ...m, seq: typeof e.seq === 'number' ? Math.max(m.seq, e.seq) : m.seq, ts: e.ts || m.ts };
  const id = e.node;
  switch (e.type) {
    case 'Snapshot':
      return fromSnapshot(n, e);
    case 'ClusterInfo':
      for (const mid of e.members || []) if (!n.nodes[mid]) n = withNode(n, mid, () => ({}));
      if (e.raft) n = { ...n, raft: e.raft };
      return e.eventValues ? { ...n, eventValues: e.eventValues } : n;
    case 'FaultChanged':
      return { ...n, faults: { ...EMPTY_FAULTS, ...(e.faults || {}) } };
    case 'MembershipChanged':
      return membershipChanged(n, e);
    case 'Rates':
      return { ...n, rates: e.rates };
    case 'CheckVerdict':
      return { ...n, verdict: verdictOf(e) };
    case 'GroupsState':
      return withGrid(n, e);
    case 'FocusChanged':
      return focusChanged(n, e);
    case 'ReplicaState': {
      const s = e.state || {};
      return withNode(n, id, () => ({ role: s.role, term: s.term || 0, leader: s.leader || 0, votedFor: s.votedFor || 0,
        voteTerm: s.voteTerm || 0, commit: s.commit || 0, applied: s.applied || 0, lastIndex: s.lastIndex || 0,
        snapshotIndex: s.snapshotIndex || 0, up: s.up !== false, paused: !!s.paused, frozen: !!s.frozen,
        log: (s.log || []).filter(x => x.i > (s.lastIndex || 0) - LOG_TAIL), tally: null }));
    }
    case 'ClientRequest':
      return { ...n, clients: [e, ...n.clients.filter(c => c.reqId !== e.reqId)].slice(0, CLIENTS_KEPT) };
    case 'StateChange': {
      n = withNode(n, id, () => ({ role: e.to, term: e.term, leader: e.leader }));
      if (e.to === 'Leader') {
        const other = n.leadersByTerm[e.term];
        if (other !== undefined && other !== id) {
          n = violation(n, e, 'two-leaders', `Nodes ${other} and ${id} both lead term ${e.term}`);
        }
        n = { ...n, leadersByTerm: { ...n.leadersByTerm, [e.term]: other ?? id },
          match: { leader: id, term: e.term, byNode: {} } };
      }
      return n;
    }
    case 'ElectionStarted': {
      // The tally a candidate shows: the votes (or pre-votes) granted to it in this round, its own first.
      const tally = { term: e.electionTerm, pre: !!e.preVote, granted: [id] };
      return e.preVote ? withNode(n, id, () => ({ tally }))
        : withNode(n, id, () => ({ votedFor: id, voteTerm: e.electionTerm, tally }));
    }
    case 'VoteGranted':
      return e.preVote ? withNode(n, id, () => ({})) : withNode(n, id, () => ({ votedFor: e.candidate, voteTerm: e.voteTerm }));
    case 'LeaderElected':
      return withNode(n, id, () => ({ leader: e.leader }));
    case 'LogAppended': {
      const before = n.nodes[id] || newNode(id);
      // Safety: a committed entry must never be replaced by a different one.
      for (const x of before.log) {
        if (x.i >= e.first && x.i <= before.commit) {
          const y = (e.entries || []).find(z => z.i === x.i) || { i: x.i, t: termAt(e.terms, x.i), op: 'elided' };
          if (!sameEntry(x, y)) {
            n = violation(n, e, 'committed-overwritten',
              `Node ${id} replaced committed entry ${x.i} (${entrySignature(x)}) with ${entrySignature(y)}`);
            break;
          }
        }
      }
      if (before.role === 'Leader') {
        // Writes from any client (curl, the CLI, Redis, gRPC, this page) as the leader appended them: every kind of
        // write entry (an INCR or a Redis MULTI's transaction was left out, as if nobody had written).
        const fresh = (e.entries || []).filter(x => CLIENT_WRITES.has(x.op))
          .map(x => ({ ...x, ts: e.ts, node: id }))
          .reverse();
        if (fresh.length) n = { ...n, writes: [...fresh, ...n.writes].slice(0, CLIENTS_KEPT) };
      }
      return withNode(n, id, o => ({ log: appendEntries(o.log, e), lastIndex: e.last }));
    }
    case 'QueueStats':
      // What waits in the node, from the server: pending proposals, held inputs, per-link outbox and in-flight.
      // transportInbox / transportOut: what waits in the transport (absent in older recordings: 0).
      return withNode(n, id, () => ({ queues: { pendingProposals: e.pendingProposals, inbox: e.inbox,
        outbox: e.outbox, transportInbox: e.transportInbox || 0, transportOut: e.transportOut || 0,
        links: e.links || [], held: e.held || [], ts: e.ts } }));
    case 'LogCommitted': {
      const from = (n.nodes[id] || newNode(id)).commit;
      if (e.commit > (n.commitTop || 0)) {
        // When each entry was first committed anywhere (the leader's commit, as it is the first to know), as runs
        // [first, last, ts, node], newest first and bounded.
        n = { ...n, commitTop: e.commit,
          commitTimes: [[(n.commitTop || 0) + 1, e.commit, e.ts, id], ...(n.commitTimes || [])].slice(0, COMMIT_RUNS_KEPT) };
      }
      n = withNode(n, id, () => ({ commit: e.commit }));
      return checkCommitted(n, e, id, from, e.commit);
    }
    case 'Applied':
      return withNode(n, id, () => ({ applied: e.last }));
    case 'SnapshotTaken':
      return withNode(n, id, o => ({ snapshotIndex: e.index, log: o.log.filter(x => x.i > e.index) }));
    case 'SnapshotInstalled':
      return withNode(n, id, o => ({ snapshotIndex: e.index, log: [], lastIndex: e.index, applied: e.index,
        commit: Math.max(o.commit, e.index) }));
    case 'NodeCrashed':
      // A crash ends a pause and a freeze (the node clears both, and no NodePaused or NodeFrozen says so), and the
      // queues of its life (a leader's replication state): a down node holds none, a restarted one starts empty.
      return withNode(n, id, () => ({ up: false, role: 'Down', leader: 0, paused: false, frozen: false,
        queues: undefined }));
    case 'NodeRestarted':
      return withNode(n, id, () => ({ up: true, paused: false, frozen: false, role: 'Follower', leader: 0, applied: e.applied,
        commit: e.applied, queues: undefined }));
    case 'NodePaused':
      return withNode(n, id, () => ({ paused: !!e.paused }));
    case 'NodeFrozen':
      return withNode(n, id, () => ({ frozen: !!e.frozen }));
    case 'MessageReceived':
      if ((e.kind === 'RequestVoteResponse' || e.kind === 'PreVoteResponse') && e.granted) {
        const t = n.nodes[e.to] && n.nodes[e.to].tally;
        if (t && t.pre === (e.kind === 'PreVoteResponse') && (t.pre || e.msgTerm === undefined || e.msgTerm === t.term)
          && !t.granted.includes(e.from)) {
          return withNode(n, e.to, () => ({ tally: { ...t, granted: [...t.granted, e.from] } }));
        }
        return n;
      }
      if (e.kind === 'AppendEntriesResponse' && e.success && e.to === n.match.leader && e.msgTerm === n.match.term) {
        const prev = n.match.byNode[e.from] || 0;
        if (e.index > prev) return { ...n, match: { ...n.match, byNode: { ...n.match.byNode, [e.from]: e.index } } };
      }
      return n;
    default:
      return n; // message events and unknown types leave the state as it is
  }
}

/**
 * The model as a Snapshot event (the schema the server answers a late joiner with), so that a trimmed history
 * still starts from the state it had reached: folding it gives back the model's nodes, members and faults, and it
 * carries the timing (`raft`) and `eventValues` the events had said.
 */
export function snapshotEvent(m) {
  const nodes = Object.values(m.nodes).sort((a, b) => a.id - b.id).map(n => {
    const { tally, ...rest } = n;
    return { ...rest, log: [...n.log] };
  });
  const e = { seq: m.seq, ts: m.ts, node: 0, term: 0, role: '', type: 'Snapshot', members: [...m.members], nodes,
    faults: m.faults };
  if (m.membership) e.membership = m.membership;
  // What the server's Snapshot carries besides the state: the timing the rings are drawn over, the values setting.
  if (m.raft) e.raft = m.raft;
  if (m.eventValues) e.eventValues = m.eventValues;
  if (m.groups) {
    e.focusedGroup = m.groups.focused;
    e.groupsStates = Object.values(m.groups.sources).map(x => ({ seq: m.seq, ts: x.ts, node: 0, term: 0, role: '',
      type: 'GroupsState', count: m.groups.count, focusedGroup: m.groups.focused, focusable: x.focusable, nodes: x.nodes,
      groups: x.groups, leads: x.leads }));
  }
  return e;
}

/** Folds many events. */
export function reduceAll(m, events) {
  let x = m;
  for (const e of events) x = reduce(x, e);
  return x;
}

/** The node that leads in the highest term, or null. */
export function currentLeader(m) {
  let best = null;
  for (const n of Object.values(m.nodes)) {
    if (n.up && n.role === 'Leader' && (!best || n.term > best.term)) best = n;
  }
  return best;
}

/** The role a node is drawn with: PreCandidate counts as Candidate, crashed as Down. */
export function displayRole(n) {
  if (!n || !n.up || n.role === 'Down') return 'Down';
  return n.role === 'PreCandidate' ? 'Candidate' : n.role;
}

// 64-bit FNV-1a over a string, as 16 hex digits (two 32-bit halves with different offsets).
function fnv(s, seed) {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * A digest of the replicated state (roles, terms, votes, indexes, each node's membership, log tails): equal for two models that
 * agree on it, whatever path they took (live from a snapshot, or replayed from the start).
 */
export function digest(m) {
  const parts = [];
  for (const id of Object.keys(m.nodes).map(Number).sort((a, b) => a - b)) {
    const n = m.nodes[id];
    const tail = n.log.slice(-20).map(entrySignature).join(',');
    parts.push([id, n.role, n.term, n.leader, n.votedFor, n.voteTerm, n.commit, n.applied, n.lastIndex,
      n.snapshotIndex, n.up, n.paused, n.frozen, n.configIndex, n.voters.join(' '), n.learners.join(' '), tail].join('|'));
  }
  const s = parts.join('\n');
  return fnv(s, 0x811c9dc5) + fnv(s, 0x050c5d1f);
}
