// The control panel: every button becomes one command on raft.control (see docs/live-view.md), and
// the reply (or the error naming what was wrong) is shown in the panel's status line. The node commands
// (crash, restart, pause, resume, transfer, isolate, rejoin) are methods, shared with the node menus in the
// drawing (node-menu.js), so both send exactly the same commands. While a recording is replayed the panel is
// hidden and refuses to send anything ("replay: live controls off").

import { el, describeFaults } from './format.js';
import { memberKind } from './reducer.js';

const GROUPS = ['A', 'B', 'C'];
// How long the page waits for a membership change's reply: the server retries adding or removing a node for up to
// 30 s (elections and catching up included) and the bridge gives up on a reply after 30 s, so the page waits longer
// than both and shows whichever answer comes (the default 15 s made it report a failure of a change still under way).
const MEMBERSHIP_REPLY_MS = 40000;

/** Writes `disabled` only when it changes (every write restyles the button, and this runs at every redraw). */
function setDisabled(b, off) {
  if (b && b.disabled !== off) b.disabled = off;
}

/** What a fault command did, in words: a node command says what happened to the node, not how the network is. */
function faultOutcome(cmd, faults, members) {
  const node = `node ${cmd.node}`;
  switch (cmd.action) {
    case 'crash': return `${node} crashed`;
    case 'restart': return `${node} restarted`;
    case 'pause': return `${node} paused (frozen; messages to and from it are lost)`;
    case 'resume': return `${node} resumed`;
    case 'pauseCluster': return 'every node paused';
    case 'resumeCluster': return 'every node resumed';
    default: return describeFaults(faults, members);
  }
}

export class Controls {
  /**
   * @param root the panel's container
   * @param status the status line element
   * @param send (cmd, timeoutMs) => Promise<reply> (timeoutMs undefined: the bus's default)
   */
  constructor(root, status, send) {
    this.root = root;
    this.status = status;
    this.send = send;
    this.members = '';
    this.groups = new Map();
    this.model = null;
    this.enabled = true;
    this.busy = false;       // a membership change from this page is under way
    this.picked = undefined; // the node picked for removal or leadership
    this.drawChips = null;   // redraws the partition chips (set by build)
    this.lastStatus = { text: '', cls: '' };
  }

  async run(cmd, label, timeoutMs) {
    if (!this.enabled) {
      // A replay is on screen: nothing is sent to the live cluster from here.
      this.setStatus(`${label}: replay: live controls off`, 'err');
      return null;
    }
    this.setStatus(`${label}…`, '');
    try {
      const r = await this.send(cmd, timeoutMs);
      if (r && r.ok) {
        let text = `${label}: done`;
        if (r.revision !== undefined) text = `${label}: ok, revision ${r.revision} (via node ${r.node})`;
        else if (r.faults) text = `${label}: ${faultOutcome(cmd, r.faults, this.model && this.model.members)}`;
        else if (r.id !== undefined && r.url) text = `${label}: node ${r.id} joined as a voter (${r.url})`;
        else if (r.removed !== undefined) text = `${label}: node ${r.removed} removed and stopped`;
        else if (r.from !== undefined) text = `${label}: node ${r.from} handed over to node ${r.to}`;
        this.setStatus(text, 'ok');
      } else {
        this.setStatus(`${label} refused: ${(r && r.message) || 'no reply'}`, 'err');
      }
      return r;
    } catch (err) {
      this.setStatus(`${label} failed: ${err.message}`, 'err');
      return null;
    }
  }

  setStatus(text, cls) {
    this.lastStatus = { text, cls };
    this.status.textContent = text;
    this.status.className = `status ${cls}`;
    this.status.title = text;
  }

  /**
   * Live controls on (live mode) or off (a recording is replayed): off, the panel's controls are hidden and disabled,
   * `off` (the "replay: live controls off" note) is shown instead, and run() sends nothing.
   */
  setEnabled(on, off) {
    this.enabled = on;
    for (const b of this.root.querySelectorAll('button, input, select')) b.disabled = !on;
    this.root.hidden = !on;
    if (off) off.hidden = on;
    if (!on) this.setStatus('replay: live controls off', '');
    else {
      this.setStatus('', '');
      this.refreshButtons();
    }
  }

  // ---------------------------------------------------------------- node commands (panel and node menus)

  /** crash, restart, pause or resume one node. */
  nodeFault(action, id) {
    return this.run({ action, node: id }, `${action} ${id}`);
  }

