// The dashboard: leader, term, commit and rates at a glance, three uPlot charts (term history, commit
// progression per node, messages per second) and the replication status of each follower and learner.

import uPlot from '/vendor/uplot/dist/uPlot.esm.js';
import { currentLeader, memberKind } from './reducer.js';
import { Series } from './series.js';
import { describeVerdict } from './format.js';

const DASHES = [[], [7, 4], [2, 3], [10, 3, 2, 3], [4, 4], [1, 5], [12, 4]]; // lines that coincide stay apart
const NODE_COLORS = ['#8fb8ff', '#c3a6ff', '#7fd1c7', '#f2a7c3', '#f5cf86', '#a9dc8f', '#ffb27a'];
const AXIS = { stroke: '#6b7584', grid: { stroke: '#1f262f', width: 1 }, ticks: { stroke: '#262e39', width: 1 },
  font: '11px system-ui, sans-serif' };

// The x axis reads as time before the newest point ("-30 s", "-2:00"), never as clock times that look alike.
const ago = (v, end, span) => {
  const d = end - v;
  if (d < (span < 10 ? 0.05 : 0.5)) return 'now';
  if (span < 10) return `-${d.toFixed(1)} s`;
  const r = Math.round(d);
  return r < 120 ? `-${r} s` : `-${Math.floor(r / 60)}:${String(r % 60).padStart(2, '0')}`;
};
const timeLabels = (u, splits) => splits.map(v => ago(v, u.scales.x.max, u.scales.x.max - u.scales.x.min));
const INCRS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 1e6];
const xRange = (u, min, max) => {
  if (min == null || !isFinite(min)) { const now = Date.now() / 1000; return [now - 60, now]; }
  return min === max ? [min - 5, max + 1] : [min, max];
};

function chart(el, series, height, yOpts = {}) {
  const opts = {
    width: Math.max(200, el.clientWidth || 400), height,
    legend: { show: series.length > 2, live: false },
    cursor: { y: false, points: { size: 5 } },
    scales: { x: { time: true, range: xRange }, y: { auto: false, min: 0, max: 1, ...yOpts } },
    axes: [{ ...AXIS, space: 80, values: timeLabels }, { ...AXIS, size: 46, space: 16, incrs: INCRS }],
    series,
  };
  return new uPlot(opts, series.map(() => []), el);
}

export class Dashboard {
  constructor(root) {
    this.root = root;
    this.q = s => root.querySelector(s);
    this.termChart = null;
    this.commitChart = null;
    this.rateChart = null;
    this.members = '';
    this.drawn = -1;
    new ResizeObserver(() => this.resize()).observe(root);
  }

  resize() {
    for (const [c, id] of [[this.termChart, '#chart-term'], [this.commitChart, '#chart-commit'], [this.rateChart, '#chart-rates']]) {
      if (c) c.setSize({ width: this.q(id).clientWidth, height: c.height });
    }
  }

  ensureCharts(m) {
    const key = m.members.join(',');
    if (key === this.members && this.termChart) return;
    this.members = key;
    for (const c of [this.termChart, this.commitChart, this.rateChart]) if (c) c.destroy();
    this.termChart = chart(this.q('#chart-term'), [{}, { label: 'term', stroke: '#e3b341', width: 1.6,
      paths: uPlot.paths.stepped({ align: 1 }), fill: 'rgba(227,179,65,.07)' }], 104);
    this.commitChart = chart(this.q('#chart-commit'), [{}, ...m.members.map((id, i) => ({ label: `N${id}`,
      stroke: NODE_COLORS[i % NODE_COLORS.length], width: 1.5, spanGaps: true, dash: DASHES[i % DASHES.length] }))], 116);
    this.rateChart = chart(this.q('#chart-rates'), [{}, { label: 'sent/s', stroke: '#3fb97c', width: 1.5,
      fill: 'rgba(63,185,124,.08)' }, { label: 'lost/s', stroke: '#f05d5e', width: 1.5 }], 100);
  }

