/* The waiting list: rows of chats offered to this desk, their timers, the
 * "Accept" buttons and the "taken by another librarian" notice; an SMS row
 * has its badge and says when its answer is due. Ordering and timer text are
 * waiting-order.js (and sms-text.js for texts). */
import {$, $$, el, smsBadge} from "./dom.js";
import {alertsBox, baseTitle, waitingCount, waitingEmpty, waitingList, waitingMsg} from "./page.js";
import {send} from "./socket.js";
import {beep} from "./sound.js";
import {chats, waitingRows} from "./chats.js";
import {isSms, smsWaitState} from "./sms-text.js";
import {
  countWaiting, patronLine, placeBefore, titleWithCount, transferLine, waitingSince, waitState
} from "./waiting-order.js";

var seenWaiting = new Set();
var takenUntil = new Map();   // id -> time the "taken" notice may go away
var waitingIds = new Set();

function buildWaitingRow(id) {
  var li = el("li", "waiting-chat");
  li.dataset.conversation = String(id);
  var head = el("div", "w-head");
  var sms = smsBadge("w-sms");
  sms.hidden = true;
  head.appendChild(sms);
  head.appendChild(el("strong", "w-library"));
  head.appendChild(el("span", "w-queue muted"));
  head.appendChild(el("span", "badge w-resident"));
  head.appendChild(el("span", "badge w-for-me", "Transferred to you"));
  li.appendChild(head);
  li.appendChild(el("div", "w-patron"));
  var question = el("p", "w-question");
  question.id = "w-question-" + id;
  li.appendChild(question);
  li.appendChild(el("p", "w-transfer"));
  var foot = el("div", "w-foot");
  var wait = el("span", "wait");
  foot.appendChild(wait);
  foot.appendChild(el("span", "risk"));
  var accept = el("button", "accept", "Accept");
  accept.type = "button";
  accept.dataset.conversation = String(id);
  accept.setAttribute("aria-describedby", question.id);
  accept.addEventListener("click", function () { acceptChat(id, accept); });
  foot.appendChild(accept);
  li.appendChild(foot);
  var note = el("p", "w-note");
  note.setAttribute("role", "status");
  li.appendChild(note);
  return li;
}

function fillWaitingRow(row) {
  var li = row.li, c = row.chat;
  $(".w-sms", li).hidden = !isSms(c);
  li.classList.toggle("waiting-sms", isSms(c));
  $(".w-library", li).textContent = (c.library && c.library.name) || "";
  $(".w-queue", li).textContent = c.queue || "";
  var res = $(".w-resident", li);
  res.textContent = c.resident ? "Resident" : "Non-resident";
  res.classList.toggle("badge-resident", !!c.resident);
  res.classList.toggle("badge-nonresident", !c.resident);
  $(".w-for-me", li).hidden = !c.for_me;
  $(".w-patron", li).textContent = patronLine(c);
  $(".w-question", li).textContent = c.question || "";
  var transfer = $(".w-transfer", li);
  var text = transferLine(c);
  transfer.textContent = text;
  transfer.hidden = !text;
  li.classList.toggle("for-me", !!c.for_me);
}

function tickWaiting() {
  var now = Date.now();
  waitingRows.forEach(function (row) {
    if (row.taken) return;
    var state = waitState(row.chat, (now - row.since) / 1000);
    // A text waits hours, not minutes: its deadline is reply_due_at.
    if (isSms(row.chat)) state = smsWaitState(row.chat, state.wait, now);
    $(".wait", row.li).textContent = state.wait;
    row.li.classList.toggle("at-risk", state.risk);
    row.li.classList.toggle("long-wait", state.long);
    $(".risk", row.li).textContent = state.riskText;
  });
  takenUntil.forEach(function (until, id) {
    if (until <= now) {
      takenUntil.delete(id);
      var row = waitingRows.get(id);
      if (row && row.taken) {
        row.li.remove();
        waitingRows.delete(id);
        updateWaitingCount();
      }
    }
  });
}

// One waiting chat's row, created or refreshed; `fresh` if the chat is new.
function putWaiting(c) {
  var fresh = !seenWaiting.has(c.id);
  seenWaiting.add(c.id);
  var row = waitingRows.get(c.id);
  if (!row || row.taken) {
    if (row) row.li.remove();
    row = {li: buildWaitingRow(c.id)};
    waitingRows.set(c.id, row);
  }
  row.chat = c;
  row.since = waitingSince(c, Date.now());
  fillWaitingRow(row);
  return {row: row, fresh: fresh};
}

function dropWaitingRow(id) {
  var row = waitingRows.get(id);
  if (!row || row.taken) return;
  if (row.li.contains(document.activeElement)) $("#waiting-heading").focus();
  row.li.remove();
  waitingRows.delete(id);
}

