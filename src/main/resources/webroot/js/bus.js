// A small client of the Vert.x SockJS event-bus bridge protocol (JSON frames over SockJS):
//   out: {type:'register'|'unregister', address}, {type:'send', address, body, replyAddress}, {type:'ping'}
//   in:  {type:'rec', address, body}, {type:'err', body[, address, failureCode, message]}
// It pings every 5 s (the server closes silent sockets), re-registers after a reconnect and correlates
// replies through per-request reply addresses. SockJS itself comes from the sockjs-client WebJar
// (globalThis.SockJS).
//
// The admin token, when the server asks for one (a client that is not on loopback), is kept in sessionStorage
// (this tab only, gone when it closes) and sent in the headers of every register and send frame, as
// {Authorization: 'Bearer <token>'}: the bridge authorizes each frame like an admin API call.

const PING_MS = 5000;
const TOKEN_KEY = 'raftline.adminToken';

export class EventBus {
  /**
   * @param {string} url the bridge's SockJS URL, e.g. '/eventbus'
   * @param {object} [opts] {reconnect: true}
   */
  constructor(url, opts = {}) {
    this.url = url;
    this.reconnect = opts.reconnect !== false;
    this.handlers = new Map();        // address -> Set<fn(body, frame)>
    this.pending = new Map();         // replyAddress -> {resolve, reject, timer}
    this.listeners = { open: [], close: [], error: [] };
    this.state = 'closed';
    this.sock = null;
    this.pinger = null;
    this.retryMs = 500;
    this.nextId = 1;
    this.prefix = Math.random().toString(36).slice(2, 10);
    this.token = sessionStorage.getItem(TOKEN_KEY) || '';
  }

  /** Sets the admin token (kept for this tab) and reconnects, so every frame from now on carries it. */
  setToken(token) {
    this.token = token || '';
    if (this.token) sessionStorage.setItem(TOKEN_KEY, this.token);
    else sessionStorage.removeItem(TOKEN_KEY);
    if (this.sock && this.state !== 'closed') this.sock.close();
    else this.connect();
  }

  headers() {
    return this.token ? { Authorization: 'Bearer ' + this.token } : {};
  }

  /** Adds a listener for 'open', 'close' or 'error' (error frames without a reply address). */
  on(what, fn) {
    this.listeners[what].push(fn);
    return this;
  }

  emit(what, arg) {
    for (const fn of this.listeners[what]) {
      try { fn(arg); } catch (err) { console.error(err); }
    }
  }

  connect() {
    if (this.state === 'open' || this.state === 'connecting') return;
    this.state = 'connecting';
    const sock = new globalThis.SockJS(this.url);
    this.sock = sock;
    sock.onopen = () => {
      this.state = 'open';
      this.retryMs = 500;
      for (const address of this.handlers.keys()) this.frame({ type: 'register', address, headers: this.headers() });
      this.pinger = setInterval(() => this.frame({ type: 'ping' }), PING_MS);
      this.emit('open');
    };
    sock.onmessage = (m) => this.receive(m.data);
    sock.onclose = () => {
      if (this.sock !== sock) return;
      this.sock = null;
      clearInterval(this.pinger);
      this.state = 'closed';
      for (const [, p] of this.pending) { clearTimeout(p.timer); p.reject(new Error('connection closed')); }
      this.pending.clear();
      this.emit('close');
      if (this.reconnect) {
        setTimeout(() => this.connect(), this.retryMs);
        this.retryMs = Math.min(this.retryMs * 2, 8000);
      }
    };
  }

  close() {
    this.reconnect = false;
    if (this.sock) this.sock.close();
  }

  frame(f) {
    if (this.state !== 'open') return false;
    this.sock.send(JSON.stringify(f));
    return true;
  }

  receive(text) {
    let f;
    try { f = JSON.parse(text); } catch { return; }
    if (f.type === 'rec') {
      const p = this.pending.get(f.address);
      if (p) {
        this.pending.delete(f.address);
        clearTimeout(p.timer);
        p.resolve(f.body);
        return;
      }
      const hs = this.handlers.get(f.address);
      if (hs) for (const h of hs) h(f.body, f);
    } else if (f.type === 'err') {
      const p = f.address && this.pending.get(f.address);
      if (p) {
        this.pending.delete(f.address);
        clearTimeout(p.timer);
        p.reject(new Error(f.message || f.body || 'error'));
      } else {
        this.emit('error', f);
      }
    }
  }

  /** Receives every message published on `address` (re-registered after reconnects). */
  register(address, handler) {
    let hs = this.handlers.get(address);
    if (!hs) {
      hs = new Set();
      this.handlers.set(address, hs);
      this.frame({ type: 'register', address, headers: this.headers() });
    }
    hs.add(handler);
    return () => {
      hs.delete(handler);
      if (hs.size === 0) {
        this.handlers.delete(address);
        this.frame({ type: 'unregister', address });
      }
    };
  }

  /**
   * Sends `body` to `address` and resolves with the reply's body.
   * @returns {Promise<any>}
   */
  send(address, body, timeoutMs = 15000) {
    return new Promise((resolve, reject) => {
      const replyAddress = `reply.${this.prefix}.${this.nextId++}`;
      const timer = setTimeout(() => {
        this.pending.delete(replyAddress);
        reject(new Error('no reply within ' + timeoutMs + ' ms'));
      }, timeoutMs);
      this.pending.set(replyAddress, { resolve, reject, timer });
      if (!this.frame({ type: 'send', address, body, headers: this.headers(), replyAddress })) {
        clearTimeout(timer);
        this.pending.delete(replyAddress);
        reject(new Error('not connected'));
      }
    });
  }
}
