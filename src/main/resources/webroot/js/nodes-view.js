// Per-node cards (term, vote, indexes, the log with committed and uncommitted entries) and the log
// matrix across nodes, where an entry whose term disagrees with the leader's (or the majority's) at the
// same index is outlined in red. Both are built once and then updated in place: a card's figures and log rows,
// and the matrix's cells, are only written when what they show changed, so a busy cluster (a commit every few
// milliseconds) costs a few text changes per redraw rather than rebuilt HTML.

import { displayRole, currentLeader, memberKind } from './reducer.js';
import { entryText, writeText, termColor, escapeHtml, clockTime } from './format.js';

const CARD_ENTRIES = 14;
const MATRIX_COLUMNS = 24;
const MIN_GAP_MS = 250;

/** index -> term that the leader has there (or, without a leader, the most common term). */
function referenceTerms(m, from, to) {
  const leader = currentLeader(m);
  const ref = new Map();
  const logs = Object.values(m.nodes).map(n => new Map(n.log.filter(x => x.i >= from && x.i <= to).map(x => [x.i, x.t])));
  const leaderLog = leader ? new Map(leader.log.filter(x => x.i >= from && x.i <= to).map(x => [x.i, x.t])) : null;
  for (let i = from; i <= to; i++) {
    if (leaderLog && leaderLog.has(i)) { ref.set(i, leaderLog.get(i)); continue; }
    const counts = new Map();
    for (const l of logs) if (l.has(i)) counts.set(l.get(i), (counts.get(l.get(i)) || 0) + 1);
    let best = null, bestN = 0;
    for (const [t, c] of counts) if (c > bestN) { best = t; bestN = c; }
    if (best !== null) ref.set(i, best);
  }
  return ref;
}

/** Sets an element's text only when it differs (reading textContent is cheap; writing invalidates layout). */
function text(el, s) {
  if (el.textContent !== s) el.textContent = s;
}

function attr(el, k, v) {
  if (v === null || v === undefined) { if (el.hasAttribute(k)) el.removeAttribute(k); return; }
  if (el.getAttribute(k) !== v) el.setAttribute(k, v);
}

const FACTS = [['term', 'term'], ['vote', 'voted for'], ['leader', 'leader'], ['commit', 'commit'], ['applied', 'applied'],
  ['last', 'last index'], ['snap', 'snapshot']];

export class NodesView {
  constructor(cards, matrix, clients) {
    this.cards = cards;
    this.matrix = matrix;
    this.clients = clients;
    this.cardOf = new Map();   // id -> { root, ... } built once
    this.drawn = new Map();    // id -> signature of what the card shows
    this.model = null;
    this.grid = null;          // the matrix's table, built for one list of members
    this.clientsDrawn = null;
    this.drawnAt = 0;
  }

  /**
   * Draws the model; under load the cards and the matrix are redrawn at most every MIN_GAP_MS (a role or membership
   * change is drawn at once).
   * @returns false when the drawing was put off (call again later)
   */
  setModel(m) {
    if (m === this.model) return true;
    const prev = this.model;
    const now = performance.now();
    const urgent = !prev || prev.members !== m.members || prev.membership !== m.membership
      || m.members.some(id => prev.nodes[id] !== m.nodes[id] && (!prev.nodes[id] || !m.nodes[id]
        || prev.nodes[id].role !== m.nodes[id].role || prev.nodes[id].up !== m.nodes[id].up));
    if (!urgent && now - this.drawnAt < MIN_GAP_MS) return false;
    this.drawnAt = now;
    this.model = m;
    const maxLast = Math.max(0, ...Object.values(m.nodes).map(n => n.lastIndex));
    const nodesChanged = !prev || prev.nodes !== m.nodes || prev.membership !== m.membership || prev.members !== m.members;
    if (nodesChanged) {
      const ref = referenceTerms(m, Math.max(1, maxLast - CARD_ENTRIES * 2), maxLast);
      // A removed node's card goes with it.
      for (const [id, c] of this.cardOf) {
        if (!m.members.includes(id)) { c.root.remove(); this.cardOf.delete(id); this.drawn.delete(id); }
      }
      const leader = currentLeader(m);
      for (const id of m.members) {
        const n = m.nodes[id];
        if (!n) continue;
        const kind = memberKind(m, id);
        const sig = [n.role, n.up, n.term, n.votedFor, n.voteTerm, n.leader, n.commit, n.applied, n.lastIndex,
          n.snapshotIndex, n.paused, n.frozen, kind, n.log.length && n.log[n.log.length - 1].i,
          n.log.length && n.log[n.log.length - 1].t, leader && leader.id, leader && leader.lastIndex].join('|');
        if (this.drawn.get(id) === sig) continue;
        this.drawn.set(id, sig);
        this.renderCard(this.card(id), n, ref, kind);
      }
      this.renderMatrix(m, Math.max(1, maxLast - MATRIX_COLUMNS + 1), maxLast);
    }
    const leader = currentLeader(m);
    const commit = leader ? leader.commit : 0;
    if (this.clientsDrawn !== m.clients || this.writesDrawn !== m.writes || this.commitDrawn !== commit) {
      this.clientsDrawn = m.clients;
      this.writesDrawn = m.writes;
      this.commitDrawn = commit;
      this.renderClients(m.clients, m.writes, commit);
    }
    return true;
  }

