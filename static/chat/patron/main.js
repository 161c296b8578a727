/* AskTogether patron chat: pre-chat form, live chat, reconnect, transcript.
 *
 * Native ES modules, no build step, no libraries; loaded by
 * templates/chat/patron.html as <script type="module">. It talks to the
 * server as described in docs/chat-protocol.md. Rules kept throughout:
 *   - every text from the server or the patron is rendered with textContent;
 *   - messages are kept by seq (de-duplicated, ../shared/messages.js) and
 *     shown in seq order;
 *   - the database is the source of truth: on every (re)connect the page sends
 *     {"type": "resume", "after": <highest seq held>} and re-sends, with the
 *     same client_id, whatever the server has not acknowledged yet.
 * Modules: context (config, t, HTTP), strings, storage, alerts, language,
 * fields + forms (start and offline), session, chat (socket and frames),
 * log (rendering), status, composer, files, ended (transcript), rating
 * ("How did we do?", rules in rating_state). */
import { $, t, showView, request, config, KEY } from "./context.js";
import { store, seedFromFragment, forgetChat } from "./storage.js";
import { applyLanguage, initLanguage } from "./language.js";
import { initForms } from "./forms.js";
import { initLog } from "./log.js";
import { initChat, resumeStored } from "./chat.js";
import { initComposer, updateCounter } from "./composer.js";
import { initFiles } from "./files.js";
import { initEnded, showEnded } from "./ended.js";
import { hooks } from "./session.js";

hooks.showEnded = showEnded;
hooks.updateCounter = updateCounter;
seedFromFragment();
initLanguage();
initForms();
initLog();
initChat();
initComposer();
initFiles();
initEnded();

$("referrer").value = String(config.referrer || document.referrer || "").slice(0, 2000);
applyLanguage();
const stored = store.get(KEY);
if (stored && /^[A-Za-z0-9_-]{16,200}$/.test(stored)) {
  showView("chat");
  $("chat-status").textContent = t("statusConnecting");
  request("GET", "/chat/c/" + encodeURIComponent(stored) + "/state").then((res) => {
    if (res.status === 404 || res.status === 410) {
      forgetChat();
      showView("form");
      return;
    }
    resumeStored(stored, res.status === 200 ? res.data : null);
  }).catch(() => {
    resumeStored(stored, null);   // offline for now: the socket retries
  });
} else {
  if (stored) forgetChat();
  showView("form");
}
