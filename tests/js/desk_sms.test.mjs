// The desk's SMS conversations (issue 18): the counter under the composer
// and its numbered split, the deadline of a waiting text, delivery states,
// and the sms_status / sms_retry / error frames through the real modules.
import {test} from "node:test";
import assert from "node:assert/strict";
import {splitNumbered} from "../../static/chat/shared/sms.js";
import {
  RETRY_ANSWER_MS, SMS_MAX_CHARS, SMS_MESSAGE_CHARS, canRetry, chatIsSms, configChars, isSms,
  mergeSmsState, parseSmsStatus, replyDueText, retryErrorSeqs, smsCounter, smsRetryFrame,
  smsStatusText, smsWaitState
} from "../../static/chat/desk/sms-text.js";

test("the counter: characters of 150, texts (segments) and the encoding", () => {
  assert.equal(SMS_MESSAGE_CHARS, 150);
  assert.equal(smsCounter("", 150, 1600).text, "0 of 150 characters · 0 texts · GSM-7");
  assert.equal(smsCounter("  Hello!  ", 150, 1600).text, "6 of 150 characters · 1 text · GSM-7");
  // 160 GSM-7 characters still fit one segment; the 161st makes two (153 each).
  assert.equal(smsCounter("a".repeat(160), 150, 1600).text, "160 of 150 characters · 1 text · GSM-7");
  assert.equal(smsCounter("a".repeat(161), 150, 1600).text, "161 of 150 characters · 2 texts · GSM-7");
  // An extension character (€) costs two septets: 160 characters, 2 texts.
  assert.equal(smsCounter("a".repeat(159) + "€", 150, 1600).segments, 2);
  // An emoji forces UCS-2: 70 units a text; the emoji is one character.
  const emoji = smsCounter("Thanks 😀", 150, 1600);
  assert.equal(emoji.text, "8 of 150 characters · 1 text · Unicode");
  assert.equal(smsCounter("é".repeat(10) + "ł", 150, 1600).encoding, "Unicode");
  assert.equal(smsCounter("x".repeat(69) + "😀", 150, 1600).segments, 2);
});

test("over 150 characters: a warning and the numbered split, never before", () => {
  const at = smsCounter("word ".repeat(30).trim(), 150, 1600);  // 149 characters
  assert.equal(at.over, false);
  assert.equal(at.warning, "");
  assert.equal(at.splitLabel, "");
  assert.deepEqual(at.parts, []);
  const text = "The forms are at the front desk. ".repeat(8).trim();  // 263 characters
  const over = smsCounter(text, 150, 1600);
  assert.equal(over.over, true);
  assert.equal(over.tooLong, false);
  assert.deepEqual(over.parts, splitNumbered(text, 150));
  assert.equal(over.parts.length, 2);
  assert.equal(over.splitLabel, "Split into 2 numbered texts");
  assert.match(over.parts[0], /^1\/2 The forms/);
  assert.match(over.parts[1], /^2\/2 /);
  over.parts.forEach((p) => assert.ok(Array.from(p).length <= 150));
  assert.equal(
    over.warning,
    "Over 150 characters: Send sends it as one long text (the phone joins its 2 parts), or split it into 2 numbered texts."
  );
  // Another length from the desk config counts.
  assert.equal(smsCounter("a ".repeat(60).trim(), 100, 1600).over, true);
});

test("a plain Send is refused past the longest joined text the provider takes", () => {
  assert.equal(SMS_MAX_CHARS, 1600);
  assert.equal(smsCounter("a ".repeat(800).trim(), 150, 1600).tooLong, false);  // 1599
  const long = smsCounter("a ".repeat(801).trim(), 150, 1600);                  // 1601
  assert.equal(long.tooLong, true);
  assert.equal(
    long.tooLongText,
    "Not sent: one text is at most 1600 characters. Use “Split into " + long.parts.length + " numbered texts”."
  );
});

