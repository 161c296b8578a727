/* The desk's one websocket (/ws/desk/): connect, heartbeat, stale
 * detection, reconnect with back-off; refused (4401/4403) means no retry.
 * What a frame means is frames.js; what to do on (re)open is main.js. */
import {HEARTBEAT_MS, REFUSED, STALE_MS} from "./constants.js";
import {Backoff, socketUrl} from "../shared/socket.js";

/** Reconnect delays: doubling from 1 s up to 30 s, spread by ±25 %. */
export function deskBackoff(random) {
  return new Backoff({initial: 1000, max: 30000, factor: 2, jitter: 0.25, random: random || Math.random});
}

/** The status line after a refusal: the error frame just before the close
 * (within 5 s), else what the close code means. */
export function refusedText(code, lastError, now) {
  if (lastError && now - lastError.at < 5000) return lastError.message;
  return code === 4401
    ? "You are signed out. Sign in again and reload the page."
    : "Your role does not staff chat queues.";
}

var socket = null;
var heartbeat = null;
var reconnectTimer = null;
var backoff = deskBackoff();
var lastHeard = 0;
var refused = false;
var lastError = null;
var hooks = {url: "/ws/desk/", statusLine: null, onOpen: null, onFrame: null, onBeat: null};

export function isOpen() { return !!socket && socket.readyState === WebSocket.OPEN; }

export function send(frame) {
  if (!isOpen()) return false;
  socket.send(JSON.stringify(frame));
  return true;
}

/** An error frame that may explain the close that follows it. */
export function noteError(message) {
  lastError = {message: message, at: Date.now()};
}

function lost() {
  hooks.statusLine.textContent = "Connection lost; reconnecting…";
  hooks.statusLine.classList.add("connection-lost");
}

function connect() {
  if (refused) return;
  window.clearTimeout(reconnectTimer);
  reconnectTimer = null;
  var statusLine = hooks.statusLine;
  var ws;
  try {
    ws = new WebSocket(socketUrl(hooks.url, window.location));
  } catch (e) {
    scheduleReconnect();
    return;
  }
  socket = ws;
  ws.onopen = function () {
    if (ws !== socket) return;
    backoff.reset();
    lastHeard = Date.now();
    statusLine.textContent = "Connected. New chats are offered for the queues you monitor.";
    statusLine.classList.remove("connection-lost");
    window.clearInterval(heartbeat);
    heartbeat = window.setInterval(beat, HEARTBEAT_MS);
    send({type: "heartbeat"});  // at once: a reload keeps the monitors fresh
    if (hooks.onOpen) hooks.onOpen();
  };
  ws.onmessage = function (event) {
    if (ws !== socket) return;
    lastHeard = Date.now();
    var frame;
    try { frame = JSON.parse(event.data); } catch (e) { return; }
    if (!frame || typeof frame !== "object") return;
    try {
      hooks.onFrame(frame);
    } catch (error) {
      if (window.console) window.console.error("desk: frame failed", frame, error);
    }
  };
  ws.onclose = function (event) {
    if (ws !== socket) return;
    window.clearInterval(heartbeat);
    socket = null;
    if (REFUSED.indexOf(event.code) !== -1) {
      // The error frame before the close said why; do not retry.
      refused = true;
      statusLine.classList.add("connection-lost");
      statusLine.textContent = refusedText(event.code, lastError, Date.now());
      return;
    }
    lost();
    scheduleReconnect();
  };
}

function scheduleReconnect() {
  if (refused || reconnectTimer) return;
  var delay = backoff.next();
  reconnectTimer = window.setTimeout(function () {
    reconnectTimer = null;
    connect();
  }, delay);
}

function beat() {
  if (!isOpen()) return;
  if (Date.now() - lastHeard > STALE_MS) {
    // No answer to heartbeats: the connection is dead even if the browser
    // has not noticed. Drop it and start a new one.
    var dead = socket;
    socket = null;
    window.clearInterval(heartbeat);
    try { dead.close(4000, "stale"); } catch (e) { /* ignore */ }
    lost();
    scheduleReconnect();
    return;
  }
  if (hooks.onBeat && hooks.onBeat()) return;  // true: no heartbeat this time
  send({type: "heartbeat"});
}

/** Open the socket: `options` {url, statusLine, onOpen, onFrame, onBeat}. */
export function startSocket(options) {
  Object.assign(hooks, options);
  window.addEventListener("online", function () {
    if (!socket && !refused) { backoff.reset(); connect(); }
  });
  connect();
}
