// The cluster drawn with D3 on SVG: nodes on a circle coloured by the role being shown, links (cut ones red,
// those of a paused node dotted violet), link faults, election-timeout rings, vote tallies on candidates, and
// every shown message as an arrow flying from its send to its receipt on the player's clock (see player.js):
// paused, the arrows stand still; slowed, they fly slowly; a lost message stops halfway (or at the receiver's
// door if the receiver was down or paused) with a red cross. Arrows that fly on the same link at the same time
// take separate lanes, so none hides another; beyond MAX_ARROWS, messages only thicken their link.
// Learners are drawn with a dashed outline and a "learner" tag; nodes added or removed at runtime appear and
// disappear, and the circle is laid out again to fit the box. Nodes are buttons (focusable; Enter or Space acts as a
// click): a click pins the node's details and tells `onNodeActivate`, which opens its action menu (node-menu.js).

import { ROLE_COLORS, kindColor, escapeHtml, compactNumber, entryText, keyText } from './format.js';
import { displayRole, memberKind, commitTimeOf } from './reducer.js';

const d3 = globalThis.d3;
const SVGNS = 'http://www.w3.org/2000/svg';
const W = 640, H = 400, R = 46;
const VISIBLE_MS = 350;       // near real time, an arrow stays on screen at least this long (screen time)
const MAX_ARROWS = 60;
const LANE = 7;               // the two directions of a link fly on parallel lanes, this far from its axis...
const LANE_STEP = 8;          // ... and arrows sent together on one direction one more lane out each
const MAX_LANES = 4;
const RING_R = R + 5;
const RING_C = 2 * Math.PI * RING_R;

function isVote(kind) {
  return kind === 'RequestVote' || kind === 'RequestVoteResponse' || kind === 'PreVote' || kind === 'PreVoteResponse'
    || kind === 'TimeoutNow';
}

export class ClusterView {
  constructor(svg, tooltip) {
    this.svg = d3.select(svg).attr('viewBox', `0 0 ${W} ${H}`).attr('preserveAspectRatio', 'xMidYMid meet');
    this.tooltip = tooltip;
    this.model = null;
    this.pos = new Map();
    this.arrows = new Map();      // msgId -> arrow (see sent)
    this.lanes = new Map();       // "from>to" -> Set of the arrows flying on it
    this.flow = new Map();        // "a-b" -> messages per second on that link, decaying
    this.resetAt = new Map();     // node -> clock when its election timer last restarted (as shown)
    this.inFlight = new Map();    // msgId -> { e, due }: sends shown whose receipt or loss is not shown yet
    this.timing = null;           // { heartbeatMs, electionMs: [min, max] } when known
    this.hbSeen = new Map();      // "from>to" -> clock of the last heartbeat sent on it (to estimate the timing)
    this.hbEstimate = 0;
    this.showHeartbeats = true;
    this.lastFlow = 0;
    this.lastRings = 0;
    this.ringClock = 0;
    const defs = this.svg.append('defs');
    for (const [name, color] of [['vote', kindColor('RequestVote')], ['prevote', kindColor('PreVote')],
      ['append', kindColor('AppendEntries')], ['snap', kindColor('InstallSnapshot')], ['read', kindColor('ReadIndex')]]) {
      defs.append('marker').attr('id', `arrow-${name}`).attr('viewBox', '0 0 10 10').attr('refX', 8).attr('refY', 5)
        .attr('markerWidth', 5).attr('markerHeight', 5).attr('orient', 'auto-start-reverse')
        .append('path').attr('d', 'M 0 0 L 10 5 L 0 10 z').attr('fill', color);
    }
    this.gLinks = this.svg.append('g');
    this.gLabels = this.svg.append('g');
    this.gRings = this.svg.append('g');
    this.gMsgs = this.svg.append('g').node();
    this.gNodes = this.svg.append('g');
    this.gFx = this.svg.append('g');
    this.gMsgs.addEventListener('mouseover', ev => {
      const g = ev.target.closest('g.msg');
      const a = g && this.arrows.get(g.dataset.msg);
      if (a) this.showMsgTip(ev, a);
    });
    this.gMsgs.addEventListener('mousemove', ev => { if (!this.tooltip.hidden) this.moveTip(ev); });
    this.gMsgs.addEventListener('mouseout', () => this.hideTip());
    // Queue counts: HTML over the drawing, placed with the box's size (kept by a ResizeObserver).
    this.queueBox = svg.parentNode.querySelector('.queues');
    this.queueEls = new Map();
    this.boxSize = { bw: W, bh: H };
    new ResizeObserver(entries => {
      for (const en of entries) this.boxSize = { bw: en.contentRect.width, bh: en.contentRect.height };
    }).observe(svg);
    // Click to pin: an arrow or a node stays in the inspector (updated as the view goes on) until a click elsewhere.
    this.pinBox = document.querySelector('[data-testid="pinned"]');
    this.pinned = null;
    this.onNodeActivate = null;   // (id, byKeyboard) => void: a node was clicked (or Enter / Space on it)
    svg.addEventListener('click', ev => {
      const g = ev.target.closest('g.msg');
      const nodeG = ev.target.closest('g.node-g');
      if (g && this.arrows.get(g.dataset.msg)) this.pin({ kind: 'msg', a: this.arrows.get(g.dataset.msg) });
      else if (nodeG) this.activateNode(nodeG, false);
      else this.pin(null);
    });
    svg.addEventListener('keydown', ev => {
      const nodeG = ev.target.closest && ev.target.closest('g.node-g');
      if (!nodeG || (ev.key !== 'Enter' && ev.key !== ' ')) return;
      ev.preventDefault();
      this.activateNode(nodeG, true);
    });
    if (this.pinBox) {
      // The × stays the same element while the details under it are rewritten (up to 20 times a second): a click on
      // it must not land on a button that was replaced between the press and the release.
      this.pinBody = document.createElement('div');
      const unpin = document.createElement('button');
      unpin.className = 'unpin ghost';
      unpin.title = 'Unpin';
      unpin.textContent = '×';
      this.pinBox.replaceChildren(this.pinBody, unpin);
      this.pinBox.addEventListener('click', ev => { if (ev.target.closest('.unpin')) this.pin(null); });
    }
  }