test("config lengths must be positive whole numbers", () => {
  assert.equal(configChars(120, 150), 120);
  assert.equal(configChars(undefined, 150), 150);
  assert.equal(configChars("120", 150), 150);
  assert.equal(configChars(0, 150), 150);
  assert.equal(configChars(-5, 150), 150);
  assert.equal(configChars(12.5, 150), 150);
});

test("SMS conversations are known by their channel, from the detail or the mine row", () => {
  assert.equal(isSms({channel: "sms"}), true);
  assert.equal(isSms({channel: "chat"}), false);
  assert.equal(isSms({}), false);
  assert.equal(isSms(null), false);
  assert.equal(chatIsSms({detail: null, summary: {channel: "sms"}}), true);
  assert.equal(chatIsSms({detail: {channel: "sms"}, summary: null}), true);
  assert.equal(chatIsSms({detail: {channel: "chat"}, summary: {channel: "chat"}}), false);
  assert.equal(chatIsSms({detail: {}, summary: null}), false);
});

test("a waiting text says when its answer is due, or that it is overdue", () => {
  const now = Date.parse("2026-03-02T10:00:00Z");
  assert.deepEqual(replyDueText("2026-03-02T13:00:00Z", now), {text: "answer due in 3 h", overdue: false});
  assert.deepEqual(replyDueText("2026-03-02T13:59:00Z", now), {text: "answer due in 3 h", overdue: false});
  assert.deepEqual(replyDueText("2026-03-02T21:00:00Z", now), {text: "answer due in 11 h", overdue: false});
  assert.deepEqual(replyDueText("2026-03-02T10:40:00Z", now), {text: "answer due in 40 min", overdue: false});
  assert.deepEqual(replyDueText("2026-03-02T10:00:20Z", now), {text: "answer due in 1 min", overdue: false});
  assert.deepEqual(replyDueText("2026-03-02T10:00:00Z", now), {text: "overdue", overdue: true});
  assert.deepEqual(replyDueText("2026-03-02T09:00:00Z", now), {text: "overdue", overdue: true});
  assert.deepEqual(replyDueText(null, now), {text: "", overdue: false});
  assert.deepEqual(replyDueText("not a time", now), {text: "", overdue: false});
  // The row: no one- or three-minute chat alarm; overdue looks like a long wait.
  assert.deepEqual(smsWaitState({reply_due_at: "2026-03-02T13:00:00Z"}, "Waiting 9 h 00 min", now),
    {wait: "Waiting 9 h 00 min", risk: false, long: false, riskText: "answer due in 3 h"});
  assert.deepEqual(smsWaitState({reply_due_at: "2026-03-02T09:00:00Z"}, "Waiting 13 h 00 min", now),
    {wait: "Waiting 13 h 00 min", risk: false, long: true, riskText: "overdue"});
});

test("delivery states read as words, with the error of a failed text", () => {
  assert.equal(smsStatusText({status: "pending", error: ""}), "Sending…");
  assert.equal(smsStatusText({status: "queued", error: ""}), "Sending…");
  assert.equal(smsStatusText({status: "sent", error: ""}), "Sent");
  assert.equal(smsStatusText({status: "delivered", error: ""}), "Delivered");
  assert.equal(smsStatusText({status: "undelivered", error: "Twilio error 30003"}), "Not delivered: Twilio error 30003");
  assert.equal(smsStatusText({status: "failed", error: "Twilio error 21610"}), "Failed: Twilio error 21610");
  assert.equal(smsStatusText({status: "failed", error: ""}), "Failed");
  assert.equal(smsStatusText({status: "received", error: ""}), "");  // a patron's text
  assert.equal(smsStatusText({status: "bogus"}), "");
  assert.equal(smsStatusText(null), "");
  assert.equal(canRetry({status: "failed"}), true);
  assert.equal(canRetry({status: "undelivered"}), true);
  ["pending", "queued", "sent", "delivered", "received"].forEach((s) => assert.equal(canRetry({status: s}), false));
  assert.equal(canRetry(null), false);
});