function waitingChanged(fresh) {
  // Alerts about waiting chats go away with the chat.
  $$(".alert[data-waiting]", alertsBox).forEach(function (node) {
    var cid = Number(node.dataset.conversation);
    if (!waitingIds.has(cid) && seenWaiting.has(cid)) node.remove();
  });
  tickWaiting();
  updateWaitingCount();
  if (fresh) beep(false);
}

/** The server's `waiting`: the whole list, in pickup order. */
export function showWaiting(list) {
  var fresh = false;
  var ids = new Set();
  var previous = null;
  list.forEach(function (c) {
    if (typeof c.id !== "number") return;
    ids.add(c.id);
    var put = putWaiting(c);
    fresh = fresh || put.fresh;
    // Keep pickup order without moving rows needlessly (moving loses focus).
    var expected = previous ? previous.nextSibling : waitingList.firstChild;
    if (expected !== put.row.li) waitingList.insertBefore(put.row.li, expected);
    previous = put.row.li;
  });
  waitingRows.forEach(function (row, id) { if (!ids.has(id)) dropWaitingRow(id); });
  waitingIds = ids;
  waitingChanged(fresh);
}

// The server's `waiting_add`: one chat offered to this desk (new, or its
// row changed); it goes in its place in pickup order.
export function addWaiting(c) {
  if (!c || typeof c.id !== "number" || chats.has(c.id)) return;
  var put = putWaiting(c);
  var listed = [], rowOf = new Map();
  waitingRows.forEach(function (other, id) {
    if (id === c.id || other.taken || !other.chat) return;
    listed.push(other.chat);
    rowOf.set(other.chat, other);
  });
  var before = placeBefore(c, listed);
  var at = before ? rowOf.get(before).li : null;
  // Moving a row that is in place would lose its focus.
  if (!put.row.li.isConnected || put.row.li.nextSibling !== at) waitingList.insertBefore(put.row.li, at);
  waitingIds.add(c.id);
  waitingChanged(put.fresh);
}

// The server's `waiting_remove`: picked up, ended or no longer offered here.
export function removeWaiting(id) {
  if (typeof id !== "number") return;
  dropWaitingRow(id);
  waitingIds.delete(id);
  waitingChanged(false);
}

/** The row of a chat this desk now has goes away at once. */
export function forgetWaiting(id) {
  var row = waitingRows.get(id);
  if (row) { row.li.remove(); waitingRows.delete(id); updateWaitingCount(); }
}

export function updateWaitingCount() {
  var n = countWaiting(waitingRows);
  waitingCount.textContent = String(n);
  waitingCount.classList.toggle("count-hot", n > 0);
  waitingEmpty.hidden = waitingRows.size > 0;
  document.title = titleWithCount(n, baseTitle);
}

function acceptChat(id, button) {
  waitingMsg.textContent = "";
  if (!send({type: "accept", conversation: id})) {
    waitingMsg.textContent = "Not connected; wait for the connection to come back.";
    return;
  }
  button.disabled = true;
  button.textContent = "Accepting…";
  window.setTimeout(function () {
    // No answer within 10 s: let the librarian try again.
    if (button.isConnected && button.disabled && !chats.has(id)) {
      button.disabled = false;
      button.textContent = "Accept";
    }
  }, 10000);
}

/** The `taken` error: another librarian was quicker. */
export function markTaken(id, message) {
  var row = waitingRows.get(id);
  if (!row) {
    waitingMsg.textContent = message || "Another librarian picked this up.";
    return;
  }
  row.taken = true;
  row.li.classList.remove("at-risk", "long-wait");
  row.li.classList.add("taken");
  var accept = $(".accept", row.li);
  if (accept) {
    if (accept === document.activeElement) $("#waiting-heading").focus();
    accept.remove();
  }
  $(".risk", row.li).textContent = "";
  $(".w-note", row.li).textContent = "Another librarian picked this up.";
  takenUntil.set(id, Date.now() + 3000);
  updateWaitingCount();
}

/** A refused accept: the button can be pressed again (all of them if `id` is null). */
export function resetAccept(id) {
  var row = id !== null ? waitingRows.get(id) : null;
  var button = row && $(".accept", row.li);
  if (button) { button.disabled = false; button.textContent = "Accept"; }
  if (id === null) $$("button.accept[disabled]", waitingList).forEach(function (b) { b.disabled = false; b.textContent = "Accept"; });
}

/** A note under a waiting row (an error about that chat). */
export function waitingNote(id, message) {
  var row = waitingRows.get(id);
  if (!row) return false;
  $(".w-note", row.li).textContent = message;
  return true;
}

export function startWaiting() {
  window.setInterval(tickWaiting, 1000);
}
