// Shared presentation helpers: categories, colours, one-line summaries.

export const ROLE_COLORS = {
  Follower: '#5b9cf5', Candidate: '#e3b341', Leader: '#3fb97c', Down: '#5c6370',
};

export const CATEGORIES = {
  election: ['StateChange', 'ElectionStarted', 'VoteGranted', 'LeaderElected', 'LeadershipTransfer'],
  message: ['MessageSent', 'MessageReceived', 'MessageDropped'],
  log: ['LogAppended', 'LogCommitted', 'Applied', 'SnapshotTaken', 'SnapshotInstalled'],
  fault: ['NodeCrashed', 'NodeRestarted', 'NodePaused', 'NodeFrozen', 'FaultChanged'],
  membership: ['MembershipChanged'],
  client: ['ClientRequest'],
  verify: ['CheckVerdict'],
  meta: ['Rates', 'ClusterInfo', 'Snapshot', 'RecordingTruncated', 'QueueStats', 'Traffic', 'GroupsState',
    'FocusChanged', 'ReplicaState', 'EventsDropped'],
};

export const CATEGORY_LABELS = { election: 'Elections', message: 'Messages', log: 'Log', fault: 'Faults',
  membership: 'Membership', client: 'Client', verify: 'Verification', meta: 'Rates & meta' };

const CAT_OF = {};
for (const [cat, types] of Object.entries(CATEGORIES)) for (const t of types) CAT_OF[t] = cat;

export function categoryOf(type) {
  return CAT_OF[type] || 'meta';
}

export function isVoteKind(kind) {
  return kind === 'RequestVote' || kind === 'RequestVoteResponse' || kind === 'PreVote' || kind === 'PreVoteResponse'
    || kind === 'TimeoutNow';
}

/** Colour of a message arrow by kind. */
export function kindColor(kind) {
  if (kind === 'PreVote' || kind === 'PreVoteResponse') return '#e8c170';
  if (isVoteKind(kind)) return '#f0883e';
  if (kind === 'InstallSnapshot') return '#b58cff';
  if (kind && kind.startsWith('ReadIndex')) return '#7aa7ff';
  return '#3fb97c';
}

/** A stable colour per term, for the log matrix. */
// Term hues skip reds and oranges: red marks diverging entries, orange marks votes.
const TERM_HUES = [268, 188, 48, 150, 300, 218, 95, 238, 170, 200];

export function termColor(term) {
  if (!term) return '#3a4452';
  const hue = TERM_HUES[(term - 1) % TERM_HUES.length];
  return `hsl(${hue} 48% 64%)`;
}