  /** A click (or Enter / Space) on a node: its details are pinned, and its menu is asked for. */
  activateNode(nodeG, byKeyboard) {
    const id = Number(nodeG.getAttribute('data-testid').slice(5));
    this.pin({ kind: 'node', id });
    if (this.onNodeActivate) this.onNodeActivate(id, byKeyboard);
  }

  /**
   * Where node `id` is drawn, in pixels of the drawing's box (from the scale a ResizeObserver keeps: no layout read),
   * with the box's size: for what is placed over the drawing beside a node.
   */
  nodeAnchor(id) {
    const p = this.pos.get(id);
    if (!p) return null;
    const { bw, bh } = this.boxSize;
    const k = Math.min(bw / W, bh / H), ox = (bw - W * k) / 2, oy = (bh - H * k) / 2;
    return { x: ox + p.x * k, y: oy + p.y * k, r: R * k, bw, bh };
  }

  /**
   * The view switches between the live cluster and a recording: nothing drawn, counted or estimated from one may
   * stay on screen for the other (arrows, timers, link flow, the heartbeat estimate, the timing, the pinned item).
   * @param timing the new source's timing ({ heartbeatMs, electionMs }), or null when it did not say
   */
  resetSource(timing) {
    this.clear();
    this.pin(null);
    this.timing = timing && timing.electionMs ? timing : null;
    this.hbSeen.clear();
    this.hbEstimate = 0;
    this.flow.clear();
  }

  /** Forgets every message in flight (after a mode switch or a jump in a replay). */
  clear() {
    for (const a of this.arrows.values()) a.g.remove();
    this.arrows.clear();
    this.lanes.clear();
    this.gFx.selectAll('*').interrupt().remove();
    this.resetAt.clear();
    this.inFlight.clear();
  }

  /** The cluster's timing when the events said it (ClusterInfo / Snapshot `raft`), else estimated. */
  setTiming(t) { if (t && t.electionMs) this.timing = t; }

  layout(members) {
    const n = members.length;
    this.pos = new Map();
    if (!n) return;
    // Nodes on a circle, the first at the top (two side by side), scaled and centred so that the polygon's
    // bounding box, with room for the node circles and the tags under them, fills the box.
    const start = n === 2 ? Math.PI : -Math.PI / 2;
    const unit = members.map((_, i) => {
      const a = start + (2 * Math.PI * i) / n;
      return [Math.cos(a), Math.sin(a)];
    });
    const xs = unit.map(u => u[0]), ys = unit.map(u => u[1]);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const side = R + 14, top = R + 24, bottom = R + 36;
    const rr = Math.min(220, (W - 2 * side) / Math.max(x1 - x0, 1e-9), (H - top - bottom) / Math.max(y1 - y0, 1e-9));
    const cx = W / 2 - rr * (x0 + x1) / 2;
    const cy = top + (H - top - bottom) / 2 - rr * (y0 + y1) / 2;
    members.forEach((id, i) => this.pos.set(id, { x: cx + rr * unit[i][0], y: cy + rr * unit[i][1] }));
  }

  setModel(m) {
    if (m === this.model) return;
    const prev = this.model;
    const membersChanged = !prev || prev.members.join() !== m.members.join();
    this.model = m;
    if (membersChanged) {
      this.layout(m.members);
      for (const a of this.arrows.values()) this.placeStatic(a);
    }
    if (membersChanged || !prev || prev.faults !== m.faults) this.drawLinks(m);
    if (membersChanged || !prev || prev.nodes !== m.nodes || prev.membership !== m.membership) {
      this.drawNodes(m);
      if (this.pinned && this.pinned.kind !== 'msg') this.drawPinned();
    }
  }

  linkState(a, b) {
    const f = this.model.faults;
    const groupOf = id => (f.partitions || []).findIndex(g => g.includes(id));
    const paused = f.pausedNodes || [];
    if (groupOf(a) !== groupOf(b)) return 'cut';
    if (paused.includes(a) || paused.includes(b)) return 'paused';
    return 'ok';
  }

