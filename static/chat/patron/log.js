/* The message log: rendering messages (textContent only), keeping them in
 * seq order, the patron's own messages while they are sent, and scrolling. */
import { messageFiles } from "../shared/messages.js";
import { $, t, formatSize, formatTime, SEQ_KEY } from "./context.js";
import { session } from "./session.js";
import { store } from "./storage.js";
import { setTyping } from "./status.js";

const logEl = () => $("chat-log");

export function buildMessageEl(el, m) {
  const sender = m.sender === "librarian" || m.sender === "system" ? m.sender : "patron";
  el.className = "msg msg-" + sender;
  el.setAttribute("data-seq", String(m.seq));
  el.textContent = "";
  if (sender !== "system") {
    const meta = document.createElement("p");
    meta.className = "msg-meta";
    const who = document.createElement("span");
    who.className = "msg-author";
    if (sender === "librarian") {
      who.textContent = m.author || t("theLibrarian");
    } else {
      who.textContent = t("you");
      who.classList.add("visually-hidden");
    }
    meta.appendChild(who);
    const time = document.createElement("time");
    time.className = "msg-time";
    if (m.created_at) { time.dateTime = m.created_at; time.textContent = formatTime(m.created_at); }
    meta.appendChild(time);
    el.appendChild(meta);
  }
  if (m.body) {
    const body = document.createElement("p");
    body.className = "msg-body";
    body.textContent = m.body;
    el.appendChild(body);
  }
  messageFiles(m).forEach((att) => {
    if (!att.url) return;
    const a = document.createElement("a");
    a.className = "msg-file";
    a.href = att.url;
    a.setAttribute("download", att.name || "");
    a.appendChild(clipIcon());
    const name = document.createElement("span");
    name.className = "msg-file-name";
    name.textContent = att.name || t("attachment");
    const size = document.createElement("span");
    size.className = "msg-file-size";
    size.textContent = " (" + formatSize(att.size) + ")";
    a.appendChild(name);
    a.appendChild(size);
    el.appendChild(a);
  });
  if (sender === "system" && m.created_at) {
    el.title = formatTime(m.created_at);
  }
  return el;
}

function clipIcon() {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("class", "msg-file-icon");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  const path = document.createElementNS(ns, "path");
  path.setAttribute("fill", "none");
  path.setAttribute("stroke", "currentColor");
  path.setAttribute("stroke-width", "2");
  path.setAttribute("stroke-linecap", "round");
  path.setAttribute("d", "M21 11.5l-8.6 8.6a5.5 5.5 0 0 1-7.8-7.8l9.2-9.2a3.7 3.7 0 0 1 5.2 5.2l-9.2 9.2a1.8 1.8 0 0 1-2.6-2.6l8.5-8.5");
  svg.appendChild(path);
  return svg;
}

// A log read at its end stays at its end when it gets shorter (an alert,
// the phone's keyboard, the ended panel).
let stuck = true;
function nearBottom() { const log = logEl(); return log.scrollHeight - log.scrollTop - log.clientHeight < 80; }
function scrollDown(force) { const log = logEl(); if (force || nearBottom()) { log.scrollTop = log.scrollHeight; stuck = true; } }

export function initLog() {
  const log = logEl();
  log.addEventListener("scroll", () => { stuck = nearBottom(); });
  if (window.ResizeObserver) {
    new ResizeObserver(() => { if (stuck) log.scrollTop = log.scrollHeight; }).observe(log);
  }
}

export function clearLog() { logEl().textContent = ""; }

/* Insert an element at its place in seq order: before the first message with
 * a higher seq, else before the first unacknowledged one, else at the end. */
function placeBySeq(el, seq) {
  const log = logEl();
  const children = log.children;
  let before = null;
  for (let i = 0; i < children.length; i++) {
    const c = children[i];
    const s = c.getAttribute("data-seq");
    if (s === null) { before = c; break; }         // pending ones come last
    if (Number(s) > seq) { before = c; break; }
  }
  if (el.parentNode === log && el.nextSibling === before) return;
  log.insertBefore(el, before);
}

/** A message from the server (push, resync or upload answer), shown once:
 * de-duplicated by seq, and in place of our pending copy (same client_id). */
export function addMessage(m) {
  if (!m || typeof m.seq !== "number" || m.sender === "note") return;
  const stick = nearBottom();
  // (One exception to de-duplication: a copy that has the attachment
  // replaces one pushed before the attachment was stored.)
  const taken = session.index.take(m);
  if (!taken) return;
  if (m.seq === 1 && m.sender === "patron") session.firstQuestion = m.body || "";
  const el = taken.view || document.createElement("div");
  buildMessageEl(el, m);
  session.index.set(m.seq, m, el);
  placeBySeq(el, m.seq);
  if (m.sender === "librarian") setTyping(false);
  const highest = session.index.maxSeq();
  if (Number(store.get(SEQ_KEY) || 0) < highest && session.token) store.set(SEQ_KEY, String(highest));
  scrollDown(stick || m.sender === "patron");
}

// ----------------------------------------------------- pending (own) messages
export function addPending(clientId, body, file) {
  const el = document.createElement("div");
  el.className = "msg msg-patron msg-pending";
  el.setAttribute("data-client-id", clientId);
  const meta = document.createElement("p");
  meta.className = "msg-meta";
  const who = document.createElement("span");
  who.className = "msg-author visually-hidden";
  who.textContent = t("you");
  const state = document.createElement("span");
  state.className = "msg-sending";
  state.textContent = file ? t("uploading", { name: file.name }) : t("sending");
  meta.appendChild(who);
  meta.appendChild(state);
  el.appendChild(meta);
  if (body) {
    const b = document.createElement("p");
    b.className = "msg-body";
    b.textContent = body;
    el.appendChild(b);
  }
  logEl().appendChild(el);
  const p = session.index.addPending(clientId, body, el, !!file);
  scrollDown(true);
  return p;
}

export function ackPending(clientId, seq) {
  const r = session.index.ack(clientId, seq);
  if (!r) return;
  const el = r.pending.view;
  if (r.known) {             // the message frame came first
    if (el !== r.known.view && el.parentNode) el.parentNode.removeChild(el);
    return;
  }
  // Stored: it is no longer "sending…"; the message frame fills in the rest.
  el.classList.remove("msg-pending");
  el.setAttribute("data-seq", String(seq));
  const sending = el.querySelector(".msg-sending");
  if (sending) sending.parentNode.removeChild(sending);
  placeBySeq(el, seq);
}

export function failPending(clientId, reason) {
  const p = session.index.fail(clientId);
  if (!p) return;
  p.view.classList.remove("msg-pending");
  p.view.classList.add("msg-failed");
  const s = p.view.querySelector(".msg-sending");
  if (s) s.textContent = t("notSent", { reason });
}

/** Drop an upload's pending element (the upload failed, or its message
 * came in its own element). */
export function dropPending(p) {
  session.index.removePending(p);
  if (p.view.parentNode) p.view.parentNode.removeChild(p.view);
}
