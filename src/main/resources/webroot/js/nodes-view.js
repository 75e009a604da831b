// Per-node cards (term, vote, indexes, the log with committed and uncommitted entries) and the log
// matrix across nodes, where an entry whose term disagrees with the leader's (or the majority's) at the
// same index is outlined in red.

import { displayRole, currentLeader, memberKind } from './reducer.js';
import { entryText, termColor, escapeHtml, clockTime } from './format.js';

const CARD_ENTRIES = 14;
const MATRIX_COLUMNS = 28;

/** index -> term that the leader has there (or, without a leader, the most common term). */
function referenceTerms(m, from, to) {
  const leader = currentLeader(m);
  const ref = new Map();
  for (let i = from; i <= to; i++) {
    if (leader) {
      const x = leader.log.find(e => e.i === i);
      if (x) { ref.set(i, x.t); continue; }
    }
    const counts = new Map();
    for (const n of Object.values(m.nodes)) {
      const x = n.log.find(e => e.i === i);
      if (x) counts.set(x.t, (counts.get(x.t) || 0) + 1);
    }
    let best = null, bestN = 0;
    for (const [t, c] of counts) if (c > bestN) { best = t; bestN = c; }
    if (best !== null) ref.set(i, best);
  }
  return ref;
}

export class NodesView {
  constructor(cards, matrix, clients) {
    this.cards = cards;
    this.matrix = matrix;
    this.clients = clients;
    this.rendered = new Map(); // id -> node object last drawn
    this.model = null;
  }

  setModel(m) {
    if (m === this.model) return;
    const prev = this.model;
    this.model = m;
    const maxLast = Math.max(0, ...Object.values(m.nodes).map(n => n.lastIndex));
    const from = Math.max(1, maxLast - MATRIX_COLUMNS + 1);
    const ref = referenceTerms(m, Math.max(1, maxLast - CARD_ENTRIES * 2), maxLast);
    const leaderChanged = !prev || (currentLeader(prev) || {}).id !== (currentLeader(m) || {}).id;
    const membershipChanged = !prev || prev.membership !== m.membership;
    // A removed node's card goes with it.
    for (const card of [...this.cards.children]) {
      const id = Number(card.dataset.node);
      if (!m.members.includes(id)) { card.remove(); this.rendered.delete(id); }
    }
    for (const id of m.members) {
      const n = m.nodes[id];
      if (!n) continue;
      let card = this.cards.querySelector(`[data-testid="node-panel-${id}"]`);
      if (!card) {
        card = document.createElement('article');
        card.className = 'card';
        card.setAttribute('data-testid', `node-panel-${id}`);
        card.dataset.node = String(id);
        this.cards.append(card);
      }
      if (this.rendered.get(id) !== n || leaderChanged || membershipChanged) {
        this.rendered.set(id, n);
        this.renderCard(card, n, ref, memberKind(m, id));
      }
    }
    this.renderMatrix(m, from, maxLast);
    if (!prev || prev.clients !== m.clients) this.renderClients(m.clients);
  }

  renderClients(clients) {
    if (!clients.length) {
      this.clients.innerHTML = '<div class="muted">None yet: use Put or Delete in the controls.</div>';
      return;
    }
    this.clients.innerHTML = clients.slice(0, 6).map(c => {
      const what = `${c.op} ${c.key}${c.value !== undefined ? '=' + c.value : ''}`;
      let res = '<span class="res">pending…</span>';
      if (c.phase === 'completed') {
        res = c.ok ? `<span class="res ok">revision ${c.revision} · ${c.latencyMs} ms · node ${c.node}</span>`
          : `<span class="res err">${escapeHtml(c.error || 'failed')}</span>`;
      }
      return `<div class="client"><span class="time">${clockTime(c.ts)}</span><span class="what">${escapeHtml(what)}</span>${res}</div>`;
    }).join('');
  }

