// Time series for the dashboard charts, accumulated from the model as events are folded: the highest
// term, each node's commit lag (entries behind the highest commit index), and the message rates. Points are columns ready for uPlot
// ([xs, ys...], x in seconds); at most one point per SAMPLE_MS unless a term changes.

const SAMPLE_MS = 100;
const CAP = 4000;

export class Series {
  constructor() {
    this.members = [];
    this.term = [[], []];
    this.commit = [[]];
    this.rates = [[], [], []];
    this.lastSample = -Infinity;
    this.lastTerm = -1;
    this.version = 0;
  }

  /** Adds what the model after event `e` shows. */
  push(m, e) {
    if (m.members.join() !== this.members.join()) {
      // Columns follow the members by id: a node added gets an empty column, a removed one's column goes.
      const old = new Map(this.members.map((id, i) => [id, this.commit[i + 1]]));
      this.members = [...m.members];
      this.commit = [this.commit[0], ...this.members.map(id => old.get(id) || this.commit[0].map(() => null))];
    }
    const ts = e.ts || 0;
    if (e.type === 'Rates' && e.rates) {
      this.rates[0].push(ts / 1000);
      this.rates[1].push(e.rates.msgsPerSec || 0);
      this.rates[2].push(e.rates.dropsPerSec || 0);
      this.trim(this.rates);
      this.version++;
      return;
    }
    let maxTerm = 0;
    for (const n of Object.values(m.nodes)) maxTerm = Math.max(maxTerm, n.term);
    if (ts - this.lastSample < SAMPLE_MS && maxTerm === this.lastTerm) return;
    this.lastSample = ts;
    this.lastTerm = maxTerm;
    this.term[0].push(ts / 1000);
    this.term[1].push(maxTerm);
    this.commit[0].push(ts / 1000);
    // Each node's lag behind the highest commit index: equal commit lines would lie on top of each other and hide
    // a lagging node, a lag stands out from zero.
    let top = 0;
    for (const id of this.members) if (m.nodes[id] && m.nodes[id].up) top = Math.max(top, m.nodes[id].commit);
    this.members.forEach((id, i) => this.commit[i + 1].push(m.nodes[id] && m.nodes[id].up ? top - m.nodes[id].commit : null));
    this.trim(this.term);
    this.trim(this.commit);
    this.version++;
  }

  trim(cols) {
    if (cols[0].length > CAP) for (const c of cols) c.splice(0, cols[0].length - CAP);
  }

  /** The columns with x up to `tsSec` (for a replay position). */
  static upTo(cols, tsSec) {
    const xs = cols[0];
    let lo = 0, hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] <= tsSec) lo = mid + 1; else hi = mid;
    }
    return cols.map(c => c.slice(0, lo));
  }
}
