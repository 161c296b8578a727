// Reconnect back-off and resume-after-seq (static/chat/shared/socket.js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff, ResumableSocket, socketUrl } from "../../static/chat/shared/socket.js";

test("back-off doubles from 1 s up to 10 s and resets", () => {
  const b = new Backoff();
  assert.deepEqual([1, 2, 3, 4, 5, 6].map(() => b.next()), [1000, 2000, 4000, 8000, 10000, 10000]);
  b.reset();
  assert.equal(b.next(), 1000);
});

test("back-off jitter stays within its band", () => {
  const low = new Backoff({ initial: 1000, max: 30000, jitter: 0.25, random: () => 0 });
  const high = new Backoff({ initial: 1000, max: 30000, jitter: 0.25, random: () => 0.999999 });
  assert.equal(low.next(), 750);
  assert.ok(Math.abs(high.next() - 1250) < 0.01);
  const capped = new Backoff({ initial: 1000, max: 30000 });
  for (let i = 0; i < 10; i++) capped.next();
  assert.equal(capped.next(), 30000);
});

test("socketUrl", () => {
  assert.equal(socketUrl("/ws/chat/x/", { protocol: "https:", host: "a.org" }), "wss://a.org/ws/chat/x/");
  assert.equal(socketUrl("/ws/chat/x/", { protocol: "http:", host: "localhost:8000" }), "ws://localhost:8000/ws/chat/x/");
  assert.equal(socketUrl("wss://b.org/ws/", { protocol: "http:", host: "a" }), "wss://b.org/ws/");
});

// A fake WebSocket and fake timers: the test drives time by hand.
function harness(options = {}) {
  const sockets = [];
  class FakeWS {
    constructor(url) { this.url = url; this.readyState = 0; this.sent = []; sockets.push(this); }
    send(s) { this.sent.push(JSON.parse(s)); }
    close() { this.readyState = 3; }
    open() { this.readyState = 1; this.onopen(); }
    drop(code = 1006) { this.readyState = 3; this.onclose({ code }); }
    receive(frame) { this.onmessage({ data: typeof frame === "string" ? frame : JSON.stringify(frame) }); }
  }
  const timeouts = [];
  const timers = {
    setTimeout: (fn, ms) => { timeouts.push({ fn, ms }); return timeouts.length; },
    clearTimeout: (id) => { if (id && timeouts[id - 1]) timeouts[id - 1].cleared = true; },
    setInterval: () => 99, clearInterval: () => {},
  };
  const runNext = () => { const t = timeouts.filter((x) => !x.cleared && !x.ran).shift(); t.ran = true; t.fn(); return t.ms; };
  let held = 0;
  const events = [];
  const socket = new ResumableSocket({
    url: "/ws/chat/tok/", WebSocket: FakeWS, timers, location: { protocol: "http:", host: "h" },
    resume: () => ({ type: "resume", after: held }),
    onFrame: (f) => events.push(["frame", f]),
    onOpen: (info) => events.push(["open", info.reconnected]),
    onReconnecting: (ms) => events.push(["reconnecting", ms]),
    ...options,
  });
  return { socket, sockets, runNext, events, setHeld: (n) => { held = n; } };
}

test("every (re)connect resumes after the highest seq held, with back-off between attempts", () => {
  const h = harness();
  h.socket.connect();
  assert.equal(h.sockets[0].url, "ws://h/ws/chat/tok/");
  h.sockets[0].open();
  assert.deepEqual(h.sockets[0].sent, [{ type: "resume", after: 0 }]);
  h.sockets[0].receive({ type: "messages", messages: [] });
  h.sockets[0].receive("not json");
  assert.deepEqual(h.events, [["open", false], ["frame", { type: "messages", messages: [] }]]);

  h.setHeld(12);
  h.sockets[0].drop();
  assert.equal(h.runNext(), 1000);
  h.sockets[1].drop();                    // refused again
  assert.equal(h.runNext(), 2000);
  h.sockets[2].drop();
  assert.equal(h.runNext(), 4000);
  h.sockets[3].open();
  assert.deepEqual(h.sockets[3].sent, [{ type: "resume", after: 12 }]);
  assert.deepEqual(h.events.slice(-1), [["open", true]], "the page can say it is connected again");
  h.sockets[3].drop();
  assert.equal(h.runNext(), 1000, "an open resets the back-off");
  assert.deepEqual(h.events.filter((e) => e[0] === "reconnecting").map((e) => e[1]), [1000, 2000, 4000, 1000]);
});

test("onClose returning false stops reconnecting; stop() ignores the old socket", () => {
  const h = harness({ onClose: (e) => (e.code === 4403 ? false : undefined) });
  h.socket.connect();
  h.sockets[0].open();
  h.sockets[0].drop(4403);
  assert.equal(h.socket.stopped, true);
  assert.equal(h.events.filter((e) => e[0] === "reconnecting").length, 0);
  h.socket.wake();
  assert.equal(h.sockets.length, 1, "wake does not revive a stopped socket");

  h.socket.connect();
  h.sockets[1].open();
  assert.equal(h.socket.send({ type: "typing", typing: true }), true);
  h.socket.stop();
  assert.equal(h.socket.send({ type: "typing", typing: false }), false);
  h.sockets[1].receive({ type: "message" });
  assert.equal(h.events.filter((e) => e[0] === "frame").length, 0, "frames of a stopped socket are ignored");
});

test("hold() keeps the socket for its last frames without reconnecting", () => {
  const h = harness();
  h.socket.connect();
  h.sockets[0].open();
  const serial = h.socket.hold();
  h.sockets[0].receive({ type: "state" });
  assert.equal(h.events.filter((e) => e[0] === "frame").length, 1);
  assert.ok(h.socket.isCurrent(serial));
  h.sockets[0].drop();
  assert.equal(h.sockets.length, 1);
  h.socket.stop();
  assert.ok(!h.socket.isCurrent(serial));
});

test("wake() reconnects at once after a lost connection", () => {
  const h = harness();
  h.socket.connect();
  h.sockets[0].open();
  h.sockets[0].drop();
  h.socket.wake();
  assert.equal(h.sockets.length, 2);
  h.sockets[1].open();
  h.socket.wake();
  assert.equal(h.sockets.length, 2, "nothing to do while connected");
});
