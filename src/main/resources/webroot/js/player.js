// The playhead of the live view and of replays. Events are buffered and shown in a causal order at a chosen
// time scale (1x down to 1/50x), can be paused and stepped one event at a time.
//
// Causal order here is Lamport's happened-before: each node's events keep their order, and a message's receipt
// (or loss) comes after its send. Every buffered event gets a due time on a virtual clock (cluster time, epoch
// ms): its own timestamp, but never before the previous event of its node, and for a receipt never before its
// send was shown plus a flight time. Events are shown when the virtual clock passes their due time, in due order
// (ties in seq order), so a node turns Leader only once the vote reply that decided it has landed, while the
// other nodes go on. The flight time is what makes a message visible: FLIGHT_MS of screen time at the current
// scale, but never more than FLIGHT_CAP_MS of cluster time, so that the held-back receipts cannot make the view
// fall ever further behind at a heartbeat's pace (at 1/20x and slower every arrow lands exactly when its receipt
// is shown; faster, arrows keep a minimum screen time and land a little after). Under load even capped holds add
// up, so they are bounded too (HOLD_BUDGET_MS).
//
// Live at 1x the clock follows the newest event (minus a short playout delay); slowed or paused, the view falls
// behind and the buffer grows (at most MAX_PENDING events, paused too: beyond that the oldest are shown at once,
// without arrows). A replay feeds the player from its recording as the clock reaches the events' times.

export const FLIGHT_MS = 450;       // screen time of a message's flight when slowed enough
export const FLIGHT_CAP_MS = 20;    // cluster time a receipt is held back at most for its arrow
const HOLD_BUDGET_MS = 250;         // cluster time the flight holds may put the view behind the newest event
const PLAYOUT_MS = 120;             // at 1x live, events are shown this long after their time
const CATCH_UP_MS = 1500;           // at 1x live, a backlog older than this is shown at once
const MAX_PENDING = 40000;

const BARRIERS = new Set(['Snapshot', 'ClusterInfo']);

function isLoss(e) {
  return e.type === 'MessageDropped';
}

export class Player {
  /**
   * @param present (event, due) => void, called for every event shown, in the order shown
   * @param options live: the clock follows the newest event at 1x
   */
  constructor(present, { live = false } = {}) {
    this.present = present;
    this.live = live;
    this.scale = 1;
    this.paused = false;
    this.reset(0);
  }

  /** Forgets everything buffered; the clock starts at `ts` (cluster time). */
  reset(ts) {
    this.clock = ts || 0;
    this.pending = [];          // [{ e, due, i }] sorted by due, then seq
    this.lastDue = new Map();   // node -> due of its newest buffered event
    this.sendDue = new Map();   // msgId -> due of its send
    this.fateDue = new Map();   // msgId -> due of its receipt or loss
    this.barrierDue = -Infinity;
    this.maxDue = -Infinity;
    this.newestTs = ts || 0;
    this.lastWall = null;
    this.skipped = 0;           // events shown at once to catch up (no arrows for them)
    this.shownUpTo = -1;        // the highest `i` shown so far (replays number their events)
    this.shown = 0;             // events shown since the reset
  }

  setScale(s) { this.scale = s > 0 ? s : 1; }

  /** Cluster time a message flies at the current scale. */
  flightMs() { return Math.min(FLIGHT_MS * this.scale, FLIGHT_CAP_MS); }

  get backlog() { return this.pending.length; }

  /** The seq of the oldest event not shown yet, or Infinity. */
  oldestPendingSeq() {
    let s = Infinity;
    for (const p of this.pending) if (p.e.seq < s) s = p.e.seq;
    return s;
  }

  /** The smallest recording index not shown yet (replays), or Infinity. */
  oldestPendingIndex() {
    let s = Infinity;
    for (const p of this.pending) if (p.i < s) s = p.i;
    return s;
  }