  /** The current leader hands leadership over to node `id`. */
  transfer(id, label = `transfer leadership to ${id}`) {
    return this.run({ action: 'transfer', to: id }, label);
  }

  /** The partition in force, as groups covering every member (members no group names are together). */
  groupsNow() {
    const m = this.model;
    if (!m) return [];
    const named = (m.faults.partitions || []).map(g => g.filter(id => m.members.includes(id))).filter(g => g.length);
    const rest = m.members.filter(id => !named.some(g => g.includes(id)));
    return rest.length ? [...named, rest] : named;
  }

  /** Whether node `id` can reach every other member (no partition cuts it from any). */
  reachesAll(id) {
    const g = this.groupsNow().find(x => x.includes(id));
    return !g || g.length === (this.model ? this.model.members.length : 0);
  }

  /** Whether node `id` is alone in its group (cut from every other member). */
  isolated(id) {
    const g = this.groupsNow().find(x => x.includes(id));
    return !!g && g.length === 1 && this.model.members.length > 1;
  }

  /** Sends a partition (the panel's Apply partition does this with the chips' groups) and shows it on the chips. */
  partitionGroups(groups, label = 'partition') {
    this.groups = new Map();
    groups.forEach((g, k) => { for (const id of g) this.groups.set(id, GROUPS[Math.min(k, GROUPS.length - 1)]); });
    if (this.drawChips) this.drawChips();
    return this.run({ action: 'partition', groups }, label);
  }

  /** Cuts node `id` off from every other node; the other partitions, delays and losses stay. */
  isolate(id) {
    const others = this.groupsNow().map(g => g.filter(x => x !== id)).filter(g => g.length);
    return this.partitionGroups([...others, [id]], `isolate ${id}`);
  }

  /**
   * Puts node `id` back with the others: it joins the largest other group (with several, the one with the lowest
   * id), so with one node cut off the network is whole again. Delays, losses and other partitions stay.
   */
  rejoin(id) {
    const others = this.groupsNow().map(g => g.filter(x => x !== id)).filter(g => g.length);
    if (!others.length) return this.partitionGroups([[id]], `rejoin ${id}`);
    let best = others[0];
    for (const g of others) {
      if (g.length > best.length || (g.length === best.length && Math.min(...g) < Math.min(...best))) best = g;
    }
    best.push(id);
    best.sort((a, b) => a - b);
    return this.partitionGroups(others, `rejoin ${id}`);
  }

  /** No partitions, no loss or delay anywhere (the panel's Heal all). */
  heal() {
    for (const id of this.model ? this.model.members : []) this.groups.set(id, 'A');
    if (this.drawChips) this.drawChips();
    return this.run({ action: 'heal' }, 'heal');
  }

  setModel(m) {
    this.model = m;
    // The chips show the partition in force: set again from it whenever it changes (a partition made elsewhere, the
    // admin API, another page, or the one in force when this page loaded), so that Apply never silently replaces it.
    const parts = JSON.stringify(m.faults.partitions || []);
    const key = m.members.join(',');
    const partsChanged = parts !== this.partitionsSeen;
    if (partsChanged || key !== this.members) {
      this.partitionsSeen = parts;
      this.groups = new Map();
      this.groupsNow().forEach((g, k) => { for (const id of g) this.groups.set(id, GROUPS[Math.min(k, GROUPS.length - 1)]); });
    }
    if (key !== this.members) {
      this.members = key;
      this.build(m.members);
    } else if (partsChanged && this.drawChips) {
      this.drawChips();
    }
    this.refreshButtons();
  }

  refreshButtons() {
    const m = this.model;
    if (!m || !this.enabled) return;
    for (const id of m.members) {
      const n = m.nodes[id];
      if (!n) continue;
      const q = s => this.root.querySelector(`[data-testid="${s}-${id}"]`);
      setDisabled(q('btn-crash'), !n.up);
      setDisabled(q('btn-restart'), n.up);
      setDisabled(q('btn-pause'), !n.up || n.paused);
      setDisabled(q('btn-resume'), !n.paused);
      setDisabled(q('btn-lead'), !n.up || n.paused || n.role === 'Leader' || memberKind(m, id) === 'learner');
    }
    const pick = this.root.querySelector('[data-testid="member-pick"]');
    if (pick) {
      const picked = m.nodes[Number(pick.value)];
      setDisabled(this.root.querySelector('[data-testid="btn-make-leader"]'), !picked || picked.role === 'Leader');
      setDisabled(this.root.querySelector('[data-testid="btn-remove-node"]'), this.busy || m.members.length <= 1);
      setDisabled(this.root.querySelector('[data-testid="btn-add-node"]'), this.busy);
    }
  }

