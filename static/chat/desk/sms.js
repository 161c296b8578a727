/* SMS conversations in a chat panel (issue 18): the "SMS" badge in the
 * panel's header and its tab, the delivery state of each librarian's text
 * ("Sending…", "Delivered", "Failed: …") with "Retry" for a failed one, and
 * the `sms_status` frames. The rules are sms-text.js; the waiting list's
 * badge is waiting.js, the composer's counter composer.js. */
import {$, el, smsBadge} from "./dom.js";
import {isOpen, send} from "./socket.js";
import {chats} from "./chats.js";
import {hooks} from "./hooks.js";
import {
  RETRY_ANSWER_MS, canRetry, chatIsSms, mergeSmsState, parseSmsStatus, retryErrorSeqs,
  smsRetryFrame, smsStatusText
} from "./sms-text.js";

/** The SMS badge of a panel (in its heading, so in its name) and of its
 * tab, shown once the chat is known to be a text conversation. */
export function renderSmsMarks(chat) {
  var sms = chatIsSms(chat);
  chat.root.classList.toggle("is-sms", sms);
  [[$(".cp-title", chat.root), "cp-sms"], [chat.tab, "tab-sms"]].forEach(function (pair) {
    var box = pair[0];
    if (!box) return;
    var badge = $(".badge-sms", box);
    if (sms && !badge) box.insertBefore(smsBadge(pair[1]), box.firstChild);
    if (!sms && badge) badge.remove();
  });
  // The detail may say the channel after the composer was drawn.
  hooks.renderSmsCounter(chat);
}

/** What a message payload says of its text (`m.sms`), kept by seq. */
export function noteSmsState(chat, m) {
  if (!m || typeof m.seq !== "number" || !m.sms) return;
  var next = mergeSmsState(chat.smsStates.get(m.seq), m.sms, false);
  if (next) chat.smsStates.set(m.seq, next);
}

/** The delivery line of one librarian message (`node`, shown as `seq`):
 * built again from the state held, or removed when there is none. */
export function renderSmsState(chat, node, seq) {
  var line = $(".msg-sms", node);
  var state = typeof seq === "number" ? chat.smsStates.get(seq) : null;
  var text = state ? smsStatusText(state) : "";
  if (!chatIsSms(chat) || !text) {
    if (line) line.remove();
    return;
  }
  var hadFocus = !!line && line.contains(document.activeElement);
  if (!line) {
    line = el("p", "msg-sms");
    node.appendChild(line);
  }
  line.textContent = "";
  line.dataset.status = state.status;
  var failed = canRetry(state);
  line.classList.toggle("msg-sms-failed", failed);
  line.appendChild(el("span", "visually-hidden", "Text message: "));
  line.appendChild(el("span", "msg-sms-state", text));
  if (failed) {
    var retrying = chat.smsRetrying.has(seq);
    var retry = el("button", "msg-sms-retry btn-secondary btn-small", retrying ? "Retrying…" : "Retry");
    retry.type = "button";
    retry.disabled = retrying;
    retry.setAttribute("aria-label", retrying ? "Retrying this text" : "Retry sending this text");
    retry.addEventListener("click", function () { retrySms(chat, seq); });
    line.appendChild(retry);
  }
  var note = chat.smsNotes.get(seq);
  if (note) line.appendChild(el("span", "msg-sms-note", note));
  if (hadFocus) {
    // The Retry button went (the text is on its way again): keep the
    // keyboard in the conversation.
    var again = $(".msg-sms-retry", line);
    if (again && !again.disabled) again.focus();
    else chat.log.focus();
  }
}

function redraw(chat, seq) {
  var node = chat.seqs.get(seq);
  if (node) renderSmsState(chat, node, seq);
}

/** "Retry": ask the server to send the failed text `seq` again. */
export function retrySms(chat, seq) {
  if (chat.smsRetrying.has(seq)) return;
  chat.smsNotes.delete(seq);
  if (!isOpen() || !send(smsRetryFrame(chat.id, seq))) {
    chat.smsNotes.set(seq, "Not connected: retry when the connection is back.");
    redraw(chat, seq);
    return;
  }
  chat.smsRetrying.set(seq, Date.now());
  redraw(chat, seq);
  window.setTimeout(function () {
    if (!chat.smsRetrying.has(seq) || Date.now() - chat.smsRetrying.get(seq) < RETRY_ANSWER_MS) return;
    chat.smsRetrying.delete(seq);
    chat.smsNotes.set(seq, "No answer from the server; try again.");
    redraw(chat, seq);
  }, RETRY_ANSWER_MS + 50);
}

/** `sms_status`: a text's delivery changed (or a retry was taken). */
export function onSmsStatus(frame) {
  var update = parseSmsStatus(frame);
  if (!update) return;
  var chat = chats.get(update.conversation);
  if (!chat) return;
  chat.smsStates.set(update.seq, mergeSmsState(chat.smsStates.get(update.seq), update, true));
  chat.smsRetrying.delete(update.seq);
  chat.smsNotes.delete(update.seq);
  redraw(chat, update.seq);
}

/** An `error` frame about `chat`: when it refuses a retry of ours, say so
 * at that text (the Retry button comes back). True if it did. */
export function smsRetryRefused(chat, frame, message) {
  var seqs = retryErrorSeqs(frame, chat.smsRetrying, Date.now());
  seqs.forEach(function (seq) {
    chat.smsRetrying.delete(seq);
    chat.smsNotes.set(seq, "Not sent again: " + message);
    redraw(chat, seq);
  });
  return seqs.length > 0;
}
