// The cluster drawn with D3 on SVG: nodes on a circle coloured by the role being shown, links (cut ones red,
// those of a paused node dotted violet), link faults, election-timeout rings, vote tallies on candidates, and
// every shown message as an arrow flying from its send to its receipt on the player's clock (see player.js):
// paused, the arrows stand still; slowed, they fly slowly; a lost message stops halfway (or at the receiver's
// door if the receiver was down or paused) with a red cross. Arrows that fly on the same link at the same time
// take separate lanes, so none hides another; beyond MAX_ARROWS, messages only thicken their link.
// Learners are drawn with a dashed outline and a "learner" tag; nodes added or removed at runtime appear and
// disappear, and the circle is laid out again to fit the box. Nodes are buttons (focusable; Enter or Space acts as a
// click): a click pins the node's details and tells `onNodeActivate`, which opens its action menu (node-menu.js).

import { ROLE_COLORS, kindColor, escapeHtml, compactNumber, entryText, keyText, networkFaultText } from './format.js';
import { displayRole, memberKind, commitTimeOf } from './reducer.js';

const d3 = globalThis.d3;
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

/**
 * How an arrow of this message is stroked (what the SVG arrows' CSS said): votes orange and thicker, pre-votes amber
 * with long dashes, appends and heartbeats green (heartbeats fainter and thinner), responses dotted; the head has the
 * colour of the message's family.
 */
