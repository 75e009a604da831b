// The grid of a sharded cluster: one row per Raft group, one column per node, each cell the role of that node's
// replica of the group (colours as the drawing's), the group's term and commit index, and per node how many groups it
// leads. A click on a row (or Enter on it, or the selector) asks the server to follow that group in detail
// (`focusGroup` on raft.control): the drawing, the logs, the figures and the timeline then show that group. Hidden
// for a cluster of one group. Rewritten only when what it shows changed.

import { groupsGrid } from './reducer.js';
import { el } from './format.js';

export class GroupsView {
  /**
   * @param root the aside the grid lives in (hidden while there is no grid)
   * @param send (cmd) => Promise of the control reply
   * @param onStatus (text, ok) => void: tells the control panel's status line the outcome
   */
  constructor(root, send, onStatus) {
    this.root = root;
    this.send = send;
    this.onStatus = onStatus;
    this.key = '';
    this.live = true;
    this.pending = null;   // the group asked for and not yet confirmed
    root.addEventListener('click', ev => {
      const row = ev.target.closest('tr[data-group]');
      if (row) this.focus(Number(row.dataset.group));
    });
    root.addEventListener('keydown', ev => {
      const row = ev.target.closest('tr[data-group]');
      if (row && (ev.key === 'Enter' || ev.key === ' ')) {
        ev.preventDefault();
        this.focus(Number(row.dataset.group));
      }
    });
    root.addEventListener('change', ev => {
      if (ev.target.matches('select')) this.focus(Number(ev.target.value));
    });
  }

  /** Live (clicks switch the server's focus) or replay (the grid only shows the recording). */
  setLive(live) {
    this.live = live;
    this.key = '';
  }

  async focus(group) {
    if (!this.live || !this.grid || !this.grid.focusable || group === this.grid.focused || this.pending !== null) return;
    this.pending = group;
    this.root.dataset.pending = String(group);
    try {
      const r = await this.send({ action: 'focusGroup', group });
      if (r && r.ok) this.onStatus(`following group ${r.focusedGroup}`, true);
      else this.onStatus(`focus group ${group}: ${(r && (r.message || r.error)) || 'no reply'}`, false);
    } catch (err) {
      this.onStatus(`focus group ${group}: ${err.message}`, false);
    } finally {
      this.pending = null;
      delete this.root.dataset.pending;
    }
  }

  /** Draws the model's grid (or hides the aside when the cluster has one group). */
  setModel(m) {
    // Most redraws are for other events: nothing to do unless the grid's inputs changed.
    if (m.groups === this.lastGroups && m.members === this.lastMembers && this.live === this.lastLive) return;
    this.lastGroups = m.groups;
    this.lastMembers = m.members;
    this.lastLive = this.live;
    const grid = groupsGrid(m);
    this.grid = grid;
    const key = grid ? JSON.stringify([grid, this.live]) : '';
    if (key === this.key) return;
    this.key = key;
    if (!grid) {
      this.root.hidden = true;
      this.root.replaceChildren();
      this.shape = '';
      return;
    }
    this.root.hidden = false;
    // The table is built when its shape changes (groups, nodes, live or replay), and otherwise only rewritten where
    // a figure changed: an open selector or a focused row stays as it is.
    const shape = JSON.stringify([grid.count, grid.nodes, this.live && grid.focusable]);
    if (shape !== this.shape) {
      this.shape = shape;
      this.build(grid);
    }
    this.root.dataset.count = String(grid.count);
    this.root.dataset.focused = String(grid.focused);
    const set = (node, attr, value) => { if (node.getAttribute(attr) !== value) node.setAttribute(attr, value); };
    const text = (node, value) => { if (node.textContent !== value) node.textContent = value; };
    if (Number(this.select.value) !== grid.focused) this.select.value = String(grid.focused);
    set(this.focusLabel, 'data-group', String(grid.focused));
    for (const id of grid.nodes) {
      text(this.leads.get(id), String(grid.leads[id]));
      set(this.heads.get(id), 'title', `node ${id} leads ${grid.leads[id]} of the ${grid.count} groups`);
    }
    for (const r of grid.rows) {
      const row = this.rows[r.id];
      row.tr.classList.toggle('focused', r.id === grid.focused);
      set(row.tr, 'data-quiet', String(r.quiet));
      set(row.tr, 'aria-selected', String(r.id === grid.focused));
      set(row.tr, 'title', `group ${r.id}: leader ${r.leader ? 'N' + r.leader : 'none'}, term ${r.term}, commit ` +
        `${r.commit}` + (r.quiet ? ' · quiet: idle, no heartbeats until a request or a message wakes it' : '') + (this.live && grid.focusable && r.id !== grid.focused ? ' · click to follow it' : ''));
      for (const id of grid.nodes) {
        const raw = r.roles[String(id)] || 'Down';
        const role = raw === 'PreCandidate' ? 'Candidate' : raw;
        const td = row.cells.get(id);
        set(td, 'data-role', role);
        set(td, 'data-raw-role', raw);
        set(td, 'title', `node ${id}: ${raw} in group ${r.id}`);
        text(td.firstChild, role === 'Leader' ? 'L' : raw === 'PreCandidate' ? 'p' : role === 'Candidate' ? 'C' : '');
      }
      text(row.quiet, r.quiet ? 'z' : '');
      text(row.term, String(r.term));
      text(row.commit, String(r.commit));
    }
  }