  card(id) {
    let c = this.cardOf.get(id);
    if (c) return c;
    const root = document.createElement('article');
    root.className = 'card';
    root.setAttribute('data-testid', `node-panel-${id}`);
    root.dataset.node = String(id);
    root.innerHTML = `<div class="head"><b>Node ${id}</b><span class="badge role"></span>` +
      '<span class="badge learner" hidden>learner</span><span class="badge paused" hidden>paused</span>' +
      '<span class="badge frozen paused" hidden>frozen</span></div><dl class="facts"></dl>' +
      `<div class="log" data-testid="node-log-${id}"></div>`;
    const dl = root.querySelector('dl');
    const dd = {};
    for (const [k, label] of FACTS) {
      const dt = document.createElement('dt');
      dt.textContent = label;
      const d = document.createElement('dd');
      if (k === 'term') d.setAttribute('data-testid', `node-term-${id}`);
      if (k === 'commit') d.setAttribute('data-testid', `node-commit-${id}`);
      dd[k] = { dt, dd: d };
      dl.append(dt, d);
    }
    const log = root.querySelector('.log');
    const more = document.createElement('div');
    more.className = 'more';
    c = { root, role: root.querySelector('.badge.role'), learner: root.querySelector('.badge.learner'),
      paused: root.querySelector('.badge.paused:not(.frozen)'), frozen: root.querySelector('.badge.frozen'), dd, log, more,
      rows: new Map() };
    // Cards keep the members' order.
    const after = [...this.cardOf.entries()].filter(([k]) => k < id).sort((a, b) => b[0] - a[0])[0];
    if (after) after[1].root.after(root); else this.cards.prepend(root);
    this.cardOf.set(id, c);
    return c;
  }

  /** Requests sent from this page (with their outcome) and the writes of every client as the leader appended them. */
  renderClients(clients, writes, commit) {
    const rows = [];
    for (const c of clients) {
      const what = writeText(c);
      let res = '<span class="res">pending…</span>';
      if (c.phase === 'completed') {
        res = c.ok ? `<span class="res ok">revision ${c.revision} · ${c.latencyMs} ms · node ${c.node}</span>`
          : `<span class="res err">${escapeHtml(c.error || 'failed')}</span>`;
      }
      rows.push({ ts: c.ts, html: `<div class="client" data-source="page"><span class="time">${clockTime(c.ts)}</span>` +
        `<span class="what">${escapeHtml(what)}</span>${res}</div>` });
    }
    const viaPage = new Set(clients.filter(c => c.revision !== undefined).map(c => c.revision));
    for (const w of writes) {
      if (viaPage.has(w.i)) continue; // already listed as this page's request
      const what = entryText(w);
      const res = w.i <= commit ? `<span class="res ok">committed at ${w.i}</span>` : `<span class="res">appended at ${w.i}</span>`;
      rows.push({ ts: w.ts, html: `<div class="client" data-source="log"><span class="time">${clockTime(w.ts)}</span>` +
        `<span class="what">${escapeHtml(what)}</span>${res}</div>` });
    }
    if (!rows.length) {
      this.clients.innerHTML = '<div class="muted">None yet: writes from any client, and Put or Delete here, show up as the leader appends them.</div>';
      return;
    }
    rows.sort((a, b) => b.ts - a.ts);
    this.clients.innerHTML = rows.slice(0, 6).map(r => r.html).join('');
  }