  renderCard(card, n, ref, kind) {
    const role = displayRole(n);
    card.setAttribute('data-role', role);
    if (kind) card.dataset.member = kind; else delete card.dataset.member;
    const entries = n.log.slice(-CARD_ENTRIES).reverse();
    const rows = entries.map(x => {
      const cls = ['entry'];
      if (x.i > n.commit) cls.push('uncommitted');
      if (x.op === 'noop') cls.push('noop');
      if (ref.has(x.i) && ref.get(x.i) !== x.t) cls.push('diverging');
      return `<div class="${cls.join(' ')}" data-testid="log-entry-${n.id}-${x.i}" data-committed="${x.i <= n.commit}"` +
        ` title="index ${x.i}, term ${x.t}${x.i <= n.commit ? ', committed' : ', not committed'}">` +
        `<span class="i">#${x.i}</span><span class="t" style="color:${termColor(x.t)}">t${x.t}</span>` +
        `<span class="op">${escapeHtml(entryText(x))}</span></div>`;
    }).join('');
    const hidden = Math.max(0, n.lastIndex - n.snapshotIndex - entries.length);
    const vote = n.votedFor ? `${n.votedFor} <span class="muted">(t${n.voteTerm})</span>` : '—';
    card.innerHTML =
      `<div class="head"><b>Node ${n.id}</b><span class="badge ${role}">${escapeHtml(n.role === 'PreCandidate' ? 'PreCandidate' : role)}</span>` +
      (kind === 'learner' ? '<span class="badge learner">learner</span>' : '') +
      (n.paused ? '<span class="badge paused">paused</span>' : '') +
      (n.frozen ? '<span class="badge paused">frozen</span>' : '') + '</div>' +
      '<dl class="facts">' +
      `<dt>term</dt><dd data-testid="node-term-${n.id}">${n.term}</dd>` +
      `<dt>voted for</dt><dd>${vote}</dd>` +
      `<dt>leader</dt><dd>${n.leader || '—'}</dd>` +
      `<dt>commit</dt><dd data-testid="node-commit-${n.id}">${n.commit}</dd>` +
      `<dt>applied</dt><dd>${n.applied}</dd>` +
      `<dt>last index</dt><dd>${n.lastIndex}</dd>` +
      (n.snapshotIndex ? `<dt>snapshot</dt><dd>${n.snapshotIndex}</dd>` : '') +
      '</dl>' +
      `<div class="log" data-testid="node-log-${n.id}">${rows || '<div class="more">empty log</div>'}` +
      (hidden > 0 && entries.length ? `<div class="more">${hidden} earlier entr${hidden === 1 ? 'y' : 'ies'}</div>` : '') + '</div>';
  }

  renderMatrix(m, from, to) {
    if (to < 1) {
      this.matrix.innerHTML = '<div class="muted">No entries yet.</div>';
      return;
    }
    const ref = referenceTerms(m, from, to);
    let html = '<table class="matrix"><thead><tr><th></th>';
    for (let i = from; i <= to; i++) html += `<th>${i % 5 === 0 || i === from || i === to ? i : ''}</th>`;
    html += '</tr></thead><tbody>';
    for (const id of m.members) {
      const n = m.nodes[id];
      if (!n) continue;
      const byIndex = new Map(n.log.map(x => [x.i, x]));
      html += `<tr><th class="row">N${id}</th>`;
      for (let i = from; i <= to; i++) {
        const x = byIndex.get(i);
        if (!x) {
          const snap = i <= n.snapshotIndex;
          html += `<td class="${snap ? 'snap' : 'empty'}" data-testid="cell-${id}-${i}"${snap ? ' title="in snapshot"' : ''}></td>`;
          continue;
        }
        const color = termColor(x.t);
        const cls = [];
        if (i > n.commit) cls.push('uncommitted');
        const diverging = ref.has(i) && ref.get(i) !== x.t;
        if (diverging) cls.push('diverging');
        html += `<td class="${cls.join(' ')}" style="background:${color};color:${i > n.commit ? color : '#0e1116'}"` +
          ` data-testid="cell-${id}-${i}" data-term="${x.t}" data-diverging="${diverging}"` +
          ` title="node ${id} · index ${i} · term ${x.t} · ${escapeHtml(entryText(x))}${i <= n.commit ? ' · committed' : ''}">${x.t}</td>`;
      }
      html += '</tr>';
    }
    this.matrix.innerHTML = html + '</tbody></table>';
  }
}