  build(grid) {
    const active = this.live && grid.focusable;
    this.root.dataset.focusable = String(grid.focusable);
    this.select = el('select', { 'data-testid': 'group-select', disabled: !active, title: grid.focusable
      ? 'The group the view follows in detail' : 'One node per process: the view follows group 0 (see docs/live-view.md)' });
    for (let i = 0; i < grid.count; i++) this.select.append(el('option', { value: String(i), text: `group ${i}` }));
    this.focusLabel = el('label', { 'data-testid': 'group-focus' }, 'following ', this.select);
    this.leads = new Map();
    this.heads = new Map();
    const head = el('tr', {}, el('th', { text: 'g' }));
    for (const id of grid.nodes) {
      const small = el('small', { 'data-testid': `groups-leads-${id}` });
      const th = el('th', { 'data-testid': `groups-node-${id}` }, `N${id}`, small);
      this.leads.set(id, small);
      this.heads.set(id, th);
      head.append(th);
    }
    head.append(el('th', { text: '', title: 'z: the group is quiet (idle: no heartbeats, no election timers)' }),
      el('th', { text: 'term' }), el('th', { text: 'commit' }));
    const body = el('tbody');
    this.rows = [];
    for (let g = 0; g < grid.count; g++) {
      const tr = el('tr', { 'data-testid': `group-row-${g}`, 'data-group': String(g), tabindex: active ? '0' : null },
        el('td', { class: 'gid', text: String(g) }));
      const cells = new Map();
      for (const id of grid.nodes) {
        const td = el('td', { class: 'cell', 'data-testid': `group-cell-${g}-${id}` }, el('i'));
        cells.set(id, td);
        tr.append(td);
      }
      const quiet = el('td', { class: 'quiet', 'data-testid': `group-quiet-${g}` });
      const term = el('td', { class: 'num', 'data-testid': `group-term-${g}` });
      const commit = el('td', { class: 'num', 'data-testid': `group-commit-${g}` });
      tr.append(quiet, term, commit);
      body.append(tr);
      this.rows.push({ tr, cells, quiet, term, commit });
    }
    this.root.replaceChildren(
      el('div', { class: 'groups-head' }, el('h3', { text: `${grid.count} groups`, title: 'Rows: Raft groups; columns: '
        + 'nodes; a cell is that node\'s role in the group. Click a row to follow that group in detail.' }), this.focusLabel),
      el('table', { class: 'groups-table', 'data-testid': 'groups-table' }, el('thead', {}, head), body));
  }
}