  drawLinks(m) {
    const pairs = [];
    for (let i = 0; i < m.members.length; i++) {
      for (let j = i + 1; j < m.members.length; j++) pairs.push([m.members[i], m.members[j]]);
    }
    const lines = this.gLinks.selectAll('g.link').data(pairs, d => d.join('-'));
    const enter = lines.enter().append('g').attr('class', 'link');
    enter.append('line').attr('class', 'link-line');
    enter.append('g').attr('class', 'cut');
    lines.exit().remove();
    const all = enter.merge(lines);
    all.each((d, i, nodes) => {
      const g = d3.select(nodes[i]);
      const [a, b] = d.map(id => this.pos.get(id));
      const state = this.linkState(d[0], d[1]);
      const cut = state === 'cut';
      g.attr('data-testid', `link-${d[0]}-${d[1]}`).attr('data-cut', cut).attr('data-paused', state === 'paused');
      g.select('line').attr('x1', a.x).attr('y1', a.y).attr('x2', b.x).attr('y2', b.y).classed('cut', cut)
        .classed('paused', state === 'paused');
      const mx = (a.x + b.x) / 2, my = (a.y + b.y) / 2;
      const x = g.select('g.cut').selectAll('path').data(cut ? [0] : []);
      x.enter().append('path').attr('class', 'cut-x').merge(x)
        .attr('d', `M${mx - 6},${my - 6}L${mx + 6},${my + 6}M${mx + 6},${my - 6}L${mx - 6},${my + 6}`);
      x.exit().remove();
    });
    // Per-link faults, written beside the link.
    const labels = [];
    const seen = new Set();
    for (const l of m.faults.links || []) {
      const key = [Math.min(l.from, l.to), Math.max(l.from, l.to)].join('-');
      const back = (m.faults.links || []).find(o => o.from === l.to && o.to === l.from);
      const same = back && back.dropRate === l.dropRate && back.delayMs[0] === l.delayMs[0] && back.delayMs[1] === l.delayMs[1];
      if (same && seen.has(key)) continue;
      seen.add(key);
      const bits = [];
      if (l.delayMs[1]) bits.push(l.delayMs[0] === l.delayMs[1] ? `+${l.delayMs[0]}ms` : `+${l.delayMs[0]}–${l.delayMs[1]}ms`);
      if (l.dropRate) bits.push(`${Math.round(l.dropRate * 100)}% loss`);
      labels.push({ key: `${l.from}>${l.to}`, from: l.from, to: l.to, both: same, text: (same ? '⇄ ' : `${l.from}→${l.to} `) + bits.join(' · ') });
    }
    const t = this.gLabels.selectAll('text').data(labels, d => d.key);
    t.exit().remove();
    t.enter().append('text').attr('class', 'link-label').merge(t).each((d, i, nodes) => {
      const a = this.pos.get(d.from), b = this.pos.get(d.to);
      if (!a || !b) return;
      const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
      const off = d.both ? 28 : (d.from < d.to ? 28 : -28);
      d3.select(nodes[i]).attr('x', (a.x + b.x) / 2 - (dy / len) * off).attr('y', (a.y + b.y) / 2 + (dx / len) * off + 3)
        .text(d.text);
    });
  }

  drawNodes(m) {
    const data = m.members.map(id => m.nodes[id]).filter(Boolean);
    const sel = this.gNodes.selectAll('g.node-g').data(data, d => d.id);
    const enter = sel.enter().append('g').attr('class', 'node-g')
      .attr('tabindex', 0).attr('role', 'button').attr('aria-haspopup', 'menu')
      .on('mouseenter', (ev, d) => this.showNodeTip(ev, d.id))
      .on('mousemove', ev => this.moveTip(ev))
      .on('mouseleave', () => this.hideTip());
    enter.append('circle').attr('class', 'halo').attr('r', R + 7);
    enter.append('circle').attr('class', 'ring').attr('r', R);
    enter.append('text').attr('class', 'role').attr('dy', -17);
    enter.append('text').attr('class', 'name').attr('dy', 4);
    enter.append('text').attr('class', 'sub term').attr('dy', 19);
    enter.append('text').attr('class', 'sub commit').attr('dy', 30);
    enter.append('text').attr('class', 'tag kind').attr('dy', R + 18);
    enter.append('text').attr('class', 'sub paused');
    enter.append('text').attr('class', 'tally').attr('dy', -R - 12);
    sel.exit().remove();
    const voters = m.membership ? m.membership.voters.length : m.members.length;
    enter.merge(sel).each((d, i, nodes) => {
      const g = d3.select(nodes[i]);
      const p = this.pos.get(d.id);
      const role = displayRole(d);
      const color = ROLE_COLORS[role];
      const kind = memberKind(m, d.id);
      g.attr('transform', `translate(${p.x},${p.y})`).attr('data-testid', `node-${d.id}`).attr('data-role', role)
        .attr('data-raw-role', d.role).attr('data-term', d.term).attr('data-commit', d.commit).attr('data-paused', d.paused)
        .attr('data-member', kind || null).classed('learner', kind === 'learner');
      const label = `Node ${d.id}, ${role}${d.paused ? ', paused' : ''}: details and actions`;
      if (nodes[i].getAttribute('aria-label') !== label) nodes[i].setAttribute('aria-label', label);
      g.select('.kind').text(kind === 'learner' ? 'learner' : '');
      g.select('.ring').attr('stroke', color).attr('fill', role === 'Down' ? '#171b21' : `color-mix(in srgb, ${color} 13%, #161c24)`);
      g.select('.role').attr('fill', color).text(role === 'Candidate' && d.role === 'PreCandidate' ? 'pre-cand.' : role);
      g.select('.name').text(`N${d.id}`);
      g.select('.term').text(`term ${compactNumber(d.term)}`);
      g.select('.commit').text(`commit ${compactNumber(d.commit)}`);
      g.select('.paused').attr('fill', '#b9a6ff').attr('dy', kind === 'learner' ? R + 32 : R + 18)
        .text(d.frozen ? '❄ frozen' : d.paused ? '❚❚ paused' : '');
      // A candidate's tally: votes (or pre-votes) granted so far, itself included, of the voters.
      const t = d.tally;
      const showTally = role === 'Candidate' && t && t.pre === (d.role === 'PreCandidate');
      g.select('.tally').attr('data-testid', `tally-${d.id}`)
        .attr('data-pre', showTally ? String(!!t.pre) : null)
        .text(showTally ? `${t.pre ? 'pre-votes' : 'votes'} ${t.granted.length}/${voters}` : '');
    });
  }