  /** Membership changes take a while (a new node catches up first): one at a time from this page. */
  async membershipChange(cmd, label) {
    this.busy = true;
    this.refreshButtons();
    try {
      return await this.run(cmd, label, MEMBERSHIP_REPLY_MS);
    } finally {
      this.busy = false;
      this.refreshButtons();
    }
  }

  build(members) {
    const nodeOptions = (withAuto) => [
      ...(withAuto ? [el('option', { value: '', text: 'leader' })] : []),
      ...members.map(id => el('option', { value: id, text: `node ${id}` })),
    ];
    const num = (testid, value, attrs = {}) => el('input', { type: 'number', 'data-testid': testid, value, min: 0, ...attrs });
    this.root.replaceChildren();

    // Client writes.
    const key = el('input', { type: 'text', 'data-testid': 'client-key', placeholder: 'key', value: 'color' });
    const value = el('input', { type: 'text', 'data-testid': 'client-value', placeholder: 'value', value: 'blue' });
    const target = el('select', { 'data-testid': 'client-node', title: 'Node that receives the request' }, ...nodeOptions(true));
    const withTarget = cmd => (target.value ? { ...cmd, node: Number(target.value) } : cmd);
    this.root.append(el('div', { class: 'ctl-group' }, el('h3', { text: 'Client' }),
      el('div', { class: 'row' }, key, value, target,
        el('button', { class: 'primary', 'data-testid': 'btn-put', text: 'Put',
          onclick: () => this.run(withTarget({ action: 'put', key: key.value, value: value.value }), `put ${key.value}`) }),
        el('button', { 'data-testid': 'btn-delete', text: 'Delete',
          onclick: () => this.run(withTarget({ action: 'delete', key: key.value }), `delete ${key.value}`) }))));

    // Node faults.
    const rows = members.map(id => el('div', { class: 'node-row' }, el('b', { text: `N${id}` }),
      el('div', { class: 'row', style: 'margin:0' },
        el('button', { class: 'danger', 'data-testid': `btn-crash-${id}`, text: 'Crash', onclick: () => this.nodeFault('crash', id) }),
        el('button', { 'data-testid': `btn-restart-${id}`, text: 'Restart', onclick: () => this.nodeFault('restart', id) }),
        el('button', { 'data-testid': `btn-pause-${id}`, text: 'Pause', onclick: () => this.nodeFault('pause', id) }),
        el('button', { 'data-testid': `btn-resume-${id}`, text: 'Resume', onclick: () => this.nodeFault('resume', id) }),
        el('button', { 'data-testid': `btn-lead-${id}`, text: 'Lead', title: 'Leadership transfer: the leader hands over to this node',
          onclick: () => this.transfer(id) }))));
    this.root.append(el('div', { class: 'ctl-group' }, el('h3', { text: 'Nodes' }), ...rows,
      el('div', { class: 'row' },
        el('button', { 'data-testid': 'btn-pause-cluster', text: 'Pause cluster', onclick: () => this.run({ action: 'pauseCluster' }, 'pause cluster') }),
        el('button', { 'data-testid': 'btn-resume-cluster', text: 'Resume cluster', onclick: () => this.run({ action: 'resumeCluster' }, 'resume cluster') }))));

    // Membership: add a node (it joins as a learner and is promoted once caught up), remove one, move leadership.
    const pick = el('select', { 'data-testid': 'member-pick', title: 'The node to remove or to make leader' },
      ...nodeOptions(false));
    pick.value = String(this.picked !== undefined && members.includes(this.picked) ? this.picked : members[members.length - 1]);
    pick.addEventListener('change', () => { this.picked = Number(pick.value); this.refreshButtons(); });
    this.root.append(el('div', { class: 'ctl-group' }, el('h3', { text: 'Membership' }),
      el('div', { class: 'row' },
        el('button', { class: 'primary', 'data-testid': 'btn-add-node', text: 'Add node',
          title: 'Start one more node here; it joins as a learner and becomes a voter once caught up',
          onclick: () => this.membershipChange({ action: 'addNode' }, 'add node') }),
        pick,
        el('button', { class: 'danger', 'data-testid': 'btn-remove-node', text: 'Remove node',
          title: 'Remove the picked node from the membership (through the leader), then stop it',
          onclick: () => this.membershipChange({ action: 'removeNode', node: Number(pick.value) }, `remove node ${pick.value}`) }),
        el('button', { 'data-testid': 'btn-make-leader', text: 'Make leader',
          title: 'Leadership transfer: the leader catches the picked node up and hands over',
          onclick: () => this.transfer(Number(pick.value), `make ${pick.value} leader`) })),
      el('div', { class: 'hint', text: 'Learners are drawn dashed: they replicate the log but do not vote.' })));

    // Partitions: click a node to move it to the next group.
    for (const id of members) if (!this.groups.has(id)) this.groups.set(id, 'A');
    const chips = el('div', { class: 'chips' });
    const drawChips = this.drawChips = () => {
      chips.replaceChildren(...members.map(id => el('button', { class: 'chip', 'data-testid': `partition-chip-${id}`,
        'data-group': this.groups.get(id), text: `N${id} · ${this.groups.get(id)}`, title: 'Click to move to the next group',
        onclick: () => {
          this.groups.set(id, GROUPS[(GROUPS.indexOf(this.groups.get(id)) + 1) % GROUPS.length]);
          drawChips();
        } })));
    };
    drawChips();
    const partition = () => {
      const byGroup = new Map();
      for (const id of members) {
        const g = this.groups.get(id);
        if (!byGroup.has(g)) byGroup.set(g, []);
        byGroup.get(g).push(id);
      }
      return this.partitionGroups([...byGroup.values()], 'partition');
    };
    this.root.append(el('div', { class: 'ctl-group' }, el('h3', { text: 'Network' }),
      el('div', { class: 'row' }, chips),
      el('div', { class: 'row' },
        el('button', { 'data-testid': 'btn-partition', text: 'Apply partition', onclick: partition }),
        el('button', { 'data-testid': 'btn-heal', class: 'primary', text: 'Heal all', onclick: () => this.heal() })),
      el('div', { class: 'hint', text: 'Nodes in different groups cannot talk. Heal clears partitions and every delay and loss.' })));

    // Per-link and global delay / loss.
    const from = el('select', { 'data-testid': 'link-from' }, ...nodeOptions(false));
    const to = el('select', { 'data-testid': 'link-to' }, ...nodeOptions(false));
    if (members.length > 1) to.value = String(members[1]);
    const dmin = num('link-delay-min', 80, { max: 60000, title: 'min delay (ms)' });
    const dmax = num('link-delay-max', 160, { max: 60000, title: 'max delay (ms)' });
    const drop = el('input', { type: 'range', 'data-testid': 'link-drop', min: 0, max: 100, value: 0, step: 5 });
    const dropLabel = el('span', { class: 'mono', text: '0%' });
    drop.addEventListener('input', () => { dropLabel.textContent = `${drop.value}%`; });
    const both = el('input', { type: 'checkbox', 'data-testid': 'link-both', checked: true });
    const linkCmd = () => ({ action: 'link', from: Number(from.value), to: Number(to.value),
      delayMs: [Number(dmin.value), Number(dmax.value)], dropRate: Number(drop.value) / 100, bidirectional: both.checked });
    this.root.append(el('div', { class: 'ctl-group' }, el('h3', { text: 'Delay & loss' }),
      el('div', { class: 'row' }, el('label', {}, 'link', from, '→', to), el('label', {}, both, 'both ways')),
      el('div', { class: 'row' }, el('label', {}, 'delay', dmin, '–', dmax, 'ms'), el('label', {}, 'loss', drop, dropLabel)),
      el('div', { class: 'row' },
        el('button', { 'data-testid': 'btn-link', text: 'Apply to link', onclick: () => this.run(linkCmd(), `link ${from.value}→${to.value}`) }),
        el('button', { 'data-testid': 'btn-link-clear', text: 'Clear link', onclick: () => this.run({ ...linkCmd(), delayMs: [0, 0], dropRate: 0 }, `clear ${from.value}→${to.value}`) }),
        el('button', { 'data-testid': 'btn-network', text: 'Apply to all links', onclick: () => this.run({ action: 'network',
          delayMs: [Number(dmin.value), Number(dmax.value)], dropRate: Number(drop.value) / 100 }, 'network') }))));
  }
}
