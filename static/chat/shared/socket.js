/* A websocket that comes back: exponential back-off between attempts, a
 * heartbeat, and on every (re)connect a "resume" frame with the highest seq
 * held so that the server sends what was missed (docs/chat-protocol.md).
 * No DOM; WebSocket, timers and location can be passed in (tests). */

/** Delays of successive reconnect attempts: `initial`, then × `factor` up
 * to `max`; `jitter` 0.25 spreads each delay ±25 % (`random` in [0, 1)). */
export class Backoff {
  constructor({ initial = 1000, max = 10000, factor = 2, jitter = 0, random = Math.random } = {}) {
    Object.assign(this, { initial, max, factor, jitter, random });
    this.current = initial;
  }
  /** The next delay (ms); later calls give longer ones. */
  next() {
    const base = this.current;
    this.current = Math.min(this.current * this.factor, this.max);
    return this.jitter ? base * (1 - this.jitter + this.random() * 2 * this.jitter) : base;
  }
  reset() { this.current = this.initial; }
}

/** ws:// or wss:// URL for a path on this host (a full URL is kept). */
export function socketUrl(path, location = globalThis.location) {
  if (/^wss?:\/\//.test(path)) return path;
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  return scheme + location.host + path;
}

const OPEN = 1;

/**
 * new ResumableSocket({
 *   url: "/ws/chat/<token>/",            // path or ws(s):// URL
 *   resume: () => ({type: "resume", after: maxSeq}) | null,  // sent on open
 *   onFrame(frame), onOpen({reconnected}), onClose(event) → false: stop,
 *   onReconnecting(delayMs), heartbeatMs: 20000, backoff: new Backoff(),
 * })
 * connect(), send(frame) → bool, stop(), hold(), wake(), isCurrent(serial).
 */
export class ResumableSocket {
  constructor(options = {}) {
    this.url = options.url || null;
    this.resume = options.resume || (() => null);
    this.onFrame = options.onFrame || (() => {});
    this.onOpen = options.onOpen || (() => {});
    this.onClose = options.onClose || (() => {});
    this.onReconnecting = options.onReconnecting || (() => {});
    this.heartbeatMs = options.heartbeatMs === undefined ? 20000 : options.heartbeatMs;
    this.heartbeatFrame = options.heartbeatFrame || { type: "heartbeat" };
    this.backoff = options.backoff || new Backoff();
    this.WebSocket = options.WebSocket || globalThis.WebSocket;
    this.location = options.location || globalThis.location;
    this.timers = options.timers || globalThis;
    this.ws = null;
    this.serial = 0;
    this.stopped = true;          // no reconnecting (not started, ended, refused)
    this.disconnected = false;    // a connection was lost since the last open
    this.retryTimer = null;
    this.heartbeatTimer = null;
  }

  get connected() { return !!this.ws && this.ws.readyState === OPEN; }

  connect() {
    if (!this.url) return;
    this.stopped = false;
    this.timers.clearTimeout(this.retryTimer);
    const serial = ++this.serial;
    let ws;
    try { ws = new this.WebSocket(socketUrl(this.url, this.location)); } catch (e) { this.scheduleReconnect(); return; }
    this.ws = ws;
    ws.onopen = () => {
      if (serial !== this.serial) return;
      this.backoff.reset();
      const resume = this.resume();
      if (resume) this.send(resume);
      this.timers.clearInterval(this.heartbeatTimer);
      if (this.heartbeatMs) {
        this.heartbeatTimer = this.timers.setInterval(() => this.send(this.heartbeatFrame), this.heartbeatMs);
      }
      const reconnected = this.disconnected;
      this.disconnected = false;
      this.onOpen({ reconnected });
    };
    ws.onmessage = (e) => {
      if (serial !== this.serial) return;
      let frame;
      try { frame = JSON.parse(e.data); } catch (err) { return; }
      if (frame && typeof frame === "object") this.onFrame(frame);
    };
    ws.onclose = (e) => {
      if (serial !== this.serial) return;
      this.timers.clearInterval(this.heartbeatTimer);
      this.ws = null;
      if (this.onClose(e) === false) this.stopped = true;
      if (this.stopped) return;
      this.scheduleReconnect();
    };
    ws.onerror = () => { /* onclose follows */ };
  }

  scheduleReconnect() {
    if (this.stopped) return;
    this.disconnected = true;
    const delay = this.backoff.next();
    this.onReconnecting(delay);
    this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = this.timers.setTimeout(() => this.connect(), delay);
  }

  send(frame) {
    if (!this.ws || this.ws.readyState !== OPEN) return false;
    try { this.ws.send(JSON.stringify(frame)); return true; } catch (e) { return false; }
  }

  /** Close for good (no reconnect); events of the old socket are ignored. */
  stop() {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearInterval(this.heartbeatTimer);
    this.serial++;
    if (this.ws) { try { this.ws.close(1000); } catch (e) { /* ignore */ } }
    this.ws = null;
  }

  /** Stop reconnecting and beating but keep the open socket for its last
   * frames; returns the serial to pass to isCurrent() later. */
  hold() {
    this.stopped = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearInterval(this.heartbeatTimer);
    return this.serial;
  }

  isCurrent(serial) { return serial === this.serial; }

  /** The network or the tab is back: try at once instead of waiting. */
  wake() {
    if (this.url && !this.stopped && !this.ws) { this.backoff.reset(); this.connect(); }
  }
}