  /**
   * @param m the model
   * @param series the Series
   * @param untilSec show the series up to this time (replay), or null for all
   * @returns false when part of it was put off (call again later)
   */
  update(m, series, untilSec) {
    const leader = currentLeader(m);
    let maxTerm = 0, maxCommit = 0;
    for (const n of Object.values(m.nodes)) { maxTerm = Math.max(maxTerm, n.term); maxCommit = Math.max(maxCommit, n.commit); }
    const kpi = (id, v) => { const el = this.q(`[data-testid="${id}"]`); if (el.textContent !== String(v)) el.textContent = v; };
    kpi('kpi-leader', leader ? `N${leader.id}` : '—');
    kpi('kpi-term', maxTerm);
    kpi('kpi-commit', leader ? leader.commit : maxCommit);
    kpi('kpi-elections', m.rates ? m.rates.electionsPerMin : 0);
    kpi('kpi-msgs', m.rates ? Math.round(m.rates.msgsPerSec) : 0);
    if (m.verdict !== this.verdictDrawn || this.verdictDrawn === undefined) {
      this.verdictDrawn = m.verdict;
      this.renderVerdict(m.verdict);
    }
    // The replication bars follow the charts' pace under load (an innerHTML rewrite each), but a change of leader or
    // membership (a learner's short life included) is drawn at once.
    const now = performance.now();
    let later = false;
    if (leader !== this.replLeader || m.membership !== this.replMembership || untilSec != null
      || now - (this.replAt || 0) >= 250) {
      this.replLeader = leader;
      this.replMembership = m.membership;
      this.replAt = now;
      this.renderReplication(m, leader);
    } else {
      later = true;
    }
    this.ensureCharts(m);
    const stamp = `${series.version}:${untilSec}`;
    if (stamp === this.drawn) return !later;
    // The charts are an overview: under load they are redrawn four times a second, not at every render.
    if (untilSec == null && now - (this.chartAt || 0) < 250) return false;
    this.chartAt = now;
    this.drawn = stamp;
    const note = series.rates[0].length >= 2 ? '' : 'figures arrive once a second';
    if (this.q('#rates-note').textContent !== note) this.q('#rates-note').textContent = note;
    const cut = cols => (untilSec == null ? cols : Series.upTo(cols, untilSec));
    this.termChart.setData(cut(series.term));
    this.commitChart.setData(cut(series.commit.length === m.members.length + 1 ? series.commit
      : [series.commit[0], ...m.members.map(() => series.commit[0].map(() => null))]));
    const rates = cut(series.rates);
    this.rateChart.setData(rates[0].length >= 2 ? rates : [[], [], []]);
    // No axes before there is something to draw.
    const empty = (id, e) => { const el = this.q(id).parentNode; if (el.dataset.empty !== String(e)) el.dataset.empty = String(e); };
    empty('#chart-term', this.termChart.data[0].length < 2);
    empty('#chart-commit', this.commitChart.data[0].length < 2);
    empty('#chart-rates', rates[0].length < 2);
    for (const c of [this.termChart, this.commitChart, this.rateChart]) {
      let max = 0;
      for (let i = 1; i < c.data.length; i++) for (const v of c.data[i]) if (v > max) max = v;
      c.setScale('y', { min: 0, max: Math.max(1, Math.ceil(max * 1.15)) });
    }
    return !later;
  }

  /** A verify run's verdict: a green check or a red cross, the verdict and what was checked. */
  renderVerdict(v) {
    const el = this.q('[data-testid="verdict"]');
    el.hidden = !v;
    if (!v) { el.dataset.verdict = 'none'; return; }
    const state = v.clean ? 'ok' : 'bad';
    if (el.dataset.verdict === state && el.dataset.seq === String(v.seq)) return;
    el.dataset.verdict = state;
    el.dataset.seq = String(v.seq);
    el.querySelector('.verdict-mark').textContent = v.clean ? '✓' : '✗';
    el.querySelector('[data-testid="verdict-text"]').textContent = v.verdict;
    el.querySelector('.what').textContent = describeVerdict(v).slice(v.verdict.length + 3);
    el.title = `Linearizability check of a verify run (event ${v.seq})`;
  }

  renderReplication(m, leader) {
    const el = this.q('#replication');
    const html = this.replicationHtml(m, leader);
    if (html !== this.replDrawn) {
      this.replDrawn = html;
      el.innerHTML = html;
    }
  }

  replicationHtml(m, leader) {
    if (!leader) return '<div class="muted">No leader: nothing is being replicated.</div>';
    const top = Math.max(1, leader.lastIndex);
    let html = `<div class="repl"><span class="who">N${leader.id}</span><div class="bar"><i style="width:100%"></i></div>` +
      `<span class="num">leader · last ${leader.lastIndex}</span></div>`;
    for (const id of m.members) {
      if (id === leader.id) continue;
      const n = m.nodes[id];
      if (!n) continue;
      const acked = m.match.leader === leader.id && m.match.term === leader.term ? m.match.byNode[id] : undefined;
      const match = acked !== undefined ? acked : Math.min(n.lastIndex, leader.lastIndex);
      const pct = Math.max(0, Math.min(100, (match / top) * 100));
      const cpct = Math.max(0, Math.min(100, (n.commit / top) * 100));
      const state = !n.up ? 'down' : n.paused ? 'paused' : `lag ${Math.max(0, leader.lastIndex - match)}`;
      const kind = memberKind(m, id);
      html += `<div class="repl${kind === 'learner' ? ' learner' : ''}" data-testid="repl-${id}" data-member="${kind}">` +
        `<span class="who">N${id}${kind === 'learner' ? '<small>learner</small>' : ''}</span>` +
        `<div class="bar"><i style="width:${pct}%"></i><i class="commit" style="width:${cpct}%"></i></div>` +
        `<span class="num">match ${match} · ${state}</span></div>`;
    }
    return html;
  }
}
