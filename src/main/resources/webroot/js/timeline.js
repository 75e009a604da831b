// The timeline: every event, newest first, filtered by category, type and node. Only the rows in view
// exist in the DOM (fixed row height), so tens of thousands of events scroll smoothly. Rendering never reads
// layout: the list's height comes from a ResizeObserver and its scroll position from scroll events, so a
// redraw only writes (no forced layout per render, whatever the event rate).

import { CATEGORIES, CATEGORY_LABELS, categoryOf, clockTime, summarize, el } from './format.js';

const ROW = 24;
const OVERSCAN = 8;
const FOLLOW_MS = 200;

export class Timeline {
  constructor({ list, filters, inspector, count, follow }) {
    this.list = list;
    this.spacer = list.querySelector('.tl-spacer');
    // Rows are placed from the bottom of this box (the oldest event lowest), and the box sits at the bottom of the
    // list: new events move the box, not every row.
    this.box = document.createElement('div');
    this.box.className = 'tl-rows';
    list.append(this.box);
    this.inspector = inspector;
    this.countEl = count;
    this.followBox = follow;
    this.events = [];
    this.limit = 0;            // events[0..limit) are shown
    this.rows = [];            // indexes into events that pass the filter
    this.scanned = 0;          // events[0..scanned) were filtered
    this.cats = new Set(Object.keys(CATEGORIES).filter(c => c !== 'meta'));
    this.type = '';
    this.node = '';
    this.selected = -1;
    this.violations = new Set();
    this.dirty = true;
    this.shown = new Map();    // event index -> row element in the DOM
    this.scrollTop = 0;        // the list's scroll position, as the last scroll event told it
    this.height = 400;         // the list's height, as the ResizeObserver told it
    this.renderedAt = -Infinity;
    this.buildFilters(filters);
    new ResizeObserver(entries => {
      for (const en of entries) this.height = en.contentRect.height;
      this.dirty = true;
    }).observe(list);
    list.addEventListener('scroll', () => {
      this.scrollTop = list.scrollTop; // a scroll event comes after layout: reading here forces nothing
      if (this.scrollTop > ROW && this.followBox.checked && !this.autoScrolling) this.followBox.checked = false;
      this.autoScrolling = false;
      this.dirty = true;
      this.render();
    });
    this.followBox.addEventListener('change', () => { if (this.followBox.checked) this.scrollTo(0); });
    list.addEventListener('click', ev => {
      const row = ev.target.closest('.tl-row');
      if (!row) return;
      this.selected = Number(row.dataset.idx);
      this.inspect(this.events[this.selected]);
      this.dirty = true;
      this.render();
    });
  }

  buildFilters(root) {
    const boxes = Object.entries(CATEGORY_LABELS).map(([cat, label]) => {
      const box = el('input', { type: 'checkbox', 'data-testid': `filter-cat-${cat}`, checked: this.cats.has(cat) });
      box.addEventListener('change', () => {
        if (box.checked) this.cats.add(cat); else this.cats.delete(cat);
        this.refilter();
      });
      return el('label', {}, box, label);
    });
    const type = el('select', { 'data-testid': 'filter-type' }, el('option', { value: '', text: 'all types' }),
      ...Object.values(CATEGORIES).flat().map(t => el('option', { value: t, text: t })));
    type.addEventListener('change', () => { this.type = type.value; this.refilter(); });
    this.nodeSelect = el('select', { 'data-testid': 'filter-node' }, el('option', { value: '', text: 'all nodes' }));
    this.nodeSelect.addEventListener('change', () => { this.node = this.nodeSelect.value; this.refilter(); });
    root.append(...boxes, el('span', { class: 'sep' }), type, this.nodeSelect);
  }

  setMembers(members) {
    const key = members.join(',');
    if (key === this.membersKey) return;
    this.membersKey = key;
    this.members = [...members]; // a partition whose one group holds every member is no partition (summarize)
    const v = this.nodeSelect.value;
    this.nodeSelect.replaceChildren(el('option', { value: '', text: 'all nodes' }),
      ...members.map(id => el('option', { value: id, text: `node ${id}` })));
    this.nodeSelect.value = v;
  }

  setViolations(violations) {
    if (violations.length === this.violations.size) return;
    this.violations = new Set(violations.map(v => v.seq));
    this.dirty = true;
  }

  passes(e) {
    if (this.type) { if (e.type !== this.type) return false; } else if (!this.cats.has(categoryOf(e.type))) return false;
    if (this.node) {
      const n = Number(this.node);
      if (e.node !== n && e.from !== n && e.to !== n) return false;
    }
    return true;
  }

  refilter() {
    this.reset();
    this.rows = [];
    this.scanned = 0;
    this.dirty = true;
    this.scan();
    this.render();
  }

