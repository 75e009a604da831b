// A node's action menu, on the drawing beside the node. A click on a node (or Enter / Space on a focused node) pins
// the node's details in the drawing's corner, as before, and opens this menu beside it: crash or restart, pause or
// resume, make leader (transfer), isolate or rejoin. Each item calls the control panel's own method (controls.js),
// so the menu sends exactly the panel's raft.control commands and its result also shows in the panel's status line.
//
// The menu follows the newest state (what the commands act on), like the panel's buttons: slowed or paused, the
// drawing may show an older state than the menu. Escape closes it (focus goes back to the node), so does a click
// outside it or a second click on the node; the pinned details stay until a click elsewhere or their ×. Arrow keys,
// Home and End move between the items, Tab leaves. While a recording is replayed the menu has no actions, only the
// note "replay: live controls off".

import { el } from './format.js';
import { memberKind } from './reducer.js';

// After an action the item that undoes it takes its place: the focus follows it there, so that a second Enter undoes
// (pause, then resume) and never lands on another item (Crash, the first).
const COUNTERPART = { pause: 'resume', resume: 'pause', crash: 'restart', restart: 'crash', isolate: 'heal',
  heal: 'isolate' };

export class NodeMenu {
  /**
   * @param box the drawing's box (.cluster-box): the menu is placed in it, over the drawing
   * @param view the ClusterView (where nodes are, pinning)
   * @param controls the Controls whose commands the items run
   */
  constructor(box, view, controls) {
    this.box = box;
    this.view = view;
    this.controls = controls;
    this.id = null;          // the node whose menu is open
    this.live = true;        // false while a recording is replayed
    this.model = null;       // the newest live state
    this.drawn = '';         // signature of what the menu shows
    this.size = { w: 0, h: 0 };
    this.status = null;      // { text, cls } of the last action from this menu
    this.root = el('div', { class: 'node-menu', role: 'menu', tabindex: '-1', hidden: true });
    box.append(this.root);
    view.onNodeActivate = (id, byKeyboard) => this.toggle(id, byKeyboard);
    this.root.addEventListener('click', ev => {
      const b = ev.target.closest('button[data-action]');
      if (b && !b.disabled) this.act(b.dataset.action);
    });
    this.root.addEventListener('keydown', ev => this.onKey(ev));
    // Escape closes the menu wherever the focus is (after a mouse click it is on the node, not in the menu).
    document.addEventListener('keydown', ev => {
      if (this.id === null) return;
      if (ev.key === 'Escape') {
        ev.preventDefault();
        this.close(true);
      } else if (ev.key === 'ArrowDown' && document.activeElement
        && document.activeElement.getAttribute('data-testid') === `node-${this.id}`) {
        ev.preventDefault(); // opened with the mouse: the arrow keys enter the menu
        this.focusItem(0);
      }
    });
    // A press outside the menu closes it; one on a node is the node's own click (toggle or move), handled there.
    document.addEventListener('pointerdown', ev => {
      if (this.id === null || this.root.contains(ev.target)) return;
      if (ev.target.closest && ev.target.closest('#cluster-svg g.node-g')) return;
      this.close(false);
    }, true);
  }

  /** Live (the menu acts) or replay (it only says the live controls are off). */
  setLive(live) {
    if (live === this.live) return;
    this.live = live;
    this.close(false);
  }

  /** The newest live state: redraws the open menu if what it offers changed, and keeps it beside its node. */
  update(model) {
    this.model = model;
    if (this.id === null) return;
    if (this.live && model && !model.nodes[this.id]) { this.close(false); return; } // the node was removed
    this.draw();
    this.place();
  }

  toggle(id, byKeyboard) {
    if (this.id === id && !byKeyboard) this.close(false);
    else this.open(id, byKeyboard);
  }

  open(id, focusFirst) {
    if (this.id !== id) this.status = null;
    this.id = id;
    this.view.noTipFor = id;
    this.drawn = '';
    this.root.hidden = false;
    this.draw();
    this.place();
    if (focusFirst) this.focusItem(0);
  }

  close(returnFocus) {
    if (this.id === null) return;
    const id = this.id;
    this.id = null;
    this.view.noTipFor = null;
    this.root.hidden = true;
    this.root.removeAttribute('data-testid');
    if (returnFocus) {
      const node = document.querySelector(`#cluster-svg [data-testid="node-${id}"]`);
      if (node) node.focus();
    }
  }

  /** The items that apply to node `id` now: [action, label, disabled reason or '', danger]. */
  items(id) {
    const m = this.model;
    const n = m && m.nodes[id];
    if (!n) return [];
    const c = this.controls;
    const out = [];
    out.push(n.up ? ['crash', 'Crash', '', true] : ['restart', 'Restart', '', false]);
    if (n.paused) out.push(['resume', 'Resume', '', false]);
    else if (n.up) out.push(['pause', 'Pause (freeze)', '', false]);
    const why = !n.up ? 'it is down' : n.paused ? 'it is paused' : n.role === 'Leader' ? 'it leads already'
      : memberKind(m, id) === 'learner' ? 'a learner cannot lead' : '';
    out.push(['transfer', 'Make leader', why, false]);
    if (!c.isolated(id)) out.push(['isolate', 'Isolate (partition it off)', '', false]);
    if (!c.reachesAll(id)) out.push(['heal', 'Heal (rejoin the others)', '', false]);
    return out;
  }