test("a stale copy never sets a text back; an sms_status frame (a retry too) always counts", () => {
  const delivered = {status: "delivered", error: ""};
  assert.deepEqual(mergeSmsState(null, {status: "sent"}, false), {status: "sent", error: ""});
  assert.equal(mergeSmsState(delivered, {status: "sent", error: ""}, false), delivered);
  assert.deepEqual(mergeSmsState({status: "sent", error: ""}, delivered, false), delivered);
  const failed = {status: "failed", error: "Twilio error 30006"};
  assert.deepEqual(mergeSmsState(failed, {status: "pending", error: ""}, true), {status: "pending", error: ""});
  assert.equal(mergeSmsState(failed, {status: "pending", error: ""}, false), failed);
  assert.equal(mergeSmsState(failed, {status: "nonsense"}, true), failed);
  assert.equal(mergeSmsState(failed, null, true), failed);
  assert.equal(mergeSmsState(null, {status: 3}, true), null);
});

test("sms_status frames are checked before use; sms_retry names the text", () => {
  assert.deepEqual(
    parseSmsStatus({type: "sms_status", conversation: 7, seq: 3, status: "failed", error: "Twilio error 30003"}),
    {conversation: 7, seq: 3, status: "failed", error: "Twilio error 30003"}
  );
  assert.deepEqual(parseSmsStatus({type: "sms_status", conversation: 7, seq: 3, status: "sent"}),
    {conversation: 7, seq: 3, status: "sent", error: ""});
  assert.equal(parseSmsStatus({type: "sms_status", conversation: "7", seq: 3, status: "sent"}), null);
  assert.equal(parseSmsStatus({type: "sms_status", conversation: 7, seq: 1.5, status: "sent"}), null);
  assert.equal(parseSmsStatus({type: "sms_status", conversation: 7, seq: 3, status: "exploded"}), null);
  assert.equal(parseSmsStatus({type: "message", conversation: 7, seq: 3, status: "sent"}), null);
  assert.equal(parseSmsStatus(null), null);
  assert.deepEqual(smsRetryFrame(7, 3), {type: "sms_retry", conversation: 7, seq: 3});
});

test("an error frame refuses the retry it names, or the recent ones of the chat", () => {
  const now = 1_000_000;
  const retrying = new Map([[3, now - 1000], [5, now - RETRY_ANSWER_MS - 1]]);
  assert.deepEqual(retryErrorSeqs({type: "error", conversation: 7, seq: 5, message: "No"}, retrying, now), [5]);
  assert.deepEqual(retryErrorSeqs({type: "error", conversation: 7, seq: 9, message: "No"}, retrying, now), []);
  assert.deepEqual(retryErrorSeqs({type: "error", conversation: 7, message: "No"}, retrying, now), [3]);
  // About a message of ours: not a retry's answer.
  assert.deepEqual(retryErrorSeqs({type: "error", conversation: 7, client_id: "d-1"}, retrying, now), []);
  assert.deepEqual(retryErrorSeqs({type: "error", conversation: 7}, new Map(), now), []);
});

// ------------------------------------------------------------------------
// The frames through the real modules (frames.js → sms.js), on a small
// stand-in for the DOM: enough of it for the elements these modules make.