  pin(p) {
    if (this.pinned && this.pinned.kind === 'msg') this.pinned.a.g.classList.remove('pinned');
    this.pinned = p;
    if (p && p.kind === 'msg') p.a.g.classList.add('pinned');
    this.hideTip();
    this.drawPinned();
  }

  /** The pinned arrow's or node's details, as they are now in the view. */
  drawPinned() {
    const box = this.pinBox;
    if (!box) return;
    const p = this.pinned;
    box.hidden = !p;
    if (!p) { box.dataset.kind = ''; return; }
    const html = p.kind === 'msg' ? this.msgTipHtml(p.a) : p.kind === 'entry' ? this.entryHtml(p.node, p.i)
      : this.nodeTipHtml(p.id);
    if (html !== this.pinDrawn) {
      this.pinDrawn = html;
      this.pinBody.innerHTML = html;
    }
    box.dataset.kind = p.kind;
    box.dataset.id = p.kind === 'msg' ? String(p.a.e.msgId) : p.kind === 'entry' ? `${p.node}:${p.i}` : String(p.id);
  }

  /** A log entry: which nodes hold it (and with which term), where it is committed, the client request that made it. */
  entryHtml(node, i) {
    const m = this.model;
    if (!m) return '';
    const own = m.nodes[node] && m.nodes[node].log.find(x => x.i === i);
    const rows = m.members.map(id => {
      const n = m.nodes[id];
      const x = n && n.log.find(y => y.i === i);
      const where = !n ? '—' : x ? `term ${x.t}${x.t !== (own && own.t) ? ' (differs)' : ''}${n.commit >= i ? ', committed' : ', not committed'}`
        : i <= n.snapshotIndex ? 'in its snapshot' : 'not held';
      return `<dt>node ${id}</dt><dd>${escapeHtml(where)}</dd>`;
    }).join('');
    const req = m.clients.find(c => c.revision === i);
    const w = m.writes.find(x => x.i === i);
    const made = req ? `${req.op} ${keyText(req)} from this page (${req.reqId}), revision ${req.revision}`
      : w ? `${w.op} ${keyText(w)} appended by leader ${w.node}` : own && own.op === 'noop' ? "the leader's no-op of its term" : '—';
    const c = commitTimeOf(m, i);
    const appended = w ? w.ts : null;
    const committed = c ? `${new Date(c.ts).toISOString().slice(11, 23)} UTC by node ${c.node}` +
      (appended && c.ts >= appended ? ` (${c.ts - appended} ms after it was appended)` : '')
      : Object.values(m.nodes).some(n => n.commit >= i) ? 'before this view started' : 'not yet';
    return `<h4>Entry ${i}${own ? ` · ${escapeHtml(entryText(own))}` : ''}</h4><dl>${rows}` +
      `<dt>committed</dt><dd data-testid="entry-committed">${escapeHtml(committed)}</dd>` +
      `<dt>request</dt><dd>${escapeHtml(made)}</dd></dl>`;
  }

  nodeTipHtml(id) {
    const n = this.model && this.model.nodes[id];
    if (!n) return '';
    const row = (k, v) => `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`;
    const kind = memberKind(this.model, id);
    const url = this.model.membership && this.model.membership.addresses[id];
    return `<h4>Node ${id} · ${escapeHtml(n.role)}${kind === 'learner' ? ' · learner' : ''}${n.paused ? ' · paused' : ''}</h4><dl>` +
      row('term', n.term) + row('leader', n.leader || '—') +
      (kind ? row('member', `${kind} (configuration at ${n.configIndex})`) : '') + (url ? row('url', url) : '') +
      row('voted for', n.votedFor ? `${n.votedFor} (term ${n.voteTerm})` : '—') +
      (n.tally && displayRole(n) === 'Candidate' ? row(n.tally.pre ? 'pre-votes' : 'votes', n.tally.granted.join(', ')) : '') +
      row('commit', n.commit) + row('applied', n.applied) + row('last index', n.lastIndex) +
      row('snapshot', n.snapshotIndex || '—') + row('not committed', Math.max(0, n.lastIndex - n.commit)) + '</dl>' +
      this.queueHtml(id);
  }