  renderCard(c, n, ref, kind) {
    const role = displayRole(n);
    attr(c.root, 'data-role', role);
    attr(c.root, 'data-member', kind || null);
    text(c.role, n.role === 'PreCandidate' ? 'PreCandidate' : role);
    c.role.className = `badge role ${role}`;
    c.learner.hidden = kind !== 'learner';
    c.paused.hidden = !n.paused;
    c.frozen.hidden = !n.frozen;
    const f = c.dd;
    text(f.term.dd, String(n.term));
    text(f.vote.dd, n.votedFor ? `${n.votedFor} (t${n.voteTerm})` : '—');
    text(f.leader.dd, n.leader ? String(n.leader) : '—');
    text(f.commit.dd, String(n.commit));
    text(f.applied.dd, String(n.applied));
    text(f.last.dd, String(n.lastIndex));
    text(f.snap.dd, String(n.snapshotIndex));
    f.snap.dt.hidden = f.snap.dd.hidden = !n.snapshotIndex;
    // The newest entries, newest first; rows are kept by index and only rewritten when their entry changed.
    const entries = n.log.slice(-CARD_ENTRIES).reverse();
    const keep = new Map();
    let prevRow = null;
    for (const x of entries) {
      const committed = x.i <= n.commit;
      const diverging = ref.has(x.i) && ref.get(x.i) !== x.t;
      const sig = `${x.t}|${x.op}|${x.key ?? ''}|${x.value ?? x.valueLength ?? ''}|${committed}|${diverging}`;
      let row = c.rows.get(x.i);
      if (!row) {
        row = document.createElement('div');
        row.setAttribute('data-testid', `log-entry-${n.id}-${x.i}`);
        row.innerHTML = '<span class="i"></span><span class="t"></span><span class="op"></span>';
      }
      if (row.dataset.sig !== sig) {
        row.dataset.sig = sig;
        row.className = `entry${committed ? '' : ' uncommitted'}${x.op === 'noop' ? ' noop' : ''}${diverging ? ' diverging' : ''}`;
        row.dataset.committed = String(committed);
        row.title = `index ${x.i}, term ${x.t}${committed ? ', committed' : ', not committed'}`;
        row.children[0].textContent = `#${x.i}`;
        row.children[1].textContent = `t${x.t}`;
        row.children[1].style.color = termColor(x.t);
        row.children[2].textContent = entryText(x);
      }
      keep.set(x.i, row);
      // In order: each row right after the previous one.
      if (prevRow ? prevRow.nextSibling !== row : c.log.firstChild !== row) {
        if (prevRow) prevRow.after(row); else c.log.prepend(row);
      }
      prevRow = row;
    }
    for (const [i, row] of c.rows) if (!keep.has(i)) row.remove();
    c.rows = keep;
    const hidden = Math.max(0, n.lastIndex - n.snapshotIndex - entries.length);
    const moreText = !entries.length ? 'empty log' : hidden > 0 ? `${hidden.toLocaleString()} earlier entr${hidden === 1 ? 'y' : 'ies'}` : '';
    text(c.more, moreText);
    if (moreText && c.more.parentNode !== c.log) c.log.append(moreText ? c.more : null);
    if (!moreText && c.more.parentNode) c.more.remove();
    if (moreText && c.log.lastChild !== c.more) c.log.append(c.more);
  }

  /** The matrix is a fixed grid of cells (members × columns); each cell is rewritten only when what it shows changed. */
  renderMatrix(m, from, to) {
    if (to < 1) {
      if (this.grid) { this.grid = null; }
      if (!this.matrix.querySelector('.muted')) this.matrix.innerHTML = '<div class="muted">No entries yet.</div>';
      return;
    }
    const members = m.members.filter(id => m.nodes[id]);
    const key = members.join(',');
    if (!this.grid || this.grid.key !== key) {
      const table = document.createElement('table');
      table.className = 'matrix';
      const head = table.createTHead().insertRow();
      head.append(document.createElement('th'));
      const heads = [];
      for (let c = 0; c < MATRIX_COLUMNS; c++) { const th = document.createElement('th'); head.append(th); heads.push(th); }
      const body = table.createTBody();
      const cells = new Map();
      for (const id of members) {
        const tr = body.insertRow();
        const th = document.createElement('th');
        th.className = 'row';
        th.textContent = `N${id}`;
        tr.append(th);
        const row = [];
        for (let c = 0; c < MATRIX_COLUMNS; c++) row.push(tr.insertCell());
        cells.set(id, row);
      }
      this.matrix.replaceChildren(table);
      this.grid = { key, heads, cells };
    }
    const ref = referenceTerms(m, from, to);
    const { heads, cells } = this.grid;
    for (let c = 0; c < MATRIX_COLUMNS; c++) {
      const i = from + c;
      text(heads[c], i <= to && (i % 5 === 0 || i === from || i === to) ? String(i) : '');
    }
    for (const id of members) {
      const n = m.nodes[id];
      const byIndex = new Map();
      for (const x of n.log) if (x.i >= from) byIndex.set(x.i, x);
      const row = cells.get(id);
      for (let c = 0; c < MATRIX_COLUMNS; c++) {
        const i = from + c;
        const td = row[c];
        const x = i <= to ? byIndex.get(i) : undefined;
        const committed = x && i <= n.commit;
        const diverging = !!(x && ref.has(i) && ref.get(i) !== x.t);
        const sig = i > to ? 'none' : !x ? (i <= n.snapshotIndex ? `s${i}` : `e${i}`)
          : `${i}|${x.t}|${committed}|${diverging}|${x.op}|${x.key ?? ''}|${x.value ?? x.valueLength ?? ''}`;
        if (td.dataset.sig === sig) continue;
        td.dataset.sig = sig;
        td.setAttribute('data-testid', `cell-${id}-${i}`);
        if (!x) {
          const snap = i <= n.snapshotIndex;
          td.className = i > to ? 'none' : snap ? 'snap' : 'empty';
          td.removeAttribute('style');
          td.removeAttribute('data-term');
          td.removeAttribute('data-diverging');
          td.title = snap ? 'in snapshot' : '';
          td.textContent = '';
          continue;
        }
        const color = termColor(x.t);
        td.className = `${committed ? '' : 'uncommitted'}${diverging ? ' diverging' : ''}`;
        td.style.background = color;
        td.style.color = committed ? '#0e1116' : color;
        td.dataset.term = String(x.t);
        td.dataset.diverging = String(diverging);
        td.title = `node ${id} · index ${i} · term ${x.t} · ${entryText(x)}${committed ? ' · committed' : ''}`;
        td.textContent = String(x.t);
      }
    }
  }
}