class FakeElement {
  constructor(tag) {
    this.tagName = tag.toUpperCase();
    this.children = [];
    this.parentNode = null;
    this.className = "";
    this.dataset = {};
    this.attributes = {};
    this.listeners = {};
    this.hidden = false;
    this.disabled = false;
    this._text = "";
    const self = this;
    this.classList = {
      contains: (c) => self.className.split(/\s+/).includes(c),
      toggle: (c, on) => {
        const list = self.className.split(/\s+/).filter((x) => x && x !== c);
        if (on) list.push(c);
        self.className = list.join(" ");
      },
      add: (c) => self.classList.toggle(c, true),
      remove: (c) => self.classList.toggle(c, false),
    };
  }
  get textContent() { return this._text + this.children.map((c) => c.textContent).join(""); }
  set textContent(v) { this.children.forEach((c) => { c.parentNode = null; }); this.children = []; this._text = String(v); }
  get firstChild() { return this.children[0] || null; }
  appendChild(c) { if (c.parentNode) c.remove(); c.parentNode = this; this.children.push(c); return c; }
  insertBefore(c, ref) {
    if (!ref) return this.appendChild(c);
    if (c.parentNode) c.remove();
    c.parentNode = this;
    this.children.splice(this.children.indexOf(ref), 0, c);
    return c;
  }
  remove() { if (this.parentNode) { this.parentNode.children = this.parentNode.children.filter((x) => x !== this); this.parentNode = null; } }
  setAttribute(k, v) { this.attributes[k] = String(v); }
  getAttribute(k) { return k in this.attributes ? this.attributes[k] : null; }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  click() { if (!this.disabled) (this.listeners.click || []).forEach((fn) => fn({})); }
  focus() { globalThis.document.activeElement = this; }
  contains(node) { for (let n = node; n; n = n.parentNode) if (n === this) return true; return false; }
  all() { return this.children.flatMap((c) => [c, ...c.all()]); }
  querySelector(sel) { return this.querySelectorAll(sel)[0] || null; }
  querySelectorAll(sel) {
    const classes = sel.split(".").filter(Boolean);  // ".a.b" only: what these modules ask
    return this.all().filter((n) => classes.every((c) => n.classList.contains(c)));
  }
}

const sent = [];
class FakeSocket {
  static OPEN = 1;
  constructor() { this.readyState = 0; FakeSocket.last = this; }
  send(data) { sent.push(JSON.parse(data)); }
  close() {}
}

async function loadDesk() {
  globalThis.document = {
    title: "Desk",
    activeElement: null,
    hidden: false,
    createElement: (tag) => new FakeElement(tag),
    querySelector: () => null,
    querySelectorAll: () => [],
    getElementById: () => null,
  };
  globalThis.window = {
    location: {protocol: "http:", host: "desk.test"},
    setTimeout: () => 0, clearTimeout: () => {}, setInterval: () => 0, clearInterval: () => {},
    addEventListener: () => {},
  };
  globalThis.WebSocket = FakeSocket;
  const socket = await import("../../static/chat/desk/socket.js");
  const {chats} = await import("../../static/chat/desk/chats.js");
  const {hooks} = await import("../../static/chat/desk/hooks.js");
  const sms = await import("../../static/chat/desk/sms.js");
  const frames = await import("../../static/chat/desk/frames.js");
  Object.assign(hooks, sms, {renderSmsCounter: () => {}});
  socket.startSocket({url: "/ws/desk/", statusLine: new FakeElement("p"), onOpen: null, onFrame: frames.handle, onBeat: null});
  FakeSocket.last.readyState = FakeSocket.OPEN;
  FakeSocket.last.onopen();
  return {chats, hooks, sms, frames};
}

function fakeChat(id, channel) {
  const root = new FakeElement("section");
  const title = root.appendChild(new FakeElement("h3"));
  title.className = "cp-title";
  const log = root.appendChild(new FakeElement("div"));
  log.className = "chat-log";
  const composeMsg = root.appendChild(new FakeElement("p"));
  return {
    id, root, log, composeMsg, tab: new FakeElement("button"), seqs: new Map(), pending: new Map(),
    smsStates: new Map(), smsRetrying: new Map(), smsNotes: new Map(),
    detail: {id, channel, status: "active"}, summary: null, status: "active",
  };
}

function librarianMessage(chat, seq, sms, desk) {
  const node = chat.log.appendChild(new FakeElement("div"));
  node.className = "msg msg-librarian";
  chat.seqs.set(seq, node);
  desk.sms.noteSmsState(chat, {seq, sender: "librarian", sms});
  desk.sms.renderSmsState(chat, node, seq);
  return node;
}