  /** A node's queues as the view shows them: its messages in flight, out and in, oldest first. */
  queueOf(id) {
    const out = [], inbox = [];
    for (const f of this.inFlight.values()) {
      if (f.e.from === id) out.push(f.e);
      if (f.e.to === id) inbox.push(f.e);
    }
    return { out, inbox };
  }

  queueHtml(id) {
    const { out, inbox } = this.queueOf(id);
    const list = (title, xs, far) => `<h5>${title} · ${xs.length}</h5>` + (xs.length ? '<ul>' + xs.slice(0, 8).map(e =>
      `<li>${escapeHtml(e.kind)} ${far(e)} <small>#${e.msgId}</small></li>`).join('') +
      (xs.length > 8 ? `<li>… ${xs.length - 8} more</li>` : '') + '</ul>' : '');
    const n = this.model && this.model.nodes[id];
    const q = n && n.queues;
    let server = '';
    if (q) {
      // The server's figures (QueueStats): what the node itself holds, not what this page saw of the arrows.
      const links = q.links.map(l => `<li>→ ${l.to}: ${l.outbox} held by the network` +
        (l.inflight !== undefined ? `, ${l.inflight} appends unacknowledged (match ${l.match}, ${escapeHtml(l.state)})` : '') +
        '</li>').join('');
      const held = q.held.map(h => `<li>${escapeHtml(h.kind)} → ${h.to} <small>due in ${Math.max(0, h.dueAt - q.ts)} ms</small></li>`).join('');
      server = `<h5>server: ${q.pendingProposals} proposals pending · ${q.inbox} inputs held · ${q.outbox} in the network</h5>` +
        (links ? `<ul>${links}</ul>` : '') + (held ? `<h5>held by the network</h5><ul>${held}</ul>` : '');
    }
    return `<div class="queue-list" data-testid="queue-list-${id}">` + server + list('in flight out (drawn)', out, e => `→ ${e.to}`) +
      list('in flight in (drawn)', inbox, e => `← ${e.from}`) + '</div>';
  }

  /**
   * Each node's queue counts under it: messages in flight out (↑) and in (↓), entries not committed yet. They are HTML
   * over the drawing (so `#cluster-svg [data-testid^=node-]` still finds the nodes only), placed from the drawing's
   * scale, which a ResizeObserver keeps (no layout read here).
   */
  drawQueues() {
    const m = this.model;
    if (!m || !this.queueBox) return;
    const out = new Map(), inbox = new Map();
    for (const f of this.inFlight.values()) {
      out.set(f.e.from, (out.get(f.e.from) || 0) + 1);
      inbox.set(f.e.to, (inbox.get(f.e.to) || 0) + 1);
    }
    const { bw, bh } = this.boxSize;
    const k = Math.min(bw / W, bh / H), ox = (bw - W * k) / 2, oy = (bh - H * k) / 2;
    const seen = new Set();
    for (const id of m.members) {
      const n = m.nodes[id], p = this.pos.get(id);
      if (!n || !p) continue;
      seen.add(id);
      let el = this.queueEls.get(id);
      if (!el) {
        el = document.createElement('span');
        el.className = 'queue';
        el.setAttribute('data-testid', `node-queue-${id}`);
        this.queueBox.append(el);
        this.queueEls.set(id, el);
      }
      const kind = memberKind(m, id);
      const below = R + 22 + (kind === 'learner' ? 14 : 0) + (n.frozen || n.paused ? 14 : 0);
      const at = `translate(${(ox + p.x * k).toFixed(0)}px, ${(oy + (p.y + below) * k).toFixed(0)}px) translate(-50%, -50%)`;
      if (el.style.transform !== at) el.style.transform = at;
      // The server's QueueStats when it sends them (live), else what the drawn arrows say (older recordings).
      const q = n.queues;
      const o = q ? q.outbox + q.links.reduce((s, l) => s + (l.inflight || 0), 0) : out.get(id) || 0;
      const i = q ? q.inbox : inbox.get(id) || 0;
      const pend = Math.max(0, n.lastIndex - n.commit);
      const props = q ? q.pendingProposals : 0;
      const text = n.up ? `↑${o} ↓${i}${props ? ` · ${props} proposals` : ''}${pend ? ` · ${pend} uncommitted` : ''}` : '';
      const source = q ? 'server' : 'drawn';
      if (el.textContent !== text || el.dataset.source !== source) {
        el.textContent = text;
        el.dataset.out = String(o);
        el.dataset.in = String(i);
        el.dataset.pending = String(pend);
        el.dataset.proposals = String(props);
        el.dataset.source = source;
      }
    }
    for (const [id, el] of this.queueEls) if (!seen.has(id)) { el.remove(); this.queueEls.delete(id); }
    if (this.pinned && this.pinned.kind === 'node') this.drawPinned();
  }

  showNodeTip(ev, id) {
    if (this.noTipFor === id) return; // its menu is open beside it
    this.tipNode = id;
    this.tooltip.innerHTML = this.nodeTipHtml(id);
    this.tooltip.hidden = false;
    this.moveTip(ev);
  }

