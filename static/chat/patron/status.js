/* The chat's state line (waiting with place and time, chatting with whom,
 * ended), its announcements, and the librarian's typing indicator. */
import { formatDuration } from "../shared/format.js";
import { $, t, page } from "./context.js";
import { announce } from "./alerts.js";
import { session, hooks, isOver } from "./session.js";

export function applyState(s) {
  if (!s || typeof s !== "object") return;
  session.currentState = s;
  renderStatus(true);
  if (isOver(s.status)) hooks.showEnded(s);
}

function librarianName() {
  return (session.currentState && session.currentState.librarian) || "";
}

function statusText() {
  const s = session.currentState;
  if (!s) return t("statusConnecting");
  if (s.status === "waiting") {
    const since = Date.parse(s.waiting_since || s.requested_at || "");
    const time = formatDuration(isNaN(since) ? 0 : Date.now() - since);
    return typeof s.position === "number" && s.position > 0
      ? t("statusWaitingPos", { n: s.position, time })
      : t("statusWaiting", { time });
  }
  if (s.status === "active") return t("statusActive", { name: librarianName() || t("aLibrarian") });
  return t("statusEnded");
}

export function renderStatus(mayAnnounce) {
  const s = session.currentState;
  $("chat-status").textContent = statusText();
  clearInterval(session.waitTimer);
  if (s && s.status === "waiting") {
    session.waitTimer = setInterval(() => { $("chat-status").textContent = statusText(); }, 1000);
  }
  // Tell screen readers about real changes, not about the ticking timer.
  const key = s ? [s.status, s.position, s.librarian, page.lang].join("|") : "";
  if (mayAnnounce && key !== session.lastStatusKey && s) {
    if (s.status === "waiting") {
      announce(typeof s.position === "number" && s.position > 0 ? t("announceWaitingPos", { n: s.position }) : t("announceWaiting"));
    } else if (s.status === "active") {
      announce(t("statusActive", { name: librarianName() || t("aLibrarian") }));
    }
  }
  if (s) session.lastStatusKey = key;
}

let typingClear = null;
export function setTyping(on) {
  const el = $("typing");
  clearTimeout(typingClear);
  if (on && session.currentState && !isOver(session.currentState.status)) {
    el.textContent = t("typing", { name: librarianName() || t("theLibrarian") });
    typingClear = setTimeout(() => { el.textContent = ""; }, 8000);  // in case "false" is lost
  } else {
    el.textContent = "";
  }
}