test("the desk's frames: badges, delivery updates by seq, Retry, and a refused retry", async () => {
  const desk = await loadDesk();
  const chat = fakeChat(7, "sms");
  const live = fakeChat(8, "chat");
  desk.chats.set(7, chat);
  desk.chats.set(8, live);

  // The badge reads "SMS", is named "Text message", and only on texts.
  desk.sms.renderSmsMarks(chat);
  desk.sms.renderSmsMarks(live);
  const badge = chat.root.querySelector(".badge-sms");
  assert.equal(badge.title, "Text message");
  assert.equal(badge.textContent, "SMSText message");
  assert.equal(badge.children[0].getAttribute("aria-hidden"), "true");
  assert.equal(badge.children[1].className, "visually-hidden");
  assert.ok(chat.tab.querySelector(".badge-sms"));
  assert.equal(live.root.querySelector(".badge-sms"), null);
  assert.equal(live.tab.querySelector(".badge-sms"), null);

  const node = librarianMessage(chat, 3, {status: "pending", error: ""}, desk);
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Sending…");
  // A live chat's messages carry no delivery line.
  const chatNode = librarianMessage(live, 3, null, desk);
  assert.equal(chatNode.querySelector(".msg-sms"), null);

  // sms_status for another seq or conversation leaves this one alone.
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 4, status: "delivered", error: ""});
  desk.frames.handle({type: "sms_status", conversation: 8, seq: 3, status: "delivered", error: ""});
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Sending…");
  assert.equal(chatNode.querySelector(".msg-sms"), null);
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 3, status: "sent", error: ""});
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Sent");
  assert.equal(node.querySelector(".msg-sms-retry"), null);

  // Failed: the error and Retry, which sends sms_retry for that text.
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 3, status: "failed", error: "Twilio error 30003"});
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Failed: Twilio error 30003");
  assert.ok(node.querySelector(".msg-sms").classList.contains("msg-sms-failed"));
  sent.length = 0;
  node.querySelector(".msg-sms-retry").click();
  assert.deepEqual(sent, [{type: "sms_retry", conversation: 7, seq: 3}]);
  const waiting = node.querySelector(".msg-sms-retry");
  assert.equal(waiting.disabled, true);
  assert.equal(waiting.textContent, "Retrying…");
  waiting.click();
  assert.equal(sent.length, 1);  // not twice while the first waits

  // The server refuses: its message at the text, Retry again, and the
  // usual place (the composer's status line) too.
  desk.frames.handle({type: "error", conversation: 7, code: "invalid", message: "The patron texted STOP."});
  assert.equal(node.querySelector(".msg-sms-note").textContent, "Not sent again: The patron texted STOP.");
  assert.equal(node.querySelector(".msg-sms-retry").disabled, false);
  assert.equal(chat.composeMsg.textContent, "The patron texted STOP.");

  // Taken: pending, then delivered; no Retry, no note.
  node.querySelector(".msg-sms-retry").click();
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 3, status: "pending", error: ""});
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Sending…");
  assert.equal(node.querySelector(".msg-sms-retry"), null);
  assert.equal(node.querySelector(".msg-sms-note"), null);
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 3, status: "delivered", error: ""});
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Delivered");
  // A stale copy of the message (a resync read earlier) does not undo it.
  desk.sms.noteSmsState(chat, {seq: 3, sender: "librarian", sms: {status: "sent", error: ""}});
  desk.sms.renderSmsState(chat, node, 3);
  assert.equal(node.querySelector(".msg-sms-state").textContent, "Delivered");

  // A status that comes before its message is kept for it.
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 6, status: "undelivered", error: "Twilio error 30005"});
  const later = librarianMessage(chat, 6, null, desk);
  assert.equal(later.querySelector(".msg-sms-state").textContent, "Not delivered: Twilio error 30005");
  // A malformed frame changes nothing.
  desk.frames.handle({type: "sms_status", conversation: 7, seq: 6, status: "gone"});
  assert.equal(later.querySelector(".msg-sms-state").textContent, "Not delivered: Twilio error 30005");
});