  msgTipHtml(a) {
    const e = a.e;
    const row = (k, v) => (v === undefined ? '' : `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`);
    let status = 'in flight';
    if (a.fate && a.fate.type === 'MessageReceived') status = `delivered in ${Math.max(0, a.fate.ts - e.ts)} ms`;
    if (a.fate && a.fate.type === 'MessageDropped') status = `lost: ${a.fate.reason}`;
    return `<h4>${escapeHtml(e.kind)} · ${e.from} → ${e.to}</h4><dl>` +
      row('term', e.msgTerm) + row('prevLog', e.prevLogIndex !== undefined ? `${e.prevLogIndex}@${e.prevLogTerm}` : undefined) +
      row('entries', e.entries ? `${e.entries} (${e.firstIndex}..${e.lastIndex})` : e.entries) +
      row('commit', e.commit) + row('granted', e.granted) + row('success', e.success) + row('index', e.index) +
      row('summary', e.summary || '—') + row('status', status) + row('msg id', e.msgId) + '</dl>';
  }

  showMsgTip(ev, a) {
    this.tooltip.innerHTML = this.msgTipHtml(a);
    this.tooltip.hidden = false;
    this.moveTip(ev);
  }

  moveTip(ev) {
    const t = this.tooltip;
    const x = Math.min(ev.clientX + 14, window.innerWidth - t.offsetWidth - 8);
    const y = Math.min(ev.clientY + 14, window.innerHeight - t.offsetHeight - 8);
    t.style.left = `${x}px`;
    t.style.top = `${y}px`;
  }

  hideTip() { this.tooltip.hidden = true; this.tipNode = null; }

  /**
   * One event is shown (by the player, at clock `due`); `quiet` when shown at once to catch up (no arrow).
   */
  onEvent(e, due, quiet) {
    switch (e.type) {
      case 'MessageSent':
        this.countFlow(e);
        this.inFlight.set(String(e.msgId), { e, due });
        if (e.kind === 'Heartbeat' && !e.response) this.noteHeartbeat(e, due);
        if (!quiet) this.sent(e, due);
        break;
      case 'MessageReceived':
      case 'MessageDropped': {
        this.inFlight.delete(String(e.msgId));
        const a = this.arrows.get(String(e.msgId));
        if (a) { a.fate = e; a.fateDue = due; a.shown = true; }
        if (this.pinned && this.pinned.kind === 'msg' && String(this.pinned.a.e.msgId) === String(e.msgId)) {
          this.pinned.a.fate = e;
          this.drawPinned();
        }
        if (e.type === 'MessageReceived' && (e.kind === 'AppendEntries' || e.kind === 'Heartbeat'
          || e.kind === 'InstallSnapshot')) this.resetAt.set(e.to, due);
        break;
      }
      case 'ElectionStarted':
      case 'StateChange':
      case 'NodeRestarted':
        this.resetAt.set(e.node, due);
        if (e.type === 'StateChange' && e.to === 'Leader') this.flash(e.node, ROLE_COLORS.Leader);
        if (e.type === 'ElectionStarted' && !e.preVote) this.flash(e.node, ROLE_COLORS.Candidate);
        break;
      case 'VoteGranted':
        if (!e.preVote) this.resetAt.set(e.node, due);
        break;
      case 'NodeCrashed':
        this.flash(e.node, '#f05d5e');
        for (const [id, f] of this.inFlight) if (f.e.from === e.node) this.inFlight.delete(id); // lost with it
        break;
      case 'Traffic':
        // Arrows the server counted instead of sending (this page fell behind): they thicken their links all the same.
        for (const l of e.links || []) this.countFlow(l, l.count);
        break;
      case 'ClusterInfo':
      case 'Snapshot':
        if (e.raft) this.setTiming(e.raft);
        break;
      default:
    }
  }

  noteHeartbeat(e, due) {
    const key = `${e.from}>${e.to}`;
    const last = this.hbSeen.get(key);
    this.hbSeen.set(key, due);
    if (last === undefined) return;
    const gap = due - last;
    if (gap <= 5 || gap > 5000) return;
    this.hbEstimate = this.hbEstimate ? this.hbEstimate * 0.9 + gap * 0.1 : gap;
  }

  /** The election timeout range drawn by the rings: as configured, or ten heartbeats or so. */
  electionRange() {
    if (this.timing) return this.timing.electionMs;
    const hb = this.hbEstimate || 100;
    return [6 * hb, 12 * hb];
  }

  countFlow(e, n = 1) {
    const key = `${Math.min(e.from, e.to)}-${Math.max(e.from, e.to)}`;
    this.flow.set(key, (this.flow.get(key) || 0) + n);
  }

  flash(id, color) {
    const p = this.pos.get(id);
    if (!p || document.hidden) return;
    this.gFx.append('circle').attr('cx', p.x).attr('cy', p.y).attr('r', R).attr('fill', 'none')
      .attr('stroke', color).attr('stroke-width', 3).attr('opacity', 0.9)
      .transition().duration(900).ease(d3.easeCubicOut).attr('r', R + 26).attr('opacity', 0).remove();
  }