  draw() {
    const id = this.id;
    const n = this.model && this.model.nodes[id];
    const items = this.live ? this.items(id) : [];
    const status = this.status ? `${this.status.cls}:${this.status.text}` : '';
    const sig = `${id}|${this.live}|${n ? n.role : ''}|${items.map(i => i.join('/')).join(',')}|${status}`;
    if (sig === this.drawn) return;
    this.drawn = sig;
    const focusedEl = this.root.contains(document.activeElement) && document.activeElement.dataset
      ? document.activeElement : null;
    const focused = focusedEl ? focusedEl.dataset.action : undefined;
    const focusedAt = focusedEl ? this.buttons().indexOf(focusedEl) : -1;
    this.root.setAttribute('data-testid', `node-menu-${id}`);
    this.root.setAttribute('aria-label', `Actions for node ${id}`);
    const head = el('h4', {}, el('b', { text: `N${id}` }),
      el('span', { class: 'muted', text: this.live && n ? (n.up ? (n.paused ? `${n.role} · paused` : n.role) : 'down') : '' }));
    const kids = [head];
    if (!this.live) {
      kids.push(el('div', { class: 'off', 'data-testid': 'node-menu-off', text: 'replay: live controls off' }));
    } else {
      for (const [action, label, why, danger] of items) {
        kids.push(el('button', { type: 'button', role: 'menuitem', class: danger ? 'danger' : '',
          'data-testid': `node-action-${action}`, 'data-action': action, tabindex: '-1', text: label,
          disabled: !!why, title: why ? `Not now: ${why}` : this.title(action, id) }));
      }
      if (this.status) {
        kids.push(el('div', { class: `status ${this.status.cls}`, 'data-testid': 'node-menu-status', text: this.status.text,
          role: 'status' }));
      }
    }
    kids.push(el('div', { class: 'hint', text: 'details pinned in a corner · Esc closes' }));
    this.root.replaceChildren(...kids);
    // Measured when what it shows changed (an action, a change of the node), never per frame.
    this.size = { w: this.root.offsetWidth, h: this.root.offsetHeight };
    if (focused) this.refocus(focused, focusedAt);
  }

  /**
   * Gives the focus back after a redraw: to the same item, else to its counterpart (Pause became Resume), else to the
   * item now at the same place; never to a dangerous item (Crash) it was not on, which takes the next safe one.
   */
  refocus(action, at) {
    const bs = this.buttons();
    if (!bs.length) { this.root.focus(); return; }
    const safe = b => !b.classList.contains('danger');
    let b = bs.find(x => x.dataset.action === action);
    if (!b) b = bs.find(x => x.dataset.action === COUNTERPART[action] && safe(x));
    if (!b) {
      const k = Math.max(0, Math.min(at, bs.length - 1));
      b = [...bs.slice(k), ...bs.slice(0, k)].find(safe);
    }
    if (b) b.focus(); else this.root.focus();
  }

  title(action, id) {
    switch (action) {
      case 'crash': return `Crash node ${id} (its state on disk survives a restart)`;
      case 'restart': return `Restart node ${id}`;
      case 'pause': return `Freeze node ${id}: messages to and from it are lost`;
      case 'resume': return `Resume node ${id}`;
      case 'transfer': return `The leader catches node ${id} up and hands leadership over`;
      case 'isolate': return `Partition node ${id} off from every other node (delays and losses stay)`;
      case 'heal': return `Put node ${id} back with the others (other partitions, delays and losses stay)`;
      default: return '';
    }
  }

  /** Beside the node, on the side with room, inside the drawing's box. */
  place() {
    const a = this.view.nodeAnchor(this.id);
    if (!a) return;
    const { w, h } = this.size;
    let x = a.x + a.r + 12;
    if (x + w > a.bw - 4) x = a.x - a.r - 12 - w;
    if (x < 4) x = Math.max(4, Math.min(a.bw - w - 4, a.x - w / 2));
    const y = Math.max(4, Math.min(a.bh - h - 4, a.y - h / 2));
    const at = `translate(${x.toFixed(0)}px, ${y.toFixed(0)}px)`;
    if (this.root.style.transform !== at) this.root.style.transform = at;
  }

  buttons() {
    return [...this.root.querySelectorAll('button[data-action]')].filter(b => !b.disabled);
  }

  focusItem(k) {
    const bs = this.buttons();
    if (!bs.length) { this.root.focus(); return; }
    bs[(k + bs.length) % bs.length].focus();
  }

  onKey(ev) {
    const bs = this.buttons();
    const at = bs.indexOf(document.activeElement);
    switch (ev.key) {
      case 'ArrowDown': ev.preventDefault(); this.focusItem(at + 1); break;
      case 'ArrowUp': ev.preventDefault(); this.focusItem(at < 0 ? -1 : at - 1); break;
      case 'Home': ev.preventDefault(); this.focusItem(0); break;
      case 'End': ev.preventDefault(); this.focusItem(-1); break;
      case 'Tab': this.close(false); break;
      default:
    }
  }

  /** Runs the item's command through the control panel and shows the outcome in the menu. */
  async act(action) {
    const id = this.id;
    const c = this.controls;
    const run = {
      crash: () => c.nodeFault('crash', id),
      restart: () => c.nodeFault('restart', id),
      pause: () => c.nodeFault('pause', id),
      resume: () => c.nodeFault('resume', id),
      transfer: () => c.transfer(id),
      isolate: () => c.isolate(id),
      heal: () => c.rejoin(id),
    }[action];
    if (!run || id === null) return;
    this.status = { text: `${action} ${id}…`, cls: '' };
    this.draw();
    await run();
    if (this.id !== id) return;
    this.status = { ...c.lastStatus };
    this.draw();
    this.place();
  }
}
