// Recordings: NDJSON parsing, and a folded recording with a model checkpoint every CHECKPOINT events,
// so that scrubbing to any position folds at most CHECKPOINT events (models are immutable, so a
// checkpoint is just a reference).

import { initialModel, reduce } from './reducer.js';
import { Series } from './series.js';

const CHECKPOINT = 256;

export function parseNdjson(text) {
  const events = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    const s = line.trim();
    if (!s) continue;
    try {
      const e = JSON.parse(s);
      if (e && typeof e === 'object' && typeof e.type === 'string') events.push(e); else bad++;
    } catch {
      bad++;
    }
  }
  return { events, bad };
}

export class Recording {
  constructor(events) {
    this.events = events;
    this.checkpoints = [];
    this.series = new Series();
    this.tsMax = new Float64Array(events.length);
    let m = initialModel();
    let ts = 0;
    for (let i = 0; i < events.length; i++) {
      if (i % CHECKPOINT === 0) this.checkpoints.push(m);
      m = reduce(m, events[i]);
      this.series.push(m, events[i]);
      ts = Math.max(ts, events[i].ts || 0);
      this.tsMax[i] = ts;
    }
    this.finalModel = m;
  }

  get length() { return this.events.length; }

  /** The model after the first `k` events. */
  modelAt(k) {
    if (k >= this.events.length) return this.finalModel;
    const c = Math.floor(k / CHECKPOINT);
    let m = this.checkpoints[c] || initialModel();
    for (let i = c * CHECKPOINT; i < k; i++) m = reduce(m, this.events[i]);
    return m;
  }

  /** Time of the k-th position (after k events). */
  tsAt(k) {
    if (!this.events.length) return 0;
    return k <= 0 ? this.events[0].ts : this.tsMax[Math.min(k, this.events.length) - 1];
  }

  /** How many events happened at or before `ts`. */
  countAt(ts) {
    let lo = 0, hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.tsMax[mid] <= ts) lo = mid + 1; else hi = mid;
    }
    return lo;
  }
}
