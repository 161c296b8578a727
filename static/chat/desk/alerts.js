/* Alerts (missed-chat risk, long waits, transfers, calls for backup …): the
 * newest first, at most 8, urgent ones with a sound; each with the action
 * that fits (send the suggestion, go to the chat, show the waiting row). */
import {$, $$, el} from "./dom.js";
import {timeText} from "./format.js";
import {alertsBox} from "./page.js";
import {beep} from "./sound.js";
import {chats, waitingRows} from "./chats.js";
import {alertAction, alertStyle} from "./desk-text.js";
import {hooks} from "./hooks.js";

export var MAX_ALERTS = 8;

export function onAlert(frame) {
  var style = alertStyle(frame.kind);
  var item = el("div", style.className);
  if (style.urgent) item.classList.add("alert-urgent");
  var id = typeof frame.conversation === "number" ? frame.conversation : null;
  if (id !== null) item.dataset.conversation = String(id);
  if (style.waiting) item.dataset.waiting = "1";
  item.appendChild(el("span", "alert-time", timeText(new Date().toISOString())));
  item.appendChild(el("p", "alert-text", frame.message || ""));
  var tools = el("div", "alert-tools");
  var action = alertAction(frame, id !== null && chats.has(id), id !== null && waitingRows.has(id));
  if (action === "suggest") {
    var suggest = el("button", "alert-suggest btn-small", "Send: " + frame.suggestion);
    suggest.type = "button";
    suggest.addEventListener("click", function () {
      var chat = chats.get(id);
      if (!chat) { suggest.disabled = true; suggest.textContent = "That chat is closed"; return; }
      chat.composer.value = frame.suggestion;
      chat.noteToggle.checked = false;
      hooks.noteChanged(chat);
      hooks.composerChanged(chat);
      hooks.focusChat(chat);
      item.remove();
    });
    tools.appendChild(suggest);
  } else if (action === "chat") {
    var go = el("button", "alert-go btn-secondary btn-small", "Go to the chat");
    go.type = "button";
    go.addEventListener("click", function () { var c = chats.get(id); if (c) hooks.focusChat(c); });
    tools.appendChild(go);
  } else if (action === "waiting") {
    var show = el("button", "alert-go btn-secondary btn-small", "Show in the waiting list");
    show.type = "button";
    show.addEventListener("click", function () {
      var row = waitingRows.get(id);
      var accept = row && $(".accept", row.li);
      if (accept) {
        row.li.scrollIntoView({block: "nearest"});
        accept.focus();
      } else {
        show.disabled = true;
        show.textContent = "No longer waiting";
      }
    });
    tools.appendChild(show);
  }
  var dismiss = el("button", "alert-dismiss btn-secondary btn-small", "Dismiss");
  dismiss.type = "button";
  dismiss.setAttribute("aria-label", "Dismiss alert: " + (frame.message || "").slice(0, 80));
  dismiss.addEventListener("click", function () {
    var next = item.nextElementSibling || item.previousElementSibling;
    item.remove();
    var target = next && $("button", next);
    if (target) {
      target.focus();
    } else {
      var heading = $("#chats-heading");
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
  });
  tools.appendChild(dismiss);
  item.appendChild(tools);
  alertsBox.insertBefore(item, alertsBox.firstChild);
  while (alertsBox.children.length > MAX_ALERTS) alertsBox.lastChild.remove();
  if (style.sound) beep(true);
}

/** An alert made here (an error frame with nowhere else to go). */
export function localAlert(message) {
  onAlert({kind: "info", conversation: null, message: message, suggestion: null});
}

// Timer alerts of a chat that ended or left the desk no longer apply.
export function dropAlerts(id) {
  $$(".alert[data-conversation='" + id + "']", alertsBox).forEach(function (node) {
    if (!node.dataset.waiting) node.remove();
  });
}
