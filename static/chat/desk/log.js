/* The message log of a chat panel: rendering (textContent only), order by
 * seq, de-duplication on resync, our own messages until acknowledged
 * (pending, kept across a reload), refused ones with "Edit and send again". */
import {me} from "./config.js";
import {$, el, link} from "./dom.js";
import {fileSize, messageFiles, timeText} from "./format.js";
import {send} from "./socket.js";
import {storeSet} from "./store.js";
import {chats} from "./chats.js";
import {hooks} from "./hooks.js";
import {messageWhoText, patronName, senderClass} from "./panel-text.js";
import {isGap, pendingRecords, seqIndex, shouldRefresh} from "./resync.js";

function renderMessage(chat, node, m, local) {
  node.className = senderClass(m.sender);
  node.textContent = "";
  var head = el("div", "msg-head");
  var who = messageWhoText(m, patronName(chat));
  if (who) head.appendChild(el("span", "msg-who", who));
  var time = el("time", "msg-time", timeText(m.created_at));
  if (m.created_at) time.dateTime = m.created_at;
  head.appendChild(time);
  node.appendChild(head);
  if (m.body) node.appendChild(el("p", "msg-body", m.body));
  messageFiles(m).forEach(function (att) {
    var p = el("p", "msg-file");
    var a = link(att.url, "File: " + (att.name || "attachment") + (att.size ? " (" + fileSize(att.size) + ")" : ""), false);
    if (a.tagName === "A") a.setAttribute("download", "");
    p.appendChild(a);
    node.appendChild(p);
  });
  if (local) node.appendChild(el("span", "msg-state", "sending…"));
  else if (m.sender === "librarian") hooks.renderSmsState(chat, node, m.seq);  // a text's delivery
}

function placeBySeq(chat, node, seq) {
  var shown = [], nodes = [];
  Array.prototype.forEach.call(chat.log.children, function (child) {
    if (!child.classList.contains("msg")) return;
    shown.push(child.dataset.seq ? Number(child.dataset.seq) : null);
    nodes.push(child);
  });
  var i = seqIndex(shown, seq);
  if (i < nodes.length) chat.log.insertBefore(node, nodes[i]);
  else chat.log.appendChild(node);
}

function nearBottom(log) {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
}

/** Show one message (from a resync, a push or an HTTP answer), once. */
export function addMessage(chat, m, live) {
  if (!m || typeof m.seq !== "number") return;
  var stick = nearBottom(chat.log);
  var node = chat.seqs.get(m.seq);
  hooks.noteSmsState(chat, m);
  if (node) {
    if (shouldRefresh({local: !!node.dataset.local, hasFiles: !!$(".msg-file", node)}, m)) {
      // Our own message confirmed, or a file whose push came without it.
      delete node.dataset.local;
      renderMessage(chat, node, m, false);
    } else if (m.sender === "librarian") {
      hooks.renderSmsState(chat, node, m.seq);  // a copy may say how the text went
    }
    return;
  }
  var pending = m.client_id ? chat.pending.get(m.client_id) : null;
  if (pending) {
    node = pending.node;
    chat.pending.delete(m.client_id);
    savePending(chat);
    stick = true;
  } else {
    node = el("div");
  }
  renderMessage(chat, node, m, false);
  node.dataset.seq = String(m.seq);
  chat.seqs.set(m.seq, node);
  if (m.seq > chat.maxSeq) chat.maxSeq = m.seq;
  placeBySeq(chat, node, m.seq);
  if (stick) chat.log.scrollTop = chat.log.scrollHeight;
  if (m.sender === "patron") {
    chat.typingLine.textContent = "";
    if (live && (document.hidden || !chat.root.contains(document.activeElement))) {
      chat.unread += 1;
      hooks.updateUnread(chat);
    }
  }
}

/** `messages`: the answer to `open` (what the chat missed). */
export function onMessages(id, list) {
  var chat = chats.get(id);
  if (!chat) return;
  list.forEach(function (m) { addMessage(chat, m, chat.detail !== null); });
}

/** `message`: one live message. */
export function onMessage(id, m) {
  var chat = chats.get(id);
  if (!chat) return;
  if (m && isGap(m.seq, chat.maxSeq)) {
    // A gap: something was missed; ask for it (de-duplicated by seq).
    hooks.openChat(chat);
  }
  addMessage(chat, m, true);
}

/** `ack`: the server stored one of our messages as `seq`. */
export function onAck(frame) {
  var chat = chats.get(frame.conversation);
  if (!chat) return;
  var pending = chat.pending.get(frame.client_id);
  if (!pending) return;
  chat.pending.delete(frame.client_id);
  savePending(chat);
  if (typeof frame.seq !== "number") return;
  if (chat.seqs.has(frame.seq)) {
    // The message frame came first and made its own node.
    pending.node.remove();
    return;
  }
  var node = pending.node;
  var state = $(".msg-state", node);
  if (state) state.remove();
  node.dataset.seq = String(frame.seq);
  node.dataset.local = "1";  // refreshed when the message frame arrives
  chat.seqs.set(frame.seq, node);
  if (frame.seq > chat.maxSeq) chat.maxSeq = frame.seq;
  placeBySeq(chat, node, frame.seq);
}

export function addPending(chat, clientId, body, note) {
  var node = el("div");
  node.dataset.clientId = clientId;
  renderMessage(chat, node, {
    sender: note ? "note" : "librarian", body: body, author: me.name || null,
    created_at: new Date().toISOString()
  }, true);
  chat.log.appendChild(node);
  chat.log.scrollTop = chat.log.scrollHeight;
  chat.pending.set(clientId, {body: body, note: note, node: node});
  savePending(chat);
  return node;
}

function savePending(chat) {
  var list = pendingRecords(chat.pending);
  storeSet("pending:" + chat.id, list.length ? list : null);
}

export function resendPending(chat) {
  chat.pending.forEach(function (p, clientId) {
    if (p.failed) return;
    send({type: "message", conversation: chat.id, body: p.body, client_id: clientId, note: p.note});
  });
}

/** The server refused a message of ours: say so, offer to edit it. */
export function failPending(chat, clientId, message) {
  var p = chat.pending.get(clientId);
  if (!p) return false;
  p.failed = true;
  savePending(chat);
  p.node.classList.add("msg-failed");
  var state = $(".msg-state", p.node);
  if (state) state.textContent = "Not sent: " + (message || "refused by the server") + " ";
  if (!$(".msg-retry", p.node)) {
    var again = el("button", "msg-retry btn-secondary btn-small", "Edit and send again");
    again.type = "button";
    again.addEventListener("click", function () {
      chat.pending.delete(clientId);
      p.node.remove();
      chat.composer.value = p.body;
      chat.noteToggle.checked = !!p.note;
      hooks.noteChanged(chat);
      hooks.composerChanged(chat);
      chat.composer.focus();
    });
    p.node.appendChild(again);
  }
  return true;
}

/** The chat whose pending messages include `clientId` (or `chat` first). */
export function pendingOwner(chat, clientId) {
  var owner = chat;
  if (!owner) chats.forEach(function (c) { if (c.pending.has(clientId)) owner = c; });
  return owner;
}
