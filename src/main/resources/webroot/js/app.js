// Wires the live view together: the bridge connection and its resynchronisation, the live store, the
// replay of recordings, the players that show events in causal order at a chosen time scale (player.js), and a
// render loop: arrows and timers move every frame, panels are redrawn at most ~20 times a second, and only
// when what they show changed. A replay never shows anything of the live cluster: live events go on being folded
// behind it (live.model, live.shown) but are drawn only in live mode, and the live controls (the panel and the node
// menus' actions) are off while a recording is on screen.

import { EventBus } from './bus.js';
import { initialModel, reduce, reduceAll, digest, snapshotEvent } from './reducer.js';
import { Series } from './series.js';
import { ClusterView, legend } from './cluster-view.js';
import { NodesView } from './nodes-view.js';
import { Dashboard } from './dashboard.js';
import { Controls } from './controls.js';
import { NodeMenu } from './node-menu.js';
import { GroupsView } from './groups-view.js';
import { Timeline } from './timeline.js';
import { Recording, parseNdjson } from './replay.js';
import { Player } from './player.js';
import { clockTime } from './format.js';

const EVENTS_KEPT = 60000;
const $ = s => document.querySelector(s);
const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

// live.model folds every event received (the truth the controls act on); live.shown folds what the player has
// shown so far. live.base is the model before live.events[0] (older events were trimmed), live.trimmed counts them.
// Each source keeps its own timing (the configured election timeout the rings are drawn over, if it said).
// live.resync: the last time the server resynchronised this page (it fell behind and events were dropped), or null.
const live = { events: [], model: initialModel(), shown: initialModel(), base: initialModel(), trimmed: 0,
  series: new Series(), synced: false, buffer: [], timing: null, resync: null };
const replay = { rec: null, feed: 0, pos: 0, shown: initialModel(), playing: false, timing: null, bad: 0 };
let mode = 'live';
let dirty = true;
// The live model changed: the controls and node menus (which act on the newest state, whatever the view shows) are
// redrawn even when nothing new is shown (the view paused or slowed, a replay on screen).
let liveDirty = true;
let lastRender = 0;

const tooltip = $('#tooltip');
const cluster = new ClusterView($('#cluster-svg'), tooltip);
legend($('#legend'), cluster);
const nodes = new NodesView($('#node-cards'), $('#log-matrix'), $('#clients'));
// A click on a log entry (in a card or the matrix) pins it in the drawing's inspector.
for (const root of [$('#node-cards'), $('#log-matrix')]) {
  root.addEventListener('click', ev => {
    const el = ev.target.closest('[data-testid^="log-entry-"], [data-testid^="cell-"]');
    const m = el && /^(?:log-entry|cell)-(\d+)-(\d+)$/.exec(el.getAttribute('data-testid'));
    if (m && (el.dataset.term || el.classList.contains('entry'))) cluster.pin({ kind: 'entry', node: Number(m[1]), i: Number(m[2]) });
  });
}
const dashboard = new Dashboard(document.querySelector('main.grid')); // key figures and charts
const bus = new EventBus('/eventbus');
const controls = new Controls($('#controls'), byTestId('control-status'),
  (cmd, timeoutMs) => bus.send('raft.control', cmd, timeoutMs));
const nodeMenu = new NodeMenu($('.cluster-box'), cluster, controls);
// A sharded cluster's grid of groups x nodes; a click on a group follows it (hidden for one group).
const groupsView = new GroupsView(byTestId('groups-grid'), cmd => bus.send('raft.control', cmd),
  (text, ok) => controls.setStatus(text, ok ? 'ok' : 'err'));
const groupTag = byTestId('cluster-group');
const valuesHidden = byTestId('values-hidden');
document.body.dataset.mode = mode;
const timeline = new Timeline({ list: $('#timeline-list'), filters: $('#timeline-filters'), inspector: byTestId('inspector'),
  count: byTestId('timeline-count'), follow: byTestId('timeline-follow') });

const livePlayer = new Player((e, due, quiet) => {
  live.shown = reduce(live.shown, e);
  live.series.push(live.shown, e);
  // Another group followed from here: nothing drawn of the old group's messages and timers stays.
  if (mode === 'live' && e.type === 'FocusChanged') cluster.clear();
  if (mode === 'live') cluster.onEvent(e, due, quiet);
  dirty = true;
}, { live: true });

const replayPlayer = new Player((e, due, quiet) => {
  replay.shown = reduce(replay.shown, e);
  if (mode === 'replay' && e.type === 'FocusChanged') cluster.clear();
  if (mode === 'replay') cluster.onEvent(e, due, quiet);
  dirty = true;
});
replayPlayer.pause();

