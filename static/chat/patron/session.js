/* The chat in progress: its token, the messages held (shared MessageIndex:
 * by seq, own unsent ones by client_id) and the timers of the page. One
 * object that the patron modules read and change. */
import { MessageIndex } from "../shared/messages.js";
import { savePending } from "./storage.js";

export const session = {
  token: null,
  wsPath: null,
  currentState: null,     // the last state object from the server
  lastStatusKey: "",      // what was last announced
  flushed: false,         // pending messages re-sent on this socket
  firstQuestion: "",      // seq 1, for the offline form after a missed chat
  lastForm: null,         // what the patron typed in the pre-chat form
  waitTimer: null,        // ticks the waiting time
  statePoll: null,        // asks again for the transcript link
  transcriptPolls: 0,
  index: null,
};

/** A fresh, empty message index (a new chat, or the same one reloaded). */
export function newIndex() {
  const index = new MessageIndex({ onPendingChange: () => savePending(index.unsent()) });
  session.index = index;
  return index;
}
newIndex();

/* Calls that go up the module graph (the graph has no cycles: the
 * manifest storage could not hash modules that import each other); main.js
 * fills them in. */
export const hooks = {
  showEnded: () => {},      // ended.js: the chat is over
  updateCounter: () => {},  // composer.js: the composer was emptied
};

export function isOver(status) { return status === "ended" || status === "missed"; }

/** The chat exists and has not ended. */
export function chatOpen() {
  return !!(session.token && session.currentState && !isOver(session.currentState.status));
}
