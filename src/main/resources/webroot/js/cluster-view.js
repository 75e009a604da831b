// The cluster drawn with D3 on SVG: nodes on a circle coloured by role, links (cut ones red), link
// faults, and every published message as an arrow flying from sender to receiver. Arrows start a short
// moment after their send (a playout delay), so that the receive is usually known by then and the
// flight time can follow the real delay; a lost message stops halfway with a red cross. Learners (members
// that replicate but do not vote) are drawn with a dashed outline and a "learner" tag; nodes added or removed
// at runtime appear and disappear, and the circle is laid out again to fit the box.

import { ROLE_COLORS, kindColor, escapeHtml } from './format.js';
import { displayRole, memberKind } from './reducer.js';

const d3 = globalThis.d3;
const W = 640, H = 400, R = 46;
const PLAYOUT_MS = 220;       // arrows start this long after their send was received here
const BASE_FLIGHT_MS = 420;   // flight time of an instant message
const DELAY_FACTOR = 2.5;     // each ms of real delay adds this many ms of flight
const MAX_FLIGHT_MS = 6000;
const MAX_ARROWS = 90;
const LANE = 7;               // the two directions of a link fly on parallel lanes

export class ClusterView {
  constructor(svg, tooltip) {
    this.svg = d3.select(svg).attr('viewBox', `0 0 ${W} ${H}`).attr('preserveAspectRatio', 'xMidYMid meet');
    this.tooltip = tooltip;
    this.model = null;
    this.pos = new Map();
    this.sends = new Map();       // msgId -> sent event waiting for launch
    this.fates = new Map();       // msgId -> received/dropped event
    this.queue = [];              // [launchAt, sentEvent]
    this.active = 0;
    this.speed = 1;
    this.showHeartbeats = true;
    const defs = this.svg.append('defs');
    for (const [name, color] of [['vote', kindColor('RequestVote')], ['append', kindColor('AppendEntries')],
      ['snap', kindColor('InstallSnapshot')], ['read', kindColor('ReadIndex')]]) {
      defs.append('marker').attr('id', `arrow-${name}`).attr('viewBox', '0 0 10 10').attr('refX', 8).attr('refY', 5)
        .attr('markerWidth', 5).attr('markerHeight', 5).attr('orient', 'auto-start-reverse')
        .append('path').attr('d', 'M 0 0 L 10 5 L 0 10 z').attr('fill', color);
    }
    const glow = defs.append('filter').attr('id', 'soft').attr('x', '-50%').attr('y', '-50%').attr('width', '200%').attr('height', '200%');
    glow.append('feGaussianBlur').attr('stdDeviation', 3);
    this.gLinks = this.svg.append('g');
    this.gLabels = this.svg.append('g');
    this.gMsgs = this.svg.append('g');
    this.gNodes = this.svg.append('g');
    this.gFx = this.svg.append('g');
    this.tick = this.tick.bind(this);
    requestAnimationFrame(this.tick);
  }

  setSpeed(speed) { this.speed = speed > 0 ? speed : 1; }

