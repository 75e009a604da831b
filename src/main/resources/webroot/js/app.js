// Wires the live view together: the bridge connection and its resynchronisation, the live store, the
// replay of recordings, and a render loop that redraws at most ~20 times a second whatever the event
// rate. Views only ever see a model (from reducer.js) and the raw events.

import { EventBus } from './bus.js';
import { initialModel, reduce, digest } from './reducer.js';
import { Series } from './series.js';
import { ClusterView, legend } from './cluster-view.js';
import { NodesView } from './nodes-view.js';
import { Dashboard } from './dashboard.js';
import { Controls } from './controls.js';
import { Timeline } from './timeline.js';
import { Recording, parseNdjson } from './replay.js';
import { clockTime } from './format.js';

const EVENTS_KEPT = 60000;
const $ = s => document.querySelector(s);
const byTestId = id => document.querySelector(`[data-testid="${id}"]`);

const live = { events: [], model: initialModel(), series: new Series(), synced: false, buffer: [] };
const replay = { rec: null, pos: 0, playing: false, speed: 1, clock: 0, lastFrame: 0 };
let mode = 'live';
let dirty = true;
let lastRender = 0;

const tooltip = $('#tooltip');
const cluster = new ClusterView($('#cluster-svg'), tooltip);
legend($('#legend'), cluster);
const nodes = new NodesView($('#node-cards'), $('#log-matrix'), $('#clients'));
const dashboard = new Dashboard(byTestId('panel-dashboard'));
const bus = new EventBus('/eventbus');
const controls = new Controls($('#controls'), byTestId('control-status'), cmd => bus.send('raft.control', cmd));
const timeline = new Timeline({ list: $('#timeline-list'), filters: $('#timeline-filters'), inspector: byTestId('inspector'),
  count: byTestId('timeline-count'), follow: byTestId('timeline-follow') });

// ------------------------------------------------------------------ live

function setConnection(state, text) {
  const c = byTestId('connection');
  c.dataset.state = state;
  c.querySelector('span').textContent = text;
}

