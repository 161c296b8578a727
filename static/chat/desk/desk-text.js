/* Pure text and rules of the desk's other parts: alerts, monitoring, the
 * side pane (patron, tickets, knowledge base) and who is on duty. */
import {plural} from "./format.js";

var URGENT = ["missed_risk", "waiting_long", "transfer", "backup"];
var SOUND = ["missed_risk", "transfer", "backup"];
var ABOUT_WAITING = ["missed_risk", "waiting_long", "transfer"];

/** How an alert frame is shown: {className, urgent, waiting, sound}. */
export function alertStyle(kind) {
  return {
    className: "alert alert-" + String(kind || "info").replace(/[^a-z_]/g, ""),
    urgent: URGENT.indexOf(kind) !== -1,
    waiting: ABOUT_WAITING.indexOf(kind) !== -1,
    sound: SOUND.indexOf(kind) !== -1
  };
}

/** Which button an alert gets: "suggest", "chat", "waiting" or null. */
export function alertAction(frame, hasChat, hasWaitingRow) {
  var id = typeof frame.conversation === "number" ? frame.conversation : null;
  if (frame.suggestion && id !== null) return "suggest";
  if (id !== null && hasChat) return "chat";
  if (id !== null && (hasWaitingRow || ABOUT_WAITING.indexOf(frame.kind) !== -1)) return "waiting";
  return null;
}

/** True when the librarian has been idle long enough to stop monitoring:
 * no activity for `idleMs`, no active chat, and some queue monitored. */
export function shouldGoAway(now, lastActive, idleMs, anyActiveChat, monitoredCount) {
  return now - lastActive >= idleMs && !anyActiveChat && monitoredCount > 0;
}

export function awayText(idleMs) {
  return "You were away for " + (idleMs / 60000) +
    " minutes, so you stopped monitoring. Press Monitor to take chats again.";
}

/** A mailto: address with the @ left readable. */
export function mailtoHref(email) {
  return "mailto:" + encodeURIComponent(email).replace(/%40/g, "@");
}

/** The co-op hint, or "" when the chat is from the librarian's own co-op. */
export function coopHint(detail) {
  if (!detail.is_coop) return "";
  var lib = detail.library || {};
  return "Co-op chat: this patron is from " + (lib.name || "another library") +
    ", another library of the cooperative. Check its hours and policy pages before answering.";
}

// ---------------------------------------------------------------- tickets
/** The counts beside "Email tickets": [text before, overdue text or null, ")"]. */
export function ticketsSummary(counts) {
  return {
    text: "(" + counts.unclaimed + " unclaimed, " + counts.mine + " claimed by you",
    overdue: counts.overdue ? counts.overdue + " overdue" : null
  };
}

/** The line above the suggestions once they came. */
export function suggestStatus(count, name) {
  return count
    ? count + " suggested from " + name + "'s pages:"
    : "Nothing of " + name + "'s pages matches the question yet; search below.";
}

/** The line above the search results. */
export function searchStatus(count, q) {
  return count ? count + " found for “" + q + "”:" : "Nothing found for “" + q + "”.";
}

/** The small line under a hit's title: kind, and the library when it is not
 * the patron's (or every library was searched). */
export function hitMeta(hit, patronLibrary, showLibrary) {
  var lib = hit.library || {};
  var meta = hit.kind === "faq" ? "FAQ" : "Policy section";
  if (showLibrary || (lib.code && lib.code !== patronLibrary)) meta += " · " + (lib.name || lib.code || "");
  return meta;
}

/** Unknown counts as staff-only: never offered to the patron. */
export function isStaffOnly(hit) {
  return hit.staff_only !== false;
}

/** The small line under a librarian on duty: "Queue A, Queue B · 2 chats". */
export function onDutyDetails(p) {
  var n = typeof p.chats === "number" ? p.chats : 0;
  return (p.queues || []).join(", ") + " · " + plural(n, "chat");
}