  /** Forgets every message in flight (after a mode switch or a jump in a replay). */
  clear() {
    this.queue = [];
    this.sends.clear();
    this.fates.clear();
    this.gMsgs.selectAll('*').interrupt().remove();
    this.gFx.selectAll('*').interrupt().remove();
    this.active = 0;
  }

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
    const side = R + 10, top = R + 10, bottom = R + 36;
    const rr = Math.min(190, (W - 2 * side) / Math.max(x1 - x0, 1e-9), (H - top - bottom) / Math.max(y1 - y0, 1e-9));
    const cx = W / 2 - rr * (x0 + x1) / 2;
    const cy = top + (H - top - bottom) / 2 - rr * (y0 + y1) / 2;
    members.forEach((id, i) => this.pos.set(id, { x: cx + rr * unit[i][0], y: cy + rr * unit[i][1] }));
  }

  setModel(m) {
    if (m === this.model) return;
    const membersChanged = !this.model || this.model.members.join() !== m.members.join();
    this.model = m;
    if (membersChanged) this.layout(m.members);
    this.drawLinks(m);
    this.drawNodes(m);
  }

  connected(a, b) {
    const f = this.model.faults;
    const groupOf = id => (f.partitions || []).findIndex(g => g.includes(id));
    const paused = f.pausedNodes || [];
    if (paused.includes(a) || paused.includes(b)) return false;
    return groupOf(a) === groupOf(b);
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
      const cut = !this.connected(d[0], d[1]);
      g.attr('data-testid', `link-${d[0]}-${d[1]}`).attr('data-cut', cut);
      g.select('line').attr('x1', a.x).attr('y1', a.y).attr('x2', b.x).attr('y2', b.y).classed('cut', cut);
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
      const off = d.both ? 16 : (d.from < d.to ? 16 : -16);
      d3.select(nodes[i]).attr('x', (a.x + b.x) / 2 - (dy / len) * off).attr('y', (a.y + b.y) / 2 + (dx / len) * off + 3)
        .text(d.text);
    });
  }

  drawNodes(m) {
    const data = m.members.map(id => m.nodes[id]).filter(Boolean);
    const sel = this.gNodes.selectAll('g.node-g').data(data, d => d.id);
    const enter = sel.enter().append('g').attr('class', 'node-g')
      .on('mouseenter', (ev, d) => this.showNodeTip(ev, d.id))
      .on('mousemove', ev => this.moveTip(ev))
      .on('mouseleave', () => this.hideTip());
    enter.append('circle').attr('class', 'halo').attr('r', R + 7);
    enter.append('circle').attr('class', 'ring').attr('r', R);
    enter.append('text').attr('class', 'role').attr('dy', -17);
    enter.append('text').attr('class', 'name').attr('dy', 4);
    enter.append('text').attr('class', 'sub term').attr('dy', 19);
    enter.append('text').attr('class', 'sub commit').attr('dy', 31);
    enter.append('text').attr('class', 'tag kind').attr('dy', R + 18);
    enter.append('text').attr('class', 'sub paused');
    sel.exit().remove();
    enter.merge(sel).each((d, i, nodes) => {
      const g = d3.select(nodes[i]);
      const p = this.pos.get(d.id);
      const role = displayRole(d);
      const color = ROLE_COLORS[role];
      const kind = memberKind(m, d.id);
      g.attr('transform', `translate(${p.x},${p.y})`).attr('data-testid', `node-${d.id}`).attr('data-role', role)
        .attr('data-raw-role', d.role).attr('data-term', d.term).attr('data-commit', d.commit).attr('data-paused', d.paused)
        .attr('data-member', kind || null).classed('learner', kind === 'learner');
      g.select('.kind').text(kind === 'learner' ? 'learner' : '');
      g.select('.ring').attr('stroke', color).attr('fill', role === 'Down' ? '#171b21' : `color-mix(in srgb, ${color} 13%, #161c24)`);
      g.select('.role').attr('fill', color).text(role === 'Candidate' && d.role === 'PreCandidate' ? 'pre-cand.' : role);
      g.select('.name').text(`N${d.id}`);
      g.select('.term').text(`term ${d.term}`);
      g.select('.commit').text(`commit ${d.commit}`);
      g.select('.paused').attr('fill', '#b9a6ff').attr('dy', kind === 'learner' ? R + 32 : R + 18)
        .text(d.frozen ? '❄ frozen' : d.paused ? '❚❚ paused' : '');
    });
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
      row('commit', n.commit) + row('applied', n.applied) + row('last index', n.lastIndex) +
      row('snapshot', n.snapshotIndex || '—') + '</dl>';
  }

  showNodeTip(ev, id) {
    this.tooltip.innerHTML = this.nodeTipHtml(id);
    this.tooltip.hidden = false;
    this.moveTip(ev);
  }

  showMsgTip(ev, e) {
    const fate = this.fates.get(e.msgId);
    const row = (k, v) => (v === undefined ? '' : `<dt>${k}</dt><dd>${escapeHtml(v)}</dd>`);
    let status = 'in flight';
    if (fate && fate.type === 'MessageReceived') status = `delivered in ${Math.max(0, fate.ts - e.ts)} ms`;
    if (fate && fate.type === 'MessageDropped') status = `lost: ${fate.reason}`;
    this.tooltip.innerHTML = `<h4>${escapeHtml(e.kind)} · ${e.from} → ${e.to}</h4><dl>` +
      row('term', e.msgTerm) + row('prevLog', e.prevLogIndex !== undefined ? `${e.prevLogIndex}@${e.prevLogTerm}` : undefined) +
      row('entries', e.entries ? `${e.entries} (${e.firstIndex}..${e.lastIndex})` : e.entries) +
      row('commit', e.commit) + row('granted', e.granted) + row('success', e.success) + row('index', e.index) +
      row('summary', e.summary || '—') + row('status', status) + row('msg id', e.msgId) + '</dl>';
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

  hideTip() { this.tooltip.hidden = true; }

  /** Feeds one event (live as it arrives, or from a replay as its time passes). */
  onEvent(e) {
    if (e.type === 'MessageSent') {
      this.sends.set(e.msgId, e);
      this.queue.push([performance.now() + PLAYOUT_MS / this.speed, e]);
    } else if (e.type === 'MessageReceived' || e.type === 'MessageDropped') {
      if (!this.fates.has(e.msgId)) this.fates.set(e.msgId, e);
    } else if (e.type === 'LeaderElected' || (e.type === 'StateChange' && e.to === 'Leader')) {
      this.flash(e.node, ROLE_COLORS.Leader);
    } else if (e.type === 'ElectionStarted' && !e.preVote) {
      this.flash(e.node, ROLE_COLORS.Candidate);
    } else if (e.type === 'NodeCrashed') {
      this.flash(e.node, '#f05d5e');
    }
  }

  flash(id, color) {
    const p = this.pos.get(id);
    if (!p) return;
    this.gFx.append('circle').attr('cx', p.x).attr('cy', p.y).attr('r', R).attr('fill', 'none')
      .attr('stroke', color).attr('stroke-width', 3).attr('opacity', 0.9)
      .transition().duration(900 / this.speed).ease(d3.easeCubicOut).attr('r', R + 26).attr('opacity', 0).remove();
  }

  tick() {
    const now = performance.now();
    if (this.queue.length) {
      let i = 0;
      while (i < this.queue.length && this.queue[i][0] <= now) i++;
      const due = this.queue.splice(0, i);
      for (const [, e] of due) this.launch(e);
    }
    // Forget fates of old messages.
    if (this.fates.size > 4000) {
      const keep = [...this.fates.entries()].slice(-2000);
      this.fates = new Map(keep);
    }
    if (this.sends.size > 4000) {
      this.sends = new Map([...this.sends.entries()].slice(-2000));
    }
    requestAnimationFrame(this.tick);
  }

  expectedDelay(from, to) {
    const f = this.model ? this.model.faults : null;
    if (!f) return 0;
    let d = f.delayMs ? (f.delayMs[0] + f.delayMs[1]) / 2 : 0;
    const l = (f.links || []).find(x => x.from === from && x.to === to);
    if (l) d += (l.delayMs[0] + l.delayMs[1]) / 2;
    return d;
  }

  launch(e) {
    const a = this.pos.get(e.from), b = this.pos.get(e.to);
    if (!a || !b || this.active >= MAX_ARROWS || document.hidden) return;
    if (!this.showHeartbeats && (e.kind === 'Heartbeat' || e.kind === 'HeartbeatResponse')) return;
    const fate = this.fates.get(e.msgId);
    const delay = fate && fate.type === 'MessageReceived' ? Math.max(0, fate.ts - e.ts) : this.expectedDelay(e.from, e.to);
    const flight = Math.min(MAX_FLIGHT_MS, BASE_FLIGHT_MS + delay * DELAY_FACTOR) / this.speed;
    const dropped = fate && fate.type === 'MessageDropped';
    const stopAt = dropped ? (fate.reason.startsWith('receiver') ? 0.9 : 0.5) : 1;
    // Geometry: from edge to edge, on this direction's lane.
    const dx = b.x - a.x, dy = b.y - a.y, len = Math.hypot(dx, dy) || 1;
    const ux = dx / len, uy = dy / len;
    const ox = -uy * LANE, oy = ux * LANE;
    const sx = a.x + ux * (R + 4) + ox, sy = a.y + uy * (R + 4) + oy;
    const ex = b.x - ux * (R + 6) + ox, ey = b.y - uy * (R + 6) + oy;
    const seg = e.kind === 'Heartbeat' || e.kind === 'HeartbeatResponse' ? 16 : 24;
    const color = kindColor(e.kind);
    const marker = e.kind && (e.kind.startsWith('Request') || e.kind.startsWith('Pre') || e.kind === 'TimeoutNow') ? 'vote'
      : e.kind === 'InstallSnapshot' ? 'snap' : e.kind && e.kind.startsWith('ReadIndex') ? 'read' : 'append';
    const g = this.gMsgs.append('g').attr('class', 'msg').attr('data-kind', e.kind)
      .on('mouseenter', ev => this.showMsgTip(ev, e)).on('mousemove', ev => this.moveTip(ev))
      .on('mouseleave', () => this.hideTip());
    const hit = g.append('line').attr('class', 'msg-hit').attr('stroke', 'transparent').attr('stroke-width', 14);
    const line = g.append('line').attr('stroke', color).attr('stroke-width', e.response ? 2 : 2.4)
      .attr('stroke-linecap', 'round').attr('marker-end', `url(#arrow-${marker})`);
    if (e.response) line.attr('stroke-dasharray', '2.5 3.5');
    if (e.kind === 'Heartbeat' || e.kind === 'HeartbeatResponse') line.attr('opacity', 0.55).attr('stroke-width', 1.6);
    const place = t => {
      const hx = sx + (ex - sx) * t, hy = sy + (ey - sy) * t;
      const back = Math.min(seg, len * t);
      const tx = hx - ux * back, ty = hy - uy * back;
      line.attr('x1', tx).attr('y1', ty).attr('x2', hx).attr('y2', hy);
      hit.attr('x1', tx).attr('y1', ty).attr('x2', hx).attr('y2', hy);
    };
    place(0);
    this.active++;
    const done = () => { this.active--; g.remove(); };
    g.transition().duration(flight * stopAt).ease(d3.easeLinear)
      .tween('fly', () => t => place(t * stopAt))
      .on('end', () => {
        if (dropped) {
          const hx = sx + (ex - sx) * stopAt, hy = sy + (ey - sy) * stopAt;
          line.remove();
          g.append('path').attr('class', 'drop-x').attr('d', `M${hx - 5},${hy - 5}L${hx + 5},${hy + 5}M${hx + 5},${hy - 5}L${hx - 5},${hy + 5}`);
          g.transition().delay(350 / this.speed).duration(500 / this.speed).attr('opacity', 0).on('end', done).on('interrupt', done);
        } else {
          g.transition().duration(120 / this.speed).attr('opacity', 0).on('end', done).on('interrupt', done);
        }
      })
      .on('interrupt', done);
  }
}

export function legend(container, view) {
  const item = (cls, color, text) => `<span><i class="${cls}" style="${cls.includes('line') ? 'border-color' : 'background'}:${color}"></i>${text}</span>`;
  container.innerHTML = item('', ROLE_COLORS.Follower, 'Follower') + item('', ROLE_COLORS.Candidate, 'Candidate') +
    item('', ROLE_COLORS.Leader, 'Leader') + item('', ROLE_COLORS.Down, 'Down') + item('dashed', 'transparent', 'learner') +
    item('line', kindColor('RequestVote'), 'votes') + item('line', kindColor('AppendEntries'), 'append / heartbeat') +
    item('line dotted', '#8a94a3', 'response');
  const box = document.createElement('label');
  box.className = 'hb';
  box.innerHTML = '<input type="checkbox" data-testid="show-heartbeats" checked> heartbeats';
  box.querySelector('input').addEventListener('change', ev => { view.showHeartbeats = ev.target.checked; });
  container.append(box);
}
