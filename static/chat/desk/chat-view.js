/* What a chat panel shows of its state: title, tab, status, unread count,
 * active or not; the chats count; `open` (catch up after seq). No module
 * above it is imported here (the SMS badge is sms.js, through hooks). */
import {me} from "./config.js";
import {$, $$, el} from "./dom.js";
import {chatCount, noChats, tabsBox} from "./page.js";
import {send} from "./socket.js";
import {chats} from "./chats.js";
import {hooks} from "./hooks.js";
import {chatCountText, chatTitles, statusText, unreadText} from "./panel-text.js";

/** Options [[value, label], ...] in a select, after an optional placeholder. */
export function fillSelect(select, options, placeholder) {
  select.textContent = "";
  if (placeholder) {
    var empty = el("option", null, placeholder);
    empty.value = "";
    select.appendChild(empty);
  }
  (options || []).forEach(function (pair) {
    var option = el("option", null, pair[1]);
    option.value = String(pair[0]);
    select.appendChild(option);
  });
}

export function updateChatCount() {
  var n = chats.size;
  chatCount.textContent = chatCountText(n, me.max_chats);
  noChats.hidden = n > 0;
  tabsBox.hidden = n < 2;
}

export function renderTitle(chat) {
  var titles = chatTitles(chat.id, chat.detail, chat.summary);
  $(".cp-title-text", chat.root).textContent = titles.title;
  $(".tab-name", chat.tab).textContent = titles.tab;
  hooks.renderSmsMarks(chat);
  renderStatus(chat);
}

export function renderStatus(chat) {
  chat.statusText.textContent = statusText(chat);
  chat.root.classList.toggle("is-ended", chat.status !== "active");
  chat.tab.classList.toggle("tab-ended", chat.status !== "active");
}

export function focusChat(chat) {
  chat.unread = 0;
  updateUnread(chat);
  chat.root.scrollIntoView({block: "start", behavior: "smooth"});
  if (!chat.composer.disabled) chat.composer.focus({preventScroll: true});
  else chat.root.focus({preventScroll: true});
}

export function updateUnread(chat) {
  var badge = $(".tab-unread", chat.tab);
  badge.textContent = unreadText(chat.unread);
  chat.tab.classList.toggle("has-unread", chat.unread > 0);
}

/** Ask the server for what this chat missed (de-duplicated by seq). */
export function openChat(chat) {
  send({type: "open", conversation: chat.id, after: chat.maxSeq});
}

export function setActive(chat, active) {
  chat.composer.disabled = !active;
  chat.sendButton.disabled = !active;
  $(".attach", chat.root).disabled = !active;
  $(".canned", chat.root).disabled = !active;
  $(".transfer", chat.root).disabled = !active;
  $(".end", chat.root).disabled = !active;
  $$(".inappropriate, .crisis, .crisis-yes, .kb-send", chat.root).forEach(function (b) { b.disabled = !active; });
  // Notes stay possible on an ended chat? The server decides; keep the
  // composer closed once the chat is over so nothing seems sent.
  renderStatus(chat);
}

/** The chat ended here (by us or the server): no more sending, wrap-up next. */
export function endedHere(chat) {
  if (chat.status === "active") { chat.status = "ended"; setActive(chat, false); }
}
