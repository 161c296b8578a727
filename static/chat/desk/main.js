/* AskTogether librarian desk (SPEC L3-L9, L12): one websocket /ws/desk/,
 * the waiting list, several chats at once, transfers, wrap-up, alerts and who
 * is on duty. The protocol is docs/chat-protocol.md; how the modules fit is
 * docs/architecture.md ("Front end — desk").
 *
 * Every piece of user text (messages, names, questions, notes) is put in the
 * page with textContent, never as HTML. Native ES modules, no build step.
 *
 * The parts of the page (feature modules) import only base modules (DOM
 * helpers, formatting, state, socket, pure rules) and call each other through
 * `hooks`, which this entry fills with every feature's exports: the import
 * graph stays shallow and acyclic, as the manifest storage needs to hash it. */
import {OFFLINE_NOTE} from "./constants.js";
import {WS_URL} from "./config.js";
import {statusLine} from "./page.js";
import {startSocket} from "./socket.js";
import {initSound} from "./sound.js";
import {chats} from "./chats.js";
import {hooks} from "./hooks.js";
import {splitIntoParts} from "./compose-text.js";
import * as alerts from "./alerts.js";
import * as chatView from "./chat-view.js";
import * as composer from "./composer.js";
import * as frames from "./frames.js";
import * as kb from "./kb.js";
import * as lifecycle from "./lifecycle.js";
import * as log from "./log.js";
import * as moderation from "./moderation.js";
import * as monitoring from "./monitoring.js";
import * as onDuty from "./on-duty.js";
import * as panel from "./panel.js";
import * as sidePane from "./side-pane.js";
import * as sms from "./sms.js";
import * as transfer from "./transfer.js";
import * as waiting from "./waiting.js";
import * as wrapup from "./wrapup.js";

[alerts, chatView, composer, frames, kb, lifecycle, log, moderation, monitoring, onDuty, panel,
 sidePane, sms, transfer, waiting, wrapup].forEach(function (module) {
  Object.keys(module).forEach(function (name) {
    if (typeof module[name] === "function") hooks[name] = module[name];
  });
});

/** (Re)connected: catch up every open chat, then resend what was never
 * acknowledged. */
function caughtUp() {
  chats.forEach(function (chat) { chatView.openChat(chat); });
  chats.forEach(function (chat) {
    log.resendPending(chat);
    if (chat.composeMsg.textContent === OFFLINE_NOTE) chat.composeMsg.textContent = "";
  });
}

if (statusLine) {  // interns: nothing live on this page
  initSound();
  monitoring.initMonitoring();
  onDuty.initOnDuty();
  waiting.startWaiting();
  chatView.updateChatCount();
  waiting.updateWaitingCount();
  startSocket({url: WS_URL, statusLine: statusLine, onOpen: caughtUp, onFrame: frames.handle, onBeat: monitoring.awayWhenIdle});
  // For tests and debugging.
  window.askTogetherDesk = {splitIntoParts: splitIntoParts, chats: chats, handle: frames.handle};
}