const player = () => (mode === 'live' ? livePlayer : replayPlayer);
// Test hook: the shown player's virtual clock (cluster time, ms), which frame timing does not distort.
(globalThis.__raftline = globalThis.__raftline || {}).clock = () => player().clock;

// ------------------------------------------------------------------ live

function setConnection(state, text) {
  const c = byTestId('connection');
  c.dataset.state = state;
  c.querySelector('span').textContent = text;
}

/** The timing a ClusterInfo or Snapshot carries, else the one known. */
const timingOf = (e, known) => ((e.type === 'ClusterInfo' || e.type === 'Snapshot') && e.raft ? e.raft : known);

function applyLive(e) {
  if (e.type === 'Snapshot' && e.resync) {
    // The server dropped events this page was too slow to take and starts it again from this snapshot: the events
    // after the last one received and up to the snapshot never arrived (the view is right again, its history is not).
    live.resync = { after: live.model.seq, upTo: e.seq, ts: e.ts, count: (live.resync ? live.resync.count : 0) + 1 };
    dirty = true;
  }
  live.model = reduce(live.model, e);
  liveDirty = true;
  live.timing = timingOf(e, live.timing);
  live.events.push(e);
  livePlayer.push(e);
  if (live.events.length > EVENTS_KEPT) {
    // Keep the newest events; what the older ones built is kept as the base model, so a saved recording still
    // starts from the cluster's state (a Snapshot event) rather than from nothing.
    const cut = live.events.length - EVENTS_KEPT * 0.8;
    live.base = reduceAll(live.base, live.events.slice(0, cut));
    live.events = live.events.slice(cut);
    live.trimmed += cut;
    dirty = true;
  }
}

bus.register('raft.events', e => {
  if (!live.synced) live.buffer.push(e);
  else if (e.seq > live.model.seq) applyLive(e);
});

async function sync() {
  live.synced = false;
  live.buffer = [];
  setConnection('connecting', 'synchronising…');
  try {
    const r = await bus.send('raft.control', { action: 'state' });
    if (r && r.error === 'forbidden') {
      askForToken(r.message);
      return;
    }
    if (!r || !r.ok) throw new Error((r && r.message) || 'no state');
    const snap = r.snapshot;
    live.model = reduce(initialModel(), snap);
    live.shown = live.model;
    live.base = initialModel();
    live.events = [snap];
    live.trimmed = 0;
    live.resync = null;
    livePlayer.reset(snap.ts || Date.now());
    live.timing = timingOf(snap, live.timing);
    if (mode === 'live' && snap.raft) cluster.setTiming(snap.raft); // not into a replay on screen
    for (const e of live.buffer) if (e.seq > live.model.seq) applyLive(e);
    live.buffer = [];
    live.synced = true;
    if (mode === 'live') cluster.clear();
    setConnection(mode === 'live' ? 'live' : 'replay', mode === 'live' ? 'live' : 'replaying · live connected');
    dirty = true;
  } catch (err) {
    setConnection('closed', `sync failed: ${err.message}`);
    setTimeout(() => { if (bus.state === 'open') sync(); }, 1000);
  }
}

// The server refuses the page's commands and subscriptions without the admin token when this browser is not on
// the server's loopback: ask for it in the page, keep it for this tab only (sessionStorage), and reconnect with it.
const authForm = byTestId('auth-form');
function askForToken(message) {
  setConnection('closed', 'admin token required');
  byTestId('auth-message').textContent = bus.token ? `Token refused: ${message}` : 'The server asks for the admin token';
  authForm.hidden = false;
  byTestId('auth-token').focus();
}
authForm.addEventListener('submit', ev => {
  ev.preventDefault();
  const input = byTestId('auth-token');
  authForm.hidden = true;
  bus.setToken(input.value.trim());
  input.value = '';
});

bus.on('open', sync);
bus.on('close', () => { live.synced = false; setConnection('closed', 'disconnected · retrying'); });
bus.on('error', f => console.warn('bridge refused a frame:', f.body));
bus.connect();