function arrowStyle(e) {
  const k = e.kind;
  const heartbeat = k === 'Heartbeat' || k === 'HeartbeatResponse';
  let width = 2.4, dash = null;
  if (e.response) { width = 2; dash = [2.5, 3.5]; }
  if (k === 'PreVote') { width = 2.2; dash = [7, 4]; }
  if (k === 'PreVoteResponse') dash = [1.5, 4];
  if (k === 'RequestVote' || k === 'RequestVoteResponse') width = 3;
  if (heartbeat) width = 1.6;
  const family = k === 'PreVote' || k === 'PreVoteResponse' ? 'PreVote' : isVote(k) ? 'RequestVote'
    : k === 'InstallSnapshot' ? 'InstallSnapshot' : k && k.startsWith('ReadIndex') ? 'ReadIndex' : 'AppendEntries';
  return { color: kindColor(k), head: kindColor(family), width, dash, alpha: heartbeat ? 0.55 : 1 };
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
    this.lastQueues = 0;
    this.ringClock = 0;
    this.queueClock = 0;
    this.gLinks = this.svg.append('g');
    this.gLabels = this.svg.append('g');
    // Loss, delay and duplication on every link (the `network` command), in the drawing's bottom-left corner.
    this.netTag = this.svg.append('text').attr('class', 'net-faults').attr('data-testid', 'network-faults')
      .attr('x', 8).attr('y', H - 8);
    this.gRings = this.svg.append('g');
    this.gNodes = this.svg.append('g');
    this.gFx = this.svg.append('g');
    // Messages in flight are drawn on one canvas over the SVG (nodes, links and rings stay SVG): moving SVG arrows cost
    // a layout and a paint of the drawing every frame. The canvas takes no pointer events; arrows are hit-tested by
    // geometry on the SVG's own mouse events.
    this.svgEl = svg;
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'msg-canvas';
    this.canvas.setAttribute('data-testid', 'msg-canvas');
    this.canvas.setAttribute('aria-hidden', 'true');
    svg.after(this.canvas);
    this.ctx = this.canvas.getContext('2d');
    this.dpr = window.devicePixelRatio || 1;
    this.canvasDirty = true;
    this.drawn = [];              // the arrows the last canvas pass drew (see drawArrows)
    this.made = 0;                // arrows made since the page loaded (a test hook counts them)
    this.dropColor = getComputedStyle(document.documentElement).getPropertyValue('--drop').trim() || '#f05d5e';
    svg.addEventListener('mousemove', ev => {
      const a = this.arrowAtEvent(ev);
      const cursor = a ? 'pointer' : '';
      if (svg.style.cursor !== cursor) svg.style.cursor = cursor;
      if (a && a !== this.tipMsg) { this.showMsgTip(ev, a); this.tipMsg = a; } else if (a) this.moveTip(ev);
      else if (this.tipMsg) { this.tipMsg = null; if (this.tipNode == null) this.hideTip(); }
    });
    svg.addEventListener('mouseleave', () => { if (this.tipMsg) this.hideTip(); });
    // Queue counts: HTML over the drawing, placed with the box's size (kept by a ResizeObserver).
    this.queueBox = svg.parentNode.querySelector('.queues');
    this.queueEls = new Map();
    this.boxSize = { bw: W, bh: H };
    new ResizeObserver(entries => {
      for (const en of entries) this.boxSize = { bw: en.contentRect.width, bh: en.contentRect.height };
      this.sizeCanvas();
      this.drawQueues(); // placed for the new size now, not at their next redraw (five a second)
      this.placePinned();
    }).observe(svg);
    // A test hook (the browser tests read the arrows from it, as they read data-* attributes elsewhere).
    const hook = globalThis.__raftline = globalThis.__raftline || {};
    hook.arrows = opts => this.arrowsForTests(!!(opts && opts.pending), !!(opts && opts.points));
    hook.arrowsMade = () => this.made;
    hook.pixel = (x, y) => this.pixelAt(x, y);
    // Click to pin: an arrow or a node stays in the inspector (updated as the view goes on) until a click elsewhere.
    this.pinBox = document.querySelector('[data-testid="pinned"]');
    this.pinned = null;
    this.onNodeActivate = null;   // (id, byKeyboard) => void: a node was clicked (or Enter / Space on it)
    svg.addEventListener('click', ev => {
      const a = this.arrowAtEvent(ev);
      const nodeG = ev.target.closest('g.node-g');
      if (a) this.pin({ kind: 'msg', a });
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
    this.arrows.clear();
    this.canvasDirty = true;
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
      this.canvasDirty = true;
      this.placePinned();
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
      // The label starts on the side of the link it is put on (left of it: it ends there), so that it never lies
      // across the link, its arrows or their loss crosses at the middle; above or below a flat link, centred.
      const nx = -(dy / len) * Math.sign(off), ny = (dx / len) * Math.sign(off);
      const anchor = nx > 0.35 ? 'start' : nx < -0.35 ? 'end' : 'middle';
      // Arrows fly on lanes up to 31 units off the link's axis.
      const away = anchor === 'middle' ? 44 : 36;
      const x = (a.x + b.x) / 2 + nx * away, y = (a.y + b.y) / 2 + ny * away + 4;
      d3.select(nodes[i]).attr('x', x).attr('y', y).attr('text-anchor', anchor).text(d.text);
    });
    const net = networkFaultText(m.faults);
    this.netTag.text(net ? `network: ${net}` : '').attr('data-active', String(!!net));
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
    // Each node's attributes and texts are written only when they change: a model change (up to 20 a second under
    // load) usually changes one node's commit, not every text of every node.
    enter.merge(sel).each((d, i, nodes) => {
      const el = nodes[i];
      const q = sel => el.querySelector(sel);
      const p = this.pos.get(d.id);
      const role = displayRole(d);
      const color = ROLE_COLORS[role];
      const kind = memberKind(m, d.id);
      setAttr(el, 'transform', `translate(${p.x},${p.y})`);
      setAttr(el, 'data-testid', `node-${d.id}`);
      setAttr(el, 'data-role', role);
      setAttr(el, 'data-raw-role', d.role);
      setAttr(el, 'data-term', d.term);
      setAttr(el, 'data-commit', d.commit);
      setAttr(el, 'data-paused', d.paused);
      setAttr(el, 'data-member', kind || null);
      if (el.classList.contains('learner') !== (kind === 'learner')) el.classList.toggle('learner', kind === 'learner');
      setAttr(el, 'aria-label', `Node ${d.id}, ${role}${d.paused ? ', paused' : ''}: details and actions`);
      setText(q('.kind'), kind === 'learner' ? 'learner' : '');
      const ring = q('.ring');
      setAttr(ring, 'stroke', color);
      setAttr(ring, 'fill', role === 'Down' ? '#171b21' : `color-mix(in srgb, ${color} 13%, #161c24)`);
      const roleText = q('.role');
      setAttr(roleText, 'fill', color);
      setText(roleText, role === 'Candidate' && d.role === 'PreCandidate' ? 'pre-cand.' : role);
      setText(q('.name'), `N${d.id}`);
      setText(q('.term'), `term ${compactNumber(d.term)}`);
      setText(q('.commit'), `commit ${compactNumber(d.commit)}`);
      const paused = q('.paused');
      setAttr(paused, 'fill', '#b9a6ff');
      setAttr(paused, 'dy', kind === 'learner' ? R + 32 : R + 18);
      setText(paused, d.frozen ? '❄ frozen' : d.paused ? '❚❚ paused' : '');
      // A candidate's tally: votes (or pre-votes) granted so far, itself included, of the voters.
      const t = d.tally;
      const showTally = role === 'Candidate' && t && t.pre === (d.role === 'PreCandidate');
      const tally = q('.tally');
      setAttr(tally, 'data-testid', `tally-${d.id}`);
      setAttr(tally, 'data-pre', showTally ? String(!!t.pre) : null);
      setText(tally, showTally ? `${t.pre ? 'pre-votes' : 'votes'} ${t.granted.length}/${voters}` : '');
    });
  }

  pin(p) {
    this.pinned = p;
    this.canvasDirty = true; // a pinned arrow is drawn thicker
    this.hideTip();
    this.drawPinned();
  }

  /** The pinned arrow's or node's details, as they are now in the view. */
  drawPinned() {
    const box = this.pinBox;
    if (!box) return;
    const p = this.pinned;
    box.hidden = !p;
    if (!p) { box.dataset.kind = ''; delete box.dataset.corner; return; }
    const html = p.kind === 'msg' ? this.msgTipHtml(p.a) : p.kind === 'entry' ? this.entryHtml(p.node, p.i)
      : this.nodeTipHtml(p.id);
    const shown = box.dataset.corner === undefined || box.dataset.shownKind !== p.kind;
    if (html !== this.pinDrawn || shown) {
      this.pinDrawn = html;
      this.pinBody.innerHTML = html;
      box.dataset.shownKind = p.kind;
      this.placePinned();
    }
    box.dataset.kind = p.kind;
    box.dataset.id = p.kind === 'msg' ? String(p.a.e.msgId) : p.kind === 'entry' ? `${p.node}:${p.i}` : String(p.id);
  }

  /**
   * The pinned details go in a corner of the drawing's box where they cover no node (with four nodes and more, the
   * fixed top-left corner held one, and the details took its clicks): 300 px wide, below or above the nodes near that
   * corner, or, where a small box leaves no such room, as a narrower column beside the nodes (at least 120 px,
   * scrolling if need be). The corner kept while it still fits, else the top-left one first, then top-right,
   * bottom-left, bottom-right; where none fits, the one that covers least. Placed when what it shows or the layout
   * changes (its height is read then, not per frame).
   */
  placePinned() {
    const box = this.pinBox;
    if (!box || box.hidden) return;
    const { bw, bh } = this.boxSize;
    const gap = 6, wide = Math.min(300, bw - 2 * gap);
    // The content's height at the full width (a layout read).
    box.style.width = `${wide}px`;
    box.style.maxHeight = 'none';
    const content = box.offsetHeight;
    // Each node's disc, and its tags and queue counts under it, as a rectangle.
    const nodes = [...this.pos.keys()].map(id => this.nodeAnchor(id)).filter(Boolean)
      .map(d => ({ x0: d.x - d.r - 8, x1: d.x + d.r + 8, y0: d.y - d.r - 8, y1: d.y + d.r * 1.6 }));
    const cover = (x, y, w, h) => nodes.reduce((s, n) => s + Math.max(0, Math.min(x + w, n.x1) - Math.max(x, n.x0))
      * Math.max(0, Math.min(y + h, n.y1) - Math.max(y, n.y0)), 0);
    const fits = [];
    for (const name of ['tl', 'tr', 'bl', 'br']) {
      const left = name[1] === 'l', top = name[0] === 't';
      // Full width, as tall as the nodes near the corner leave room for.
      const x = left ? gap : bw - wide - gap;
      let room = bh - 2 * gap;
      for (const n of nodes) {
        if (n.x1 <= x || n.x0 >= x + wide) continue;
        room = Math.min(room, top ? n.y0 - 2 * gap : bh - n.y1 - 2 * gap);
      }
      fits.push({ name, x, w: wide, h: Math.min(content, room), full: room >= content });
      // A column beside the nodes, as wide as they leave room for.
      let side = wide;
      for (const n of nodes) side = Math.min(side, left ? n.x0 - gap * 1.5 : bw - n.x1 - gap * 1.5);
      if (side >= 120) {
        const h = Math.min(bh - 2 * gap, content * wide / side);
        fits.push({ name, x: left ? gap : bw - side - gap, w: side, h, full: false });
      }
    }
    for (const f of fits) {
      f.y = f.name[0] === 't' ? gap : bh - f.h - gap;
      f.cover = f.h >= 60 ? cover(f.x, f.y, f.w, f.h) : Infinity;
    }
    const ok = fits.filter(f => f.cover === 0);
    const kept = ok.filter(f => f.name === box.dataset.corner);
    const pick = (kept.find(f => f.full) || ok.find(f => f.full) || kept[0] || ok[0])
      || fits.reduce((a, f) => (f.cover < a.cover ? f : a), { name: 'tl', x: gap, y: gap, w: wide, h: content, cover: Infinity });
    box.dataset.corner = pick.name;
    box.style.left = `${Math.round(pick.x)}px`;
    box.style.top = `${Math.round(Math.max(gap, pick.y))}px`;
    box.style.width = `${Math.round(pick.w)}px`;
    box.style.maxHeight = `${Math.round(pick.h)}px`;
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
    const q = n && n.up ? n.queues : undefined; // a down node holds no queues (the figures of its last life)
    let server = '';
    if (q) {
      // The server's figures (QueueStats): what the node itself holds, not what this page saw of the arrows.
      const links = q.links.map(l => `<li>→ ${l.to}: ${l.outbox} held by the network` +
        (l.transport ? `, ${l.transport} in the transport` : '') +
        (l.inflight !== undefined ? `, ${l.inflight} appends unacknowledged (match ${l.match}, ${escapeHtml(l.state)})` : '') +
        '</li>').join('');
      const held = q.held.map(h => `<li>${escapeHtml(h.kind)} → ${h.to} <small>due in ${Math.max(0, h.dueAt - q.ts)} ms</small></li>`).join('');
      server = `<h5>server: ${q.pendingProposals} proposals pending · ${q.inbox} inputs held · ${q.outbox} in the network</h5>` +
        `<h5 data-testid="transport-queues-${id}">transport: ${q.transportInbox || 0} waiting for the node's loop · ` +
        `${q.transportOut || 0} on their way out</h5>` +
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
      // out: held by the network + appends not acknowledged + still in the transport; in: held by a frozen node +
      // waiting in the transport for the node's loop.
      const o = q ? q.outbox + q.links.reduce((s, l) => s + (l.inflight || 0), 0) + (q.transportOut || 0) : out.get(id) || 0;
      const i = q ? q.inbox + (q.transportInbox || 0) : inbox.get(id) || 0;
      const tIn = q ? q.transportInbox || 0 : 0, tOut = q ? q.transportOut || 0 : 0;
      const pend = Math.max(0, n.lastIndex - n.commit);
      const props = q ? q.pendingProposals : 0;
      const text = n.up ? `↑${o} ↓${i}${props ? ` · ${props} proposal${props === 1 ? '' : 's'}` : ''}${pend ? ` · ${pend} uncommitted` : ''}` : '';
      const source = q ? 'server' : 'drawn';
      if (el.textContent !== text || el.dataset.source !== source || el.dataset.transportIn !== String(tIn)
        || el.dataset.transportOut !== String(tOut)) {
        el.textContent = text;
        el.dataset.out = String(o);
        el.dataset.in = String(i);
        el.dataset.transportIn = String(tIn);
        el.dataset.transportOut = String(tOut);
        el.dataset.pending = String(pend);
        el.dataset.proposals = String(props);
        el.dataset.source = source;
      }
    }
    for (const [id, el] of this.queueEls) if (!seen.has(id)) { el.remove(); this.queueEls.delete(id); }
    const count = String(this.drawn.length);
    if (this.canvas.dataset.arrows !== count) this.canvas.dataset.arrows = count;
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
    this.tipNode = null;
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

  hideTip() { this.tooltip.hidden = true; this.tipNode = null; this.tipMsg = null; }

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
    const a = { e, t0: due, lane, key, style: arrowStyle(e), fate: null, fateDue: undefined, shown: false,
      crossed: false, progress: 0 };
    used.add(a);
    this.placeStatic(a);
    this.arrows.set(String(e.msgId), a);
    this.made++;
    this.canvasDirty = true;
  }

  /** The arrow's straight path, from edge to edge on its lane. */
  placeStatic(a) {
    const p = this.pos.get(a.e.from), q = this.pos.get(a.e.to);
    if (!p || !q) { a.geo = null; return; }
    const dx = q.x - p.x, dy = q.y - p.y, len = Math.hypot(dx, dy) || 1;
    const ux = dx / len, uy = dy / len;
    const off = LANE + a.lane * LANE_STEP;
    const ox = -uy * off, oy = ux * off;
    // hide: how far along the link from the sender's centre the arrow is under the sender's disc (not drawn there).
    const hide = Math.sqrt(Math.max(0, (R + 1.25) ** 2 - off * off)) - (R + 6);
    a.geo = { ux, uy, len, hide,
      sx: p.x + ux * (R + 6) + ox, sy: p.y + uy * (R + 6) + oy,
      ex: q.x - ux * (R + 8) + ox, ey: q.y - uy * (R + 8) + oy,
      seg: a.e.kind === 'Heartbeat' || a.e.kind === 'HeartbeatResponse' ? 16 : 26 };
  }

  /**
   * Whether a loss happened at its receiver (drawn at the receiver's door, not halfway): a `receiver …` reason, or the
   * network's `paused` (which it gives whichever end is paused) when the receiver is the paused one.
   */
  atReceiversDoor(fate) {
    const reason = fate.reason || '';
    if (reason.startsWith('receiver')) return true;
    if (reason !== 'paused' || !this.model) return false;
    const to = this.model.nodes[fate.to];
    return !!(to && to.paused) || (this.model.faults.pausedNodes || []).includes(fate.to);
  }

  removeArrow(id, a) {
    this.arrows.delete(id);
    this.canvasDirty = true;
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
      const stopAt = lost ? (this.atReceiversDoor(a.fate) ? 0.9 : 0.5) : 1;
      // No receipt will be shown for a send marked `receipt: false` (relayed from another process, whose receiver's
      // process cannot pair it): it lands after its flight time unless a loss was shown first.
      const done = a.shown || (a.e.receipt === false && !known);
      if (!done) t = Math.min(t, known ? 1 : 0.96); // waits at the door until its receipt is shown
      if (lost) t = Math.min(t, stopAt);
      t = Math.max(0, t);
      a.progress = t;
      if (done && t >= stopAt) {
        if (lost) {
          if (!a.crossed) {
            a.crossed = clock; // from now on a red cross where it stopped, for a while
            a.stopAt = stopAt;
            this.canvasDirty = true;
          } else if (clock - a.crossed > 700 * scale) {
            this.removeArrow(id, a);
          }
        } else {
          this.removeArrow(id, a);
        }
        continue;
      }
      if (clock - a.t0 > 60000) { this.removeArrow(id, a); continue; }
      if (t !== a.drawnAt) { a.drawnAt = t; this.canvasDirty = true; } // paused: nothing to redraw
    }
    if (this.canvasDirty) this.drawArrows();
    const now = performance.now();
    // Timers empty slowly: twenty redraws a second are plenty (each one repaints the drawing).
    if (now - this.lastRings > 50 || clock < this.ringClock) {
      this.lastRings = now;
      this.ringClock = clock;
      this.drawRings(clock);
      if (this.inFlight.size > 5000) this.inFlight = new Map([...this.inFlight].slice(-2500));
    }
    // The queue figures are text: redrawn five times a second (faster they only flicker, and each change repaints).
    if (now - this.lastQueues > 200 || clock < this.queueClock) {
      this.lastQueues = now;
      this.queueClock = clock;
      this.drawQueues();
    }
    if (now - this.lastFlow > 500) {
      this.drawFlow((now - this.lastFlow) / 1000);
      this.lastFlow = now;
    }
  }

  /** The canvas's backing store follows the box's size (from the ResizeObserver) and the device pixel ratio. */
  sizeCanvas() {
    this.dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(this.boxSize.bw * this.dpr)), h = Math.max(1, Math.round(this.boxSize.bh * this.dpr));
    if (this.canvas.width !== w) this.canvas.width = w;
    if (this.canvas.height !== h) this.canvas.height = h;
    this.canvasDirty = true;
  }

  /**
   * Every arrow in flight, in one pass on the canvas, in the drawing's units (the SVG's viewBox, scaled and centred as
   * the SVG is, from the size the ResizeObserver keeps: no layout read). Arrows fly under their nodes: the part of an
   * arrow that lies under its sender's disc (its tail, as it leaves) is not drawn, computed rather than clipped (a
   * clip path costs every stroke a mask).
   */
  drawArrows() {
    this.canvasDirty = false;
    if ((window.devicePixelRatio || 1) !== this.dpr) this.sizeCanvas();
    const ctx = this.ctx, c = this.canvas;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, c.width, c.height);
    const drawn = this.drawn = [];
    if (!this.arrows.size) return;
    const { bw, bh } = this.boxSize;
    const k = Math.min(bw / W, bh / H), ox = (bw - W * k) / 2, oy = (bh - H * k) / 2, d = this.dpr;
    ctx.setTransform(d * k, 0, 0, d * k, d * ox, d * oy);
    ctx.lineCap = 'round';
    const pinned = this.pinned && this.pinned.kind === 'msg' ? this.pinned.a : null;
    for (const a of this.arrows.values()) {
      if (!a.geo) continue;
      const { sx, sy, ex, ey, ux, uy, seg } = a.geo;
      const e = a.e, st = a.style;
      if (a.crossed) {
        // Lost: a red cross where it stopped.
        const x = sx + (ex - sx) * a.stopAt, y = sy + (ey - sy) * a.stopAt;
        ctx.globalAlpha = 1;
        ctx.setLineDash([]);
        ctx.strokeStyle = this.dropColor;
        ctx.lineWidth = 2.2;
        ctx.beginPath();
        ctx.moveTo(x - 5, y - 5); ctx.lineTo(x + 5, y + 5); ctx.moveTo(x + 5, y - 5); ctx.lineTo(x - 5, y + 5);
        ctx.stroke();
        drawn.push({ a, lost: true, hx: x, hy: y, lx: x, ly: y, tx: x, ty: y, len: 0 });
        continue;
      }
      const t = a.progress;
      // A whole arrow from the first frame (its tail starts under the sender's circle): no stubs.
      const hx = sx + (ex - sx) * t, hy = sy + (ey - sy) * t;
      // Where the arrow's tail is (seg behind its head), or where it comes out from under the sender's disc.
      const along = t * Math.hypot(ex - sx, ey - sy);
      const back = Math.min(seg, along - a.geo.hide);
      const tx = hx - ux * back, ty = hy - uy * back;
      const w = a === pinned ? 4 : st.width;
      ctx.globalAlpha = st.alpha;
      if (a === pinned) { ctx.shadowColor = '#ffffff88'; ctx.shadowBlur = 3 * k * d; }
      ctx.setLineDash(st.dash || []);
      ctx.strokeStyle = st.color;
      ctx.lineWidth = w;
      if (back > 0) {
        ctx.beginPath();
        ctx.moveTo(tx, ty);
        ctx.lineTo(hx, hy);
        ctx.stroke();
      }
      // The head: a triangle whose tip is one line width past the line's end, four behind it (the SVG marker's shape).
      const px = -uy, py = ux;
      ctx.fillStyle = st.head;
      ctx.beginPath();
      ctx.moveTo(hx + ux * w, hy + uy * w);
      ctx.lineTo(hx - ux * 4 * w + px * 2.5 * w, hy - uy * 4 * w + py * 2.5 * w);
      ctx.lineTo(hx - ux * 4 * w - px * 2.5 * w, hy - uy * 4 * w - py * 2.5 * w);
      ctx.closePath();
      ctx.fill();
      if (a === pinned) { ctx.shadowColor = 'transparent'; ctx.shadowBlur = 0; }
      // len: the whole arrow, as the SVG's line was (its tail under the sender's disc included); visible: what is drawn.
      drawn.push({ a, lost: false, hx: hx + ux * w, hy: hy + uy * w, lx: hx, ly: hy, tx, ty, len: seg,
        visible: Math.max(0, back) });
    }
    ctx.globalAlpha = 1;
  }

  /** The drawing's units of a mouse event's position (a layout read, on mouse events only). */
  eventPoint(ev) {
    const r = this.svgEl.getBoundingClientRect();
    const k = Math.min(r.width / W, r.height / H), ox = (r.width - W * k) / 2, oy = (r.height - H * k) / 2;
    return { x: (ev.clientX - r.left - ox) / k, y: (ev.clientY - r.top - oy) / k, r, k, ox, oy };
  }

  /**
   * The arrow under the mouse, by geometry: within 7 units of a drawn arrow (the width of the SVG arrows' invisible
   * hit line), the nearest; none on a node's disc, where the node (drawn over the arrows) takes the click.
   */
  arrowAtEvent(ev) {
    if (!this.drawn.length) return null;
    const { x, y } = this.eventPoint(ev);
    for (const p of this.pos.values()) if (Math.hypot(x - p.x, y - p.y) <= R + 1.25) return null;
    let best = null, bestD = 7;
    for (const d of this.drawn) {
      const dist = segmentDistance(x, y, d.tx, d.ty, d.hx, d.hy) - (d.lost ? 2 : 0);
      if (dist <= bestD) { best = d.a; bestD = dist; }
    }
    return best;
  }

  /**
   * The arrows the last canvas pass drew, for the browser tests: kind, ends, message id, colour, the arrow's length,
   * and (with `points`) a point of the arrow off every node in the page's CSS pixels, where a click or a pixel read
   * finds it.
   */
  arrowsForTests(pending, points) {
    // With `pending`, an arrow made since the last frame is listed at once (drawn where it starts), as the SVG arrows
    // were in the DOM as soon as their send was shown: a step followed by a look sees what the step showed. Without,
    // what is on screen (what a recorder on every animation frame wants, and no extra drawing under load).
    if (pending && this.canvasDirty) this.drawArrows();
    // Page coordinates need the drawing's box, a layout read (forced, if the page changed since the last layout):
    // only when asked, so that a recorder on every frame does not add a layout to every frame it measures.
    let k = 0, ox = 0, oy = 0;
    if (points) {
      const r = this.svgEl.getBoundingClientRect();
      k = Math.min(r.width / W, r.height / H);
      ox = r.left + (r.width - W * k) / 2;
      oy = r.top + (r.height - H * k) / 2;
    }
    return this.drawn.map(d => {
      const e = d.a.e;
      // The point of the line (tail to head) farthest from every node's centre.
      let bx = d.hx, by = d.hy, bestD = -1;
      for (let i = 0; i <= 8; i++) {
        const x = d.tx + (d.lx - d.tx) * i / 8, y = d.ty + (d.ly - d.ty) * i / 8;
        let near = Infinity;
        for (const p of this.pos.values()) near = Math.min(near, Math.hypot(x - p.x, y - p.y));
        if (near > bestD) { bestD = near; bx = x; by = y; }
      }
      return { msg: String(e.msgId), kind: e.kind, from: e.from, to: e.to, response: !!e.response, lost: d.lost,
        color: d.lost ? this.dropColor : d.a.style.color, len: d.len, visible: d.visible || 0, progress: d.a.progress,
        pinned: !!(this.pinned && this.pinned.a === d.a), offNode: bestD > R + 1.25,
        x: points ? ox + bx * k : undefined, y: points ? oy + by * k : undefined };
    });
  }

  /** The canvas's colour at a point of the page (CSS pixels), as `rgb(r, g, b)` with its alpha apart. */
  pixelAt(x, y) {
    const r = this.canvas.getBoundingClientRect();
    const px = Math.floor((x - r.left) * this.canvas.width / r.width), py = Math.floor((y - r.top) * this.canvas.height / r.height);
    const [cr, cg, cb, ca] = this.ctx.getImageData(px, py, 1, 1).data;
    return { rgb: `rgb(${cr}, ${cg}, ${cb})`, alpha: ca };
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

/** Sets an attribute only when its value changes (null removes it). */
function setAttr(el, name, v) {
  if (v === null || v === undefined) { if (el.hasAttribute(name)) el.removeAttribute(name); return; }
  const text = String(v);
  if (el.getAttribute(name) !== text) el.setAttribute(name, text);
}

/** Sets a text only when it changes. */
function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/** The distance from (x, y) to the segment from (ax, ay) to (bx, by). */
function segmentDistance(x, y, ax, ay, bx, by) {
  const dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
  const f = l2 ? Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / l2)) : 0;
  return Math.hypot(x - ax - dx * f, y - ay - dy * f);
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
