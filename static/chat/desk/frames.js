/* What each frame from the server does (docs/chat-protocol.md, desk side):
 * one dispatcher, and the `error` frame, which can be about a message, an
 * accept, a chat or the connection. */
import {waitingMsg} from "./page.js";
import {noteError} from "./socket.js";
import {chats, waitingRows} from "./chats.js";
import {hooks} from "./hooks.js";

// Error codes that come before the socket is closed as refused (4401/4403):
// the close handler shows them on the status line.
export var REFUSAL_CODES = ["forbidden", "unauthenticated", "not_signed_in", "not_allowed", "signed_out"];

export function handle(frame) {
  switch (frame.type) {
    case "monitoring": hooks.showMonitoring(frame.queues || []); break;
    case "waiting": hooks.showWaiting(frame.chats || []); break;
    case "waiting_add": hooks.addWaiting(frame.chat); break;
    case "waiting_remove": hooks.removeWaiting(frame.conversation); break;
    case "mine": hooks.showMine(frame.chats || []); break;
    case "accepted": hooks.onAccepted(frame.conversation); break;
    case "messages": hooks.onMessages(frame.conversation, frame.messages || []); break;
    case "message": hooks.onMessage(frame.conversation, frame.message); break;
    case "ack": hooks.onAck(frame); break;
    case "sms_status": hooks.onSmsStatus(frame); break;
    case "typing": hooks.onTyping(frame.conversation, frame.typing); break;
    case "conversation": hooks.onConversation(frame.conversation); break;
    case "alert": hooks.onAlert(frame); break;
    case "tickets": hooks.ticketsChanged(); break;
    case "on_duty": hooks.showOnDuty(frame.librarians || []); break;
    case "error": onError(frame); break;
    default: break;  // heartbeat_ack and anything newer
  }
}

function onError(frame) {
  var id = typeof frame.conversation === "number" ? frame.conversation : null;
  var message = frame.message || "Something went wrong.";
  if (frame.code === "taken" && id !== null) {
    hooks.markTaken(id, message);
    return;
  }
  var chat = id !== null ? chats.get(id) : null;
  if (frame.client_id) {
    var owner = hooks.pendingOwner(chat, frame.client_id);
    if (owner && hooks.failPending(owner, frame.client_id, message)) return;
  }
  if (frame.code === "limit") {
    waitingMsg.textContent = message;
    hooks.resetAccept(id);
    return;
  }
  if (id !== null && waitingRows.has(id) && !chat) {
    hooks.waitingNote(id, message);
    hooks.resetAccept(id);
    return;
  }
  if (chat) {
    hooks.smsRetryRefused(chat, frame, message);
    chat.composeMsg.textContent = message;
    if (frame.code === "ended") { chat.status = "ended"; hooks.setActive(chat, false); hooks.showWrapup(chat, false); }
    if (frame.code === "not_yours") hooks.loadDetail(chat);
    return;
  }
  noteError(message);
  hooks.clearBusyMonitors();
  if (REFUSAL_CODES.indexOf(frame.code) !== -1 || !frame.code) {
    // Most likely a refusal before the close (4401/4403): the close
    // handler shows it on the status line.
    return;
  }
  hooks.localAlert(message);
}
