/* The composer of a chat panel: sending (note or message), long messages
 * and splitting, the typing indicator both ways, canned messages, files;
 * for an SMS conversation the text counter and numbered texts. */
import {LONG_CHARS, OFFLINE_NOTE} from "./constants.js";
import {MAX_CHARS, MAX_FILE, config} from "./config.js";
import {$, el} from "./dom.js";
import {chars, errorText} from "./format.js";
import {api} from "./http.js";
import {isOpen, send} from "./socket.js";
import {newClientId, storeSet} from "./store.js";
import {chats} from "./chats.js";
import {fileProblem, lengthWarning, splitIntoParts, withCanned} from "./compose-text.js";
import {patronNameCap} from "./panel-text.js";
import {SMS_MAX_CHARS, SMS_MESSAGE_CHARS, chatIsSms, configChars, smsCounter} from "./sms-text.js";
import {hooks} from "./hooks.js";

// One text's length, and the longest a plain Send may go as, from the
// desk config when it has them.
var SMS_CHARS = configChars(config.sms_message_chars, SMS_MESSAGE_CHARS);
var SMS_MAX = configChars(config.sms_max_chars, SMS_MAX_CHARS);

function sendMessage(chat, body, note) {
  var clientId = newClientId();
  hooks.addPending(chat, clientId, body, note);
  send({type: "message", conversation: chat.id, body: body, client_id: clientId, note: note});
  if (!isOpen()) {
    chat.composeMsg.textContent = OFFLINE_NOTE;
  }
}

export function composerChanged(chat) {
  var box = $(".long-warning", chat.root);
  var msg = $(".long-text", box);
  var warning = lengthWarning(chat.composer.value, MAX_CHARS, LONG_CHARS);
  box.hidden = !warning;
  box.classList.toggle("too-long", !!(warning && warning.tooLong));
  if (warning) msg.textContent = warning.text;
  renderSmsCounter(chat);
  storeSet("draft:" + chat.id, chat.composer.value ? chat.composer.value : null);
}

// A message to a texting patron (not a note): it goes as an SMS.
function goesAsSms(chat) {
  return chatIsSms(chat) && !chat.noteToggle.checked;
}

/** The SMS counter under the composer: characters of one text, how many
 * texts (segments) and the encoding; over one text's length a warning and
 * "Split into N numbered texts". Hidden for live chats and notes; for a
 * text it takes the place of the long-message hint (600 characters). */
export function renderSmsCounter(chat) {
  var box = $(".sms-counter", chat.root);
  var on = goesAsSms(chat);
  box.hidden = !on;
  if (!on) return;
  $(".long-warning", chat.root).hidden = true;
  var counter = smsCounter(chat.composer.value, SMS_CHARS, SMS_MAX);
  $(".sms-count", box).textContent = counter.text;
  box.classList.toggle("sms-over", counter.over);
  box.classList.toggle("sms-too-long", counter.tooLong);
  var warning = $(".sms-warning", box);
  // Written only when it changes: a live region speaks every change.
  if (warning.textContent !== counter.warning) warning.textContent = counter.warning;
  var split = $(".sms-split", box);
  split.hidden = !counter.over;
  if (split.textContent !== counter.splitLabel) split.textContent = counter.splitLabel;
}

export function noteChanged(chat) {
  var note = chat.noteToggle.checked;
  chat.root.classList.toggle("note-mode", note);
  $(".composer-label", chat.root).textContent = note
    ? "Internal note (only staff see it)"
    : "Message to the patron";
  chat.sendButton.textContent = note ? "Send note" : "Send";
  if (note) stopTyping(chat);
  composerChanged(chat);
}

function submitComposer(chat) {
  chat.composeMsg.textContent = "";
  var text = chat.composer.value.trim();
  if (!text) return;
  if (chars(text) > MAX_CHARS) {
    chat.composeMsg.textContent = "Not sent: a message is at most " + MAX_CHARS + " characters. Use “Split into parts”.";
    return;
  }
  if (goesAsSms(chat)) {
    // Send sends one long text (the provider joins its segments), up to
    // the longest the provider takes.
    var counter = smsCounter(text, SMS_CHARS, SMS_MAX);
    if (counter.tooLong) {
      chat.composeMsg.textContent = counter.tooLongText;
      return;
    }
  }
  sendMessage(chat, text, chat.noteToggle.checked);
  clearComposer(chat);
}

// After sending: an empty composer, no typing, a message (not a note) next.
function clearComposer(chat) {
  chat.composer.value = "";
  chat.lastCanned = "";
  stopTyping(chat);
  resetNote(chat);
  composerChanged(chat);
}

// A note is one message: the next one goes to the patron again, so a reply
// meant for them is never filed silently as a note.
export function resetNote(chat) {
  if (!chat.noteToggle.checked) return;
  chat.noteToggle.checked = false;
  noteChanged(chat);
}

function splitComposer(chat) {
  chat.composeMsg.textContent = "";
  var text = chat.composer.value.trim();
  if (!text) return;
  var parts = splitIntoParts(text, LONG_CHARS);
  var note = chat.noteToggle.checked;
  parts.forEach(function (part) { sendMessage(chat, part, note); });
  clearComposer(chat);
  if (isOpen()) chat.composeMsg.textContent = "Sent in " + parts.length + " parts.";
  chat.composer.focus();
}