  sent(e, due) {
    if (!this.pos.get(e.from) || !this.pos.get(e.to) || document.hidden) return;
    if (!this.showHeartbeats && (e.kind === 'Heartbeat' || e.kind === 'HeartbeatResponse')) return;
    if (this.arrows.size >= MAX_ARROWS) return; // counted in the link's flow only
    // A lane beside the link: the innermost one no arrow that left recently (still in the first third of its flight)
    // flies on, so arrows sent together fan out; at most MAX_LANES, beyond that they share.
    const key = `${e.from}>${e.to}`;
    let used = this.lanes.get(key);
    if (!used) this.lanes.set(key, used = new Set());
    const busy = new Set();
    for (const o of used) if (o.progress < 0.34) busy.add(o.lane);
    let lane = 0;
    while (busy.has(lane) && lane < MAX_LANES - 1) lane++;
    const color = kindColor(e.kind);
    const marker = e.kind === 'PreVote' || e.kind === 'PreVoteResponse' ? 'prevote' : isVote(e.kind) ? 'vote'
      : e.kind === 'InstallSnapshot' ? 'snap' : e.kind && e.kind.startsWith('ReadIndex') ? 'read' : 'append';
    const g = document.createElementNS(SVGNS, 'g');
    g.setAttribute('class', `msg${e.response ? ' response' : ''}`);
    g.dataset.kind = e.kind;
    g.dataset.msg = String(e.msgId);
    g.dataset.from = e.from;
    g.dataset.to = e.to;
    const hit = document.createElementNS(SVGNS, 'line');
    hit.setAttribute('class', 'msg-hit');
    hit.setAttribute('stroke', 'transparent');
    hit.setAttribute('stroke-width', '14');
    const line = document.createElementNS(SVGNS, 'line');
    line.setAttribute('class', 'msg-line');
    line.setAttribute('stroke', color);
    line.setAttribute('stroke-linecap', 'round');
    line.setAttribute('marker-end', `url(#arrow-${marker})`);
    g.append(hit, line);
    const a = { e, t0: due, lane, key, g, line, hit, fate: null, fateDue: undefined, shown: false, crossed: false,
      progress: 0 };
    used.add(a);
    this.placeStatic(a);
    // The arrow is drawn once, pointing along +x with its head at the origin; flying moves and turns its group, one
    // attribute per frame.
    const seg = a.geo ? a.geo.seg : 24;
    for (const l of [hit, line]) {
      l.setAttribute('x1', -seg); l.setAttribute('y1', 0); l.setAttribute('x2', 0); l.setAttribute('y2', 0);
    }
    this.gMsgs.append(g);
    this.arrows.set(String(e.msgId), a);
  }

  /** The arrow's straight path, from edge to edge on its lane. */
  placeStatic(a) {
    const p = this.pos.get(a.e.from), q = this.pos.get(a.e.to);
    if (!p || !q) { a.geo = null; return; }
    const dx = q.x - p.x, dy = q.y - p.y, len = Math.hypot(dx, dy) || 1;
    const ux = dx / len, uy = dy / len;
    const off = LANE + a.lane * LANE_STEP;
    const ox = -uy * off, oy = ux * off;
    a.geo = { ux, uy, len, angle: (Math.atan2(uy, ux) * 180 / Math.PI).toFixed(2),
      sx: p.x + ux * (R + 6) + ox, sy: p.y + uy * (R + 6) + oy,
      ex: q.x - ux * (R + 8) + ox, ey: q.y - uy * (R + 8) + oy,
      seg: a.e.kind === 'Heartbeat' || a.e.kind === 'HeartbeatResponse' ? 16 : 26 };
  }

  removeArrow(id, a) {
    a.g.remove();
    this.arrows.delete(id);
    const used = this.lanes.get(a.key);
    if (used) used.delete(a);
  }

