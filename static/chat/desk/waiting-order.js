/* Pure rules of the waiting list: pickup order, wait timers' text, counts. */
import {HIGHLIGHT_SECONDS, RISK_SECONDS} from "./constants.js";
import {duration} from "./format.js";

/** Pickup order, as the server sorts: residents first, then longest
 * waiting (by request time), then the lower id. True if `a` goes before `b`. */
export function pickupBefore(a, b) {
  if (!!a.resident !== !!b.resident) return !!a.resident;
  var ta = Date.parse(a.requested_at), tb = Date.parse(b.requested_at);
  if (ta !== tb) return ta < tb;
  return a.id < b.id;
}

/** Of `others` (chats already listed), the one `chat` goes right before:
 * the first in pickup order of those it precedes; null means at the end. */
export function placeBefore(chat, others) {
  var before = null;
  others.forEach(function (other) {
    if (!other || other.id === chat.id) return;
    if (pickupBefore(chat, other) && (!before || pickupBefore(other, before))) before = other;
  });
  return before;
}

/** The whole list in pickup order (a copy). */
export function sortForPickup(list) {
  return list.slice().sort(function (a, b) {
    if (pickupBefore(a, b)) return -1;
    if (pickupBefore(b, a)) return 1;
    return 0;
  });
}

/** Since when a chat waits (ms): `waiting_since` (reset by a transfer), else
 * `requested_at`, else `now`. */
export function waitingSince(chat, now) {
  var since = Date.parse(chat.waiting_since || chat.requested_at);
  return isNaN(since) ? now : since;
}

/** The timer of one waiting row: {wait, risk, long, riskText}. The server's
 * `at_risk` and `highlight` flags count as well as the local clock. */
export function waitState(chat, seconds) {
  var risk = !!(chat.at_risk || seconds >= RISK_SECONDS);
  var long = !!(chat.highlight || seconds >= HIGHLIGHT_SECONDS);
  return {
    wait: "Waiting " + duration(seconds),
    risk: risk && !long,
    long: long,
    riskText: long ? "Waiting over 3 minutes" : risk ? "At risk of being missed" : ""
  };
}

/** The patron line of a waiting row. */
export function patronLine(chat) {
  var who = chat.patron_name ? chat.patron_name : "Anonymous patron";
  return who + (chat.patron_status ? " — " + chat.patron_status : "");
}

/** The transfer line of a waiting row, or "" when it was not transferred. */
export function transferLine(chat) {
  if (!chat.transfer) return "";
  return "Transferred by " + (chat.transfer.from || "a colleague") + ": " + (chat.transfer.note || "");
}

/** How many rows count as waiting (a "taken" row is on its way out). */
export function countWaiting(rows) {
  var n = 0;
  rows.forEach(function (row) { if (!row.taken) n++; });
  return n;
}

/** The document title with the number waiting in front: "(2) Desk …". */
export function titleWithCount(n, baseTitle) {
  return (n > 0 ? "(" + n + ") " : "") + baseTitle;
}
