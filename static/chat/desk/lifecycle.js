/* A chat's life on the desk: details from the server, active or ended,
 * transferred away ("gone"), closed after the wrap-up; the `accepted`,
 * `conversation` and `mine` frames. */
import {$, announce} from "./dom.js";
import {waitingMsg} from "./page.js";
import {api} from "./http.js";
import {storeSet} from "./store.js";
import {chats} from "./chats.js";
import {goneText, patronName} from "./panel-text.js";
import {hooks} from "./hooks.js";

export function loadDetail(chat) {
  return api("GET", "conversations/" + chat.id).then(function (answer) {
    if (answer.ok) applyDetail(chat, answer.data);
    else if (answer.status === 404) closeChat(chat, "The chat #" + chat.id + " is no longer yours.");
    else chat.composeMsg.textContent = answer.data.error;
    return answer;
  });
}

export function applyDetail(chat, d) {
  if (!d || typeof d !== "object" || chat.closing) return;
  if (d.mine === false) {
    // Transferred away (the server may send only {id, status, mine}).
    markGone(chat, goneText(d.status));
    return;
  }
  chat.detail = d;
  chat.status = d.status || chat.status;
  chat.wrappedUp = !!d.wrapped_up;
  (d.messages || []).forEach(function (m) { hooks.addMessage(chat, m); });
  hooks.renderTitle(chat);
  hooks.renderSidePane(chat, d);
  hooks.kbSuggest(chat);
  if (d.wrapped_up) {
    closeChat(chat, "Chat with " + patronName(chat) + " wrapped up.");
    return;
  }
  hooks.setActive(chat, d.status === "active");
  if (d.status === "ended" || d.status === "missed") {
    hooks.dropAlerts(chat.id);
    var menu = $(".cp-menu", chat.root);
    if (menu) menu.open = false;
    hooks.showWrapup(chat, false);
  }
  var email = $("[name=followup_email]", chat.root);
  if (!email.value && d.patron && d.patron.email) email.value = d.patron.email;
}

export function markGone(chat, text) {
  if (chat.gone) return;
  chat.gone = text;
  hooks.setActive(chat, false);
  $(".wrapup-open", chat.root).disabled = true;
  chat.wrapup.hidden = true;
  chat.transferForm.hidden = true;
  var banner = $(".gone-banner", chat.root);
  banner.textContent = text + ". This panel closes in a moment.";
  banner.hidden = false;
  chat.root.classList.add("is-gone");
  hooks.renderStatus(chat);
  announce("Chat with " + patronName(chat) + ": " + text + ".");
  window.setTimeout(function () { closeChat(chat, null); }, 4000);
}

export function closeChat(chat, message) {
  if (chat.closing) return;
  chat.closing = true;
  var hadFocus = chat.root.contains(document.activeElement);
  hooks.stopTyping(chat);
  hooks.dropAlerts(chat.id);
  chat.root.remove();
  chat.tab.remove();
  chats.delete(chat.id);
  storeSet("draft:" + chat.id, null);
  storeSet("pending:" + chat.id, null);
  hooks.updateChatCount();
  waitingMsg.textContent = "";
  if (message) announce(message);
  if (hadFocus) {
    var next = chats.values().next().value;
    if (next && !next.composer.disabled) next.composer.focus();
    else $("#waiting-heading").focus();
  }
}

/** `accepted`: the chat is ours; its panel opens and takes the focus. */
export function onAccepted(detail) {
  if (!detail || typeof detail.id !== "number") return;
  var chat = hooks.createChat(detail.id, null, detail);
  hooks.forgetWaiting(detail.id);
  announce("You have the chat with " + patronName(chat) + ".");
  hooks.focusChat(chat);
}

/** `conversation`: a chat's details changed (ended, transferred …). */
export function onConversation(detail) {
  if (!detail || typeof detail.id !== "number") return;
  var chat = chats.get(detail.id);
  if (!chat) {
    if (detail.mine && (detail.status === "active" || (detail.status === "ended" && !detail.wrapped_up))) {
      chat = hooks.createChat(detail.id, null, null);
    } else {
      return;
    }
  }
  var wasActive = chat.status === "active";
  applyDetail(chat, detail);
  if (wasActive && chat.status !== "active" && chats.has(detail.id) && !chat.gone) {
    announce("The chat with " + patronName(chat) + " has ended; please wrap it up.");
  }
}

/** `mine`: the chats this librarian has (on connect and when it changes). */
export function showMine(list) {
  var ids = new Set();
  list.forEach(function (c) {
    if (typeof c.id !== "number") return;
    ids.add(c.id);
    var chat = chats.get(c.id);
    var isNew = !chat;
    if (isNew) chat = hooks.createChat(c.id, c, null);
    else chat.summary = c;
    if (chat.closing || chat.gone) return;
    if (!chat.detail) chat.status = c.status || chat.status;
    hooks.renderTitle(chat);
    if (isNew) {
      loadDetail(chat);
    } else if (typeof c.last_seq === "number" && c.last_seq > chat.maxSeq) {
      hooks.openChat(chat);
    }
    if (c.status && c.status !== chat.status && chat.detail) {
      // Changed since the detail we hold: re-read it.
      loadDetail(chat);
    }
    if (c.status === "ended" && !c.wrapped_up) {
      chat.status = "ended";
      hooks.setActive(chat, false);
      hooks.showWrapup(chat, false);
    }
  });
  chats.forEach(function (chat) {
    if (!ids.has(chat.id) && !chat.closing && !chat.gone && chat.detail) {
      // No longer among your chats: wrapped up elsewhere or transferred.
      loadDetail(chat);
    }
  });
}