/** A number that fits inside a node's circle: 12,564 as 12.6k, 3,456,789 as 3.46M. */
export function compactNumber(v) {
  const n = Number(v) || 0;
  if (n < 10000) return String(n);
  if (n < 1e6) return `${(n / 1000).toFixed(n < 1e5 ? 1 : 0)}k`;
  return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)}M`;
}

export function clockTime(ts) {
  if (!ts) return '';
  const d = new Date(ts);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** A size in bytes, short: 256 B, 1.5 KiB, 2.0 MiB. */
export function byteSize(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A value as an event carries it: its text, or, when the server hides values (security.event_values), its size.
 * Undefined when the event has neither (a delete).
 */
export function valueText(x) {
  if (x.value !== undefined) return x.value;
  return x.valueLength !== undefined ? `hidden (${byteSize(x.valueLength)})` : undefined;
}

/** A key as an event carries it, or "(hidden key)" when the server hides keys too. */
export function keyText(x) {
  return x.key !== undefined ? x.key : '(hidden key)';
}

/** "op key=value" of a client request or a write, hidden parts said so. */
export function writeText(x) {
  const v = x.op === 'delete' ? undefined : valueText(x);
  return `${x.op} ${keyText(x)}${v !== undefined ? '=' + v : ''}`;
}

export function entryText(x) {
  switch (x.op) {
    case 'noop': return 'no-op';
    case 'put':
    case 'cas':
    case 'delete':
    case 'cad':
    case 'incr':
    case 'incrbyfloat':
    case 'append':
      return writeText(x) + (x.op !== 'append' && x.delta !== undefined ? ` by ${x.delta}` : '');
    case 'setrange':
      return writeText(x) + (x.offset !== undefined ? ` at ${x.offset}` : '');
    case 'rename':
    case 'renamenx':
      return `${x.op} ${keyText(x)} to ${x.to !== undefined ? x.to : '(hidden key)'}`;
    case 'txn':
      return `txn ${keyText(x)}` + (x.success !== undefined ? ` (${x.compares || 0} compares, ${x.success}/${x.failure || 0} ops)` : '');
    case 'config': return `config ${describeMembers(x)}`;
    case 'elided': return '…';
    default: return x.op || '?';
  }
}

/** A delay range in words: `80–160 ms`, or `200 ms` when both ends are the same. */
export function delayText(d) {
  return d[0] === d[1] ? `${d[1]} ms` : `${d[0]}–${d[1]} ms`;
}

/**
 * The faults of the whole network (every link): loss, delay, duplication, in words (`drop 10% · delay 50–100 ms ·
 * dup 5%`), or '' when there are none.
 */
export function networkFaultText(f) {
  if (!f) return '';
  const parts = [];
  if (f.dropRate) parts.push(`drop ${Math.round(f.dropRate * 100)}%`);
  if (f.delayMs && f.delayMs[1]) parts.push(`delay ${delayText(f.delayMs)}`);
  if (f.duplicateRate) parts.push(`dup ${Math.round(f.duplicateRate * 100)}%`);
  return parts.join(' · ');
}

/**
 * Faults in words. With `members`, a partition whose one group holds every member (what putting the last cut-off
 * node back leaves) is no partition and is not named.
 */
export function describeFaults(f, members) {
  if (!f) return 'healthy';
  const parts = [];
  const whole = members && f.partitions && f.partitions.length === 1 && members.every(id => f.partitions[0].includes(id));
  if (f.partitions && f.partitions.length && !whole) parts.push('partition ' + f.partitions.map(g => '{' + g.join(',') + '}').join(' | '));
  const network = networkFaultText(f);
  if (network) parts.push(network);
  for (const l of f.links || []) {
    const bits = [];
    if (l.delayMs && l.delayMs[1]) bits.push(delayText(l.delayMs));
    if (l.dropRate) bits.push(`${Math.round(l.dropRate * 100)}% loss`);
    parts.push(`${l.from}→${l.to} ${bits.join(', ')}`);
  }
  if (f.pausedNodes && f.pausedNodes.length) parts.push('paused ' + f.pausedNodes.join(','));
  return parts.length ? parts.join(' · ') : 'healthy network';
}

/** Voters and learners in a few characters: `voters 1,2,3 + learner 4`. */
export function describeMembers(ms) {
  const voters = `voters ${(ms.voters || []).join(',') || '—'}`;
  const learners = ms.learners || [];
  return learners.length ? `${voters} + learner${learners.length > 1 ? 's' : ''} ${learners.join(',')}` : voters;
}

/** One line about a CheckVerdict: the verdict, what was checked, the faults, the first anomaly. */
export function describeVerdict(e) {
  const n = x => Number(x || 0).toLocaleString('en');
  const faults = Object.entries(e.faults || {}).filter(([, c]) => c > 0).map(([k, c]) => `${k} ${c}`).join(', ');
  return `${e.verdict} · ${n(e.operations)} operations (${n(e.ok)} ok, ${n(e.failed)} failed, ${n(e.unknown)} unknown)` +
    ` · faults: ${faults || 'none'}` + (e.summary ? ` · ${e.summary}` : '');
}

/**
 * One line about an event, for the timeline; `members` (optional), the cluster's members, tells a partition from one
 * group holding them all (what "rejoin" leaves), which is none.
 */
export function summarize(e, members) {
  switch (e.type) {
    case 'StateChange':
      return `${e.from} → ${e.to}${e.leader ? ` · leader ${e.leader}` : ''}${e.reason ? ` · ${e.reason}` : ''}`;
    case 'ElectionStarted':
      return `${e.preVote ? 'pre-vote round' : 'election'} for term ${e.electionTerm}${e.transfer ? ' (transfer)' : ''}`;
    case 'VoteGranted':
      return `${e.preVote ? 'pre-vote' : 'vote'} for node ${e.candidate} in term ${e.voteTerm}`;
    case 'LeaderElected':
      return `leads term ${e.leaderTerm} with ${e.votes} votes`;
    case 'LeadershipTransfer':
      return `transfer to node ${e.target}: ${e.outcome}`;
    case 'MessageSent':
    case 'MessageReceived':
      return `${e.from}→${e.to} ${e.kind} ${e.summary || ''}`;
    case 'MessageDropped':
      return `${e.from}→${e.to} ${e.kind} lost (${e.reason}) ${e.summary || ''}`;
    case 'LogAppended': {
      const entries = e.entries || [];
      const last = entries[entries.length - 1];
      return `${e.count} entr${e.count === 1 ? 'y' : 'ies'} ${e.first}${e.last !== e.first ? '..' + e.last : ''}` +
        (last ? ` · ${entryText(last)}` : '');
    }
    case 'LogCommitted': return `commit index → ${e.commit}`;
    case 'Applied': return `applied ${e.first}${e.last !== e.first ? '..' + e.last : ''}`;
    case 'SnapshotTaken': return `snapshot at ${e.index}, log compacted`;
    case 'SnapshotInstalled': return `installed leader's snapshot at ${e.index}`;
    case 'NodeCrashed': return 'crashed';
    case 'NodeRestarted': return `restarted, state rebuilt to ${e.applied}`;
    case 'NodePaused': return e.paused ? 'paused' : 'resumed';
    case 'NodeFrozen': return e.frozen ? 'frozen (stalled; wall time runs on)' : 'thawed: handling what arrived meanwhile';
    case 'FaultChanged': return describeFaults(e.faults, members);
    case 'MembershipChanged':
      return `${(e.voters || []).length || (e.learners || []).length ? describeMembers(e) : 'no membership yet (waiting to be added)'}` +
        ` · index ${e.index} · ${e.reason || ''}`;
    case 'ClientRequest':
      return `${writeText(e)} · ${e.phase}` +
        (e.phase === 'completed' ? (e.ok ? ` · ok, revision ${e.revision}` : ` · ${e.error}`) : '');
    case 'CheckVerdict': return describeVerdict(e);
    case 'Rates': {
      const r = e.rates || {};
      return `${r.msgsPerSec} msg/s · ${r.dropsPerSec} lost/s · ${r.electionsPerMin} elections/min`;
    }
    case 'ClusterInfo': return `members ${(e.members || []).join(', ')}`;
    case 'Snapshot': return `state of ${(e.nodes || []).length} nodes at seq ${e.seq}`;
    case 'GroupsState': return `${e.count} groups · following group ${e.focusedGroup} · leads ` +
      Object.entries(e.leads || {}).map(([id, k]) => `N${id}:${k}`).join(' ');
    case 'FocusChanged': return `following group ${e.group} (was group ${e.previous}) on nodes ${(e.nodes || []).join(', ')}`;
    case 'EventsDropped': return `${e.count} log events not taken in time by the server; every node's state follows`;
    case 'ReplicaState': {
      const s = e.state || {};
      return `group ${e.group}: ${s.role} in term ${s.term} · commit ${s.commit} · last index ${s.lastIndex}`;
    }
    default: return '';
  }
}

export function el(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') n.className = v;
    else if (k === 'text') n.textContent = v;
    else if (k.startsWith('on')) n.addEventListener(k.slice(2), v);
    else n.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined) n.append(c);
  return n;
}

export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}
