/* The chat's connection: starting and resuming a chat, the websocket
 * (shared ResumableSocket: resume after the highest seq held, back-off),
 * the frames it brings, and reading over HTTP once the chat is over. */
import { ResumableSocket } from "../shared/socket.js";
import { $, t, show, showView, request, KEY, SEQ_KEY } from "./context.js";
import { announce, showAlert } from "./alerts.js";
import { store, forgetChat, loadPending } from "./storage.js";
import { session, hooks, newIndex, isOver } from "./session.js";
import { addMessage, addPending, ackPending, failPending, clearLog } from "./log.js";
import { applyState, setTyping } from "./status.js";

export const socket = new ResumableSocket({
  resume: () => ({ type: "resume", after: session.index.maxSeq() }),
  heartbeatMs: 20000,
  onOpen({ reconnected }) {
    session.flushed = false;
    if (reconnected) {
      show($("connection"), false);
      announce(t("reconnected"));
    }
  },
  onFrame: handleFrame,
  onClose(e) {
    setTyping(false);
    if (e.code === 4404) { chatGone(); return false; }
    if (e.code === 4403) return false;  // the error frame said why
    return undefined;
  },
  onReconnecting() {
    const conn = $("connection");
    conn.textContent = t("reconnecting");
    show(conn, true);
  },
});

export function connect() {
  if (!session.token) return;
  socket.url = session.wsPath;
  socket.connect();
}
export function stopSocket() { socket.stop(); }
export function sendFrame(frame) { return socket.send(frame); }

export function initChat() {
  // Come back at once when the network or the tab does.
  window.addEventListener("online", () => { if (session.token) socket.wake(); });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && session.token) socket.wake();
  });
}

export function resetChatUI() {
  stopSocket();
  newIndex();
  clearLog();
  session.currentState = null;
  session.lastStatusKey = "";
  session.firstQuestion = "";
  $("typing").textContent = "";
  $("chat-status").textContent = "";
  show($("connection"), false);
  show($("chat-ended"), false);
  show($("composer-form"), true);
  show($("end-chat"), true);
  $("composer").value = "";
  $("transcript-email-result").textContent = "";
  hooks.updateCounter();
  clearInterval(session.waitTimer);
  clearTimeout(session.statePoll);
  session.transcriptPolls = 0;
}

/** A chat just started (POST /chat/<code>/start answered 201). */
export function beginChat(newToken, newWsPath, state) {
  resetChatUI();
  session.token = newToken;
  session.wsPath = newWsPath || "/ws/chat/" + newToken + "/";
  store.set(KEY, newToken);
  store.set(SEQ_KEY, "0");
  showView("chat");
  if (state) applyState(state);
  else $("chat-status").textContent = t("statusConnecting");
  if (!session.currentState || !isOver(session.currentState.status)) connect();
  $("composer").focus();
}

/* A reload (or a second tab): the stored token is still a chat. */
export function resumeStored(storedToken, state) {
  resetChatUI();
  session.token = storedToken;
  session.wsPath = "/ws/chat/" + storedToken + "/";
  loadPending().forEach((p) => { addPending(p.client_id, p.body); });
  showView("chat");
  $("chat-status").textContent = t("statusConnecting");
  if (state && state.status) applyState(state);
  if (session.currentState && isOver(session.currentState.status)) refreshFromServer();  // no socket needed
  else connect();
}

/* Messages and state over HTTP: used once a chat is over, when the socket
 * is not needed any more. */
export function refreshFromServer() {
  if (!session.token) return;
  const t0 = session.token;
  request("GET", "/chat/c/" + encodeURIComponent(t0) + "/messages?after=" + session.index.maxSeq()).then((res) => {
    if (session.token !== t0) return;
    if (res.status === 200 && res.data) {
      (res.data.messages || []).forEach(addMessage);
      if (res.data.state) applyState(res.data.state);
    } else if (res.status === 404) {
      chatGone();
    }
  }).catch(() => { /* nothing to do */ });
}
export const fetchState = refreshFromServer;

function flushPending() {
  session.index.pending.forEach((p) => {
    if (!p.failed && !p.file) sendFrame({ type: "message", body: p.body, client_id: p.client_id });
  });
}

export function handleFrame(f) {
  switch (f.type) {
    case "messages":
      (f.messages || []).forEach(addMessage);
      if (!session.flushed) { session.flushed = true; flushPending(); }
      break;
    case "message":
      if (f.message) addMessage(f.message);
      break;
    case "ack":
      ackPending(f.client_id, f.seq);
      break;
    case "state":
      if (f.state) applyState(f.state);
      break;
    case "typing":
      setTyping(!!f.typing);
      break;
    case "heartbeat_ack":
      break;
    case "error":
      handleError(f);
      break;
  }
}

function handleError(f) {
  if (f.code === "invalid" && f.client_id) {
    failPending(f.client_id, f.message || t("errGeneric"));
    showAlert(f.message || t("errGeneric"));
    return;
  }
  if (f.code === "ended") {
    if (f.client_id) failPending(f.client_id, f.message || t("statusEnded"));
    fetchState();
    const s = session.currentState;
    if (s) { s.status = s.status === "waiting" ? "missed" : "ended"; applyState(s); }
    return;
  }
  if (f.code === "not_found") { chatGone(); return; }
  if (f.message) showAlert(f.message);
}

export function chatGone() {
  stopSocket();
  forgetChat();
  session.token = null;
  resetChatUI();
  showView("form");
  showAlert(t("chatGone"));
}

/** Forget the chat and empty the page (a new chat, the offline form). */
export function leaveChat() {
  forgetChat();
  session.token = null;
  resetChatUI();
  showAlert("");
}