  /** Shows events[0..limit) of `events` (the array may grow later; call again with the new limit). */
  setSource(events, limit) {
    if (events !== this.events || limit < this.scanned) {
      // Another source (live, a recording) or an earlier position: the inspector shows nothing of the old one.
      if (this.selected >= 0) this.inspect(null);
      this.reset();
      this.events = events;
      this.rows = [];
      this.scanned = 0;
      this.selected = -1;
    }
    this.limit = limit;
    this.dirty = true;
  }

  scan() {
    const before = this.rows.length;
    for (let i = this.scanned; i < this.limit; i++) if (this.passes(this.events[i])) this.rows.push(i);
    this.scanned = this.limit;
    return this.rows.length - before;
  }

  scrollTo(top) {
    this.autoScrolling = true;
    this.scrollTop = top;
    this.list.scrollTop = top;
  }

  /**
   * A redraw asked by the page's render loop (up to 20 a second): under load each one would move the whole list, which
   * nobody can read at that rate and which costs a layout and a repaint of the list each time, so new events are drawn
   * at most every FOLLOW_MS. The reader's own actions (scroll, click, filters) still redraw at once.
   * @returns false when the redraw was put off (ask again later)
   */
  renderSoon() {
    const now = performance.now();
    if (now - this.renderedAt < FOLLOW_MS) return false;
    this.render();
    return true;
  }

  render() {
    this.renderedAt = performance.now();
    const added = this.scan();
    if (!this.dirty && !added) return;
    this.dirty = false;
    const total = this.rows.length;
    const height = `${total * ROW}px`;
    if (this.spacer.style.height !== height) this.spacer.style.height = height;
    if (added && !this.followBox.checked) {
      // Keep the rows under the reader's eyes where they are while new ones arrive on top.
      this.scrollTo(this.scrollTop + added * ROW);
    } else if (this.followBox.checked && this.scrollTop !== 0) {
      this.scrollTo(0);
    }
    const top = this.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + this.height) / ROW) + OVERSCAN);
    // Rows are kept by event while they stay in view, so the DOM changes only where the view does.
    const keep = new Map();
    for (let r = first; r < last; r++) {
      const idx = this.rows[total - 1 - r];
      let row = this.shown.get(idx);
      if (!row) row = this.makeRow(idx);
      const y = `${(r - total) * ROW}px`; // from the bottom: the same for an event whatever arrives later
      if (row.style.top !== y) row.style.top = y;
      const sel = idx === this.selected, bad = this.violations.has(this.events[idx].seq);
      if (row.classList.contains('sel') !== sel) row.classList.toggle('sel', sel);
      if (row.classList.contains('violation') !== bad) row.classList.toggle('violation', bad);
      keep.set(idx, row);
    }
    for (const [idx, row] of this.shown) if (!keep.has(idx)) row.remove();
    for (const [idx, row] of keep) if (!this.shown.has(idx)) this.box.append(row);
    const boxTop = `${total * ROW}px`;
    if (this.box.style.top !== boxTop) this.box.style.top = boxTop;
    this.shown = keep;
    const count = `${total.toLocaleString()} of ${this.limit.toLocaleString()} events`;
    if (this.countEl.textContent !== count) this.countEl.textContent = count;
  }

  makeRow(idx) {
    const e = this.events[idx];
    const row = document.createElement('div');
    row.className = 'tl-row';
    row.dataset.idx = idx;
    row.setAttribute('data-testid', 'timeline-row');
    row.dataset.type = e.type;
    row.dataset.node = e.node;
    row.dataset.cat = categoryOf(e.type);
    row.dataset.seq = e.seq;
    if (e.from !== undefined) { row.dataset.from = e.from; row.dataset.to = e.to; }
    if (e.type === 'CheckVerdict') {
      const clean = e.verdict === 'LINEARIZABLE' && e.clean !== false;
      row.dataset.verdict = clean ? 'ok' : 'bad';
      row.classList.add(clean ? 'verdict-ok' : 'verdict-bad');
    }
    row.innerHTML = `<span class="seq">${e.seq ?? ''}</span><span class="time">${clockTime(e.ts)}</span>` +
      `<span class="nd">${e.node ? 'N' + e.node : '·'}</span><span class="ty"></span><span class="sum"></span>`;
    row.querySelector('.ty').textContent = e.type;
    row.querySelector('.sum').textContent = summarize(e, this.members);
    return row;
  }

  /** Drops every drawn row (the source or the filter changed). */
  reset() {
    for (const row of this.shown.values()) row.remove();
    this.shown = new Map();
  }

  inspect(e) {
    this.inspector.textContent = e ? JSON.stringify(e, null, 2) : 'Click an event to inspect it.';
  }
}