byTestId('save-recording').addEventListener('click', () => {
  let events;
  if (mode === 'replay' && replay.rec) events = replay.rec.events;
  else events = live.trimmed ? [snapshotEvent(live.base), ...live.events] : live.events;
  const blob = new Blob(events.map(e => JSON.stringify(e) + '\n'), { type: 'application/x-ndjson' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `raftline-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
});

// ------------------------------------------------------------------ time: speed, pause, step

const speedSel = byTestId('live-speed');
const pauseBtn = byTestId('live-pause');
const stepBtn = byTestId('live-step');
const jumpBtn = byTestId('live-jump');
const behindEl = byTestId('live-behind');

function drawTransport() {
  const p = player();
  pauseBtn.textContent = p.paused ? '▶ Resume' : '❚❚ Pause';
  pauseBtn.dataset.paused = String(p.paused);
  pauseBtn.setAttribute('aria-pressed', String(p.paused));
  // In replay, with no recording (or an empty one) there is nothing to resume or step through.
  const nothing = mode === 'replay' && !(replay.rec && replay.rec.length);
  if (pauseBtn.disabled !== nothing) pauseBtn.disabled = nothing;
  if (stepBtn.disabled !== nothing) stepBtn.disabled = nothing;
  speedSel.value = String(livePlayer.scale);
  speedSel.hidden = mode !== 'live';
  jumpBtn.hidden = mode !== 'live';
}

speedSel.addEventListener('change', () => {
  livePlayer.setScale(Number(speedSel.value));
  dirty = true;
});
pauseBtn.addEventListener('click', () => {
  if (mode === 'replay') { if (replay.playing) pauseReplay(); else startReplay(); return; }
  if (livePlayer.paused) livePlayer.resume(); else livePlayer.pause();
  drawTransport();
  drawBehind(); // the counters as of the pause: final while it lasts
  dirty = true;
});
stepBtn.addEventListener('click', () => {
  if (mode === 'replay') {
    pauseReplay();
    if (!replayPlayer.backlog && replay.rec && replay.feed < replay.rec.length) {
      replayPlayer.push(replay.rec.events[replay.feed], replay.feed);
      replay.feed++;
    }
    replayPlayer.step();
    followReplay();
  } else {
    livePlayer.pause();
    livePlayer.step();
  }
  drawTransport();
  drawBehind();
  dirty = true;
});
jumpBtn.addEventListener('click', () => {
  livePlayer.flush();
  cluster.clear();
  dirty = true;
});

// ------------------------------------------------------------------ replay

const slider = byTestId('replay-slider');
const playBtn = byTestId('replay-play');
const positionEl = byTestId('replay-position');

function setMode(next) {
  if (next === mode) return;
  mode = next;
  byTestId('mode-live').classList.toggle('on', mode === 'live');
  byTestId('mode-replay').classList.toggle('on', mode === 'replay');
  byTestId('replay-bar').hidden = mode !== 'replay';
  document.body.dataset.mode = mode;
  // The live controls are off while a recording is on screen, and say so (in the panel and over the drawing).
  controls.setEnabled(mode === 'live', byTestId('live-controls-off'));
  byTestId('replay-controls-off').hidden = mode === 'live';
  byTestId('replay-truncated').hidden = mode === 'live' || !replay.rec
    || !replay.rec.events.some(e => e.type === 'RecordingTruncated');
  nodeMenu.setLive(mode === 'live');
  groupsView.setLive(mode === 'live');
  // Nothing drawn from one source stays for the other: arrows, timers, link flow, timing, the pinned item.
  cluster.resetSource(mode === 'live' ? live.timing : replay.timing);
  pauseReplay();
  if (mode === 'live') setConnection(live.synced ? 'live' : 'connecting', live.synced ? 'live' : 'connecting…');
  else setConnection('replay', replay.rec ? 'replay' : 'replay · open a recording');
  drawTransport();
  dirty = true;
}

byTestId('mode-live').addEventListener('click', () => setMode('live'));
byTestId('mode-replay').addEventListener('click', () => setMode('replay'));
byTestId('back-to-live').addEventListener('click', () => setMode('live'));

byTestId('replay-file').addEventListener('change', async ev => {
  const file = ev.target.files[0];
  if (!file) return;
  const { events, bad } = parseNdjson(await file.text());
  replay.bad = bad;
  replay.rec = new Recording(events);
  replay.timing = events.reduce((t, e) => t || timingOf(e, null), null);
  cluster.resetSource(replay.timing);
  // The slider is time: milliseconds since the recording's first event.
  slider.max = String(Math.max(0, replay.rec.tsAt(events.length) - replay.rec.tsAt(0)));
  seek(events.length);
  slider.disabled = playBtn.disabled = events.length === 0;
  byTestId('replay-bar').dataset.loaded = String(events.length);
  byTestId('replay-bar').dataset.bad = String(bad);
  // A recording its recorder cut at the size bound ends early: say so, or its end reads as the run's.
  const cut = events.find(e => e.type === 'RecordingTruncated');
  const cutNote = byTestId('replay-truncated');
  cutNote.hidden = !cut;
  cutNote.textContent = cut ? `This recording was cut at ${clockTime(cut.ts)} (its size bound, `
    + `${Number(cut.maxBytes || 0).toLocaleString()} bytes): the run went on, later events were not recorded.` : '';
  setConnection('replay', `replay · ${file.name}`);
  drawTransport(); // Resume and Step: on with events to show
  dirty = true;
});

function seek(k) {
  const rec = replay.rec;
  replay.feed = replay.pos = Math.max(0, Math.min(k, rec ? rec.length : 0));
  replay.shown = rec ? rec.modelAt(replay.pos) : initialModel();
  replayPlayer.reset(rec ? rec.tsAt(replay.pos) : 0);
  drawReplayPosition();
  cluster.clear();
  dirty = true;
}

/**
 * The replay's position after its player moved (a frame, a step): how many of the recording's events are shown (those
 * before the oldest one the player still holds; all of them once it holds none and has been fed everything), then the
 * slider and the readout.
 */
function followReplay() {
  const rec = replay.rec;
  if (!rec) return;
  replay.pos = Math.min(replay.feed, replayPlayer.oldestPendingIndex());
  if (replay.feed >= rec.length && !replayPlayer.backlog) replay.pos = rec.length;
  drawReplayPosition();
}

/**
 * The slider and the position readout, both from the playhead (the replay player's clock, within the recording), so
 * that every move of it, whatever made it (play, step, seek, the restart of Play at the end), shows in both at once.
 * Before, only a playing replay moved the slider: a step left it where it was until Play.
 */
function drawReplayPosition() {
  const rec = replay.rec;
  if (!rec) return;
  const start = rec.tsAt(0);
  const t = Math.min(Math.max(replayPlayer.clock, start), rec.tsAt(rec.length));
  const ms = Math.round(t - start);
  if (slider.value !== String(ms)) slider.value = String(ms);
  // Lines that are not events (not JSON, or without a type) are left out, and said so: a file that is not NDJSON at
  // all reads "empty recording · 12 lines unreadable", not as if it held nothing.
  const bad = replay.bad ? ` · ${replay.bad.toLocaleString()} line${replay.bad === 1 ? '' : 's'} unreadable` : '';
  const text = (rec.length
    ? `${clockTime(Math.round(t))} · +${(ms / 1000).toFixed(1)} s · event ${replay.pos.toLocaleString()} of ${rec.length.toLocaleString()}`
    : 'empty recording') + bad;
  if (positionEl.textContent !== text) positionEl.textContent = text;
  positionEl.dataset.count = String(replay.pos);
}

slider.addEventListener('input', () => {
  pauseReplay();
  if (replay.rec) seek(replay.rec.countAt(replay.rec.tsAt(0) + Number(slider.value)));
});

function pauseReplay() {
  replay.playing = false;
  replayPlayer.pause();
  playBtn.textContent = 'Play';
  drawTransport();
}

function startReplay() {
  if (!replay.rec) return;
  if (replay.pos >= replay.rec.length) seek(0);
  replay.playing = true;
  replayPlayer.resume();
  playBtn.textContent = 'Pause';
  drawTransport();
}

playBtn.addEventListener('click', () => {
  if (replay.playing) pauseReplay(); else startReplay();
});

byTestId('replay-speed').addEventListener('change', ev => {
  replayPlayer.setScale(Number(ev.target.value));
});

/** Hands the replay player the recording's events as its clock comes near them, and shows what is due. */
function stepReplay(now) {
  const rec = replay.rec;
  const horizon = replayPlayer.clock + 1000 * Math.max(1, replayPlayer.scale);
  while (replay.feed < rec.length && (rec.events[replay.feed].ts || 0) <= horizon) {
    replayPlayer.push(rec.events[replay.feed], replay.feed);
    replay.feed++;
  }
  replayPlayer.advance(now);
  followReplay();
  if (replay.pos >= rec.length && replay.playing) pauseReplay();
}

// ------------------------------------------------------------------ rendering

/** How many of the live events are shown: those before the oldest one the player still holds. */
function liveShownCount() {
  const s = livePlayer.oldestPendingSeq();
  if (s === Infinity) return live.events.length;
  let lo = 0, hi = live.events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (live.events[mid].seq < s) lo = mid + 1; else hi = mid;
  }
  return lo;
}

function current() {
  if (mode === 'replay') {
    const rec = replay.rec;
    if (!rec) return { model: initialModel(), events: [], count: 0, series: new Series(), until: null };
    return { model: replay.shown, events: rec.events, count: replay.pos, series: rec.series,
      until: rec.tsAt(replay.pos) / 1000 };
  }
  return { model: live.shown, events: live.events, count: liveShownCount(), series: live.series, until: null };
}

let lastBanner = null;
let lastBehind = 0;

/** What follows the newest live state rather than the state shown: the control panel, the node menus, the live seq. */
function renderLive() {
  liveDirty = false;
  if (mode === 'live') controls.setModel(live.model);
  nodeMenu.update(live.model);
  const conn = byTestId('connection');
  if (conn.dataset.liveSeq !== String(live.model.seq)) conn.dataset.liveSeq = String(live.model.seq); // live goes on
}

function render() {
  const v = current();
  const m = v.model;
  cluster.setModel(m);
  groupsView.setModel(m);
  const tag = m.groups && m.groups.count > 1 ? `group ${m.groups.focused} of ${m.groups.count}` : '';
  if (groupTag.textContent !== tag) {
    groupTag.textContent = tag;
    groupTag.hidden = !tag;
    groupTag.dataset.group = m.groups ? String(m.groups.focused) : '';
  }
  const hiding = m.eventValues === 'hide' ? 'values hidden' : m.eventValues === 'hide_keys' ? 'keys and values hidden' : '';
  if (valuesHidden.textContent !== hiding) {
    valuesHidden.textContent = hiding;
    valuesHidden.hidden = !hiding;
  }
  if (!nodes.setModel(m)) dirty = true; // put off under load: drawn at a later frame
  if (!dashboard.update(m, v.series, v.until)) dirty = true; // charts and bars put off under load
  renderLive();
  timeline.setMembers(m.members);
  timeline.setViolations(m.violations);
  timeline.setSource(v.events, v.count);
  if (!timeline.renderSoon()) dirty = true; // put off under load: drawn at a later frame
  byTestId('state-seq').textContent = m.seq;
  byTestId('state-digest').dataset.seq = m.seq;
  byTestId('state-digest-value').textContent = digest(m);
  const banner = byTestId('safety-banner');
  const last = m.violations.length ? m.violations[m.violations.length - 1] : null;
  if (last !== lastBanner) {
    lastBanner = last;
    if (last) {
      banner.hidden = false;
      banner.replaceChildren('Safety violation: ', Object.assign(document.createElement('b'), { textContent: last.text }),
        ` (event ${last.seq}${m.violations.length > 1 ? `, ${m.violations.length} in all` : ''})`);
      banner.dataset.kind = last.kind;
    } else {
      banner.hidden = true;
    }
  }
  const trimmed = byTestId('trimmed-note');
  trimmed.hidden = mode !== 'live' || !live.trimmed;
  if (live.trimmed) trimmed.textContent = `history trimmed: the oldest ${live.trimmed.toLocaleString()} events are kept as a snapshot`;
  const resync = byTestId('resync-note');
  const rs = live.resync;
  resync.hidden = mode !== 'live' || !rs;
  if (rs) {
    resync.textContent = `This page fell behind and was resynchronised at ${clockTime(rs.ts)}: events after seq `
      + `${rs.after.toLocaleString()} up to seq ${rs.upTo.toLocaleString()} were not received (the state shown is the `
      + `server's, the timeline misses them)${rs.count > 1 ? `; ${rs.count} times in all` : ''}.`;
  }
}

function drawBehind() {
  const p = player();
  const n = p.backlog;
  const text = n ? `${n.toLocaleString()} event${n === 1 ? '' : 's'} buffered` : '';
  if (behindEl.textContent !== text) behindEl.textContent = text;
  behindEl.dataset.count = String(n);
  behindEl.dataset.shown = String(p.shown);
  jumpBtn.disabled = !n || mode !== 'live';
}

function frame(now) {
  try {
    if (mode === 'replay') { if (replay.rec) stepReplay(now); } else livePlayer.advance(now);
    if (mode === 'replay') livePlayer.advance(now); // the live view goes on behind the replay
    const p = player();
    cluster.frame(p.clock, p.scale, id => p.fateOf(id));
    if (now - lastBehind > 200) { lastBehind = now; drawBehind(); } // a counter, not an animation
    if ((dirty || liveDirty) && now - lastRender > 50) {
      lastRender = now;
      if (dirty) {
        dirty = false;
        render();
      } else {
        renderLive(); // nothing new shown (paused, slowed, a replay on screen), but the live cluster moved on
      }
    }
  } catch (err) {
    console.error(err);
  }
  requestAnimationFrame(frame);
}
drawTransport();
requestAnimationFrame(frame);