  /** Buffers one event; events must come in seq order (a send before its receipt). */
  push(e, i = -1) {
    const node = e.node || 0;
    let due = typeof e.ts === 'number' && e.ts > 0 ? e.ts : this.clock;
    if (e.ts > this.newestTs) this.newestTs = e.ts;
    if (BARRIERS.has(e.type)) due = Math.max(due, this.maxDue);
    due = Math.max(due, this.barrierDue);
    const loss = isLoss(e) && !(e.reason || '').startsWith('receiver');
    // A loss in the network is no step of its sender: it does not hold the sender's later events back.
    if (!loss) due = Math.max(due, this.lastDue.get(node) ?? -Infinity);
    if (e.type === 'MessageReceived' || isLoss(e)) {
      const s = this.sendDue.get(e.msgId);
      // Under load, chains of round trips would add up their flight times without end: once the holds have pushed
      // the newest due time HOLD_BUDGET_MS past the newest event, receipts keep their order but get no flight time
      // until the view has caught up (the arrows of that spell only flash; link thickness shows the flow).
      const flight = this.maxDue - this.newestTs > HOLD_BUDGET_MS ? 0 : this.flightMs();
      if (s !== undefined) due = Math.max(due, s + flight * (loss ? 0.5 : 1));
      this.fateDue.set(e.msgId, due);
    } else if (e.type === 'MessageSent') {
      this.sendDue.set(e.msgId, due);
    }
    if (!loss) this.lastDue.set(node, due);
    if (BARRIERS.has(e.type)) this.barrierDue = due;
    if (due > this.maxDue) this.maxDue = due;
    const item = { e, due, i };
    // Sorted insert (almost always at the end).
    const p = this.pending;
    let k = p.length;
    while (k > 0 && (p[k - 1].due > due || (p[k - 1].due === due && p[k - 1].e.seq > e.seq))) k--;
    p.splice(k, 0, item);
    if (this.sendDue.size > 20000) this.trimMaps();
  }

  trimMaps() {
    const keep = m => new Map([...m.entries()].slice(-10000));
    this.sendDue = keep(this.sendDue);
    this.fateDue = keep(this.fateDue);
  }

  /** When the receipt or loss of a message is due, if it is known yet. */
  fateOf(msgId) { return this.fateDue.get(msgId); }

  pause() { this.paused = true; }

  resume() { this.paused = false; this.lastWall = null; }

  /** Shows the next buffered event (and moves the clock to it). Returns it, or null if nothing is buffered. */
  step() {
    const p = this.pending.shift();
    if (!p) return null;
    if (p.due > this.clock) this.clock = p.due;
    this.show(p, false);
    return p.e;
  }

  show(p, quiet) {
    this.shown++;
    if (p.i > this.shownUpTo) this.shownUpTo = p.i;
    this.present(p.e, p.due, quiet);
  }

  /**
   * Moves the clock by the wall time since the last call and shows every event due by then.
   * @param now performance.now()
   * @returns the number of events shown
   */
  advance(now) {
    const dt = this.lastWall === null ? 0 : Math.min(now - this.lastWall, 250);
    this.lastWall = now;
    // Paused, the view stands still but the buffer stays bounded: a tab left paused would otherwise keep every event.
    if (this.paused) return this.showOverflow();
    this.clock += dt * this.scale;
    let n = 0;
    if (this.live && this.scale >= 1) {
      // Real time: keep up with the cluster; a backlog (after a slow spell) is shown at once.
      this.clock = Math.max(this.clock, this.newestTs - PLAYOUT_MS);
      while (this.pending.length && this.pending[0].due < this.clock - CATCH_UP_MS) {
        this.show(this.pending.shift(), true);
        this.skipped++;
        n++;
      }
    }
    n += this.showOverflow();
    while (this.pending.length && this.pending[0].due <= this.clock) {
      this.show(this.pending.shift(), false);
      n++;
    }
    return n;
  }

  /** Shows the oldest buffered events at once (no arrows) while more than MAX_PENDING are buffered; returns how many. */
  showOverflow() {
    let n = 0;
    while (this.pending.length > MAX_PENDING) {
      const p = this.pending.shift();
      if (p.due > this.clock) this.clock = p.due;
      this.show(p, true);
      this.skipped++;
      n++;
    }
    return n;
  }

  /** Shows everything buffered at once (no arrows): "jump to now". */
  flush() {
    let n = 0;
    while (this.pending.length) {
      const p = this.pending.shift();
      if (p.due > this.clock) this.clock = p.due;
      this.show(p, true);
      n++;
    }
    this.clock = Math.max(this.clock, this.newestTs - PLAYOUT_MS);
    return n;
  }
}
