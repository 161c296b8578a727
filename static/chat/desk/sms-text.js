/* Pure rules of SMS conversations on the desk (issue 18): which chats are
 * texts, the badge, when the answer is due, the composer's counter and its
 * numbered split, delivery states and the `sms_status` / `sms_retry` frames.
 * No DOM: unit-tested in tests/js/desk_sms.test.mjs. */
import {smsInfo, splitNumbered} from "../shared/sms.js";
import {chars, plural} from "./format.js";

// The consortium's length of one text as the composer counts it (the shared
// splitNumbered's default); the desk config's `sms_message_chars` wins.
export const SMS_MESSAGE_CHARS = 150;
// Twilio joins a long text into one of at most 1,600 characters; past that
// the provider refuses it (the server's MAX_SMS_CHARS for texts in).
export const SMS_MAX_CHARS = 1600;

/** True for a waiting row, `mine` row or detail of an SMS conversation. */
export function isSms(payload) {
  return !!payload && payload.channel === "sms";
}

/** True when a desk chat (panel.js) is an SMS conversation: its detail or
 * its `mine` row says so (the channel never changes). */
export function chatIsSms(chat) {
  return !!chat && (isSms(chat.detail) || isSms(chat.summary));
}

/** A positive whole number from the config, else `fallback`. */
export function configChars(value, fallback) {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : fallback;
}

/** The text of an SMS waiting row's deadline from `reply_due_at` (ISO):
 * {text: "answer due in 3 h" | "answer due in 40 min" | "overdue" | "",
 * overdue}. Whole hours from one hour on (rounded down: never later than
 * it is), minutes below (rounded up: "in 0 min" would read as overdue). */
export function replyDueText(iso, now) {
  var due = iso ? Date.parse(iso) : NaN;
  if (isNaN(due)) return {text: "", overdue: false};
  var left = due - now;
  if (left <= 0) return {text: "overdue", overdue: true};
  var minutes = Math.ceil(left / 60000);
  if (minutes < 60) return {text: "answer due in " + minutes + " min", overdue: false};
  return {text: "answer due in " + Math.floor(left / 3600000) + " h", overdue: false};
}

/** The timer of an SMS waiting row: a text is answered within hours, so the
 * live chat's one- and three-minute alarms do not apply; `reply_due_at` does
 * (overdue = the long-wait look). Same shape as waitState. */
export function smsWaitState(row, waitText, now) {
  var due = replyDueText(row.reply_due_at, now);
  return {wait: waitText, risk: false, long: due.overdue, riskText: due.text};
}

/** The encoding as the counter names it. */
export function encodingName(encoding) {
  return encoding === "GSM-7" ? "GSM-7" : "Unicode";
}

/** The SMS counter under the composer for the text `value` (trimmed, as it
 * is sent): {text, over, warning, parts, splitLabel, tooLong, tooLongText}.
 * `max` is one text's length (150), `maxTotal` the longest text a plain Send
 * may go as (1600). Over `max`: a warning and the numbered parts. */
export function smsCounter(value, max, maxTotal) {
  var text = String(value == null ? "" : value).trim();
  var n = chars(text);
  var info = smsInfo(text);
  var encoding = encodingName(info.encoding);
  var over = n > max;
  var parts = over ? splitNumbered(text, max) : [];
  var tooLong = n > maxTotal;
  return {
    text: n + " of " + max + " characters · " + plural(info.segments, "text") + " · " + encoding,
    encoding: encoding,
    segments: info.segments,
    over: over,
    warning: over
      ? "Over " + max + " characters: Send sends it as one long text (the phone joins its " +
        plural(info.segments, "part") + "), or split it into " + parts.length + " numbered texts."
      : "",
    parts: parts,
    splitLabel: over ? "Split into " + parts.length + " numbered texts" : "",
    tooLong: tooLong,
    tooLongText: tooLong
      ? "Not sent: one text is at most " + maxTotal + " characters. Use “Split into " +
        parts.length + " numbered texts”."
      : ""
  };
}

// Delivery states of a text (SmsMessage.Status) and how far along each is:
// reports may arrive out of order and never go back, except that a retry
// starts a failed text again as pending.
var STATUS_LABEL = {
  pending: "Sending…",
  queued: "Sending…",
  sent: "Sent",
  delivered: "Delivered",
  undelivered: "Not delivered",
  failed: "Failed"
};
var STATUS_RANK = {pending: 0, queued: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3};
var RETRYABLE = ["failed", "undelivered"];

/** The delivery state of a librarian's text as its message shows it:
 * "Delivered", "Failed: Twilio error 30003", … ("" for a state a librarian's
 * text does not have, such as "received"). */
export function smsStatusText(sms) {
  if (!sms || !Object.prototype.hasOwnProperty.call(STATUS_LABEL, sms.status)) return "";
  var label = STATUS_LABEL[sms.status];
  var error = typeof sms.error === "string" ? sms.error.trim() : "";
  return error && RETRYABLE.indexOf(sms.status) !== -1 ? label + ": " + error : label;
}

/** A failed or undelivered text can be sent again ("Retry"). */
export function canRetry(sms) {
  return !!sms && RETRYABLE.indexOf(sms.status) !== -1;
}

/** The state a message's text is in after `incoming` ({status, error}):
 * an `sms_status` frame (`fromFrame`) always counts, as the server sends
 * them in the order it records them (a retry included); a message payload
 * (a resync or a push read earlier) counts unless it is behind what a frame
 * already said. Invalid input leaves `current`. */
export function mergeSmsState(current, incoming, fromFrame) {
  if (!incoming || typeof incoming.status !== "string" ||
      !Object.prototype.hasOwnProperty.call(STATUS_RANK, incoming.status)) return current || null;
  var next = {status: incoming.status, error: typeof incoming.error === "string" ? incoming.error : ""};
  if (!current || fromFrame) return next;
  return STATUS_RANK[next.status] >= STATUS_RANK[current.status] ? next : current;
}

/** An `sms_status` frame as {conversation, seq, status, error}, or null
 * when it is not one the desk can use. */
export function parseSmsStatus(frame) {
  if (!frame || frame.type !== "sms_status") return null;
  if (!Number.isInteger(frame.conversation) || !Number.isInteger(frame.seq)) return null;
  if (typeof frame.status !== "string" || !Object.prototype.hasOwnProperty.call(STATUS_RANK, frame.status)) return null;
  return {
    conversation: frame.conversation,
    seq: frame.seq,
    status: frame.status,
    error: typeof frame.error === "string" ? frame.error : ""
  };
}

/** The frame that asks the server to send a failed text again. */
export function smsRetryFrame(conversation, seq) {
  return {type: "sms_retry", conversation: conversation, seq: seq};
}

// How long after an `sms_retry` an error frame that names no seq is taken
// as its answer.
export const RETRY_ANSWER_MS = 10000;

/** The seqs an `error` frame refuses a retry of: the seq it names, if a
 * retry of it waits; else, for an error about no message of ours, the
 * retries of this chat sent in the last RETRY_ANSWER_MS. `retrying` maps a
 * seq to when its retry was sent. */
export function retryErrorSeqs(frame, retrying, now) {
  if (!frame || !retrying || !retrying.size || frame.client_id) return [];
  if (Number.isInteger(frame.seq)) return retrying.has(frame.seq) ? [frame.seq] : [];
  var seqs = [];
  retrying.forEach(function (at, seq) { if (now - at <= RETRY_ANSWER_MS) seqs.push(seq); });
  return seqs;
}
