/* One chat's panel: built from #chat-panel-template, its tab ("jump to"),
 * title, status, unread count. The parts of a panel are wired by their own
 * modules (composer, transfer, wrap-up, moderation, knowledge base). */
import {config} from "./config.js";
import {$, $$, el} from "./dom.js";
import {localDate} from "./format.js";
import {panelTemplate, panelsBox, tabsBox} from "./page.js";
import {isOpen} from "./socket.js";
import {storeGet} from "./store.js";
import {chats} from "./chats.js";
import {hooks} from "./hooks.js";

/** Give the template's "cp-" ids (and what points at them) a suffix. */
function rewriteIds(root, suffix) {
  var attrs = ["for", "aria-labelledby", "aria-describedby", "aria-controls"];
  $$("[id]", root).concat([root]).forEach(function (node) {
    if (node.id && node.id.indexOf("cp-") === 0) node.id = node.id + "-" + suffix;
  });
  $$("*", root).concat([root]).forEach(function (node) {
    attrs.forEach(function (name) {
      var value = node.getAttribute(name);
      if (!value) return;
      node.setAttribute(name, value.split(/\s+/).map(function (token) {
        return token.indexOf("cp-") === 0 ? token + "-" + suffix : token;
      }).join(" "));
    });
  });
}

/** The panel of one chat; `detail` when we already have it. Once the
 * socket is open the chat is caught up (`open`) and unsent messages go. */
export function createChat(id, summary, detail) {
  var existing = chats.get(id);
  if (existing) {
    if (detail) hooks.applyDetail(existing, detail);
    return existing;
  }
  var root = panelTemplate.content.firstElementChild.cloneNode(true);
  rewriteIds(root, id);
  root.dataset.conversation = String(id);
  root.id = "chat-" + id;
  var chat = {
    id: id,
    root: root,
    log: $(".chat-log", root),
    composer: $(".composer", root),
    noteToggle: $(".note-toggle", root),
    sendButton: $(".send", root),
    composeMsg: $(".compose-msg", root),
    typingLine: $(".typing", root),
    statusText: $(".cp-status", root),
    wrapup: $(".wrapup-form", root),
    transferForm: $(".transfer-form", root),
    seqs: new Map(),
    maxSeq: 0,
    pending: new Map(),
    smsStates: new Map(),    // seq -> {status, error} of a text (sms.js)
    smsRetrying: new Map(),  // seq -> when its sms_retry was sent
    smsNotes: new Map(),     // seq -> why a retry did not go
    detail: null,
    summary: summary || null,
    status: (summary && summary.status) || "active",
    wrappedUp: false,
    closing: false,
    unread: 0,
    lastCanned: "",
    canned: null,
    typingSent: 0,
    typingStop: null,
    patronTypingTimer: null,
    wrapupShown: false
  };
  chats.set(id, chat);

  // Tab ("jump to") button.
  var tab = el("button", "chat-tab");
  tab.type = "button";
  tab.dataset.conversation = String(id);
  tab.setAttribute("aria-controls", root.id);
  tab.appendChild(el("span", "tab-name"));
  tab.appendChild(el("span", "tab-unread"));
  tab.addEventListener("click", function () { hooks.focusChat(chat); });
  chat.tab = tab;
  tabsBox.appendChild(tab);

  // Wrap-up selects from the configuration.
  hooks.fillSelect($("[name=resolution]", root), config.resolutions || [
    ["answered", "Answered"], ["followup_library", "Follow Up by Patron's Library"],
    ["followup_me", "Follow Up by Me"], ["lost_call", "Lost Call"]]);
  $("[name=resolution]", root).value = "answered";
  hooks.fillSelect($("[name=question_type]", root), config.question_types || [
    ["directional", "Directional"], ["policy_hours", "Policy / hours"],
    ["account_login", "Account / login"], ["e_resources", "E-resources / technical"],
    ["known_item", "Known item"], ["research", "Research"], ["other", "Other"]], "Choose…");
  hooks.fillSelect($("[name=read_scale]", root), config.read_scale || [[1, "1"], [2, "2"], [3, "3"], [4, "4"], [5, "5"], [6, "6"]], "Choose…");
  $("[name=followup_due]", root).value = localDate(2);
  $("[name=followup_due]", root).min = localDate(0);

  hooks.wireKb(chat);
  hooks.wireComposer(chat);
  hooks.wireTransfer(chat);
  hooks.wireWrapup(chat);
  hooks.wireModeration(chat);
  hooks.renderTitle(chat);
  panelsBox.appendChild(root);

  // A draft and unsent messages survive a reload of the page.
  var draft = storeGet("draft:" + id, "");
  if (draft) { chat.composer.value = draft; hooks.composerChanged(chat); }
  storeGet("pending:" + id, []).forEach(function (p) {
    if (p && p.client_id && p.body) hooks.addPending(chat, p.client_id, p.body, !!p.note);
  });

  hooks.updateChatCount();
  if (detail) hooks.applyDetail(chat, detail);
  if (chat.closing) return chat;
  if (isOpen()) {
    hooks.openChat(chat);
    hooks.resendPending(chat);
  }
  hooks.loadCanned(chat);
  return chat;
}