  /**
   * Redraws what moves with the clock: arrows, election-timeout rings, link flow.
   * @param clock the player's clock (cluster time, ms)
   * @param scale the time scale (screen ms per cluster ms is 1 / scale)
   * @param fateOf msgId -> clock its receipt or loss is due, when known
   */
  frame(clock, scale, fateOf) {
    // Slowed down (1/5x and below), an arrow lands exactly when its receipt is shown; faster, the receipt is held
    // only briefly (see player.js), so the arrow is given a minimum time on screen and lands a little late.
    const visible = scale > 0.2 ? VISIBLE_MS * scale : 0;
    for (const [id, a] of this.arrows) {
      if (!a.geo) { this.removeArrow(id, a); continue; }
      const fateDue = a.fateDue ?? fateOf(a.e.msgId);
      const known = fateDue !== undefined;
      const land = Math.max(known ? fateDue : a.t0 + Math.max(visible, 20), a.t0 + visible);
      let t = (clock - a.t0) / Math.max(1e-6, land - a.t0);
      const lost = a.fate && a.fate.type === 'MessageDropped';
      const stopAt = lost ? ((a.fate.reason || '').startsWith('receiver') ? 0.9 : 0.5) : 1;
      if (!a.shown) t = Math.min(t, known ? 1 : 0.96); // waits at the door until its receipt is shown
      if (lost) t = Math.min(t, stopAt);
      t = Math.max(0, t);
      a.progress = t;
      if (a.shown && t >= stopAt) {
        if (lost) {
          if (!a.crossed) {
            a.crossed = clock;
            a.line.remove();
            const { sx, sy, ex, ey } = a.geo;
            const hx = sx + (ex - sx) * stopAt, hy = sy + (ey - sy) * stopAt;
            const x = document.createElementNS(SVGNS, 'path');
            x.setAttribute('class', 'drop-x');
            x.setAttribute('d', 'M-5,-5L5,5M5,-5L-5,5');
            a.g.setAttribute('transform', `translate(${hx.toFixed(1)} ${hy.toFixed(1)})`);
            a.g.append(x);
          } else if (clock - a.crossed > 700 * scale) {
            this.removeArrow(id, a);
          }
        } else {
          this.removeArrow(id, a);
        }
        continue;
      }
      if (clock - a.t0 > 60000) { this.removeArrow(id, a); continue; }
      const { sx, sy, ex, ey, angle } = a.geo;
      // A whole arrow from the first frame (its tail starts under the sender's circle): no stubs.
      const hx = sx + (ex - sx) * t, hy = sy + (ey - sy) * t;
      const tf = `translate(${hx.toFixed(1)} ${hy.toFixed(1)}) rotate(${angle})`;
      if (tf !== a.tf) { a.tf = tf; a.g.setAttribute('transform', tf); } // paused: nothing to write
    }
    const now = performance.now();
    // Timers empty slowly: twenty redraws a second are plenty (each one repaints the drawing).
    if (now - this.lastRings > 50 || clock < this.ringClock) {
      this.lastRings = now;
      this.ringClock = clock;
      this.drawRings(clock);
      this.drawQueues();
      if (this.inFlight.size > 5000) this.inFlight = new Map([...this.inFlight].slice(-2500));
    }
    if (now - this.lastFlow > 500) {
      this.drawFlow((now - this.lastFlow) / 1000);
      this.lastFlow = now;
    }
  }

  /** Each follower's and candidate's election timer, as an arc that empties towards its timeout. */
  drawRings(clock) {
    const m = this.model;
    if (!m) return;
    const [min, max] = this.electionRange();
    const data = [];
    for (const id of m.members) {
      const n = m.nodes[id];
      const role = displayRole(n);
      if (!n || role === 'Down' || role === 'Leader' || n.paused || memberKind(m, id) === 'learner') continue;
      const since = this.resetAt.get(id);
      if (since === undefined) continue;
      const left = Math.max(0, 1 - (clock - since) / max);
      data.push({ id, left, late: clock - since >= min });
    }
    const sel = this.gRings.selectAll('circle.timer').data(data, d => d.id);
    sel.exit().remove();
    sel.enter().append('circle').attr('class', 'timer').attr('r', RING_R)
      .attr('data-testid', d => `timeout-ring-${d.id}`)
      .merge(sel)
      .each((d, i, nodes) => {
        const p = this.pos.get(d.id);
        const c = nodes[i];
        const at = `${p.x},${p.y}`;
        if (c.dataset.at !== at) {
          c.dataset.at = at;
          c.setAttribute('cx', p.x);
          c.setAttribute('cy', p.y);
          c.setAttribute('transform', `rotate(-90 ${p.x} ${p.y})`);
        }
        const dash = `${(RING_C * d.left).toFixed(1)} ${RING_C.toFixed(1)}`;
        if (c.getAttribute('stroke-dasharray') !== dash) {
          c.setAttribute('stroke-dasharray', dash);
          c.dataset.left = d.left.toFixed(2);
        }
        if (c.classList.contains('late') !== d.late) c.classList.toggle('late', d.late);
      });
  }

  /** Links thicken with the messages that crossed them (every one, drawn as an arrow or not). */
  drawFlow(seconds) {
    if (!(seconds > 0)) return;
    this.gLinks.selectAll('g.link').each((d, i, nodes) => {
      const key = d.join('-');
      const rate = (this.flow.get(key) || 0) / seconds;
      this.flow.set(key, 0);
      const w = rate > 1 ? 1.2 + Math.min(7, Math.log2(1 + rate / 20) * 1.6) : 1.2;
      nodes[i].querySelector('line').style.strokeWidth = w.toFixed(1);
      nodes[i].dataset.rate = Math.round(rate);
    });
  }
}

export function legend(container, view) {
  const item = (cls, color, text) => `<span><i class="${cls}" style="${cls.includes('line') ? 'border-color' : 'background'}:${color}"></i>${text}</span>`;
  container.innerHTML = item('', ROLE_COLORS.Follower, 'Follower') + item('', ROLE_COLORS.Candidate, 'Candidate') +
    item('', ROLE_COLORS.Leader, 'Leader') + item('', ROLE_COLORS.Down, 'Down') + item('dashed', 'transparent', 'learner') +
    item('line', kindColor('RequestVote'), 'votes') + item('line dashed-line', kindColor('PreVote'), 'pre-votes') +
    item('line', kindColor('AppendEntries'), 'append / heartbeat') +
    item('line dotted', '#8a94a3', 'response') + item('ring', 'transparent', 'election timer');
  const box = document.createElement('label');
  box.className = 'hb';
  box.innerHTML = '<input type="checkbox" data-testid="show-heartbeats" checked> heartbeats';
  box.querySelector('input').addEventListener('change', ev => { view.showHeartbeats = ev.target.checked; });
  container.append(box);
}