function applyLive(e) {
  live.model = reduce(live.model, e);
  live.events.push(e);
  live.series.push(live.model, e);
  if (live.events.length > EVENTS_KEPT) live.events = live.events.slice(live.events.length - EVENTS_KEPT * 0.8);
  if (mode === 'live') {
    cluster.onEvent(e);
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
    live.model = initialModel();
    applyLive(r.snapshot);
    for (const e of live.buffer) if (e.seq > live.model.seq) applyLive(e);
    live.buffer = [];
    live.synced = true;
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
  const events = mode === 'replay' && replay.rec ? replay.rec.events : live.events;
  const blob = new Blob(events.map(e => JSON.stringify(e) + '\n'), { type: 'application/x-ndjson' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `raftline-${new Date().toISOString().replace(/[:.]/g, '-')}.ndjson`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 5000);
});

// ------------------------------------------------------------------ replay

const slider = byTestId('replay-slider');
const playBtn = byTestId('replay-play');

function setMode(next) {
  if (next === mode) return;
  mode = next;
  byTestId('mode-live').classList.toggle('on', mode === 'live');
  byTestId('mode-replay').classList.toggle('on', mode === 'replay');
  byTestId('replay-bar').hidden = mode !== 'replay';
  controls.setEnabled(mode === 'live');
  cluster.clear();
  cluster.setSpeed(mode === 'live' ? 1 : replay.speed);
  pauseReplay();
  if (mode === 'live') setConnection(live.synced ? 'live' : 'connecting', live.synced ? 'live' : 'connecting…');
  else setConnection('replay', replay.rec ? 'replay' : 'replay · open a recording');
  dirty = true;
}

byTestId('mode-live').addEventListener('click', () => setMode('live'));
byTestId('mode-replay').addEventListener('click', () => setMode('replay'));

byTestId('replay-file').addEventListener('change', async ev => {
  const file = ev.target.files[0];
  if (!file) return;
  const { events, bad } = parseNdjson(await file.text());
  replay.rec = new Recording(events);
  replay.pos = events.length;
  // The slider is time: milliseconds since the recording's first event.
  slider.max = String(Math.max(0, replay.rec.tsAt(events.length) - replay.rec.tsAt(0)));
  slider.value = slider.max;
  slider.disabled = playBtn.disabled = events.length === 0;
  byTestId('replay-bar').dataset.loaded = String(events.length);
  byTestId('replay-bar').dataset.bad = String(bad);
  cluster.clear();
  setConnection('replay', `replay · ${file.name}`);
  dirty = true;
});

function seek(k) {
  replay.pos = Math.max(0, Math.min(k, replay.rec ? replay.rec.length : 0));
  if (replay.rec) slider.value = String(replay.rec.tsAt(replay.pos) - replay.rec.tsAt(0));
  cluster.clear();
  dirty = true;
}

slider.addEventListener('input', () => {
  pauseReplay();
  if (replay.rec) seek(replay.rec.countAt(replay.rec.tsAt(0) + Number(slider.value)));
});

function pauseReplay() {
  replay.playing = false;
  playBtn.textContent = 'Play';
}

playBtn.addEventListener('click', () => {
  if (!replay.rec) return;
  if (replay.playing) { pauseReplay(); return; }
  if (replay.pos >= replay.rec.length) seek(0);
  replay.playing = true;
  replay.clock = replay.rec.tsAt(replay.pos);
  replay.lastFrame = performance.now();
  playBtn.textContent = 'Pause';
});

byTestId('replay-speed').addEventListener('change', ev => {
  replay.speed = Number(ev.target.value);
  cluster.setSpeed(replay.speed);
});

function stepReplay(now) {
  const rec = replay.rec;
  const dt = now - replay.lastFrame;
  replay.lastFrame = now;
  replay.clock += dt * replay.speed;
  const to = rec.countAt(replay.clock);
  if (to > replay.pos) {
    const n = to - replay.pos;
    for (let i = replay.pos; i < to; i++) if (n < 400) cluster.onEvent(rec.events[i]);
    replay.pos = to;
    slider.value = String(Math.min(replay.clock, rec.tsAt(rec.length)) - rec.tsAt(0));
    dirty = true;
  }
  if (replay.pos >= rec.length) pauseReplay();
}

// ------------------------------------------------------------------ rendering

function current() {
  if (mode === 'replay') {
    const rec = replay.rec;
    if (!rec) return { model: initialModel(), events: [], count: 0, series: new Series(), until: null };
    return { model: rec.modelAt(replay.pos), events: rec.events, count: replay.pos, series: rec.series,
      until: rec.tsAt(replay.pos) / 1000 };
  }
  return { model: live.model, events: live.events, count: live.events.length, series: live.series, until: null };
}

function render() {
  const v = current();
  const m = v.model;
  cluster.setModel(m);
  nodes.setModel(m);
  dashboard.update(m, v.series, v.until);
  if (mode === 'live') controls.setModel(m);
  timeline.setMembers(m.members);
  timeline.setViolations(m.violations);
  timeline.setSource(v.events, v.count);
  timeline.render();
  byTestId('state-seq').textContent = m.seq;
  byTestId('state-digest').dataset.seq = m.seq;
  byTestId('state-digest-value').textContent = digest(m);
  const banner = byTestId('safety-banner');
  if (m.violations.length) {
    const last = m.violations[m.violations.length - 1];
    banner.hidden = false;
    banner.innerHTML = '';
    banner.append('Safety violation: ', Object.assign(document.createElement('b'), { textContent: last.text }),
      ` (event ${last.seq}${m.violations.length > 1 ? `, ${m.violations.length} in all` : ''})`);
    banner.dataset.kind = last.kind;
  } else {
    banner.hidden = true;
  }
  if (mode === 'replay' && replay.rec) {
    byTestId('replay-position').textContent =
      `${clockTime(replay.rec.tsAt(replay.pos))} · +${((replay.rec.tsAt(replay.pos) - replay.rec.tsAt(0)) / 1000).toFixed(1)} s · ` +
      `event ${replay.pos.toLocaleString()} of ${replay.rec.length.toLocaleString()}`;
  }
}

function frame(now) {
  if (mode === 'replay' && replay.playing && replay.rec) stepReplay(now);
  if (dirty && now - lastRender > 50) {
    dirty = false;
    lastRender = now;
    try { render(); } catch (err) { console.error(err); }
  }
  requestAnimationFrame(frame);
}
requestAnimationFrame(frame);
