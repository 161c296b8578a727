/* The "Monitor" buttons of the queues and going away when idle (SPEC L11). */
import {IDLE_AWAY_MS} from "./constants.js";
import {awayNotice, monitorButtons, statusLine} from "./page.js";
import {send} from "./socket.js";
import {chats} from "./chats.js";
import {awayText, shouldGoAway} from "./desk-text.js";

var lastActivity = Date.now();

export function showMonitoring(queues) {
  monitorButtons.forEach(function (b) {
    var on = queues.indexOf(Number(b.dataset.queue)) !== -1;
    b.setAttribute("aria-pressed", on ? "true" : "false");
    b.textContent = on ? "Stop monitoring" : "Monitor";
    b.removeAttribute("aria-busy");
  });
}

/** Called before each heartbeat: true when the desk just went away. */
export function awayWhenIdle() {
  if (Date.now() - lastActivity < IDLE_AWAY_MS) return false;
  var busy = false;
  chats.forEach(function (chat) { if (chat.status === "active") busy = true; });
  var monitored = monitorButtons.filter(function (b) {
    return b.getAttribute("aria-pressed") === "true";
  });
  if (!shouldGoAway(Date.now(), lastActivity, IDLE_AWAY_MS, busy, monitored.length)) return false;
  monitored.forEach(function (b) {
    send({type: "unmonitor", queue: Number(b.dataset.queue)});
  });
  awayNotice.textContent = awayText(IDLE_AWAY_MS);
  awayNotice.hidden = false;
  return true;
}

export function clearBusyMonitors() {
  monitorButtons.forEach(function (b) { b.removeAttribute("aria-busy"); });
}

export function initMonitoring() {
  ["keydown", "pointerdown", "pointermove", "wheel", "touchstart", "focus"].forEach(
    function (name) {
      window.addEventListener(name, function () { lastActivity = Date.now(); }, {passive: true});
    }
  );
  monitorButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var on = b.getAttribute("aria-pressed") === "true";
      if (!send({type: on ? "unmonitor" : "monitor", queue: Number(b.dataset.queue)})) {
        statusLine.textContent = "Not connected yet; try again in a moment.";
        return;
      }
      if (!on) awayNotice.hidden = true;
      b.setAttribute("aria-busy", "true");
    });
  });
}