/** "Split into N numbered texts": the parts ("1/3 …") go as separate
 * messages, in order, each with its own client_id, as Send sends them. */
function splitSms(chat) {
  chat.composeMsg.textContent = "";
  if (!goesAsSms(chat)) return;
  var counter = smsCounter(chat.composer.value, SMS_CHARS, SMS_MAX);
  if (!counter.over) return;
  counter.parts.forEach(function (part) { sendMessage(chat, part, false); });
  clearComposer(chat);
  if (isOpen()) chat.composeMsg.textContent = "Sent as " + counter.parts.length + " numbered texts.";
  chat.composer.focus();
}

// Typing indicator for the patron (never while writing an internal note).
export function typed(chat) {
  if (chat.noteToggle.checked || chat.status !== "active") return;
  var now = Date.now();
  if (!chat.composer.value.trim()) { stopTyping(chat); return; }
  if (now - chat.typingSent > 4000) {
    if (send({type: "typing", conversation: chat.id, typing: true})) chat.typingSent = now;
  }
  window.clearTimeout(chat.typingStop);
  chat.typingStop = window.setTimeout(function () { stopTyping(chat); }, 5000);
}

export function stopTyping(chat) {
  window.clearTimeout(chat.typingStop);
  if (chat.typingSent) {
    send({type: "typing", conversation: chat.id, typing: false});
    chat.typingSent = 0;
  }
}

/** `typing`: the patron is (no longer) typing. */
export function onTyping(id, typing) {
  var chat = chats.get(id);
  if (!chat) return;
  window.clearTimeout(chat.patronTypingTimer);
  chat.typingLine.textContent = typing ? patronNameCap(chat) + " is typing…" : "";
  if (typing) {
    chat.patronTypingTimer = window.setTimeout(function () { chat.typingLine.textContent = ""; }, 10000);
  }
}

// ---------------------------------------------------------------- canned
export function loadCanned(chat) {
  var select = $(".canned", chat.root);
  api("GET", "conversations/" + chat.id + "/canned").then(function (answer) {
    select.textContent = "";
    var first = el("option", null, "Choose…");
    first.value = "";
    select.appendChild(first);
    chat.canned = new Map();
    if (!answer.ok) {
      first.textContent = "Not available";
      return;
    }
    (answer.data.groups || []).forEach(function (group) {
      var optgroup = document.createElement("optgroup");
      optgroup.label = group.label || group.group || "";
      (group.messages || []).forEach(function (m) {
        var key = String(m.id);
        chat.canned.set(key, m.body || "");
        var option = el("option", null, m.title || (m.body || "").slice(0, 60));
        option.value = key;
        optgroup.appendChild(option);
      });
      if (optgroup.children.length) select.appendChild(optgroup);
    });
    if (!chat.canned.size) first.textContent = "None";
  });
}

function insertCanned(chat, key) {
  if (!key || !chat.canned || !chat.canned.has(key)) return;
  var body = chat.canned.get(key);
  chat.composer.value = withCanned(chat.composer.value, chat.lastCanned, body);
  chat.lastCanned = body;
  composerChanged(chat);
}

// ---------------------------------------------------------------- files
function uploadFile(chat, file) {
  if (!file) return;
  chat.composeMsg.textContent = "";
  var problem = fileProblem(file, MAX_FILE);
  if (problem) {
    chat.composeMsg.textContent = problem;
    return;
  }
  var form = new FormData();
  form.append("file", file);
  form.append("client_id", newClientId());
  chat.composeMsg.textContent = "Sending “" + file.name + "”…";
  var attach = $(".attach", chat.root);
  attach.disabled = true;
  api("POST", "conversations/" + chat.id + "/files", form).then(function (answer) {
    attach.disabled = chat.status !== "active";
    if (answer.ok) {
      chat.composeMsg.textContent = "Sent “" + file.name + "”.";
      if (answer.data.message) hooks.addMessage(chat, answer.data.message);
    } else {
      chat.composeMsg.textContent = "Not sent: " + errorText(answer.data);
    }
  });
}

export function wireComposer(chat) {
  var root = chat.root;
  var form = $(".compose-form", root);
  form.addEventListener("submit", function (e) { e.preventDefault(); submitComposer(chat); });
  chat.composer.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.isComposing) {
      e.preventDefault();
      submitComposer(chat);
    }
  });
  chat.composer.addEventListener("input", function () {
    if (chat.lastCanned && chat.composer.value.indexOf(chat.lastCanned) === -1) chat.lastCanned = "";
    composerChanged(chat);
    typed(chat);
  });
  chat.composer.addEventListener("focus", function () { chat.unread = 0; hooks.updateUnread(chat); });
  chat.composer.addEventListener("blur", function () { stopTyping(chat); });
  chat.noteToggle.addEventListener("change", function () { noteChanged(chat); });
  $(".split", root).addEventListener("click", function () { splitComposer(chat); });
  $(".sms-split", root).addEventListener("click", function () { splitSms(chat); });
  var canned = $(".canned", root);
  canned.addEventListener("change", function () { insertCanned(chat, canned.value); });
  var fileInput = $(".file-input", root);
  $(".attach", root).addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    uploadFile(chat, file);
    fileInput.value = "";
  });
}
